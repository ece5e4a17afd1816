@_exported public import BulwarkErrors

/// Errors of the evasion module; one line, naming what was wrong.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias EvasionError = ModuleError<EvasionErrorDomain>

/// The domain of ``EvasionError``: tells its codes from other modules'.
public enum EvasionErrorDomain: ErrorDomain {}

extension ErrorCode<EvasionErrorDomain> {
    /// An input, label, configuration value or model does not fit the attack, defence or
    /// evaluation (the code of ``EvasionError/init(_:underlying:)``).
    public static var invalidArgument: Self { Self("invalidArgument") }
    /// A black-box attack's model refused a query beyond its budget.
    public static var queryBudgetExceeded: Self { Self("queryBudgetExceeded") }
}

extension EvasionError {
    /// Creates an `invalidArgument` error with a one-line message.
    public init(_ message: String, underlying: (any Error)? = nil) {
        self.init(.invalidArgument, message, underlying: underlying)
    }
}
