public import BulwarkData
public import BulwarkEvasion
public import BulwarkReport
public import Foundation
public import BulwarkArchive
import BulwarkModels

/// `bulwark evaluate` as a library call: a model file's robust accuracy under evasion attacks
/// at several ε, optionally behind an input-transform defence (attacked adaptively) or beside a
/// baseline model, judged by the gradient-masking checklist; writes `evaluation.json`,
/// `checked-evaluation.json` and the report — or, for a shard, its part for `bulwark report merge`.
///
/// ```swift
/// let inputs = RunInputs(modelPath: "cnn.safetensors", source: .arrays(data: "x.npy", labels: "y.npy"), dataName: "x.npy", labelsName: "y.npy")
/// let job = EvaluateJob(inputs: inputs, attacks: [AttackSpec(.pgd)], epsilons: [0.05, 0.1], outputDirectory: "eval")
/// let outcome = try job.run()
/// print(outcome.summary.reliable as Any)
/// ```
public struct EvaluateJob: Sendable {
    /// The model and examples.
    public var inputs: RunInputs
    /// The attacks.
    public var attacks: [AttackSpec]
    /// The budgets ε.
    public var epsilons: [Float]
    /// Examples per batch.
    public var batchSize: Int
    /// Seed of every random choice.
    public var seed: UInt64
    /// An input-transform defence the model is evaluated behind (nil: none).
    public var defence: (any InputTransform)?
    /// EOT samples for a random defence (nil: the transform's recommendation).
    public var eotSamples: Int?
    /// The attacker's gradient through the defence.
    public var gradient: EvaluatedGradient
    /// A model before a training defence, evaluated with the same attacks (nil: none).
    public var baselinePath: String?
    /// The checklist's settings (nil: skipped, figures not checked).
    public var checklist: ChecklistSettings?
    /// Where the results and the report (or a shard's part) go.
    public var outputDirectory: String
    /// The command that reproduces the run, recorded in the report.
    public var command: String
    /// The command line without the program name, recorded in a shard's part.
    public var arguments: [String]
    /// The tool version recorded.
    public var toolVersion: String

    /// An evaluation; the defaults are `bulwark evaluate`'s.
    public init(inputs: RunInputs, attacks: [AttackSpec], epsilons: [Float], batchSize: Int = 128, seed: UInt64 = 0,
                defence: (any InputTransform)? = nil, eotSamples: Int? = nil, gradient: EvaluatedGradient = .adaptive,
                baselinePath: String? = nil, checklist: ChecklistSettings? = ChecklistSettings(), outputDirectory: String,
                command: String = "", arguments: [String] = [], toolVersion: String = BulwarkVersion.current) {
        self.inputs = inputs
        self.attacks = attacks
        self.epsilons = epsilons
        self.batchSize = batchSize
        self.seed = seed
        self.defence = defence
        self.eotSamples = eotSamples
        self.gradient = gradient
        self.baselinePath = baselinePath
        self.checklist = checklist
        self.outputDirectory = outputDirectory
        self.command = command
        self.arguments = arguments
        self.toolVersion = toolVersion
    }

    /// What a whole run produced.
    public struct Outcome: Sendable {
        /// The evaluation, the checklist's verdicts and the undefended run.
        public var checked: CheckedEvaluationResult
        /// Examples evaluated.
        public var examples: Int
        /// `evaluation.json` (every per-example outcome).
        public var resultURL: URL
        /// The report files.
        public var reportFiles: [URL]
        /// What `evaluate --json` prints.
        public var summary: EvaluationSummary
    }

    /// The model, examples, plan, defence and baseline, loaded and checked.
    private struct Prepared {
        var model: any DifferentiableClassifier
        var examples: LabeledDataset
        var plan: CheckedEvaluation
        var defence: TransformDefence?
        var baseline: (any DifferentiableClassifier)?
    }

