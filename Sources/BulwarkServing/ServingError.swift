@_exported public import BulwarkErrors

/// An error from the inference runtime: a request that fails validation, a model that cannot be
/// served, a client over its rate limit, a refused or killed version, a storage failure.
///
/// Messages are one line: they name the model, the input and the rule that refused.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias ServingError = ModuleError<ServingErrorDomain>

/// The domain of ``ServingError``: tells its codes from other modules'.
public enum ServingErrorDomain: ErrorDomain {}

extension ErrorCode<ServingErrorDomain> {
    /// A request body, tensor, shape, datatype or value is not what the model accepts.
    public static var invalidRequest: Self { Self("invalidRequest") }
    /// No such model or version is being served.
    public static var notFound: Self { Self("notFound") }
    /// The model or version is not available: killed, not ready, or being replaced.
    public static var unavailable: Self { Self("unavailable") }
    /// A client or model is over its rate limit or quota, or the queue is full.
    public static var rateLimited: Self { Self("rateLimited") }
    /// A defence or a quarantine refused the request.
    public static var refused: Self { Self("refused") }
    /// A configuration value is outside what is accepted.
    public static var invalidParameter: Self { Self("invalidParameter") }
    /// The store, the registry or a file failed.
    public static var storage: Self { Self("storage") }
    /// The model could not compute an answer for an input: its graph failed on it or gave
    /// values that are not finite. Nothing is answered for those examples.
    public static var modelFailure: Self { Self("modelFailure") }
}
