public import BulwarkTensor
public import BulwarkModels

/// PGD on a model **and** a detector together: an adaptive attack that changes the prediction
/// while keeping the detector's score at or below its threshold (Carlini & Wagner, AISec 2017;
/// Tramèr et al., "On Adaptive Attacks to Adversarial Example Defenses", NeurIPS 2020).
///
/// Each step descends `max(z_y − max_{j≠y} z_j, −κ) + λ · s(x) / τ` — the Carlini–Wagner margin
/// of the true class, floored at −κ so that once the example is misclassified with margin κ
/// only the detector term acts, plus the detector score `s` scaled by its threshold `τ`. The
/// score's gradient is ``DifferentiableDetector/scores(_:)-(Variable)`` (exact for Mahalanobis,
/// BPDA through the squeezers for feature squeezing). An example is done at the first iterate
/// that the model misclassifies **and** the real detector does not flag, and that iterate is
/// returned; an example never done returns its last iterate.
/// Cost per step: one forward + backward pass through model and detector, and one forward
/// pass of the real detector.
public struct DetectorAwarePGD: Sendable {
    /// The detector to evade.
    public var detector: any DifferentiableDetector
    /// Inputs scoring strictly above this are flagged.
    public var threshold: Double
    /// Weight λ of the detector term.
    public var detectorWeight: Float
    /// Margin floor κ in logit units.
    public var confidence: Float
    /// Step size as a fraction of ε (default 2.5 / iterations); an absolute
    /// ``AttackConfiguration/stepSize`` takes precedence.
    public var relativeStepSize: Float?

    /// An adaptive attack on the pipeline; defaults: λ = 1, κ = 0.5.
    public init(detector: any DifferentiableDetector, threshold: Double, detectorWeight: Float = 1, confidence: Float = 0.5,
                relativeStepSize: Float? = nil) {
        self.detector = detector
        self.threshold = threshold
        self.detectorWeight = detectorWeight
        self.confidence = confidence
        self.relativeStepSize = relativeStepSize
    }

    /// Runs the attack (untargeted; `configuration.targets` is ignored) from a random start in the ε-ball.
    /// - Throws: ``EvasionError`` for inconsistent shapes or configuration.
    public func run(inputs: Tensor, labels: [Int], model: any DifferentiableClassifier,
                    configuration c: AttackConfiguration) throws(EvasionError) -> AttackResult {
        guard inputs.shape.first == labels.count else { throw EvasionError("detector-aware pgd: \(labels.count) labels for inputs \(inputs.shape)") }
        guard c.epsilon >= 0, c.epsilon.isFinite, c.clipMin < c.clipMax, c.maxIterations >= 0 else {
            throw EvasionError("detector-aware pgd: needs ε ≥ 0, a non-empty clip range and iterations ≥ 0")
        }
        let start = now()
        let n = labels.count
        guard n > 0 else { return AttackResult(adversarial: inputs, outcomes: []) }
        let d = inputs.count / n
        let rowShape = Array(inputs.shape.dropFirst())
        let x0 = inputs.scalars
        var rng = SeededGenerator(seed: c.seed)
        let clean = model.predictions(inputs)
        var best = x0
        var bestPred = clean
        var done = (0..<n).map { clean[$0] != labels[$0] }  // nothing to attack on misclassified examples
        var x = x0
        let r = Geometry.randomPerturbation(rows: n, dimension: d, norm: c.norm, epsilon: c.epsilon, rng: &rng)
        for j in 0..<x.count { x[j] += r[j] }
        Geometry.project(&x, around: x0, rows: n, norm: c.norm, epsilon: c.epsilon, clipMin: c.clipMin, clipMax: c.clipMax)
        var queries = [Int](repeating: 1, count: n)
        var iterations = [Int](repeating: 0, count: n)
        let alpha = c.stepSize ?? c.epsilon * (relativeStepSize ?? (c.maxIterations > 0 ? 2.5 / Float(c.maxIterations) : 1))
        let scale = detectorWeight / Float(max(abs(threshold), 1e-6))
        let k = model.classCount
        for t in 0...c.maxIterations {
            let batch = Tensor(shape: [n] + rowShape, scalars: x)
            let tape = Tape()
            let xv = tape.variable(batch)
            let z = model.logits(xv)
            let pred = z.value.argmaxRows()
            let flagged = detector.scores(batch).map { $0 > threshold }
            for i in 0..<n where !done[i] {
                queries[i] += 1
                best.replaceSubrange((i * d)..<((i + 1) * d), with: x[(i * d)..<((i + 1) * d)])
                bestPred[i] = pred[i]
                if pred[i] != labels[i] && !flagged[i] { done[i] = true }
            }
            if t == c.maxIterations || done.allSatisfy({ $0 }) { break }
            // Seed of the margin term: +1 at the true class, −1 at the best other class, where the margin is above −κ.
            var seed = [Float](repeating: 0, count: n * k)
            z.value.scalars.withUnsafeBufferPointer { zp in
                for i in 0..<n {
                    let y = labels[i]
                    var other = y == 0 ? 1 : 0
                    for j in 0..<k where j != y && zp[i * k + j] > zp[i * k + other] { other = j }
                    if zp[i * k + y] - zp[i * k + other] > -confidence {
                        seed[i * k + y] = 1
                        seed[i * k + other] = -1
                    }
                }
            }
            let objective = (z * tape.constant(Tensor(shape: [n, k], scalars: seed))).sum() + detector.scores(xv).sum() * scale
            let g = tape.gradients(of: objective, wrt: [xv])[0]
            // Descend the objective: step along −g; finished examples stay where they are.
            var descent = g.scalars
            for i in 0..<n {
                if done[i] { for j in (i * d)..<((i + 1) * d) { descent[j] = 0 } } else { iterations[i] += 1 }
                for j in (i * d)..<((i + 1) * d) { descent[j] = -descent[j] }
            }
            let frozen = x
            Geometry.step(&x, along: descent, size: alpha, rows: n, norm: c.norm)
            Geometry.project(&x, around: x0, rows: n, norm: c.norm, epsilon: c.epsilon, clipMin: c.clipMin, clipMax: c.clipMax)
            for i in 0..<n where done[i] { x.replaceSubrange((i * d)..<((i + 1) * d), with: frozen[(i * d)..<((i + 1) * d)]) }
        }
        let adv = Tensor(shape: inputs.shape, scalars: best)
        let outcomes = makeOutcomes(clean: inputs, adversarial: adv, labels: labels, cleanPredictions: clean, adversarialPredictions: bestPred,
                                    targets: nil, queries: queries, iterations: iterations, seconds: now() - start)
        return AttackResult(adversarial: adv, outcomes: outcomes)
    }
}
