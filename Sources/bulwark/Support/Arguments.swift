public import ArgumentParser
import BulwarkEvasion
import BulwarkData
import BulwarkModels
import Foundation

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

    /// The CSV standardisation recorded in the model file at `modelPath` (nil: none recorded,
    /// e.g. an ONNX model, which then sees the raw features).
    static func standardisation(ofModel modelPath: String) throws -> FeatureStandardisation? {
        guard sniffedModelFormat(modelPath) == .safetensors else { return nil }
        let metadata = try SafeTensors.read(from: URL(fileURLWithPath: modelPath)).metadata
        guard let provenance = try ModelProvenance(metadata: metadata), let json = provenance.featureStandardisation else { return nil }
        return try FeatureStandardisation.decodeJSON(Array(json.utf8), label: "\(modelPath): metadata bulwark.standardisation")
    }

    /// Reads the examples for `model` (loaded from `modelPath`): checked against its input shape
    /// and class count; CSV features standardised with the statistics stored in the model; other
    /// inputs checked against the clip range [0, 1].
    func load(for model: any DifferentiableClassifier, modelPath: String, limit: Int?) throws -> LabeledDataset {
        guard let source = try dataset() else {
            throw ValidationError("give the examples: --data X.npy --labels Y.npy, --image-folder DIR, or --csv FILE --label-column NAME")
        }
        var options = DatasetLoadOptions(exampleShape: model.inputShape, classCount: model.classCount, standardise: .off, limit: limit)
        if isCSV, let stored = try Self.standardisation(ofModel: modelPath) { options.standardise = .apply(stored) }
        let examples = try source.load(options).examples
        if !isCSV { try ArrayFiles.checkRange(examples.inputs, 0...1, path: source.path) }
        return examples
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

    /// The examples, checked against `model` (shape, classes); CSV features standardised as
    /// recorded in the model file; other inputs checked against the clip range [0, 1].
    func load(for model: any DifferentiableClassifier, modelPath: String) throws -> LabeledDataset {
        try source.load(for: model, modelPath: modelPath, limit: limit)
    }
}

/// `--model` of the training commands: a zoo architecture, built for the data, or an ONNX file
/// to fine-tune.
enum TrainingStart {
    case zoo(ZooArchitecture)
    case onnx(path: String)

    init(_ text: String) throws {
        if let arch = ZooArchitecture(rawValue: text) {
            self = .zoo(arch)
        } else if text.lowercased().hasSuffix(".onnx") {
            self = .onnx(path: text)
        } else {
            throw ValidationError("--model must be a zoo architecture (\(ZooArchitecture.allCases.map(\.rawValue).joined(separator: ", "))) or an .onnx file to fine-tune, got '\(text)'")
        }
    }

    /// The name reported: the architecture or the file's name.
    var name: String {
        switch self {
        case .zoo(let arch): arch.rawValue
        case .onnx(let path): URL(fileURLWithPath: path).lastPathComponent
        }
    }
}

/// The training and test examples of a training command, with what loading learned.
struct TrainingData {
    var training: LabeledDataset
    var test: LabeledDataset
    /// CSV only: fitted on the training split, applied to both.
    var standardisation: FeatureStandardisation?
    /// The source, for the model's provenance.
    var description: String
    /// The class count the model gets (nil: from the labels).
    var classCount: Int?
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

    /// What training starts from.
    func start() throws -> TrainingStart { try TrainingStart(model) }

    /// Epochs, batch size and seed.
    var configuration: TrainingConfiguration { TrainingConfiguration(epochs: epochs, batchSize: batchSize, seed: seed) }

    /// The files read.
    var inputPaths: [String] {
        var paths = source.paths + [testData, testLabels].compactMap { $0 }
        if case .onnx(let path)? = try? start() { paths.append(path) }
        return paths
    }

