public import BulwarkTensor
import BulwarkModels
import Foundation

/// The loss AutoPGD ascends.
public enum AutoPGDLoss: String, Codable, Sendable, CaseIterable {
    /// Cross-entropy of the true label (untargeted) or minus cross-entropy of the target.
    case crossEntropy = "ce"
    /// Difference of logits ratio (Croce & Hein 2020, eq. 5); targeted variant eq. 6.
    case dlr
}

/// AutoPGD (Croce & Hein, "Reliable evaluation of adversarial robustness with an ensemble of
/// diverse parameter-free attacks", ICML 2020), APGD-CE and APGD-DLR, for L∞ and L2.
///
/// PGD with momentum (α = 0.75) and a step size η that starts at 2ε and is halved, per example,
/// at the checkpoints `w_j = ⌈p_j · N⌉` (`p_0 = 0`, `p_1 = 0.22`,
/// `p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06)`) when fewer than ρ = 75 % of the steps since
/// the last checkpoint increased the loss, or when neither η nor the best loss changed since the
/// last checkpoint; after a halving the iterate restarts from the best point found so far.
///
/// DLR loss, with logits `z` sorted decreasingly as `z_π1 ≥ z_π2 ≥ …`:
/// untargeted `−(z_y − max_{i≠y} z_i) / (z_π1 − z_π3)`, targeted
/// `−(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2)`; it needs at least 3 (untargeted) or 4 (targeted)
/// classes. Starts from a random point of the ε-ball; `restarts` extra random starts for the
/// examples not yet broken. One batched forward + backward pass per iteration over the active
/// examples; an example stops as soon as it is misclassified (or hits its target). For examples
/// that are never broken the point of highest loss is returned.
public struct AutoProjectedGradientDescent: EvasionAttack {
    /// The loss.
    public var loss: AutoPGDLoss
    /// Extra random restarts for examples that survived (default 0).
    public var restarts: Int
    /// Momentum weight α (paper: 0.75).
    public var momentum: Float
    /// Fraction ρ of loss increases needed to keep η at a checkpoint (paper: 0.75).
    public var rho: Float
    /// `"apgd-ce"` or `"apgd-dlr"`.
    public var name: String { loss == .crossEntropy ? "apgd-ce" : "apgd-dlr" }
    /// Always true.
    public var requiresGradients: Bool { true }

    /// An AutoPGD attack with the paper's defaults.
    public init(loss: AutoPGDLoss = .crossEntropy, restarts: Int = 0, momentum: Float = 0.75, rho: Float = 0.75) {
        self.loss = loss
        self.restarts = restarts
        self.momentum = momentum
        self.rho = rho
    }

    /// The checkpoint iterations `w_j` for `iterations` iterations (ascending, first is 0).
    public static func checkpoints(iterations: Int) -> [Int] {
        var p: [Double] = [0, 0.22]
        while let last = p.last, last < 1 {
            let next = last + max(last - p[p.count - 2] - 0.03, 0.06)
            p.append(next)
        }
        var w: [Int] = []
        for q in p where q <= 1 {
            let v = Int((q * Double(iterations) - 1e-9).rounded(.up))  // tolerance for 0.57 · 100 = 57.000…1
            if w.last != v { w.append(v) }
        }
        return w
    }

