public import BulwarkData
public import BulwarkModels
import BulwarkArchive
import Foundation

/// A model file and the labelled examples it is attacked, certified, evaluated or audited on,
/// read and checked together — the loading every command that feeds a model shares.
///
/// ```swift
/// let target = try ModelExamples.load(modelPath: "cnn.safetensors", architecture: nil,
///                                     source: .arrays(data: "x.npy", labels: "y.npy"), limit: 100)
/// print(target.model.classCount, target.examples.count)
/// ```
public struct ModelExamples {
    /// The model, as a classifier (format recognised by content).
    public var model: any DifferentiableClassifier
    /// The examples, checked against the model's input shape and class count.
    public var examples: LabeledDataset

    /// Loads the classifier at `modelPath` (`architecture` when a safetensors file does not
    /// record it), then its examples from `source` (see ``examples(from:for:modelPath:limit:)``).
    /// - Throws: ``AssessmentError`` wrapping the model's or the data's error (same one-line text).
    public static func load(modelPath: String, architecture: ZooArchitecture?, source: Dataset, limit: Int?) throws(AssessmentError) -> ModelExamples {
        let model = try Self.model(at: modelPath, architecture: architecture)
        return ModelExamples(model: model, examples: try examples(from: source, for: model, modelPath: modelPath, limit: limit))
    }

    /// The classifier in the model file at `path` (``ModelLoader/classifier(path:architecture:)``).
    /// - Throws: ``AssessmentError`` wrapping the ``ModelError`` (same one-line text).
    public static func model(at path: String, architecture: ZooArchitecture?) throws(AssessmentError) -> any DifferentiableClassifier {
        do { return try ModelLoader.classifier(path: path, architecture: architecture) } catch {
            throw AssessmentError(error.description, underlying: error)
        }
    }

    /// Reads the examples of `source` for `model` (loaded from `modelPath`): checked against its
    /// input shape and class count and cut to the first `limit`; a CSV table's features are
    /// standardised with the statistics stored in the model file (raw when it records none);
    /// any other inputs must lie in the clip range [0, 1].
    /// - Throws: ``AssessmentError`` wrapping the ``DataError`` or ``ModelError`` (same text).
    public static func examples(from source: Dataset, for model: any DifferentiableClassifier, modelPath: String,
                                limit: Int?) throws(AssessmentError) -> LabeledDataset {
        do {
            var options = DatasetLoadOptions(exampleShape: model.inputShape, classCount: model.classCount, standardise: .off, limit: limit)
            if case .csv = source, let stored = try standardisation(ofModel: modelPath) { options.standardise = .apply(stored) }
            let examples = try source.load(options).examples
            if !source.isCSV { try ArrayFiles.checkRange(examples.inputs, 0...1, path: source.path) }
            return examples
        } catch let error as AssessmentError {
            throw error
        } catch {
            throw AssessmentError("\(error)", underlying: error)
        }
    }

    /// The CSV standardisation recorded in the model file at `modelPath` (`bulwark.standardisation`
    /// in a safetensors file's provenance); nil when none is recorded, e.g. for an ONNX model,
    /// which then sees the raw features.
    /// - Throws: ``AssessmentError`` when the file or its recorded statistics cannot be read.
    public static func standardisation(ofModel modelPath: String) throws(AssessmentError) -> FeatureStandardisation? {
        guard format(ofFile: modelPath) == .safetensors else { return nil }
        do {
            let metadata = try SafeTensors.read(from: URL(fileURLWithPath: modelPath)).metadata
            guard let provenance = try ModelProvenance(metadata: metadata), let json = provenance.featureStandardisation else { return nil }
            return try FeatureStandardisation.decodeJSON(Array(json.utf8), label: "\(modelPath): metadata bulwark.standardisation")
        } catch let error as any BulwarkError {
            throw AssessmentError(error.description, underlying: error)
        } catch {
            throw AssessmentError("\(error)", underlying: error)
        }
    }

    /// The format of the model file at `path`, recognised by content (``ModelFormat/sniff(head:path:)``);
    /// nil when the file cannot be opened.
    public static func format(ofFile path: String) -> ModelFormat? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 9)).flatMap { $0 }.map { [UInt8]($0) } ?? []
        return ModelFormat.sniff(head: head, path: path)
    }
}

extension Dataset {
    /// Whether the source is a CSV table (whose features are standardised, not range-checked).
    package var isCSV: Bool {
        if case .csv = self { return true }
        return false
    }
}
