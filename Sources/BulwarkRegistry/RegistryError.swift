@_exported public import BulwarkErrors

/// An error from the model registry: an upload over its limit, a version that fails a gate,
/// a promotion the stage rules or the two-person rule refuse, a missing model or version.
///
/// Messages are one line: they name the model, version and rule that refused.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias RegistryError = ModuleError<RegistryErrorDomain>

/// The domain of ``RegistryError``: tells its codes from other modules'.
public enum RegistryErrorDomain: ErrorDomain {}

extension ErrorCode<RegistryErrorDomain> {
    /// No such model or version.
    public static var notFound: Self { Self("notFound") }
    /// The name or version already exists.
    public static var conflict: Self { Self("conflict") }
    /// A gate refused the version (scan, signature, attestation).
    public static var gateFailed: Self { Self("gateFailed") }
    /// A stage change the rules refuse (wrong order, two-person rule, stale MFA, revoked).
    public static var refused: Self { Self("refused") }
    /// An upload is over its size limit or its bytes do not match the declared digest.
    public static var invalidUpload: Self { Self("invalidUpload") }
    /// A parameter is outside what is accepted (an empty name, a bad stage).
    public static var invalidParameter: Self { Self("invalidParameter") }
    /// The store or the blob directory failed.
    public static var storage: Self { Self("storage") }
}
