public import BulwarkTensor
public import BulwarkModels

/// Gathers ``MaskingEvidence`` for a model by running the attacks the checklist needs, then
/// assesses it.
///
/// Runs, at ε: PGD (the primary figure), FGSM, PGD with restarts, Square (black-box), PGD on a
/// transfer source (if given) judged on the model, PGD on the adaptive view (if given); and PGD
/// over `sweep` (ascending; the last point is the large ε). Cost ≈ (2 + restarts + sweep count)
/// PGD runs + one Square run of `squareQueries` queries per example.
public struct ChecklistRunner: Sendable {
    /// Threat-model norm.
    public var norm: PerturbationNorm
    /// ε of the figure under test.
    public var epsilon: Float
    /// ε values of the sweep, ascending, ending at a large ε (e.g. `[ε/2, ε, 2ε, 0.5]` for L∞ on [0, 1]).
    public var sweep: [Float]
    /// PGD iterations.
    public var iterations: Int
    /// Restarts of the restarted PGD run.
    public var restarts: Int
    /// Square Attack queries per example.
    public var squareQueries: Int
    /// Input clip range.
    public var clipMin: Float, clipMax: Float
    /// Examples per attack batch.
    public var batchSize: Int
    /// Seed of every attack.
    public var seed: UInt64
    /// Thresholds.
    public var checklist: GradientMaskingChecklist

    /// A runner; defaults: 20 PGD iterations, 2 restarts, 500 Square queries.
    public init(norm: PerturbationNorm = .linf, epsilon: Float, sweep: [Float], iterations: Int = 20, restarts: Int = 2,
                squareQueries: Int = 500, clipMin: Float = 0, clipMax: Float = 1, batchSize: Int = 128, seed: UInt64 = 0,
                checklist: GradientMaskingChecklist = GradientMaskingChecklist()) {
        self.norm = norm
        self.epsilon = epsilon
        self.sweep = sweep
        self.iterations = iterations
        self.restarts = restarts
        self.squareQueries = squareQueries
        self.clipMin = clipMin
        self.clipMax = clipMax
        self.batchSize = batchSize
        self.seed = seed
        self.checklist = checklist
    }

    /// Runs `spec` on `model` at `eps` in batches; outcomes in data order.
    func outcomes(_ spec: AttackSpec, model: AttackModel, eps: Float, inputs: Tensor, labels: [Int], salt: UInt64) throws(EvasionError) -> AttackResult {
        let attack = spec.makeAttack()
        let n = labels.count
        var out: [ExampleOutcome] = []
        var adv: [Tensor] = []
        for start in stride(from: 0, to: n, by: batchSize) {
            let range = start..<min(n, start + batchSize)
            let c = AttackConfiguration(norm: norm, epsilon: eps, clipMin: clipMin, clipMax: clipMax, maxIterations: spec.maxIterations,
                                        maxQueries: spec.maxQueries, seed: seed &+ salt &* 7919 &+ UInt64(start))
            let r = try attack.run(inputs: inputs.rows(range), labels: Array(labels[range]), model: model, configuration: c)
            out += r.outcomes
            adv.append(r.adversarial)
        }
        return AttackResult(adversarial: adv.isEmpty ? inputs : Tensor.concatenateRows(adv), outcomes: out)
    }

    /// Gathers the evidence.
    ///
    /// - Parameters:
    ///   - model: the model as a naive attacker sees it (its gradient is the one checked).
    ///   - adaptive: the same defence with the adaptive gradient (BPDA/EOT), if any.
    ///   - transferSource: a model to craft transfer examples on (e.g. the undefended model).
    public func evidence(model: any DifferentiableClassifier, adaptive: (any DifferentiableClassifier)? = nil,
                         transferSource: (any DifferentiableClassifier)? = nil,
                         inputs: Tensor, labels: [Int]) throws(EvasionError) -> MaskingEvidence {
        guard inputs.shape.first == labels.count, !labels.isEmpty else {
            throw EvasionError("checklist: \(labels.count) labels for inputs of shape \(inputs.shape)")
        }
        guard !sweep.isEmpty, zip(sweep, sweep.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw EvasionError("checklist: the ε sweep must be non-empty and strictly increasing")
        }
        let pgd = AttackSpec(.pgd, norm: norm, maxIterations: iterations)
        let primary = try outcomes(pgd, model: .whiteBox(model), eps: epsilon, inputs: inputs, labels: labels, salt: 1).outcomes
        let single = try outcomes(AttackSpec(.fgsm, norm: norm, maxIterations: 1), model: .whiteBox(model), eps: epsilon,
                                  inputs: inputs, labels: labels, salt: 2).outcomes
        var restarted: [ExampleOutcome]?
        if restarts > 0 {
            restarted = try outcomes(AttackSpec(.pgd, norm: norm, maxIterations: iterations, restarts: restarts), model: .whiteBox(model),
                                     eps: epsilon, inputs: inputs, labels: labels, salt: 3).outcomes
        }
        var black: [ExampleOutcome]?
        if squareQueries > 0 {
            black = try outcomes(AttackSpec(.square, norm: norm, maxIterations: iterations, maxQueries: squareQueries),
                                 model: .blackBox(AnyQueryAdapter(model: model)), eps: epsilon, inputs: inputs, labels: labels, salt: 4).outcomes
        }
        var transfer: [ExampleOutcome]?
        if let source = transferSource {
            let crafted = try outcomes(pgd, model: .whiteBox(source), eps: epsilon, inputs: inputs, labels: labels, salt: 5)
            let clean = model.predictions(inputs, batchSize: batchSize)
            let onTarget = model.predictions(crafted.adversarial, batchSize: batchSize)
            transfer = crafted.outcomes.indices.map { i in
                var o = crafted.outcomes[i]
                o.cleanPrediction = clean[i]
                o.adversarialPrediction = onTarget[i]
                o.success = onTarget[i] != labels[i]
                return o
            }
        }
        var adaptiveOutcomes: [ExampleOutcome]?
        if let a = adaptive {
            adaptiveOutcomes = try outcomes(pgd, model: .whiteBox(a), eps: epsilon, inputs: inputs, labels: labels, salt: 6).outcomes
        }
        var points: [SweepPoint] = []
        for (k, eps) in sweep.enumerated() {
            var o = primary
            if eps != epsilon {
                o = try outcomes(pgd, model: .whiteBox(model), eps: eps, inputs: inputs, labels: labels, salt: 10 + UInt64(k)).outcomes
            }
            points.append(SweepPoint(epsilon: eps, robustAccuracy: AttackMetrics(outcomes: o).robustAccuracy))
        }
        return MaskingEvidence(norm: norm, epsilon: epsilon, primaryAttack: pgd.label, primary: primary, singleStep: single,
                               restarts: restarted, blackBox: black, transfer: transfer, adaptive: adaptiveOutcomes, sweep: points,
                               gradients: GradientHealth.measure(model, inputs: inputs, labels: labels, batchSize: batchSize))
    }

    /// Gathers the evidence and assesses it.
    public func run(model: any DifferentiableClassifier, adaptive: (any DifferentiableClassifier)? = nil,
                    transferSource: (any DifferentiableClassifier)? = nil,
                    inputs: Tensor, labels: [Int]) throws(EvasionError) -> ChecklistReport {
        checklist.assess(try evidence(model: model, adaptive: adaptive, transferSource: transferSource, inputs: inputs, labels: labels))
    }
}
