public import ArgumentParser
import BulwarkEvasion
import BulwarkData
import BulwarkModels

// Choice options parse straight into the library's enums: `--help` lists their values and the
// parser rejects a typo with the valid choices, before any work.
extension ZooArchitecture: ExpressibleByArgument {}
extension PerturbationNorm: ExpressibleByArgument {}
extension EvaluatedGradient: ExpressibleByArgument {}

/// `--dataset`: the built-in datasets.
enum DatasetChoice: String, CaseIterable, ExpressibleByArgument {
    case fashionMNIST = "fashion-mnist"
}

/// `--optimizer`.
enum OptimizerChoice: String, CaseIterable, ExpressibleByArgument {
    case adam, sgd
}

/// `--defense` of `defend train`: the training-time defences.
enum TrainingDefenceChoice: String, CaseIterable, ExpressibleByArgument {
    case pgdAT = "pgd-at", trades, fastAT = "fast-at", distillation, noise
}

/// `--detector` of `defend detect`.
enum DetectorChoice: String, CaseIterable, ExpressibleByArgument {
    case featureSqueezing = "feature-squeezing", mahalanobis
}

/// `--format` of `scan`.
enum ScanFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json, sarif
}

/// Upper bounds on work-size options, so a typo cannot start a run that never ends.
enum Bounds {
    /// `--steps` (iterations per example).
    static let steps = 100_000
    /// `--restarts`.
    static let restarts = 1_000
    /// `--queries` (per example).
    static let queries = 10_000_000
    /// `--batch-size`.
    static let batchSize = 65_536

    /// Throws a `ValidationError` naming `flag` unless `value` lies in `range`.
    static func check<T: Comparable>(_ value: T, in range: ClosedRange<T>, _ flag: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be in \(range.lowerBound)…\(range.upperBound), got \(value)")
        }
    }
}

/// `--model` and `--arch`: the model a command attacks, certifies or evaluates.
struct ModelOptions: ParsableArguments {
    @Option(help: "Model: a .safetensors file written by bulwark, or an ONNX model.")
    var model: String

    @Option(help: "Architecture when the safetensors file does not record it.")
    var arch: ZooArchitecture?

    /// The model as a classifier (format recognised by content).
    func load() throws -> any DifferentiableClassifier { try ModelLoader.classifier(path: model, architecture: arch) }
}

/// `--data`, `--labels` and `--limit`: labelled examples stored as `.npy`.
struct LabelledDataOptions: ParsableArguments {
    @Option(help: "Inputs (.npy, N×1×28×28 or N×784 for the zoo models), in the clip range [0, 1].")
    var data: String

    @Option(help: "Integer labels (.npy, N).")
    var labels: String

    @Option(parsing: .unconditional, help: "Use only the first N examples.")
    var limit: Int?

    func validate() throws {
        if let limit { try Bounds.check(limit, in: 1...Int.max, "--limit") }
    }

    /// The examples, checked against `model` (shape, classes) and the clip range [0, 1].
    func load(for model: any DifferentiableClassifier) throws -> LabeledDataset {
        let examples = try ArrayFiles.labelled(inputs: data, labels: labels, exampleShape: model.inputShape,
                                               classCount: model.classCount, limit: limit)
        try ArrayFiles.checkRange(examples.inputs, 0...1, path: data)
        return examples
    }
}

/// The options of every command that trains a zoo model (`train`, `defend train`): dataset,
/// architecture, schedule, output.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Dataset to train on.")
    var dataset: DatasetChoice = .fashionMNIST

    @Option(name: .customLong("data-dir"), help: "Directory holding the IDX files.")
    var dataDirectory: String = FashionMNIST.defaultDirectory

    @Option(name: [.customLong("model"), .customLong("arch")], help: "The zoo model to train (--arch is the same option).")
    var model: ZooArchitecture

    @Option(parsing: .unconditional, help: "Passes over the training set (each of teacher and student for distillation).")
    var epochs: Int = 3

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step.")
    var batchSize: Int = 128

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate.")
    var learningRate: Float = ZooArchitecture.defaultLearningRate

    @Option(parsing: .unconditional, help: "Seed of initialisation, shuffling and any perturbations.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Use only the first N training images (for quick runs).")
    var limit: Int?

    @Option(help: "Where to write the trained model (.safetensors).")
    var out: String

    @Flag(help: "Print one JSON object on stdout instead of text.")
    var json = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        try Bounds.check(epochs, in: 1...1000, "--epochs")
        try Bounds.check(batchSize, in: 1...Bounds.batchSize, "--batch-size")
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--lr must be a positive number") }
        if let limit { try Bounds.check(limit, in: 1...Int.max, "--limit") }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must name a .safetensors file") }
    }

    /// Epochs, batch size and seed.
    var configuration: TrainingConfiguration { TrainingConfiguration(epochs: epochs, batchSize: batchSize, seed: seed) }

    /// The training split (first `--limit` examples) and the whole test split.
    func load() throws -> (training: LabeledDataset, test: LabeledDataset) {
        (try FashionMNIST.load(.train, directory: dataDirectory, limit: limit), try FashionMNIST.load(.test, directory: dataDirectory))
    }
}
