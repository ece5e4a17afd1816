@_exported public import BulwarkErrors

/// Errors raised while loading, validating, running or exporting an ONNX model.
///
/// Every message is one line naming the file, node, tensor or field that failed and what was expected.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias ONNXError = ModuleError<ONNXErrorDomain>

/// The domain of ``ONNXError``: tells its codes from other modules'.
public enum ONNXErrorDomain: ErrorDomain {}

extension ErrorCode<ONNXErrorDomain> {
    /// The file could not be read, or is larger than the limit.
    public static var io: Self { Self("io") }
    /// The bytes are not a well-formed ONNX protobuf, or a field has an impossible value.
    public static var malformed: Self { Self("malformed") }
    /// The model uses an operator, opset, data type or attribute Bulwark does not support.
    public static var unsupported: Self { Self("unsupported") }
    /// The graph is not a DAG, or refers to a value nothing produces.
    public static var invalidGraph: Self { Self("invalidGraph") }
    /// An external-data location escapes the model's folder or is absolute.
    public static var unsafePath: Self { Self("unsafePath") }
    /// Shapes of a node's inputs do not fit together.
    public static var shapeMismatch: Self { Self("shapeMismatch") }
}
