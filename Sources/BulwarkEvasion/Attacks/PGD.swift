public import BulwarkTensor
import BulwarkModels

/// Projected gradient descent (Madry et al., "Towards Deep Learning Models Resistant to
/// Adversarial Attacks", ICLR 2018): from a random point of the ε-ball, repeat
/// `x ← Π_{B(x0,ε) ∩ [clipMin,clipMax]}(x + α · steepest(∇ CE))`, for L∞ (sign step) or L2
/// (normalised step), with `restarts` random restarts.
///
/// Untargeted: ascends cross-entropy of the true label; targeted: descends cross-entropy of the
/// target. Examples stop as soon as they succeed and are never perturbed again. Each iteration
/// is one batched forward + backward pass over the still-active examples.
public struct ProjectedGradientDescent: EvasionAttack {
    /// `"pgd"`, or the name given by FGSM/BIM wrappers.
    public var name: String
    /// Step size as a fraction of ε (default 2.5/iterations, Madry et al.'s rule of thumb).
    public var relativeStepSize: Float?
    /// Start from a uniformly random point of the ε-ball.
    public var randomStart: Bool
    /// Number of random restarts (total runs = restarts + 1 when `randomStart`).
    public var restarts: Int
    /// Always true.
    public var requiresGradients: Bool { true }

    /// A PGD attack.
    public init(relativeStepSize: Float? = nil, randomStart: Bool = true, restarts: Int = 0, name: String = "pgd") {
        self.relativeStepSize = relativeStepSize
        self.randomStart = randomStart
        self.restarts = restarts
        self.name = name
    }

    /// Runs PGD on a batch.
    public func run(inputs: Tensor, labels: [Int], model: AttackModel,
                    configuration c: AttackConfiguration) throws(EvasionError) -> AttackResult {
        try validate(inputs: inputs, labels: labels, configuration: c)
        let net = try differentiable(model)
        let start = now()
        let n = labels.count
        let d = n == 0 ? 0 : inputs.count / n
        let rowShape = Array(inputs.shape.dropFirst())
        let x0 = inputs.scalars
        var rng = SeededGenerator(seed: c.seed)
        // Without a random start the first gradient pass runs at x0 and yields the clean
        // predictions for free; with one, they cost one forward pass up front.
        let knownClean: [Int]? = randomStart || c.maxIterations == 0 ? net.predictions(inputs) : nil
        var cleanPred = knownClean ?? [Int](repeating: -1, count: n)
        var best = x0
        var done = knownClean.map { cp in (0..<n).map { isSuccess(cp[$0], $0, labels: labels, targets: c.targets) } }
            ?? [Bool](repeating: false, count: n)
        var lastPred = cleanPred  // prediction at `best`, so no final forward pass is needed
        var cleanPending = knownClean == nil
        var queries = [Int](repeating: 1, count: n)
        var iterations = [Int](repeating: 0, count: n)
        let alpha = c.epsilon * (relativeStepSize ?? (c.maxIterations > 0 ? 2.5 / Float(c.maxIterations) : 1))
        let runs = randomStart ? restarts + 1 : 1
        let aim = c.targets ?? labels
        for _ in 0..<runs {
            var active = (0..<n).filter { !done[$0] }
            if active.isEmpty { break }
            // Current iterate of the active examples, flat.
            var x = [Float](); x.reserveCapacity(active.count * d)
            var base = [Float](); base.reserveCapacity(active.count * d)
            for i in active { x += x0[(i * d)..<((i + 1) * d)]; base += x0[(i * d)..<((i + 1) * d)] }
            if randomStart {
                let r = Geometry.randomPerturbation(rows: active.count, dimension: d, norm: c.norm, epsilon: c.epsilon, rng: &rng)
                for j in 0..<x.count { x[j] += r[j] }
                Geometry.project(&x, around: base, rows: active.count, norm: c.norm, epsilon: c.epsilon, clipMin: c.clipMin, clipMax: c.clipMax)
            }
            for _ in 0..<c.maxIterations {
                if active.isEmpty { break }
                let m = active.count
                let batch = Tensor(shape: [m] + rowShape, scalars: x)
                let classes = active.map { aim[$0] }
                let (z0, g) = Gradients.inputGradient(net, batch) {
                    Gradients.crossEntropyLogitGradient($0, classes: classes, towardClass: c.targets != nil)
                }
                var step = Geometry.steepestDirection(g.scalars, rows: m, norm: c.norm)
                if cleanPending {
                    // First pass, all rows at x0: read the clean predictions; rows already
                    // successful are not stepped and leave the active set below.
                    cleanPending = false
                    let p0 = z0.argmaxRows()
                    for (k, i) in active.enumerated() {
                        cleanPred[i] = p0[k]; lastPred[i] = p0[k]
                        if isSuccess(p0[k], i, labels: labels, targets: c.targets) {
                            done[i] = true
                            for j in (k * d)..<((k + 1) * d) { step[j] = 0 }
                        }
                    }
                }
                for j in 0..<x.count { x[j] += alpha * step[j] }
                Geometry.project(&x, around: base, rows: m, norm: c.norm, epsilon: c.epsilon, clipMin: c.clipMin, clipMax: c.clipMax)
                let pred = net.logits(Tensor(shape: [m] + rowShape, scalars: x)).argmaxRows()
                var keep: [Int] = []
                for (k, i) in active.enumerated() {
                    if done[i] { continue }  // successful at x0 (first pass without random start)
                    iterations[i] += 1
                    queries[i] += 2
                    best.replaceSubrange((i * d)..<((i + 1) * d), with: x[(k * d)..<((k + 1) * d)])
                    lastPred[i] = pred[k]
                    if isSuccess(pred[k], i, labels: labels, targets: c.targets) { done[i] = true } else { keep.append(k) }
                }
                if keep.count != m {
                    active = keep.map { active[$0] }
                    var nx = [Float](), nb = [Float]()
                    nx.reserveCapacity(keep.count * d); nb.reserveCapacity(keep.count * d)
                    for k in keep { nx += x[(k * d)..<((k + 1) * d)]; nb += base[(k * d)..<((k + 1) * d)] }
                    x = nx; base = nb
                }
            }
        }
        let adv = Tensor(shape: inputs.shape, scalars: best)
        let outcomes = makeOutcomes(clean: inputs, adversarial: adv, labels: labels, cleanPredictions: cleanPred,
                                    adversarialPredictions: lastPred, targets: c.targets, queries: queries,
                                    iterations: iterations, seconds: now() - start)
        return AttackResult(adversarial: adv, outcomes: outcomes)
    }
}
