@_exported public import BulwarkErrors

/// An error writing a report.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias ReportError = ModuleError<ReportErrorDomain>

/// The domain of ``ReportError``: tells its codes from other modules'.
public enum ReportErrorDomain: ErrorDomain {}

extension ErrorCode<ReportErrorDomain> {
    /// A report file or directory could not be written.
    public static var io: Self { Self("io") }
    /// The report could not be made (the code of ``ReportError/init(_:underlying:)``).
    public static var failed: Self { Self("failed") }
}

extension ReportError {
    /// Creates a `failed` error with a one-line message.
    public init(_ message: String, underlying: (any Error)? = nil) {
        self.init(.failed, message, underlying: underlying)
    }
}
