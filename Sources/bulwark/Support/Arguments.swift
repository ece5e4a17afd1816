public import ArgumentParser
import BulwarkAssessment
import BulwarkEvasion
import BulwarkGateway
import BulwarkData
import BulwarkModels
import Foundation

// Choice options parse straight into the library's enums: `--help` lists their values and the
// parser rejects a typo with the valid choices, before any work.
extension ZooArchitecture: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
extension ZooActivation: ExpressibleByArgument {}
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

/// Where a command's examples come from — exactly one of `--data X.npy|X.npz [--labels Y.npy]`,
/// `--image-folder DIR [--image-size HxW] [--channels 1|3]`, `--csv FILE --label-column NAME` —
/// shared by every command that reads data (inside ``LabelledDataOptions`` and ``TrainingOptions``).
struct DataSourceOptions: ParsableArguments {
    @Option(help: "Inputs (.npy or .npz; N×1×28×28 or N×784 for mlp/cnn; uint8 values are divided by 255).")
    var data: String?

    @Option(help: "Integer labels (.npy, N); not needed when the .npz holds them (key y, Y, labels or targets).")
    var labels: String?

    @Option(name: .customLong("image-folder"), help: "A folder of PNG/JPEG images, one sub-folder per class (sorted names are the classes).")
    var imageFolder: String?

    @Option(name: .customLong("image-size"), help: "With --image-folder: resize every image to HxW (e.g. 32x32).")
    var imageSize: String?

    @Option(parsing: .unconditional, help: "With --image-folder: 1 (grey) or 3 (RGB) channels (default: the images' own).")
    var channels: Int?

    @Option(help: "A CSV table with a header row; every column but --label-column is a numeric feature.")
    var csv: String?

    @Option(name: .customLong("label-column"), help: "With --csv: the column holding the labels (integers or class names).")
    var labelColumn: String?

    func validate() throws {
        let given = [data.map { _ in "--data" }, imageFolder.map { _ in "--image-folder" }, csv.map { _ in "--csv" }].compactMap { $0 }
        if given.count > 1 { throw ValidationError("\(given.joined(separator: " and ")) are exclusive: give one data source") }
        if labels != nil, data == nil { throw ValidationError("--labels goes with --data") }
        if imageSize != nil || channels != nil, imageFolder == nil { throw ValidationError("--image-size and --channels go with --image-folder") }
        if labelColumn != nil, csv == nil { throw ValidationError("--label-column goes with --csv") }
        if csv != nil, labelColumn == nil { throw ValidationError("--csv needs --label-column NAME (the column holding the labels)") }
        if let channels, channels != 1, channels != 3 { throw ValidationError("--channels must be 1 or 3, got \(channels)") }
        _ = try size()
    }

    /// Whether any source was given.
    var isGiven: Bool { data != nil || imageFolder != nil || csv != nil }

    /// Whether the source is a CSV table (standardised with the model's statistics).
    var isCSV: Bool { csv != nil }

    /// Throws unless the labels are known: `--data X.npy` needs `--labels`.
    func requireLabels() throws {
        if let data, labels == nil, !data.lowercased().hasSuffix(".npz") {
            throw ValidationError("--data \(data) needs --labels Y.npy (only an .npz can hold its own labels)")
        }
    }

    /// `--image-size HxW`.
    func size() throws -> ImageFolder.Size? {
        guard let imageSize else { return nil }
        let parts = imageSize.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), (1...4096).contains(h), (1...4096).contains(w) else {
            throw ValidationError("--image-size must be HxW with sizes in 1…4096 (e.g. 32x32), got '\(imageSize)'")
        }
        return ImageFolder.Size(height: h, width: w)
    }

    /// The source as the library's ``Dataset``; nil when none was given.
    func dataset() throws -> Dataset? {
        if let data { return .arrays(data: data, labels: labels) }
        if let imageFolder { return .imageFolder(path: imageFolder, size: try size(), channels: channels) }
        if let csv, let labelColumn { return .csv(path: csv, labelColumn: labelColumn) }
        return nil
    }

    /// The files read (for the refusal to overwrite an input).
    var paths: [String] { [data, labels, imageFolder, csv].compactMap { $0 } }

    /// One string naming the source (shard context).
    var identity: String {
        if let data { return data + "," + (labels ?? "") }
        if let imageFolder { return "images:" + imageFolder + "," + (imageSize ?? "") + "," + (channels.map(String.init) ?? "") }
        return "csv:" + (csv ?? "") + "," + (labelColumn ?? "")
    }

    /// Reads the examples for `model` (loaded from `modelPath`): checked against its input shape
    /// and class count; CSV features standardised with the statistics stored in the model; other
    /// inputs checked against the clip range [0, 1] (``ModelExamples/examples(from:for:modelPath:limit:)``).
    func load(for model: any DifferentiableClassifier, modelPath: String, limit: Int?) throws -> LabeledDataset {
        guard let source = try dataset() else {
            throw ValidationError("give the examples: --data X.npy --labels Y.npy, --image-folder DIR, or --csv FILE --label-column NAME")
        }
        return try ModelExamples.examples(from: source, for: model, modelPath: modelPath, limit: limit)
    }
}

/// Labelled examples a command attacks, certifies, evaluates or audits — one source of
/// ``DataSourceOptions`` — and `--limit`.
struct LabelledDataOptions: ParsableArguments {
    @OptionGroup var source: DataSourceOptions

    @Option(parsing: .unconditional, help: "Use only the first N examples.")
    var limit: Int?

