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
    /// Step size as a fraction of ε (default 2.5/iterations, Madry et al.'s rule of thumb);
    /// an absolute ``AttackConfiguration/stepSize`` takes precedence.
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
        try perform(inputs: inputs, labels: labels, model: model, configuration: c, scoreFinalIterate: true)
    }

    /// The adversarial examples of ``run(inputs:labels:model:configuration:)`` without the last,
    /// forward-only pass that scores the final iterate (for FGSM a third of the work).
    public func generate(inputs: Tensor, labels: [Int], model: AttackModel,
                         configuration c: AttackConfiguration) throws(EvasionError) -> Tensor {
        try perform(inputs: inputs, labels: labels, model: model, configuration: c, scoreFinalIterate: false).adversarial
    }

    /// The attack; without `scoreFinalIterate` the outcomes do not describe the final iterate and
    /// must not be returned to callers.
    func perform(inputs: Tensor, labels: [Int], model: AttackModel, configuration c: AttackConfiguration,
                 scoreFinalIterate: Bool) throws(EvasionError) -> AttackResult {
        try validate(inputs: inputs, labels: labels, configuration: c)
        let net = try differentiable(model)
        let start = now()
        let n = labels.count
        let d = n == 0 ? 0 : inputs.count / n
        let rowShape = Array(inputs.shape.dropFirst())
        let x0 = inputs.scalars
        var rng = ExampleRandomness(c)
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
        let alpha = c.stepSize ?? c.epsilon * (relativeStepSize ?? (c.maxIterations > 0 ? 2.5 / Float(c.maxIterations) : 1))
        let runs = randomStart ? restarts + 1 : 1
        let aim = c.targets ?? labels
        for run in 0..<runs where c.maxIterations > 0 {
            var active = (0..<n).filter { !done[$0] }
            if active.isEmpty { break }
            // Current iterate of the active examples, flat.
            var x = [Float](); x.reserveCapacity(active.count * d)
            var base = [Float](); base.reserveCapacity(active.count * d)
            for i in active { x += x0[(i * d)..<((i + 1) * d)]; base += x0[(i * d)..<((i + 1) * d)] }
            if randomStart {
                let r = rng.perturbations(for: active, dimension: d, norm: c.norm, epsilon: c.epsilon)
                for j in 0..<x.count { x[j] += r[j] }
                Geometry.project(&x, around: base, rows: active.count, norm: c.norm, epsilon: c.epsilon, clipMin: c.clipMin, clipMax: c.clipMax)
            }
            // Pass t evaluates the iterate after t steps: its logits say whether step t succeeded
            // (so no separate prediction pass is needed) and, for t < maxIterations, its gradient
            // gives step t + 1. The last pass is forward-only.
            for t in 0...c.maxIterations {
                if active.isEmpty { break }
                if t == c.maxIterations && !scoreFinalIterate && run == runs - 1 {
                    // generate(): the survivors keep their last iterate, unscored (earlier restarts
                    // are scored: their successes decide who is restarted)
                    for (k, i) in active.enumerated() { best.replaceSubrange((i * d)..<((i + 1) * d), with: x[(k * d)..<((k + 1) * d)]) }
                    break
                }
                let m = active.count
                let batch = Tensor(shape: [m] + rowShape, scalars: x)
                let stepping = t < c.maxIterations
                let z: Tensor, g: Tensor?
                if stepping {
                    let classes = active.map { aim[$0] }
                    (z, g) = Gradients.inputGradient(net, batch) {
                        Gradients.crossEntropyLogitGradient($0, classes: classes, towardClass: c.targets != nil)
                    }
                } else {
                    (z, g) = (net.logits(batch), nil)
                }
                let pred = z.argmaxRows()
                let atStart = t == 0
                var keep: [Int] = []
                for (k, i) in active.enumerated() {
                    queries[i] += atStart && cleanPending ? 0 : 1  // the clean query is counted already
                    if atStart && cleanPending {
                        cleanPred[i] = pred[k]; lastPred[i] = pred[k]  // the first pass ran at x0
                    } else if !atStart {
                        lastPred[i] = pred[k]
                    }
                    // A random start is not itself scored (as before): only stepped iterates and x0.
                    let scored = !atStart || cleanPending
                    if scored && isSuccess(pred[k], i, labels: labels, targets: c.targets) {
                        done[i] = true
                        best.replaceSubrange((i * d)..<((i + 1) * d), with: x[(k * d)..<((k + 1) * d)])
                    } else {
                        keep.append(k)
                    }
                }
                cleanPending = false
                guard stepping, let g, !keep.isEmpty else {
                    // The run ends: the survivors keep their last iterate.
                    for k in keep { best.replaceSubrange((active[k] * d)..<((active[k] + 1) * d), with: x[(k * d)..<((k + 1) * d)]) }
                    break
                }
                if keep.count != m {
                    active = keep.map { active[$0] }
                    var nx = [Float](), nb = [Float](), ng = [Float]()
                    nx.reserveCapacity(keep.count * d); nb.reserveCapacity(keep.count * d); ng.reserveCapacity(keep.count * d)
                    g.scalars.withUnsafeBufferPointer { pg in
                        for k in keep {
                            nx += x[(k * d)..<((k + 1) * d)]; nb += base[(k * d)..<((k + 1) * d)]
                            ng += pg[(k * d)..<((k + 1) * d)]
                        }
                    }
                    x = nx; base = nb
                    Geometry.step(&x, along: ng, size: alpha, rows: keep.count, norm: c.norm)
                } else {
                    Geometry.step(&x, along: g.scalars, size: alpha, rows: m, norm: c.norm)
                }
                let mk = active.count
                Geometry.project(&x, around: base, rows: mk, norm: c.norm, epsilon: c.epsilon, clipMin: c.clipMin, clipMax: c.clipMax)
                for i in active { iterations[i] += 1 }
            }
        }
        let adv = Tensor(shape: inputs.shape, scalars: best)
        let outcomes = makeOutcomes(clean: inputs, adversarial: adv, labels: labels, cleanPredictions: cleanPred,
                                    adversarialPredictions: lastPred, targets: c.targets, queries: queries,
                                    iterations: iterations, seconds: now() - start)
        return AttackResult(adversarial: adv, outcomes: outcomes)
    }
}
