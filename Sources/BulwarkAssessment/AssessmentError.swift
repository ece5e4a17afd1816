@_exported public import BulwarkErrors

/// An assessment that could not run; one line naming what failed.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias AssessmentError = ModuleError<AssessmentErrorDomain>

/// The domain of ``AssessmentError``: tells its codes from other modules'.
public enum AssessmentErrorDomain: ErrorDomain {}

extension ErrorCode<AssessmentErrorDomain> {
    /// A stage of the assessment failed; ``AssessmentError/underlying`` holds the module error
    /// (the code of ``AssessmentError/init(_:underlying:)``).
    public static var failed: Self { Self("failed") }
    /// The configuration is not acceptable.
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
    /// A file or directory could not be read or written.
    public static var io: Self { Self("io") }
}

extension AssessmentError {
    /// Creates a `failed` error with a one-line message.
    public init(_ message: String, underlying: (any Error)? = nil) {
        self.init(.failed, message, underlying: underlying)
    }
}