    private func prepare() throws -> Prepared {
        if let cw = attacks.first(where: { $0.kind == .cw && $0.norm == .linf }) {
            throw AssessmentError(.invalidConfiguration, "attack '\(cw.kind.rawValue)' is defined for --norm l2 only")
        }
        let loaded = try inputs.load(forTask: "evaluate")
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: outputDirectory), withIntermediateDirectories: true)
        var evaluation = Evaluation(specs: attacks, epsilons: epsilons, batchSize: batchSize, seed: seed)
        evaluation.keptExamples = AdversarialGallery.examplesToKeep(count: EvaluationReport.galleryRows)
        let wrapped = defence.map { TransformDefence(transform: $0, eotSamples: eotSamples, seed: seed) }
        let baseline = try baselinePath.map { path throws(AssessmentError) in try ModelExamples.model(at: path, architecture: inputs.architecture) }
        return Prepared(model: loaded.model, examples: loaded.examples, plan: CheckedEvaluation(evaluation: evaluation, checklist: checklist),
                        defence: wrapped, baseline: baseline)
    }

    /// Loads, attacks, runs the checklist and writes `evaluation.json`, `checked-evaluation.json`
    /// and the report. `stage` gets a line before each phase, `progress` every batch.
    /// - Throws: ``AssessmentError`` for the inputs (and C&W under L∞), ``EvasionError`` from
    ///   the attacks, the file system's error for an unwritable output.
    public func run(stage: (String) -> Void = { _ in }, progress: (EvaluationProgress) -> Void = { _ in }) throws -> Outcome {
        let p = try prepare()
        let (x, y) = (p.examples.inputs, p.examples.labels)
        let outcome = try p.plan.run(model: p.model, defence: p.defence, baseline: p.baseline, gradient: gradient, inputs: x, labels: y,
                                     stage: stage, progress: progress)
        let report = EvaluationReport.make(outcome, inputShape: p.model.inputShape, inputs: x, labels: y, modelPath: inputs.modelPath,
                                           dataPath: inputs.dataName, labelsPath: inputs.labelsName, command: command, toolVersion: toolVersion)
        let outURL = URL(fileURLWithPath: outputDirectory)
        let resultURL = outURL.appendingPathComponent("evaluation.json")
        // evaluation.json (every per-example outcome), then the checklist's verdicts and evidence
        // and the undefended run, then the report.
        try ReportWriter.writeJSON(outcome.evaluation, to: resultURL)
        try ReportWriter.writeJSON(outcome, to: outURL.appendingPathComponent("checked-evaluation.json"))
        let reportFiles = try ReportWriter.write(report, to: outURL)
        return Outcome(checked: outcome, examples: y.count, resultURL: resultURL, reportFiles: reportFiles,
                       summary: EvaluationSummary(outcome, out: resultURL.path, report: reportFiles.map(\.path)))
    }

    /// Evaluates `shard`'s block of the examples (the checklist in shard 1, on the first examples
    /// of the whole data) and writes its part.
    /// - Throws: as ``run(stage:progress:)``; ``AssessmentError`` for a random defence, whose
    ///   noise is drawn per batch, so shards would not add up to one run.
    public func run(shard: Shard, stage: (String) -> Void = { _ in },
                    progress: (EvaluationProgress) -> Void = { _ in }) throws -> (part: PartialEvaluation, written: WrittenPart) {
        let p = try prepare()
        if p.defence?.transform.isRandom == true {
            throw AssessmentError(.invalidConfiguration, "--shard: a random --defense (EOT) draws its noise per batch, so its shards would not add up to one run")
        }
        let (x, y) = (p.examples.inputs, p.examples.labels)
        let part = try p.plan.run(shard: shard, toolVersion: toolVersion, model: p.model, defence: p.defence, baseline: p.baseline,
                                  gradient: gradient, inputs: x, labels: y, stage: stage, progress: progress)
        let context = inputs.context(arguments: arguments, inputShape: p.model.inputShape)
        return (part, try WrittenPart.write(ReportPart(part, context: context), shard: shard, total: y.count, to: outputDirectory))
    }
}
