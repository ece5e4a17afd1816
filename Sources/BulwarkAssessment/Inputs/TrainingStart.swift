public import BulwarkModels
import Foundation

/// What a training run starts from: a zoo architecture, built for the data, or an ONNX file to
/// fine-tune (`--model` of `train` and `defend train`).
///
/// ```swift
/// let start = try TrainingStart("cnn")          // .zoo(.cnn)
/// let tuned = try TrainingStart("mine.onnx")    // .onnx(path: "mine.onnx")
/// ```
public enum TrainingStart: Sendable, Equatable {
    /// A zoo architecture, trained from scratch.
    case zoo(ZooArchitecture)
    /// An ONNX model at `path`, fine-tuned.
    case onnx(path: String)

    /// Parses a zoo architecture's name or a path ending in `.onnx`.
    /// - Throws: ``AssessmentError`` with code ``AssessmentError/Code/invalidConfiguration`` for
    ///   anything else, listing the architectures.
    public init(_ text: String) throws(AssessmentError) {
        if let arch = ZooArchitecture(rawValue: text) {
            self = .zoo(arch)
        } else if text.lowercased().hasSuffix(".onnx") {
            self = .onnx(path: text)
        } else {
            throw AssessmentError(.invalidConfiguration, "--model must be a zoo architecture (\(ZooArchitecture.allCases.map(\.rawValue).joined(separator: ", "))) or an .onnx file to fine-tune, got '\(text)'")
        }
    }

    /// The name reported: the architecture or the file's name.
    public var name: String {
        switch self {
        case .zoo(let arch): arch.rawValue
        case .onnx(let path): URL(fileURLWithPath: path).lastPathComponent
        }
    }
}
