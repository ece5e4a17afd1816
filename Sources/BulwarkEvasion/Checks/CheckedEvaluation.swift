public import BulwarkTensor
public import BulwarkModels

/// How the gradient-masking checklist runs inside an evaluation: on a bounded prefix of the
/// data, at one ε, with a small restart and black-box budget.
public struct ChecklistSettings: Codable, Sendable, Equatable {
    /// Examples checked (the first ones of the evaluated data).
    public var examples: Int
    /// ε of the figure under test; `nil`: the largest ε of the evaluation's norm.
    public var epsilon: Float?
    /// PGD iterations; `nil`: the largest iteration count among the evaluation's attacks (at least 10).
    public var iterations: Int?
    /// Restarts of the restarted PGD run.
    public var restarts: Int
    /// Square Attack queries per example (0 skips the black-box checks).
    public var squareQueries: Int
    /// The large ε that accuracy must fall to about zero at; `nil`: half the clip span for L∞,
    /// a quarter of the clip span times √d for L2.
    public var largeEpsilon: Float?
    /// Thresholds of the checks.
    public var checklist: GradientMaskingChecklist

    /// Settings; defaults: 100 examples, 1 restart, 200 Square queries. Cost ≈ (sweep + 3) PGD
    /// runs and one Square run on `examples` examples.
    public init(examples: Int = 100, epsilon: Float? = nil, iterations: Int? = nil, restarts: Int = 1, squareQueries: Int = 200,
                largeEpsilon: Float? = nil, checklist: GradientMaskingChecklist = GradientMaskingChecklist()) {
        self.examples = examples
        self.epsilon = epsilon
        self.iterations = iterations
        self.restarts = restarts
        self.squareQueries = squareQueries
        self.largeEpsilon = largeEpsilon
        self.checklist = checklist
    }

    /// The ascending ε sweep for a figure at `epsilon`: ε/2, ε, 2ε (when below the large ε) and the large ε.
    public static func sweep(epsilon: Float, large: Float) -> [Float] {
        var values: [Float] = []
        for v in [epsilon / 2, epsilon, 2 * epsilon, large] where v <= large {
            if values.last.map({ v > $0 }) ?? true { values.append(v) }
        }
        return values
    }
}

/// Which gradient the attacks of an evaluation of a defended model use.
public enum EvaluatedGradient: String, Codable, Sendable, CaseIterable {
    /// BPDA for non-differentiable transforms, BPDA + EOT for random ones (the default: an
    /// honest evaluation attacks the defence adaptively).
    case adaptive
    /// The pipeline differentiated as implemented: what a naive attacker sees. Its figures are
    /// the ones gradient masking inflates; the checklist compares them with the adaptive attack.
    case plain
}

/// The defence an evaluation ran against, as recorded in its result.
public struct DefenceRecord: Codable, Sendable, Equatable {
    /// Transform name, e.g. `"jpeg-75"`.
    public var transform: String
    /// The attacker gradient the evaluation used, e.g. `"bpda"`, `"bpda+eot(10)"`, `"plain"`.
    public var gradient: String
    /// Whether the transform is random (EOT applies).
    public var random: Bool
    /// A record.
    public init(transform: String, gradient: String, random: Bool) {
        self.transform = transform
        self.gradient = gradient
        self.random = random
    }
}

/// An evaluation together with the checklist verdict on it and, for a defended model, the same
/// attacks on the undefended model.
public struct CheckedEvaluationResult: Codable, Sendable, Equatable {
    /// The evaluation of the model as deployed (behind the defence, if any).
    public var evaluation: EvaluationResult
    /// The same plan on the model without the defence (`nil` when no defence was given).
    public var undefended: EvaluationResult?
    /// The defence, when there is one.
    public var defence: DefenceRecord?
    /// The checklist's verdicts (`nil` when it was skipped).
    public var checklist: ChecklistReport?
    /// Examples the checklist ran on.
    public var checklistExamples: Int
    /// Wall seconds of the checklist.
    public var checklistSeconds: Double

