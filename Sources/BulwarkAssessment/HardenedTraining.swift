public import BulwarkEvasion
public import BulwarkModels
public import BulwarkData
import Foundation

/// Trains a zoo model — or fine-tunes an imported ONNX model — with a training-time defence,
/// saves it, and checks it with one attack: what `bulwark defend train` does.
///
/// A zoo model is built for the training data's example shape and classes and saved as
/// safetensors with provenance; an ONNX model (``Start/onnx(_:)``) is fine-tuned and written
/// back as ONNX with the same graph, names and opset (only initializer values change).
/// Distillation trains a new student and needs a zoo architecture.
///
/// The check runs PGD at the defence's ε on the first test examples: an upper bound on robust
/// accuracy measured by one attack, not a certificate (`evaluate` runs the full checked
/// evaluation).
///
/// ```swift
/// let job = HardenedTraining(hardening: .adversarial(.pgd(epsilon: 0.1, steps: 7, stepSize: nil)),
///                            architecture: .mlp, configuration: TrainingConfiguration(epochs: 1), learningRate: 1e-3,
///                            check: .init(epsilon: 0.1, steps: 20, examples: 500))
/// let (train, test) = (try FashionMNIST.load(.train, limit: 2000), try FashionMNIST.load(.test, limit: 500))
/// let result = try job.run(dataset: "fashion-mnist", training: train, test: test, saveTo: "hardened.safetensors")
/// print(result.cleanAccuracy, result.checkedAccuracy ?? Double.nan)
/// ```
public struct HardenedTraining: Sendable {
    /// The defence.
    public enum Hardening: Sendable {
        /// Adversarial training, TRADES, fast-AT or Gaussian noise augmentation.
        case adversarial(TrainingDefense)
        /// Defensive distillation at a softmax temperature (a teacher, then a student).
        case distillation(temperature: Float)
    }

    /// The robustness check after training.
    public struct Check: Sendable, Codable, Equatable {
        /// L∞ budget of the PGD check.
        public var epsilon: Float
        /// PGD iterations.
        public var steps: Int
        /// How many of the first test examples are attacked (0 skips the check).
        public var examples: Int

        /// A check of `examples` test examples with PGD-`steps` at `epsilon`.
        public init(epsilon: Float, steps: Int, examples: Int) {
            self.epsilon = epsilon
            self.steps = steps
            self.examples = examples
        }
    }
    /// What training starts from.
    public enum Start: Sendable {
        /// A freshly initialised zoo model, sized from the training data.
        case zoo(ZooArchitecture)
        /// An imported ONNX model, fine-tuned.
        case onnx(ONNXModel)
    }

    /// The defence.
    public var hardening: Hardening
    /// What training starts from.
    public var start: Start
    /// Epochs (each of teacher and student for distillation), batch size and seed.
    public var configuration: TrainingConfiguration
    /// Adam learning rate.
    public var learningRate: Float
    /// Epochs over which an adversarial defence's ε ramps up from 0.
    public var epsilonWarmupEpochs: Int
    /// The check after training.
    public var check: Check

    /// The zoo architecture trained, or nil when an ONNX model is fine-tuned.
    public var architecture: ZooArchitecture? {
        if case .zoo(let arch) = start { return arch }
        return nil
    }

    /// A job training `architecture` with `hardening`.
    public init(hardening: Hardening, architecture: ZooArchitecture, configuration: TrainingConfiguration, learningRate: Float,
                epsilonWarmupEpochs: Int = 0, check: Check) {
        self.init(hardening: hardening, start: .zoo(architecture), configuration: configuration, learningRate: learningRate,
                  epsilonWarmupEpochs: epsilonWarmupEpochs, check: check)
    }

    /// A job training from `start` (a zoo architecture or an imported ONNX model) with `hardening`.
    public init(hardening: Hardening, start: Start, configuration: TrainingConfiguration, learningRate: Float,
                epsilonWarmupEpochs: Int = 0, check: Check) {
        self.hardening = hardening
        self.start = start
        self.configuration = configuration
        self.learningRate = learningRate
        self.epsilonWarmupEpochs = epsilonWarmupEpochs
        self.check = check
    }

    /// What a run produced.
    public struct Result: Sendable {
        /// The trained model (also saved): a `Sequential` zoo model or the fine-tuned `ONNXModel`.
        public var model: any DifferentiableClassifier
        /// Its provenance as saved (zoo models; nil for ONNX, whose file has no provenance).
        public var provenance: ModelProvenance?
        /// One summary per epoch (teacher's then student's for distillation).
        public var epochs: [EpochSummary]
        /// Wall seconds of training.
        public var trainingSeconds: Double
        /// Accuracy on the whole test set.
        public var cleanAccuracy: Double
        /// Accuracy under the PGD check, when it ran.
        public var checkedAccuracy: Double?
        /// Test examples the check attacked (0 when it did not run).
        public var checkedExamples: Int
        /// Wall seconds of the check.
        public var checkSeconds: Double
    }