    /// Runs AutoPGD on a batch.
    public func run(inputs: Tensor, labels: [Int], model: AttackModel,
                    configuration c: AttackConfiguration) throws(EvasionError) -> AttackResult {
        try validate(inputs: inputs, labels: labels, configuration: c)
        let net = try differentiable(model)
        let k = net.classCount
        if loss == .dlr {
            let need = c.targets == nil ? 3 : 4
            guard k >= need else { throw EvasionError("\(name) needs at least \(need) classes, model has \(k)") }
        }
        let start = now()
        let n = labels.count
        let d = n == 0 ? 0 : inputs.count / n
        let rowShape = Array(inputs.shape.dropFirst())
        let x0 = inputs.scalars
        var rng = ExampleRandomness(c)
        let cleanPred = net.predictions(inputs)
        var best = x0
        var done = (0..<n).map { isSuccess(cleanPred[$0], $0, labels: labels, targets: c.targets) }
        var queries = [Int](repeating: 1, count: n)
        var iterations = [Int](repeating: 0, count: n)
        var bestLossEver = [Float](repeating: -.infinity, count: n)
        let checkpoints = Set(Self.checkpoints(iterations: c.maxIterations).dropFirst())
        let targeted = c.targets != nil
        let aim = c.targets ?? labels
        let lossKind = loss

        for _ in 0...max(restarts, 0) {
            let start0 = (0..<n).filter { !done[$0] }
            if start0.isEmpty || c.maxIterations == 0 { break }
            // Per-example state, full size; only active rows are touched.
            var x = x0
            let noise = rng.perturbations(for: start0, dimension: d, norm: c.norm, epsilon: c.epsilon)
            var startRows = [Float](); startRows.reserveCapacity(start0.count * d)
            var baseRows = [Float](); baseRows.reserveCapacity(start0.count * d)
            for (r, i) in start0.enumerated() {
                for j in 0..<d { startRows.append(x0[i * d + j] + noise[r * d + j]) }
                baseRows += x0[(i * d)..<((i + 1) * d)]
            }
            Geometry.project(&startRows, around: baseRows, rows: start0.count, norm: c.norm, epsilon: c.epsilon,
                             clipMin: c.clipMin, clipMax: c.clipMax)
            for (r, i) in start0.enumerated() { x.replaceSubrange((i * d)..<((i + 1) * d), with: startRows[(r * d)..<((r + 1) * d)]) }
            var xPrev = x
            var xMax = x
            var gradMax = [Float](repeating: 0, count: n * d)
            var fMax = [Float](repeating: -.infinity, count: n)
            var fPrev = [Float](repeating: -.infinity, count: n)
            var eta = [Float](repeating: c.stepSize ?? 2 * c.epsilon, count: n)
            var increases = [Int](repeating: 0, count: n)
            var etaAtCheckpoint = eta
            var fMaxAtCheckpoint = fMax
            var lastCheckpoint = 0
            var active = start0
            var gradient = [Float](repeating: 0, count: d)

            for it in 0...c.maxIterations {
                if active.isEmpty { break }
                let m = active.count
                var rows = [Float](); rows.reserveCapacity(m * d)
                for i in active { rows += x[(i * d)..<((i + 1) * d)] }
                let batch = Tensor(shape: [m] + rowShape, scalars: rows)
                let classes = active.map { aim[$0] }
                let trueClasses = active.map { labels[$0] }
                var losses = [Float](repeating: 0, count: m)
                var z: Tensor
                var g: Tensor? = nil
                if it < c.maxIterations {
                    let r = Gradients.inputGradient(net, batch) { logits in
                        Self.lossAndLogitGradient(logits, kind: lossKind, classes: classes, labels: trueClasses,
                                                  targeted: targeted, losses: &losses)
                    }
                    z = r.logits; g = r.gradient
                } else {
                    z = net.logits(batch)  // the last iterate is only evaluated
                }
                if g == nil { _ = Self.lossAndLogitGradient(z, kind: lossKind, classes: classes, labels: trueClasses, targeted: targeted, losses: &losses) }
                let pred = z.argmaxRows()
                let isCheckpoint = checkpoints.contains(it)
                var keep: [Int] = []
                keep.reserveCapacity(m)
                for (r, i) in active.enumerated() {
                    queries[i] += g == nil ? 1 : 2
                    let f = losses[r]
                    if isSuccess(pred[r], i, labels: labels, targets: c.targets) {
                        done[i] = true
                        best.replaceSubrange((i * d)..<((i + 1) * d), with: x[(i * d)..<((i + 1) * d)])
                        continue
                    }
                    guard let grad = g else {
                        if f > fMax[i] { fMax[i] = f; xMax.replaceSubrange((i * d)..<((i + 1) * d), with: x[(i * d)..<((i + 1) * d)]) }
                        continue
                    }
                    iterations[i] += 1
                    for j in 0..<d { gradient[j] = grad.scalars[r * d + j] }
                    if it > 0 && f > fPrev[i] { increases[i] += 1 }
                    fPrev[i] = f
                    if f > fMax[i] {
                        fMax[i] = f
                        xMax.replaceSubrange((i * d)..<((i + 1) * d), with: x[(i * d)..<((i + 1) * d)])
                        gradMax.replaceSubrange((i * d)..<((i + 1) * d), with: gradient)
                    }
                    var restartFromBest = false
                    if isCheckpoint {
                        let span = it - lastCheckpoint
                        let fewIncreases = Float(increases[i]) < rho * Float(span)
                        let stalled = etaAtCheckpoint[i] == eta[i] && fMaxAtCheckpoint[i] == fMax[i]
                        etaAtCheckpoint[i] = eta[i]
                        fMaxAtCheckpoint[i] = fMax[i]
                        increases[i] = 0
                        if fewIncreases || stalled {
                            eta[i] /= 2
                            restartFromBest = true
                        }
                    }
                    if restartFromBest {
                        x.replaceSubrange((i * d)..<((i + 1) * d), with: xMax[(i * d)..<((i + 1) * d)])
                        for j in 0..<d { gradient[j] = gradMax[i * d + j] }
                    }
                    step(&x, &xPrev, row: i, dimension: d, gradient: gradient, eta: eta[i], x0: x0,
                         first: it == 0 || restartFromBest, c: c)
                    keep.append(i)
                }
                if isCheckpoint { lastCheckpoint = it }
                active = keep
            }
            // Survivors keep their point of highest loss (over restarts).
            for i in 0..<n where !done[i] && fMax[i] > bestLossEver[i] && fMax[i].isFinite {
                bestLossEver[i] = fMax[i]
                best.replaceSubrange((i * d)..<((i + 1) * d), with: xMax[(i * d)..<((i + 1) * d)])
            }
        }
        let adv = Tensor(shape: inputs.shape, scalars: best)
        let advPred = net.predictions(adv)
        return AttackResult(adversarial: adv, outcomes: makeOutcomes(
            clean: inputs, adversarial: adv, labels: labels, cleanPredictions: cleanPred, adversarialPredictions: advPred,
            targets: c.targets, queries: queries, iterations: iterations, seconds: now() - start))
    }