    /// A result from its parts.
    public init(evaluation: EvaluationResult, undefended: EvaluationResult? = nil, defence: DefenceRecord? = nil,
                checklist: ChecklistReport? = nil, checklistExamples: Int = 0, checklistSeconds: Double = 0) {
        self.evaluation = evaluation
        self.undefended = undefended
        self.defence = defence
        self.checklist = checklist
        self.checklistExamples = checklistExamples
        self.checklistSeconds = checklistSeconds
    }

    /// `true` when the checklist passed, `false` when it failed (or its core checks did not
    /// run), `nil` when it was skipped. Only `true` lets a robustness figure be a result.
    public var reliable: Bool? { checklist?.reliable }

    /// The closing line of an evaluation: the checklist's verdict on the figure the evaluation
    /// table shows for the checklist's attack and ε over all evaluated examples — that attack's
    /// cell when the evaluation ran it, else the worst case over the evaluated attacks at that
    /// ε — never the checklist's own figure on its smaller prefix. `nil` without a checklist.
    public var summary: String? {
        guard let c = checklist else { return nil }
        let n = evaluation.examples
        if let cell = evaluation.attacks.first(where: {
            $0.spec.norm == c.norm && $0.epsilon == c.epsilon && ($0.spec.label == c.primaryAttack || $0.spec.kind.rawValue == c.primaryAttack)
        }) {
            return c.summary(quoting: "\(c.primaryAttack) robust accuracy", cell.metrics.robustAccuracy, examples: n)
        }
        if let point = evaluation.curve.first(where: { $0.norm == c.norm && $0.epsilon == c.epsilon }) {
            return c.summary(quoting: "worst-case robust accuracy over the attacks", point.robustAccuracy, examples: n)
        }
        return c.summary(quoting: "\(c.primaryAttack) robust accuracy (checklist)", c.claimedRobustAccuracy, examples: checklistExamples)
    }

    /// Checks that failed (empty when none failed or the checklist was skipped).
    public var failedChecks: [MaskingCheck] { checklist?.failedChecks ?? [] }

    /// One sentence per failed check (for reports), or the core checks that did not run.
    public var unreliableReasons: [String] {
        guard let c = checklist, !c.reliable else { return [] }
        let failed = c.verdicts.filter { $0.status == .failed }.map { "\($0.check.rawValue): \($0.detail)" }
        if !failed.isEmpty { return failed }
        return ["core checklist checks not run: " + c.notRunChecks.map(\.rawValue).joined(separator: ", ")]
    }
}

/// Runs an ``Evaluation`` and then the gradient-masking checklist on the model it evaluated, so
/// that no robustness figure leaves the run without a verdict on it.
///
/// With a ``TransformDefence`` the attacks run on the defended pipeline with the chosen
/// gradient (adaptive by default), the same attacks run on the undefended model for
/// comparison, and the checklist gets the undefended model as the transfer source and, when the
/// plain gradient was evaluated, the adaptive view as the adaptive attack.
public struct CheckedEvaluation: Sendable {
    /// The attacks and ε values.
    public var evaluation: Evaluation
    /// Checklist settings; `nil` skips it (the result's ``CheckedEvaluationResult/reliable`` is then `nil`).
    public var checklist: ChecklistSettings?

    /// A plan.
    public init(evaluation: Evaluation, checklist: ChecklistSettings? = ChecklistSettings()) {
        self.evaluation = evaluation
        self.checklist = checklist
    }

