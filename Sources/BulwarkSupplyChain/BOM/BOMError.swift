@_exported public import BulwarkErrors

/// Why an ML-BOM could not be made: one line naming the file or field and what was expected.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias BOMError = ModuleError<BOMErrorDomain>

/// The domain of ``BOMError``: tells its codes from other modules'.
public enum BOMErrorDomain: ErrorDomain {}

extension ErrorCode<BOMErrorDomain> {
    /// A model card, option or model file is not acceptable (the code of
    /// ``BOMError/init(_:underlying:)``).
    public static var invalidInput: Self { Self("invalidInput") }
    /// A file could not be read.
    public static var io: Self { Self("io") }
}

extension BOMError {
    /// Creates an `invalidInput` error with a one-line message.
    public init(_ message: String, underlying: (any Error)? = nil) {
        self.init(.invalidInput, message, underlying: underlying)
    }
}

extension BOMError {
    /// Wraps an error from reading, hashing or decoding through the signing module: code
    /// ``Code/io`` for a file that could not be read, ``Code/invalidInput`` otherwise; the
    /// message is kept and the error is the cause.
    init(_ error: SigningError) {
        self.init(error.code == .io ? .io : .invalidInput, error.message, underlying: error)
    }
}