    /// The training and test splits for a model taking `exampleShape` and `classCount` (nil:
    /// the data's own). Fashion-MNIST: its training split (first `--limit`) and its whole test
    /// split. Own data: `--test-data`, or a `--test-fraction` test split drawn from `--seed`, then the first
    /// `--limit` of the rest; CSV features standardised with statistics of the training split
    /// when `standardise` (zoo models), raw otherwise (ONNX models see what they were built for).
    func load(exampleShape: [Int]?, classCount: Int?, standardise: Bool) throws -> TrainingData {
        guard let own = try source.dataset() else {
            let training = try FashionMNIST.load(.train, directory: dataDirectory, limit: limit)
            let test = try FashionMNIST.load(.test, directory: dataDirectory)
            if let exampleShape, exampleShape != training.exampleShape || (classCount ?? 10) != 10 {
                throw CLIError("--model \(model) takes \(exampleShape.map(String.init).joined(separator: "×")) inputs and \(classCount ?? 10) classes; Fashion-MNIST has 1×28×28 and 10")
            }
            return TrainingData(training: training, test: test, standardisation: nil, description: DatasetChoice.fashionMNIST.rawValue,
                                classCount: classCount)
        }
        let all = try own.load(DatasetLoadOptions(exampleShape: exampleShape, classCount: classCount, standardise: .off)).examples
        var (training, test) = all.split(testFraction: testFraction, seed: seed)
        if let testData {
            training = all
            test = try Dataset.arrays(data: testData, labels: testLabels)
                .load(DatasetLoadOptions(exampleShape: all.exampleShape, classCount: classCount)).examples
            if test.classCount > all.classCount, classCount == nil {
                throw CLIError("\(testData): labels up to \(test.classCount - 1), the training data has \(all.classCount) classes")
            }
            try ArrayFiles.checkRange(test.inputs, 0...1, path: testData)
        }
        guard training.count > 0, test.count > 0 else {
            throw CLIError("\(own.path): \(all.count) example(s) cannot be split by --test-fraction \(testFraction) into non-empty training and test sets")
        }
        if let limit { training = training.prefix(limit) }
        if !source.isCSV { try ArrayFiles.checkRange(all.inputs, 0...1, path: own.path) }
        var standardisation: FeatureStandardisation?
        if source.isCSV, standardise {
            let fitted = try FeatureStandardisation.fit(training.inputs)
            training = try LabeledDataset(inputs: try fitted.apply(to: training.inputs, label: own.path), labels: training.labels,
                                          classCount: training.classCount)
            test = try LabeledDataset(inputs: try fitted.apply(to: test.inputs, label: own.path), labels: test.labels, classCount: test.classCount)
            standardisation = fitted
        }
        return TrainingData(training: training, test: test, standardisation: standardisation, description: own.description,
                            classCount: classCount ?? all.classCount)
    }

    /// Loads the model and data: a zoo architecture sized from the data (mlp and cnn take
    /// 1×28×28), or the ONNX model with the data checked against its input shape and classes.
    func prepare() throws -> (start: TrainingStart, onnx: ONNXModel?, data: TrainingData) {
        let start = try start()
        switch start {
        case .zoo(let arch):
            let shape = arch.isSizedFromData ? nil : ZooArchitecture.defaultExampleShape
            return (start, nil, try load(exampleShape: shape, classCount: nil, standardise: true))
        case .onnx(let path):
            let imported: ONNXModel
            do { imported = try ONNXModel(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw CLIError("--model \(path): \(error.message)")
            }
            return (start, imported, try load(exampleShape: imported.inputShape, classCount: imported.classCount, standardise: false))
        }
    }
}

extension TrainingData {
    /// The standardisation as the JSON text stored in the model's metadata (`bulwark.standardisation`).
    func standardisationJSON() throws -> String? {
        try standardisation.map { String(decoding: try $0.jsonBytes(), as: UTF8.self) }
    }
}

/// The format of the model file at `path`, recognised by content (nil when it cannot be read).
func sniffedModelFormat(_ path: String) -> ModelFormat? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    let head = (try? handle.read(upToCount: 9)).flatMap { $0 }.map { [UInt8]($0) } ?? []
    return ModelFormat.sniff(head: head, path: path)
}
