public import BulwarkData
public import BulwarkModels
public import BulwarkReport
public import Foundation

/// The model file and the labelled examples a command runs on, as the user named them: what
/// `evaluate`, `certify`, `defend check` and `defend detect` share.
///
/// ```swift
/// let inputs = RunInputs(modelPath: "cnn.safetensors", source: .arrays(data: "x.npy", labels: "y.npy"),
///                        limit: 100, dataName: "x.npy", labelsName: "y.npy")
/// let target = try inputs.load()
/// ```
public struct RunInputs: Sendable {
    /// The model file (safetensors or ONNX).
    public var modelPath: String
    /// The architecture, when a safetensors file does not record it.
    public var architecture: ZooArchitecture?
    /// Where the examples come from.
    public var source: Dataset
    /// Use only the first `limit` examples.
    public var limit: Int?
    /// The inputs' name in messages and reports (the data file, image folder or CSV table).
    public var dataName: String
    /// Where the labels come from, for reports and a shard's context.
    public var labelsName: String

    /// The inputs of a run.
    public init(modelPath: String, architecture: ZooArchitecture? = nil, source: Dataset, limit: Int? = nil,
                dataName: String, labelsName: String) {
        self.modelPath = modelPath
        self.architecture = architecture
        self.source = source
        self.limit = limit
        self.dataName = dataName
        self.labelsName = labelsName
    }

    /// The model and its examples (``ModelExamples/load(modelPath:architecture:source:limit:)``),
    /// refused when no example is left.
    /// - Throws: ``AssessmentError``: the loaders' errors, or `DATA: no examples to <task>`.
    public func load(forTask task: String? = nil) throws(AssessmentError) -> ModelExamples {
        let loaded = try ModelExamples.load(modelPath: modelPath, architecture: architecture, source: source, limit: limit)
        guard loaded.examples.count > 0 else {
            throw AssessmentError(.invalidConfiguration, "\(dataName): no examples" + (task.map { " to " + $0 } ?? ""))
        }
        return loaded
    }

    /// The context a shard's part records: files as given, `arguments` (the command line without
    /// the program name) and the model's input shape.
    public func context(arguments: [String], inputShape: [Int]) -> RunContext {
        RunContext(model: modelPath, data: dataName, labels: labelsName, arguments: arguments, inputShape: inputShape)
    }
}

/// A shard's partial result, written for `bulwark report merge`.
public struct WrittenPart: Sendable {
    /// The part's kind.
    public var kind: ReportPart.Kind
    /// The shard run.
    public var shard: Shard
    /// The examples (or candidates) of the whole run.
    public var total: Int
    /// The block of them this shard covered.
    public var block: Range<Int>
    /// The part file.
    public var url: URL

    /// Writes `part` as `directory/KIND.part-K-of-N.json` (creating the directory) for a shard
    /// of `total` examples.
    /// - Throws: the file system's error when the directory or file cannot be written.
    public static func write(_ part: ReportPart, shard: Shard, total: Int, to directory: String) throws -> WrittenPart {
        let dir = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(ReportPart.fileName(kind: part.kind, shard: part.shard))
        try ReportWriter.writeJSON(part, to: url)
        return WrittenPart(kind: part.kind, shard: shard, total: total, block: shard.range(of: total), url: url)
    }
}
