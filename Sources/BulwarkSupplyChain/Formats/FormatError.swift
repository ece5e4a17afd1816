@_exported public import BulwarkErrors

/// A structural reader (safetensors, protobuf/ONNX, GGUF, pickle) met bytes it cannot accept.
///
/// The message names the field or offset that failed and what was expected; one line.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias FormatError = ModuleError<FormatErrorDomain>

/// The domain of ``FormatError``: tells its codes from other modules'.
public enum FormatErrorDomain: ErrorDomain {}

extension ErrorCode<FormatErrorDomain> {
    /// The bytes violate their format (the code of ``FormatError/init(_:underlying:)``).
    public static var malformed: Self { Self("malformed") }
}

extension FormatError {
    /// Creates a `malformed` error with a one-line message.
    public init(_ message: String, underlying: (any Error)? = nil) {
        self.init(.malformed, message, underlying: underlying)
    }
}
