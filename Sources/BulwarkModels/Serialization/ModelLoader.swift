import BulwarkArchive
import Foundation

/// The model-file formats Bulwark loads, recognised by content, not by name.
public enum ModelFormat: String, Sendable, CaseIterable {
    /// safetensors: an 8-byte little-endian header length, then a JSON header (`{`).
    case safetensors
    /// ONNX: a protobuf `ModelProto`.
    case onnx

    /// The format of a file that starts with `head` (its first 9 bytes suffice) and is named
    /// `path`: safetensors when the ninth byte opens a JSON object or the name ends in
    /// `.safetensors`, else ONNX (whose parser then checks the bytes).
    public static func sniff(head: [UInt8], path: String) -> ModelFormat {
        if head.count >= 9 && head[8] == UInt8(ascii: "{") || path.hasSuffix(".safetensors") { return .safetensors }
        return .onnx
    }
}

/// Loads any model file Bulwark can attack, defend or evaluate, as a classifier.
///
/// ```swift
/// let model = try ModelLoader.classifier(path: "cnn.safetensors")
/// print(model.inputShape, model.classCount)
/// ```
public enum ModelLoader {
    /// The classifier in the file at `path`: a zoo model from safetensors (architecture from
    /// `architecture`, else from the file's metadata) or an ONNX graph.
    /// - Throws: ``ModelError``: `.io` for a missing, unreadable or non-regular file; the
    ///   loaders' errors for a malformed one (ONNX errors as `.malformed` with the ONNX
    ///   loader's message).
    public static func classifier(path: String, architecture: ZooArchitecture? = nil) throws(ModelError) -> any DifferentiableClassifier {
        guard FileManager.default.fileExists(atPath: path) else { throw ModelError(.io, "model file not found: \(path)") }
        if let kind = FileChecks.nonRegularKind(path) { throw ModelError(.io, "model file '\(path)' is not a regular file (\(kind))") }
        let head: [UInt8]
        do {
            let source = try FileSource(path: path)
            head = try source.read(offset: 0, count: min(9, source.size))
        } catch { throw ModelError(.io, "cannot read model file \(path): \(error.message)", underlying: error) }
        switch ModelFormat.sniff(head: head, path: path) {
        case .safetensors:
            return try ModelFile.load(path: path, architecture: architecture).model
        case .onnx:
            do { return try ONNXModel(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw ModelError(error.code == .io ? .io : .malformed, error.message, underlying: error)
            }
        }
    }
}