    /// Trains, saves to `path` (safetensors with provenance for a zoo model, ONNX for an
    /// imported one), then runs the check (skipped when its example count or ε is 0).
    /// - Parameters:
    ///   - classCount: the zoo model's class count (nil: the largest label + 1).
    ///   - featureStandardisation: JSON of the CSV standardisation the inputs went through,
    ///     recorded in a zoo model's metadata.
    ///   - progress: the stage (`pgd-at`, `teacher`, `student`, …) and the trainer's progress.
    /// - Throws: ``AssessmentError`` carrying the training, saving or evaluation error.
    public func run(dataset: String, training: LabeledDataset, test: LabeledDataset, classCount: Int? = nil,
                    featureStandardisation: String? = nil, saveTo path: String,
                    progress: @escaping (String, TrainingProgress) -> Void = { _, _ in }) throws(AssessmentError) -> Result {
        let training_ = (inputs: training.inputs, labels: training.labels), test_ = (inputs: test.inputs, labels: test.labels)
        let (seed, learningRate) = (configuration.seed, self.learningRate)
        let model: any DifferentiableClassifier, provenance: ModelProvenance?, epochs: [EpochSummary], seconds: Double, clean: Double
        do throws(ModelError) {
            switch (hardening, start) {
            case (.adversarial(let defense), .zoo(let arch)):
                let stage = defense.name
                let plan = AdversarialTraining(defense: defense, configuration: configuration, epsilonWarmupEpochs: epsilonWarmupEpochs)
                    .procedure(optimizer: Adam(learningRate: learningRate)) { progress(stage, $0) }
                let run = try ModelTraining.run(plan, architecture: arch, seed: seed, dataset: dataset, training: training_, test: test_,
                                                classCount: classCount, featureStandardisation: featureStandardisation, saveTo: path)
                (model, provenance, epochs, seconds, clean) = (run.model, run.provenance, run.outcome, run.trainingSeconds, run.testAccuracy)
            case (.adversarial(let defense), .onnx(let imported)):
                let stage = defense.name
                let plan = AdversarialTraining(defense: defense, configuration: configuration, epsilonWarmupEpochs: epsilonWarmupEpochs)
                    .procedure(for: ONNXModel.self, optimizer: Adam(learningRate: learningRate)) { progress(stage, $0) }
                let run = try ModelTraining.fineTune(plan, model: imported, training: training_, test: test_)
                do { try ONNXExporter.write(run.model, to: URL(fileURLWithPath: path)) } catch {
                    throw ModelError(.io, error.message, underlying: error)
                }
                (model, provenance, epochs, seconds, clean) = (run.model, nil, run.outcome, run.trainingSeconds, run.testAccuracy)
            case (.distillation(let temperature), .zoo(let arch)):
                let teacherSeed = seed &+ 1
                let teacher = try ModelTraining.makeModel(arch, seed: teacherSeed, training: training_, test: test_, classCount: classCount)
                let plan = DefensiveDistillation(temperature: temperature, configuration: configuration)
                    .procedure(makeTeacher: { teacher }, makeOptimizer: { Adam(learningRate: learningRate) }, progress: progress)
                let run = try ModelTraining.run(plan, architecture: arch, seed: seed, dataset: dataset, training: training_, test: test_,
                                                classCount: classCount, featureStandardisation: featureStandardisation, saveTo: path)
                (model, provenance, epochs, seconds, clean) = (run.model, run.provenance, run.outcome.teacher + run.outcome.student,
                                                               run.trainingSeconds, run.testAccuracy)
            case (.distillation, .onnx):
                throw ModelError(.training, "distillation trains a new student model; give a zoo architecture, not an ONNX model")
            }
        } catch {
            throw AssessmentError("training failed: \(error.message)", underlying: error)
        }
        var result = Result(model: model, provenance: provenance, epochs: epochs, trainingSeconds: seconds, cleanAccuracy: clean,
                            checkedAccuracy: nil, checkedExamples: 0, checkSeconds: 0)
        let checked = min(check.examples, test.count)
        guard checked > 0, check.epsilon > 0 else { return result }
        let start = Date()
        let subset = test.prefix(checked)
        let plan = Evaluation(specs: [AttackSpec(.pgd, maxIterations: check.steps)], epsilons: [check.epsilon], batchSize: 256, seed: seed)
        do {
            result.checkedAccuracy = try plan.run(model: model, inputs: subset.inputs, labels: subset.labels).attacks.first?.metrics.robustAccuracy
        } catch {
            throw AssessmentError("the PGD check failed: \(error.message)", underlying: error)
        }
        result.checkedExamples = checked
        result.checkSeconds = Date().timeIntervalSince(start)
        return result
    }
}
