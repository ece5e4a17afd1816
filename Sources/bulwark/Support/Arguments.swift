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
