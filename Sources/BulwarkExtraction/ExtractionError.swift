@_exported public import BulwarkErrors

/// An error from the model-stealing module: an extraction attack, an output-hardening wrapper,
/// a query-pattern detector, a watermark or a fingerprint that cannot run on what it was given.
///
/// Messages are one line: they name the option or file that failed and what was expected.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias ExtractionError = ModuleError<ExtractionErrorDomain>

/// The domain of ``ExtractionError``: tells its codes from other modules'.
public enum ExtractionErrorDomain: ErrorDomain {}

extension ErrorCode<ExtractionErrorDomain> {
    /// A parameter is outside what the attack, wrapper or detector accepts (a query budget
    /// below one batch, a rounding to negative decimals, a key of zero examples).
    public static var invalidParameter: Self { Self("invalidParameter") }
    /// Inputs, labels, victim and substitute disagree in shape or count.
    public static var shapeMismatch: Self { Self("shapeMismatch") }
    /// A file is missing or cannot be read or written (a key, a model, query data).
    public static var io: Self { Self("io") }
    /// The victim refused a query: its query budget is spent.
    public static var budgetExhausted: Self { Self("budgetExhausted") }
}
