public import BulwarkTensor
import BulwarkModels
import Foundation

/// Carlini–Wagner L2 (Carlini & Wagner, "Towards Evaluating the Robustness of Neural Networks",
/// IEEE S&P 2017).
///
/// Minimises `‖x − x0‖²₂ + c · f(x)` over `w` with `x = lo + (hi − lo)(tanh w + 1)/2` (so `x` stays
/// in the clip range), `f = max(z_y − max_{i≠y} z_i, −κ)` untargeted or
/// `max(max_{i≠t} z_i − z_t, −κ)` targeted, with a per-example binary search over `c`
/// (`binarySearchSteps` rounds, starting at `initialConstant`). Two optimisers:
///
/// - ``Optimizer/adam`` (the paper's): Adam, `maxIterations` steps per constant; `c` grows ×10
///   while no success has been found, then bisects. A round stops early for an example when its
///   objective has not decreased by 0.01 % over a tenth of the iterations.
/// - ``Optimizer/lineSearch``: the variant of IBM ART's `CarliniL2Method` (ART 1.20): plain
///   gradient descent whose per-example learning rate is adapted by a line search (halve up to
///   `maxHalving` times until the objective decreases, then double up to `maxDoubling` times
///   while it keeps decreasing), all `maxIterations` steps run; `c` doubles until the first
///   success, then moves as ART moves it (see ``runLineSearch``). Use it to reproduce ART's numbers.
///
/// Returns, per example, the successful point of smallest L2 found in any round (the clean input
/// if none). It is a minimal-norm attack: ε is ignored unless `boundedByEpsilon`, which reverts
/// results whose L2 exceeds ε (counted as failures), making it comparable with ε-bounded attacks.
///
/// Cost: `binarySearchSteps × maxIterations` batched forward + backward passes at most (Adam);
/// the line search adds up to `maxHalving + maxDoubling` forward passes per step.
public struct CarliniWagnerL2: EvasionAttack {
    /// `"cw"`.
    public var name: String { "cw" }
    /// Always true.
    public var requiresGradients: Bool { true }
    /// Confidence κ (default 0).
    public var confidence: Float
    /// Adam learning rate (default 0.01).
    public var learningRate: Float
    /// Binary-search rounds over c (default 9, as in the paper).
    public var binarySearchSteps: Int
    /// First c (default 0.01, as in ART; the paper starts at 1e-3).
    public var initialConstant: Float
    /// Revert results with L2 above ε (default false).
    public var boundedByEpsilon: Bool
    /// How `w` is optimised for one constant.
    public var optimizer: Optimizer
    /// Line search only: most halvings of the learning rate per step (ART's default 5).
    public var maxHalving: Int
    /// Line search only: most doublings of the learning rate per step (ART's default 5).
    public var maxDoubling: Int

    /// The optimiser of the inner problem (see the type's documentation).
    public enum Optimizer: String, Codable, Sendable, CaseIterable {
        /// Adam with the paper's ×10 constant search and early abort.
        case adam
        /// Gradient descent with a halving/doubling line search and ART's constant search.
        case lineSearch = "line-search"
    }

    /// A C&W L2 attack.
    public init(confidence: Float = 0, learningRate: Float = 0.01, binarySearchSteps: Int = 9,
                initialConstant: Float = 0.01, boundedByEpsilon: Bool = false, optimizer: Optimizer = .adam,
                maxHalving: Int = 5, maxDoubling: Int = 5) {
        self.confidence = confidence
        self.learningRate = learningRate
        self.binarySearchSteps = binarySearchSteps
        self.initialConstant = initialConstant
        self.boundedByEpsilon = boundedByEpsilon
        self.optimizer = optimizer
        self.maxHalving = maxHalving
        self.maxDoubling = maxDoubling
    }

