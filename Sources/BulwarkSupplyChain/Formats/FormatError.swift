/// A structural reader (safetensors, protobuf/ONNX, GGUF, pickle) met bytes it cannot accept.
///
/// The message names the field or offset that failed and what was expected; one line.
public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed, in one line.
    public let message: String
    /// Creates an error with a one-line message.
    public init(_ message: String) { self.message = message }
    /// The one-line message.
    public var description: String { message }
}