    /// The runner the checklist uses for `inputs` of the evaluated norm.
    public func runner(for settings: ChecklistSettings, exampleDimension d: Int) -> ChecklistRunner {
        let norm = evaluation.specs.first?.norm ?? .linf
        let mine = evaluation.epsilons.sorted()
        let eps = settings.epsilon ?? mine.last ?? 0.1
        let span = evaluation.clipMax - evaluation.clipMin
        let large = settings.largeEpsilon ?? (norm == .linf ? span / 2 : span / 4 * Float(d).squareRoot())
        let iterative: Set<AttackSpec.Kind> = [.bim, .pgd, .apgdCE, .apgdDLR]
        let steps = settings.iterations ?? max(10, evaluation.specs.filter { iterative.contains($0.kind) }.map(\.maxIterations).max() ?? 10)
        return ChecklistRunner(norm: norm, epsilon: eps, sweep: ChecklistSettings.sweep(epsilon: eps, large: max(large, eps)),
                               iterations: steps, restarts: settings.restarts, squareQueries: settings.squareQueries,
                               clipMin: evaluation.clipMin, clipMax: evaluation.clipMax, batchSize: evaluation.batchSize,
                               seed: evaluation.seed, checklist: settings.checklist)
    }

    /// Runs the plan on `model` (behind `defence` when given).
    ///
    /// - Parameters:
    ///   - defence: an input transform in front of `model`.
    ///   - baseline: the model before the defence, evaluated with the same plan and used as the
    ///     checklist's transfer source (defaults to `model` itself when `defence` is given; pass
    ///     the undefended model for a training defence such as adversarial training).
    ///   - gradient: the attacker gradient on a defended model (ignored without a defence).
    ///   - stage: called with a short description before each phase (evaluation, undefended, checklist).
    /// - Throws: ``EvasionError`` for inconsistent data, plan or defence.
    public func run(model: any DifferentiableClassifier, defence: TransformDefence? = nil, baseline: (any DifferentiableClassifier)? = nil,
                    gradient: EvaluatedGradient = .adaptive,
                    inputs: Tensor, labels: [Int], stage: (String) -> Void = { _ in },
                    progress: (EvaluationProgress) -> Void = { _ in }) throws(EvasionError) -> CheckedEvaluationResult {
        var evaluated: any DifferentiableClassifier = model
        var adaptiveView: (any DifferentiableClassifier)?
        var record: DefenceRecord?
        if let defence {
            let g = gradient == .plain ? AttackerGradient.plain : defence.adaptiveGradient
            evaluated = try defence.view(of: model, gradient: g)
            if gradient == .plain { adaptiveView = try defence.view(of: model, gradient: defence.adaptiveGradient) }
            record = DefenceRecord(transform: defence.transform.name, gradient: g.label, random: defence.transform.isRandom)
        }
        stage(defence == nil ? "evaluating" : "evaluating the defended model (\(record?.gradient ?? "") gradient)")
        let main = try evaluation.run(model: evaluated, inputs: inputs, labels: labels, progress: progress)
        let before: (any DifferentiableClassifier)? = baseline ?? (defence == nil ? nil : model)
        var undefended: EvaluationResult?
        if let before {
            guard before.inputShape == model.inputShape, before.classCount == model.classCount else {
                throw EvasionError("baseline model takes \(before.inputShape) with \(before.classCount) classes, the model \(model.inputShape) with \(model.classCount)")
            }
            stage("evaluating the undefended model")
            undefended = try evaluation.run(model: before, inputs: inputs, labels: labels, progress: progress)
        }
        guard let settings = checklist else {
            return CheckedEvaluationResult(evaluation: main, undefended: undefended, defence: record)
        }
        guard settings.examples > 0 else { throw EvasionError("checklist: examples must be positive, got \(settings.examples)") }
        let n = min(settings.examples, labels.count)
        let d = labels.isEmpty ? 0 : inputs.count / labels.count
        let runner = runner(for: settings, exampleDimension: d)
        stage("gradient-masking checklist on \(n) examples at ε=\(runner.epsilon)")
        let start = now()
        let report = try runner.run(model: evaluated, adaptive: adaptiveView, transferSource: before,
                                    inputs: inputs.rows(0..<n), labels: Array(labels[0..<n]))
        return CheckedEvaluationResult(evaluation: main, undefended: undefended, defence: record, checklist: report,
                                       checklistExamples: n, checklistSeconds: now() - start)
    }
}
