public import Foundation
public import BulwarkModels

/// `bulwark export` as a library call: a zoo model's safetensors file written as ONNX, or an
/// ONNX model (e.g. one fine-tuned by `train`) rewritten as is, for onnxruntime.
///
/// ```swift
/// let written = try ModelExport.write(model: "cnn.safetensors", architecture: nil, to: "cnn.onnx")
/// print(written.opset, written.parameters)
/// ```
public enum ModelExport {
    /// What was written (and what `export --json` prints).
    public struct Written: Codable, Sendable, Equatable {
        /// The ONNX file.
        public var out: String
        /// Its opset version (17 for a zoo model).
        public var opset: Int
        /// Its parameter count.
        public var parameters: Int
    }

    /// Reads the model at `path` (format recognised by content; `architecture` when a safetensors
    /// file does not record it) and writes it as ONNX to `out`.
    /// - Throws: the loader's ``ModelError`` or ``ONNXError``, the exporter's error.
    public static func write(model path: String, architecture: ZooArchitecture?, to out: String) throws -> Written {
        if ModelExamples.format(ofFile: path) == .onnx {
            let imported = try ONNXModel(contentsOf: URL(fileURLWithPath: path))
            try ONNXExporter.write(imported, to: URL(fileURLWithPath: out))
            return Written(out: out, opset: imported.summary.opsetVersion, parameters: imported.summary.parameterCount)
        }
        let loaded = try ModelFile.load(path: path, architecture: architecture).model
        try ONNXExporter.write(loaded, to: URL(fileURLWithPath: out))
        return Written(out: out, opset: 17, parameters: loaded.parameterCount)
    }
}