    /// One AutoPGD update of row `i`: `z = P(x + η·dir(g))`, then (after the first step)
    /// `x ← P(x + α(z − x) + (1 − α)(x − x_prev))`.
    private func step(_ x: inout [Float], _ xPrev: inout [Float], row i: Int, dimension d: Int, gradient: [Float],
                      eta: Float, x0: [Float], first: Bool, c: AttackConfiguration) {
        let lo = i * d
        var scale: Float = 1
        if c.norm == .l2 {
            var s: Float = 0
            for j in 0..<d { s += gradient[j] * gradient[j] }
            scale = s > 1e-24 ? 1 / s.squareRoot() : 0
        }
        var z = [Float](repeating: 0, count: d)
        for j in 0..<d {
            let dir = c.norm == .linf ? (gradient[j] > 0 ? 1 : (gradient[j] < 0 ? -1 : 0)) : gradient[j] * scale
            z[j] = x[lo + j] + eta * dir
        }
        let base = Array(x0[lo..<(lo + d)])
        Geometry.project(&z, around: base, rows: 1, norm: c.norm, epsilon: c.epsilon, clipMin: c.clipMin, clipMax: c.clipMax)
        if !first {
            let a = momentum
            for j in 0..<d {
                let cur = x[lo + j]
                z[j] = cur + a * (z[j] - cur) + (1 - a) * (cur - xPrev[lo + j])
            }
            Geometry.project(&z, around: base, rows: 1, norm: c.norm, epsilon: c.epsilon, clipMin: c.clipMin, clipMax: c.clipMax)
        }
        for j in 0..<d { xPrev[lo + j] = x[lo + j]; x[lo + j] = z[j] }
    }

    /// Per-example loss (written to `losses`) and the gradient of `Σ loss` with respect to the
    /// logits, for the loss AutoPGD maximises.
    static func lossAndLogitGradient(_ logits: Tensor, kind: AutoPGDLoss, classes: [Int], labels: [Int],
                                     targeted: Bool, losses: inout [Float]) -> Tensor {
        let m = classes.count
        let k = logits.shape[1]
        var grad = [Float](repeating: 0, count: m * k)
        let z = logits.scalars
        switch kind {
        case .crossEntropy:
            let lsm = logits.logSoftmax(axis: -1).scalars
            for r in 0..<m {
                let y = classes[r]
                let ce = -lsm[r * k + y]
                losses[r] = targeted ? -ce : ce
                for cls in 0..<k { grad[r * k + cls] = exp(lsm[r * k + cls]) }
                grad[r * k + y] -= 1
                if targeted { for cls in 0..<k { grad[r * k + cls] = -grad[r * k + cls] } }
            }
        case .dlr:
            for r in 0..<m {
                let row = Array(z[(r * k)..<((r + 1) * k)])
                let order = (0..<k).sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
                let y = labels[r]
                if targeted {
                    let t = classes[r]
                    let den = row[order[0]] - (row[order[2]] + row[order[3]]) / 2 + 1e-12
                    let num = row[y] - row[t]
                    losses[r] = -num / den
                    grad[r * k + y] -= 1 / den
                    grad[r * k + t] += 1 / den
                    let dDen = num / (den * den)
                    grad[r * k + order[0]] += dDen
                    grad[r * k + order[2]] -= dDen / 2
                    grad[r * k + order[3]] -= dDen / 2
                } else {
                    let other = order[0] == y ? order[1] : order[0]
                    let den = row[order[0]] - row[order[2]] + 1e-12
                    let num = row[y] - row[other]
                    losses[r] = -num / den
                    grad[r * k + y] -= 1 / den
                    grad[r * k + other] += 1 / den
                    let dDen = num / (den * den)
                    grad[r * k + order[0]] += dDen
                    grad[r * k + order[2]] -= dDen
                }
            }
        }
        return Tensor(shape: [m, k], scalars: grad)
    }
}
