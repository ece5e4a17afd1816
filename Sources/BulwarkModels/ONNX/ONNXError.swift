/// Errors raised while loading, validating, running or exporting an ONNX model.
///
/// Every message is one line naming the file, node, tensor or field that failed and what was expected.
public struct ONNXError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Code: Sendable, Equatable {
        /// The file could not be read, or is larger than the limit.
        case io
        /// The bytes are not a well-formed ONNX protobuf, or a field has an impossible value.
        case malformed
        /// The model uses an operator, opset, data type or attribute Bulwark does not support.
        case unsupported
        /// The graph is not a DAG, or refers to a value nothing produces.
        case invalidGraph
        /// An external-data location escapes the model's folder or is absolute.
        case unsafePath
        /// Shapes of a node's inputs do not fit together.
        case shapeMismatch
    }

    /// The failure kind.
    public let code: Code
    /// One line naming what failed and what was expected.
    public let message: String

    /// Creates an error of `code` with a one-line message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
