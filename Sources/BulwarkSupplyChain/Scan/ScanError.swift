@_exported public import BulwarkErrors

/// A scan could not proceed (bad policy file, unreadable path).
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias ScanError = ModuleError<ScanErrorDomain>

/// The domain of ``ScanError``: tells its codes from other modules'.
public enum ScanErrorDomain: ErrorDomain {}

extension ErrorCode<ScanErrorDomain> {
    /// A policy file or line is not acceptable (the code of
    /// ``ScanError/init(_:underlying:)``).
    public static var invalidPolicy: Self { Self("invalidPolicy") }
    /// A path could not be read.
    public static var io: Self { Self("io") }
}

extension ScanError {
    /// Creates an `invalidPolicy` error with a one-line message.
    public init(_ message: String, underlying: (any Error)? = nil) {
        self.init(.invalidPolicy, message, underlying: underlying)
    }
}
