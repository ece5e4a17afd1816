public import BulwarkEvasion
import BulwarkArchive
import BulwarkData
import BulwarkModels
import Foundation

/// `bulwark defend check` as a library call: a model behind an input-transform defence,
/// attacked naively (the pipeline's own gradient, zero through rounding) and adaptively (BPDA,
/// plus EOT for a random transform), with the undefended model as the transfer source, judged
/// by the gradient-masking checklist.
///
/// ```swift
/// let inputs = RunInputs(modelPath: "cnn.safetensors", source: .arrays(data: "x.npy", labels: "y.npy"), dataName: "x.npy", labelsName: "y.npy")
/// let job = TransformCheckJob(inputs: inputs, transform: try TransformSpec.parse("jpeg:75"), epsilon: 0.1)
/// let outcome = try job.run()
/// print(outcome.report.reliable, outcome.adaptiveRobustAccuracy)
/// ```
public struct TransformCheckJob: Sendable {
    /// The model and examples.
    public var inputs: RunInputs
    /// The defence.
    public var transform: any InputTransform
    /// L∞ ε of the figure under test.
    public var epsilon: Float
    /// The ascending ε sweep, ending at a large ε.
    public var sweep: [Float]
    /// PGD iterations.
    public var steps: Int
    /// Restarts of the restarted PGD run.
    public var restarts: Int
    /// Square Attack queries per example (0 skips it).
    public var queries: Int
    /// EOT samples for a random transform (nil: the transform's recommendation).
    public var eotSamples: Int?
    /// Seed of every attack.
    public var seed: UInt64

    /// A check; the defaults are `bulwark defend check`'s.
    public init(inputs: RunInputs, transform: any InputTransform, epsilon: Float = 0.1, sweep: [Float]? = nil, steps: Int = 20,
                restarts: Int = 1, queries: Int = 500, eotSamples: Int? = nil, seed: UInt64 = 0) {
        self.inputs = inputs
        self.transform = transform
        self.epsilon = epsilon
        self.sweep = sweep ?? Self.defaultSweep(epsilon: epsilon)
        self.steps = steps
        self.restarts = restarts
        self.queries = queries
        self.eotSamples = eotSamples
        self.seed = seed
    }

    /// ε/2, ε, 2ε (at most 0.5) and 0.5, strictly increasing (duplicates dropped).
    public static func defaultSweep(epsilon: Float) -> [Float] {
        var values: [Float] = []
        for v in [epsilon / 2, epsilon, min(2 * epsilon, 0.5), 0.5] where values.last.map({ v > $0 }) ?? true { values.append(v) }
        return values
    }

    /// What a check found.
    public struct Outcome: Sendable {
        /// The checklist's verdicts and the figure under test.
        public var report: ChecklistReport
        /// The adaptive attacker's gradient (BPDA, or BPDA + EOT).
        public var adaptiveGradient: AttackerGradient
        /// Examples attacked.
        public var examples: Int
        /// Clean accuracy of the model without and with the defence.
        public var undefendedAccuracy: Double, defendedAccuracy: Double
        /// Robust accuracy under the adaptive PGD attack.
        public var adaptiveRobustAccuracy: Double
        /// Wall seconds of the attacks and checks.
        public var seconds: Double
    }

    /// Loads the model and examples, attacks and checks.
    /// - Throws: ``AssessmentError`` for the inputs or a transform that changes the model's input
    ///   shape, ``EvasionError`` from the attacks.
    public func run() throws -> Outcome {
        let base = try ModelExamples.model(at: inputs.modelPath, architecture: inputs.architecture)
        guard transform.outputShape(for: base.inputShape) == base.inputShape else {
            throw AssessmentError(.invalidConfiguration, "transform \(transform.name) changes the input shape; the model must expect its output")
        }
        let examples = try ModelExamples.examples(from: inputs.source, for: base, modelPath: inputs.modelPath, limit: inputs.limit)
        guard examples.count > 0 else { throw AssessmentError(.invalidConfiguration, "\(inputs.dataName): no examples") }
        let (x, y) = (examples.inputs, examples.labels)
        let naive = PreprocessedClassifier(ErasedClassifier(base), transform: transform, gradient: .plain, seed: seed)
        let adaptiveGradient: AttackerGradient = transform.isRandom ? .eot(samples: eotSamples ?? transform.recommendedEOTSamples) : .bpda
        let runner = ChecklistRunner(epsilon: epsilon, sweep: sweep, iterations: steps, restarts: restarts, squareQueries: queries, seed: seed)
        let start = Date()
        let evidence = try runner.evidence(model: naive, adaptive: naive.withGradient(adaptiveGradient), transferSource: base, inputs: x, labels: y)
        let report = runner.checklist.assess(evidence)
        let seconds = Date().timeIntervalSince(start)
        return Outcome(report: report, adaptiveGradient: adaptiveGradient, examples: y.count, undefendedAccuracy: base.accuracy(x, labels: y),
                       defendedAccuracy: naive.accuracy(x, labels: y),
                       adaptiveRobustAccuracy: AttackMetrics(outcomes: evidence.adaptive ?? []).robustAccuracy, seconds: seconds)
    }
}
