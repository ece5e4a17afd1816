@_exported public import BulwarkErrors

/// An error from the access module: identity (passwords, MFA, tokens, sessions),
/// authorization policies, or the audit log.
///
/// Messages are one line: they say what was refused or malformed, never a secret (a password,
/// a TOTP code, a token) that caused it.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias AccessError = ModuleError<AccessErrorDomain>

/// The domain of ``AccessError``: tells its codes from other modules'.
public enum AccessErrorDomain: ErrorDomain {}

extension ErrorCode<AccessErrorDomain> {
    /// A parameter is outside what is accepted (argon2 memory below RFC 9106's floor, a TOTP
    /// period of zero, an empty role name).
    public static var invalidParameter: Self { Self("invalidParameter") }
    /// Bytes or text violate their format (a PHC hash string, a policy file, a signed note).
    public static var malformed: Self { Self("malformed") }
    /// A credential did not verify (wrong password, wrong or replayed code, unknown token).
    public static var unauthenticated: Self { Self("unauthenticated") }
    /// The account is locked or throttled after failed attempts.
    public static var throttled: Self { Self("throttled") }
    /// A credential, session or token has expired or was revoked.
    public static var expired: Self { Self("expired") }
    /// The audit log does not verify: an entry was modified, deleted, reordered or truncated,
    /// or a checkpoint's signature or a proof fails.
    public static var tampered: Self { Self("tampered") }
    /// A file is missing or cannot be read or written (a policy, a key, a checkpoint).
    public static var io: Self { Self("io") }
    /// The underlying store failed.
    public static var storage: Self { Self("storage") }
}