    /// Runs C&W L2 on a batch.
    public func run(inputs: Tensor, labels: [Int], model: AttackModel,
                    configuration c: AttackConfiguration) throws(EvasionError) -> AttackResult {
        try validate(inputs: inputs, labels: labels, configuration: c)
        guard binarySearchSteps >= 1 else { throw EvasionError("cw: binarySearchSteps must be ≥ 1") }
        guard initialConstant > 0, initialConstant.isFinite else { throw EvasionError("cw: initialConstant must be positive") }
        let net = try differentiable(model)
        if optimizer == .lineSearch {
            guard maxHalving >= 1, maxDoubling >= 1 else { throw EvasionError("cw: maxHalving and maxDoubling must be ≥ 1") }
            guard learningRate > 0 else { throw EvasionError("cw: learningRate must be positive") }
            return runLineSearch(inputs: inputs, labels: labels, net: net, configuration: c)
        }
        let start = now()
        let batch = CarliniWagnerBatch(inputs: inputs, labels: labels, net: net, configuration: c)
        let (n, d, k, rowShape, x0) = (batch.n, batch.d, batch.k, batch.rowShape, batch.x0)
        let (lo, span, cleanPred, targeted, aim) = (batch.lo, batch.span, batch.cleanPred, batch.targeted, batch.aim)
        // w of the clean input (slightly shrunk so atanh stays finite).
        let w0: [Float] = x0.map { v in
            let u = min(max((v - lo) / span * 2 - 1, -1), 1) * 0.999999
            return atanh(u)
        }
        var best = x0
        var bestL2 = [Float](repeating: .infinity, count: n)
        var constant = [Float](repeating: initialConstant, count: n)
        var lower = [Float](repeating: 0, count: n)
        var upper = [Float](repeating: 1e10, count: n)
        var queries = [Int](repeating: 1, count: n)
        var iterations = [Int](repeating: 0, count: n)
        // Already-successful clean inputs need no perturbation.
        for i in 0..<n where isSuccess(cleanPred[i], i, labels: labels, targets: c.targets) { bestL2[i] = 0 }
        let kappa = confidence
        let abortEvery = max(c.maxIterations / 10, 1)

        for _ in 0..<binarySearchSteps {
            var active = (0..<n).filter { bestL2[$0] != 0 }
            if active.isEmpty || c.maxIterations == 0 { break }
            let m0 = active.count
            // State of the active rows (compact, row r ↔ active[r]).
            var w = [Float](); w.reserveCapacity(m0 * d)
            for i in active { w += w0[(i * d)..<((i + 1) * d)] }
            var mAdam = [Float](repeating: 0, count: m0 * d), vAdam = [Float](repeating: 0, count: m0 * d)
            var rowOf = Array(0..<m0)  // compact row of each still-iterating active example
            var succeededThisRound = [Bool](repeating: false, count: n)
            var previousObjective = [Float](repeating: .infinity, count: n)
            var t = 0
            let beta1: Float = 0.9, beta2: Float = 0.999
            while t < c.maxIterations && !active.isEmpty {
                t += 1
                let m = active.count
                var xs = [Float](repeating: 0, count: m * d)
                for (a, r) in rowOf.enumerated() {
                    for j in 0..<d { xs[a * d + j] = lo + span * (tanh(w[r * d + j]) + 1) / 2 }
                }
                let batch = Tensor(shape: [m] + rowShape, scalars: xs)
                var margins = [Float](repeating: 0, count: m)
                let consts = active.map { constant[$0] }
                let classes = active.map { aim[$0] }
                let (logits, g) = Gradients.inputGradient(net, batch) { z in
                    var seed = [Float](repeating: 0, count: m * k)
                    for a in 0..<m {
                        let row = Array(z.scalars[(a * k)..<((a + 1) * k)])
                        let y = classes[a]
                        var other = -1
                        for cls in 0..<k where cls != y && (other < 0 || row[cls] > row[other]) { other = cls }
                        let margin = targeted ? row[other] - row[y] : row[y] - row[other]
                        margins[a] = margin
                        if margin > -kappa {
                            let s = consts[a]
                            seed[a * k + y] += targeted ? -s : s
                            seed[a * k + other] += targeted ? s : -s
                        }
                    }
                    return Tensor(shape: [m, k], scalars: seed)
                }
                let pred = logits.argmaxRows()
                var keepActive: [Int] = [], keepRows: [Int] = []
                let bc1 = 1 - Float(pow(Double(beta1), Double(t))), bc2 = 1 - Float(pow(Double(beta2), Double(t)))
                for (a, i) in active.enumerated() {
                    let r = rowOf[a]
                    queries[i] += 2
                    iterations[i] += 1
                    var l2sq: Float = 0
                    for j in 0..<d { let v = xs[a * d + j] - x0[i * d + j]; l2sq += v * v }
                    // Success with margin κ (the point is adversarial with the requested confidence).
                    let success = isSuccess(pred[a], i, labels: labels, targets: c.targets) && margins[a] <= -kappa
                    if success {
                        succeededThisRound[i] = true
                        if l2sq.squareRoot() < bestL2[i] {
                            bestL2[i] = l2sq.squareRoot()
                            best.replaceSubrange((i * d)..<((i + 1) * d), with: xs[(a * d)..<((a + 1) * d)])
                        }
                    }
                    let objective = l2sq + constant[i] * max(margins[a], -kappa)
                    if t % abortEvery == 0 {
                        if objective > previousObjective[i] * 0.9999 { continue }  // early abort of this round
                        previousObjective[i] = objective
                    }
                    // Adam step on w: ∂/∂x = 2(x − x0) + c ∂f/∂x; ∂x/∂w = span (1 − tanh²w)/2.
                    for j in 0..<d {
                        let th = tanh(w[r * d + j])
                        let dx = 2 * (xs[a * d + j] - x0[i * d + j]) + g.scalars[a * d + j]
                        let gw = dx * span * (1 - th * th) / 2
                        let idx = r * d + j
                        mAdam[idx] = beta1 * mAdam[idx] + (1 - beta1) * gw
                        vAdam[idx] = beta2 * vAdam[idx] + (1 - beta2) * gw * gw
                        w[idx] -= learningRate * (mAdam[idx] / bc1) / ((vAdam[idx] / bc2).squareRoot() + 1e-8)
                    }
                    keepActive.append(i); keepRows.append(r)
                }
                active = keepActive; rowOf = keepRows
            }
            // Binary search on c.
            for i in 0..<n where bestL2[i] != 0 {
                if succeededThisRound[i] {
                    upper[i] = min(upper[i], constant[i])
                    constant[i] = (lower[i] + upper[i]) / 2
                } else {
                    lower[i] = max(lower[i], constant[i])
                    constant[i] = upper[i] < 1e9 ? (lower[i] + upper[i]) / 2 : constant[i] * 10
                }
            }
        }
        if boundedByEpsilon {
            for i in 0..<n where bestL2[i] > c.epsilon * (1 + 1e-6) && bestL2[i].isFinite {
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

/// What both C&W optimisers derive from a batch before optimising: sizes, the clean inputs and
/// their predictions, the clip range and the class each example aims at (its label, or its
/// target when targeted).
struct CarliniWagnerBatch {
    let n: Int, d: Int, k: Int
    let rowShape: [Int]
    let x0: [Float]
    let lo: Float, span: Float
    let cleanPred: [Int]
    let targeted: Bool
    let aim: [Int]

    init(inputs: Tensor, labels: [Int], net: any DifferentiableClassifier, configuration c: AttackConfiguration) {
        n = labels.count
        d = n == 0 ? 0 : inputs.count / n
        k = net.classCount
        rowShape = Array(inputs.shape.dropFirst())
        x0 = inputs.scalars
        (lo, span) = (c.clipMin, c.clipMax - c.clipMin)
        cleanPred = net.predictions(inputs)
        targeted = c.targets != nil
        aim = c.targets ?? labels
    }
}
