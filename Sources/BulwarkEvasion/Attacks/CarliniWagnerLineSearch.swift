import BulwarkTensor
import BulwarkModels
import Foundation

/// Carlini–Wagner L2 with the line-search optimiser (``CarliniWagnerL2/Optimizer/lineSearch``).
extension CarliniWagnerL2 {
    /// Shrinks atanh's argument so the clip bounds map to finite `w` (the value ART and the
    /// paper's code use).
    static let tanhSmoother: Float = 0.999999
    /// Constants at or above this are no longer searched (ART's `_c_upper_bound`).
    static let constantCeiling: Float = 1e11

    /// The line-search variant, as IBM ART 1.20's `CarliniL2Method` runs it (our own code).
    ///
    /// For each constant, every example starts at its clean input and takes `maxIterations`
    /// steps `w ← w − η·∇_w L`, `L = ‖x − x0‖² + c·max(m + κ, 0)`, where `m` is the logit margin
    /// (label minus best other, or best other minus target) and `∇` contains the margin term
    /// whether or not the hinge is active. The per-example rate η is found by a line search:
    /// try η, η/2, … (at most `maxHalving` trials) until `L` drops below its value at the
    /// current point; when the very first trial already lowered it, try 2η, 4η, … (at most
    /// `maxDoubling` trials) while `L` keeps dropping; take the trial of lowest `L` (no step
    /// when none lowered it) and carry the rate over to the next step. An example is
    /// successful when `m + κ ≤ 0` and the prediction succeeds; the smallest successful L2 of
    /// any step is kept. After each constant, per example: on success `c ← (ℓ + c)/2`; on failure
    /// `c ← 2c` while no constant has succeeded yet, otherwise `c ← c + (c − ℓ)/2`, and then the
    /// lower bound `ℓ ← c` (the updated value — ART's update order). Examples stop when
    /// `c ≥ 10¹¹`.
    ///
    /// Cost per step: one batched forward + backward pass and up to `maxHalving + maxDoubling`
    /// batched forward passes over the examples still in the line search.
    func runLineSearch(inputs: Tensor, labels: [Int], net: any DifferentiableClassifier,
                       configuration c: AttackConfiguration) -> AttackResult {
        let start = now()
        let batch = CarliniWagnerBatch(inputs: inputs, labels: labels, net: net, configuration: c)
        let (n, d, k, rowShape, x0) = (batch.n, batch.d, batch.k, batch.rowShape, batch.x0)
        let (lo, span, cleanPred, targeted, aim) = (batch.lo, batch.span, batch.cleanPred, batch.targeted, batch.aim)
        let kappa = confidence
        let smoother = Self.tanhSmoother
        let w0: [Float] = x0.map { v in atanh((min(max((v - lo) / span, 0), 1) * 2 - 1) * smoother) }
        func image(_ w: Float) -> Float { lo + span * (tanh(w) + 1) / 2 }

        var best = x0
        var bestL2sq = [Float](repeating: .infinity, count: n)
        var constant = [Float](repeating: initialConstant, count: n)
        var lower = [Float](repeating: 0, count: n)
        var stillDoubling = [Bool](repeating: true, count: n)
        var queries = [Int](repeating: 1, count: n)
        var iterations = [Int](repeating: 0, count: n)
        // Clean inputs that already succeed need no perturbation.
        let attacked = (0..<n).filter { !isSuccess(cleanPred[$0], $0, labels: labels, targets: c.targets) }
        for i in 0..<n where !attacked.contains(i) { bestL2sq[i] = 0 }

        /// Margin `m` and the competing class of one logit row.
        func margin(_ z: UnsafeBufferPointer<Float>, row a: Int, aim y: Int) -> (Float, Int) {
            var other = -1
            for cls in 0..<k where cls != y && (other < 0 || z[a * k + cls] > z[a * k + other]) { other = cls }
            let m = targeted ? z[a * k + other] - z[a * k + y] : z[a * k + y] - z[a * k + other]
            return (m, other)
        }

        for _ in 0..<binarySearchSteps {
            // Rows of this round: attacked examples whose constant is still below the ceiling.
            let rows = attacked.filter { constant[$0] < Self.constantCeiling }
            if rows.isEmpty || c.maxIterations == 0 { break }
            let m = rows.count
            var w = [Float](); w.reserveCapacity(m * d)
            for i in rows { w += w0[(i * d)..<((i + 1) * d)] }
            var x = w.map(image)
            var rate = [Float](repeating: learningRate, count: m)
            var loss = [Float](repeating: 0, count: m), l2sq = [Float](repeating: 0, count: m)
            var succeeded = [Bool](repeating: false, count: m)  // in any step of this round
            let consts = rows.map { constant[$0] }

            /// Objective of flat rows `xs` (for rows `which` of this round), one forward pass.
            func evaluate(_ xs: [Float], _ which: [Int]) -> (loss: [Float], l2sq: [Float], success: [Bool]) {
                let z = net.logits(Tensor(shape: [which.count] + rowShape, scalars: xs))
                let pred = z.argmaxRows()
                var ls = [Float](repeating: 0, count: which.count), ds = ls, ok = [Bool](repeating: false, count: which.count)
                z.scalars.withUnsafeBufferPointer { pz in
                    for (a, r) in which.enumerated() {
                        let i = rows[r]
                        var s: Float = 0
                        for j in 0..<d { let v = xs[a * d + j] - x0[i * d + j]; s += v * v }
                        let (mg, _) = margin(pz, row: a, aim: aim[i])
                        ds[a] = s
                        ls[a] = s + consts[r] * max(mg + kappa, 0)
                        ok[a] = mg + kappa <= 0 && isSuccess(pred[a], i, labels: labels, targets: c.targets)
                        queries[i] += 1
                    }
                }
                return (ls, ds, ok)
            }
            func record(_ r: Int, success: Bool) {
                let i = rows[r]
                guard success else { return }
                succeeded[r] = true
                if l2sq[r] < bestL2sq[i] {
                    bestL2sq[i] = l2sq[r]
                    best.replaceSubrange((i * d)..<((i + 1) * d), with: x[(r * d)..<((r + 1) * d)])
                }
            }
            let all = Array(0..<m)
            let initial = evaluate(x, all)
            loss = initial.loss; l2sq = initial.l2sq
            for r in all { record(r, success: initial.success[r]) }

            for _ in 0..<c.maxIterations {
                // Gradient of L with respect to w at the current points, all rows in one pass.
                let (z, g) = Gradients.inputGradient(net, Tensor(shape: [m] + rowShape, scalars: x)) { z in
                    var seed = [Float](repeating: 0, count: m * k)
                    z.scalars.withUnsafeBufferPointer { pz in
                        for r in 0..<m {
                            let y = aim[rows[r]]
                            let (_, other) = margin(pz, row: r, aim: y)
                            let s = consts[r]
                            seed[r * k + y] += targeted ? -s : s
                            seed[r * k + other] += targeted ? s : -s
                        }
                    }
                    return Tensor(shape: [m, k], scalars: seed)
                }
                _ = z
                var direction = [Float](repeating: 0, count: m * d)
                g.scalars.withUnsafeBufferPointer { pg in
                    for r in 0..<m {
                        let i = rows[r]
                        queries[i] += 2
                        iterations[i] += 1
                        for j in 0..<d {
                            let t = tanh(w[r * d + j])
                            let dx = pg[r * d + j] + 2 * (x[r * d + j] - x0[i * d + j])
                            direction[r * d + j] = -dx * span * (1 - t * t) / (2 * smoother)
                        }
                    }
                }
                // Line search per row.
                let previous = loss
                var bestLoss = loss
                var bestRate = [Float](repeating: 0, count: m)
                var bestPoint = [[Float]](repeating: [], count: m)
                var bestL2 = l2sq, bestOK = [Bool](repeating: false, count: m)
                var trialLoss = loss
                var halvings = [Int](repeating: 0, count: m)
                func trial(_ which: [Int]) {
                    var xs = [Float](); xs.reserveCapacity(which.count * d)
                    for r in which {
                        for j in 0..<d { xs.append(image(w[r * d + j] + rate[r] * direction[r * d + j])) }
                    }
                    let e = evaluate(xs, which)
                    for (a, r) in which.enumerated() {
                        trialLoss[r] = e.loss[a]
                        if e.loss[a] < bestLoss[r] {
                            bestLoss[r] = e.loss[a]; bestRate[r] = rate[r]; bestL2[r] = e.l2sq[a]; bestOK[r] = e.success[a]
                            bestPoint[r] = Array(xs[(a * d)..<((a + 1) * d)])
                        }
                    }
                }
                for _ in 0..<maxHalving {
                    let which = all.filter { trialLoss[$0] >= previous[$0] }
                    if which.isEmpty { break }
                    trial(which)
                    for r in which { rate[r] /= 2; halvings[r] += 1 }
                }
                for r in all { rate[r] *= 2 }
                for _ in 0..<maxDoubling {
                    let which = all.filter { halvings[$0] == 1 && trialLoss[$0] <= bestLoss[$0] }
                    if which.isEmpty { break }
                    for r in which { rate[r] *= 2 }
                    trial(which)
                }
                for r in all where halvings[r] == 1 { rate[r] /= 2 }
                for r in all where bestRate[r] > 0 {
                    for j in 0..<d { w[r * d + j] += bestRate[r] * direction[r * d + j] }
                    x.replaceSubrange((r * d)..<((r + 1) * d), with: bestPoint[r])
                    loss[r] = bestLoss[r]; l2sq[r] = bestL2[r]
                    record(r, success: bestOK[r])
                }
            }
            // Constant search, per example, in ART's order.
            for (r, i) in rows.enumerated() {
                if succeeded[r] {
                    stillDoubling[i] = false
                    constant[i] = (lower[i] + constant[i]) / 2
                } else {
                    constant[i] = stillDoubling[i] ? constant[i] * 2 : constant[i] + (constant[i] - lower[i]) / 2
                    lower[i] = constant[i]
                }
            }
        }
        if boundedByEpsilon {
            for i in 0..<n where bestL2sq[i].squareRoot() > c.epsilon * (1 + 1e-6) && bestL2sq[i].isFinite {
                best.replaceSubrange((i * d)..<((i + 1) * d), with: x0[(i * d)..<((i + 1) * d)])
            }
        }
        let adv = Tensor(shape: inputs.shape, scalars: best)
        let advPred = net.predictions(adv)
        return AttackResult(adversarial: adv, outcomes: makeOutcomes(
            clean: inputs, adversarial: adv, labels: labels, cleanPredictions: cleanPred, adversarialPredictions: advPred,
            targets: c.targets, queries: queries, iterations: iterations, seconds: now() - start))
    }
}
