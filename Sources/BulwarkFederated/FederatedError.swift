@_exported public import BulwarkErrors

/// An error from the federated-learning module: an update, a round or a parameter that the
/// coordinator, an aggregator or a client cannot accept.
///
/// Messages are one line naming what failed and what was expected. A ``ModuleError`` of the
/// package's one error design (`BulwarkError`): a non-frozen code, a one-line `message` and the
/// `underlying` error that caused it; equality compares code and message, never the cause.
public typealias FederatedError = ModuleError<FederatedErrorDomain>

/// The domain of ``FederatedError``: tells its codes from other modules'.
public enum FederatedErrorDomain: ErrorDomain {}

extension ErrorCode<FederatedErrorDomain> {
    /// A parameter is outside what the method accepts (a trimming fraction of one half or more,
    /// a Krum `f` that leaves too few clients, a clipping norm of zero).
    public static var invalidParameter: Self { Self("invalidParameter") }
    /// Updates disagree with the global model or each other in shape.
    public static var shapeMismatch: Self { Self("shapeMismatch") }
    /// Too few clients answered the round to aggregate (below the minimum or the threshold).
    public static var notEnoughClients: Self { Self("notEnoughClients") }
    /// An update, a message or a file is malformed or not finite.
    public static var malformed: Self { Self("malformed") }
    /// A file is missing or cannot be read or written.
    public static var io: Self { Self("io") }
}