    func validate() throws {
        if let limit { try Bounds.check(limit, in: 1...Int.max, "--limit") }
        guard source.isGiven else {
            throw ValidationError("give the examples: --data X.npy --labels Y.npy, --image-folder DIR, or --csv FILE --label-column NAME")
        }
        try source.requireLabels()
    }

    /// The files read.
    var paths: [String] { source.paths }

    /// The inputs' path (the `--data` file, the image folder or the CSV table), for messages and reports.
    var data: String { source.data ?? source.imageFolder ?? source.csv ?? "" }

    /// Where the labels come from (the `--labels` file; else the `.npz`, the folder, or the CSV
    /// column), for messages, reports and the shard context.
    var labels: String {
        if let labels = source.labels { return labels }
        if let column = source.labelColumn { return "\(data)#\(column)" }
        return source.imageFolder.map { "\($0)#\(source.imageSize ?? "")#\(source.channels.map(String.init) ?? "")" } ?? data
    }

    /// The model of `model` and these examples as the library's ``RunInputs``.
    func runInputs(_ model: ModelOptions) throws -> RunInputs {
        guard let dataset = try source.dataset() else {
            throw ValidationError("give the examples: --data X.npy --labels Y.npy, --image-folder DIR, or --csv FILE --label-column NAME")
        }
        return RunInputs(modelPath: model.model, architecture: model.arch, source: dataset, limit: limit, dataName: data, labelsName: labels)
    }

    /// The examples, checked against `model` (shape, classes); CSV features standardised as
    /// recorded in the model file; other inputs checked against the clip range [0, 1].
    func load(for model: any DifferentiableClassifier, modelPath: String) throws -> LabeledDataset {
        try source.load(for: model, modelPath: modelPath, limit: limit)
    }
}

/// The options of every command that trains (`train`, `defend train`): data source, model (zoo
/// name or ONNX file), schedule, output.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Built-in dataset (the default when no --data, --image-folder or --csv is given); it keeps its own test split.")
    var dataset: DatasetChoice?

    @Option(name: .customLong("data-dir"), help: "Directory holding the Fashion-MNIST IDX files.")
    var dataDirectory: String = FashionMNIST.defaultDirectory

    @OptionGroup(title: "Your own data (instead of --dataset)") var source: DataSourceOptions

    @Option(name: .customLong("test-fraction"), parsing: .unconditional,
            help: "With your own data: the fraction held out as the test split, drawn deterministically from --seed.")
    var testFraction: Double = 0.2

    @Option(name: .customLong("test-data"), help: "With --data: a separate test set (.npy or .npz) instead of --test-fraction.")
    var testData: String?

    @Option(name: .customLong("test-labels"), help: "Labels of --test-data (.npy), unless its .npz holds them.")
    var testLabels: String?

    @Option(name: [.customLong("model"), .customLong("arch")],
            help: "A zoo model to train (mlp, cnn, resnet, tabular; sized from the data) or an .onnx file to fine-tune (--arch is the same option).")
    var model: String

    @Option(parsing: .unconditional, help: "Passes over the training set (each of teacher and student for distillation).")
    var epochs: Int = 3

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step.")
    var batchSize: Int = 128

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate.")
    var learningRate: Float = ZooArchitecture.defaultLearningRate

    @Option(parsing: .unconditional, help: "Seed of initialisation, shuffling, the test split and any perturbations.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Use only the first N training examples (for quick runs).")
    var limit: Int?

    @Option(help: "Where to write the trained model: .safetensors for a zoo model, .onnx for a fine-tuned ONNX model.")
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
        if dataset != nil, source.isGiven { throw ValidationError("--dataset and your own data (--data, --image-folder, --csv) are exclusive") }
        try source.requireLabels()
        guard testFraction > 0, testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction)") }
        if testData != nil, source.data == nil { throw ValidationError("--test-data goes with --data") }
        if testLabels != nil, testData == nil { throw ValidationError("--test-labels goes with --test-data") }
        if let testData, testLabels == nil, !testData.lowercased().hasSuffix(".npz") {
            throw ValidationError("--test-data \(testData) needs --test-labels Y.npy (only an .npz can hold its own labels)")
        }
        switch try start() {
        case .zoo:
            guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must name a .safetensors file for a zoo model") }
        case .onnx:
            guard out.lowercased().hasSuffix(".onnx") else { throw ValidationError("--out must name an .onnx file when fine-tuning an ONNX model") }
        }
    }

    /// What training starts from (a bad `--model` is a usage error).
    func start() throws -> TrainingStart {
        do { return try TrainingStart(model) } catch { throw ValidationError(error.message) }
    }

    /// Epochs, batch size and seed.
    var configuration: TrainingConfiguration { TrainingConfiguration(epochs: epochs, batchSize: batchSize, seed: seed) }

    /// The files read.
    var inputPaths: [String] {
        var paths = source.paths + [testData, testLabels].compactMap { $0 }
        if case .onnx(let path)? = try? start() { paths.append(path) }
        return paths
    }

    /// Where the examples come from and how they are split.
    func plan() throws -> TrainingDataPlan {
        let testSet = testData.map { Dataset.arrays(data: $0, labels: testLabels) }
        return TrainingDataPlan(source: try source.dataset(), fashionMNISTDirectory: dataDirectory, testSet: testSet,
                                testFraction: testFraction, seed: seed, limit: limit)
    }

    /// Refuses an `--out` that would overwrite an input, then loads the model and data
    /// (``TrainingDataPlan/prepare(_:)``).
    func prepare() throws -> TrainingDataPlan.Prepared {
        try refuseOverwrite(out, inputs: inputPaths, role: "--out")
        return try plan().prepare(try start())
    }
}
