@_exported public import BulwarkErrors

/// An error from the cryptography module: a share, key, ciphertext or parameter that a protocol
/// step cannot accept.
///
/// Messages are one line naming what failed and what was expected. A ``ModuleError`` of the
/// package's one error design (`BulwarkError`): a non-frozen code, a one-line `message` and the
/// `underlying` error that caused it; equality compares code and message, never the cause.
public typealias CryptoError = ModuleError<CryptoErrorDomain>

/// The domain of ``CryptoError``: tells its codes from other modules'.
public enum CryptoErrorDomain: ErrorDomain {}

extension ErrorCode<CryptoErrorDomain> {
    /// A parameter is outside what the scheme accepts (a threshold above the party count, a
    /// field element out of range, a scale that overflows the modulus).
    public static var invalidParameter: Self { Self("invalidParameter") }
    /// Too few shares, keys or parties to finish (fewer survivors than the threshold).
    public static var insufficientShares: Self { Self("insufficientShares") }
    /// A signature, tag or consistency check failed: a party or the server misbehaved.
    public static var verificationFailed: Self { Self("verificationFailed") }
    /// A message is malformed (wrong length, unknown party, duplicate share).
    public static var malformed: Self { Self("malformed") }
    /// A party of a multi-party protocol is gone: its channel closed, or it sent nothing within
    /// the channel's timeout. The protocol run is aborted; its shares are useless.
    public static var partyUnavailable: Self { Self("partyUnavailable") }
    /// Homomorphic-encryption parameters below the 128-bit security standard, refused unless built
    /// through the explicit insecure-for-testing path.
    public static var insecureParameters: Self { Self("insecureParameters") }
    /// Homomorphic operands that do not fit together: different levels or scales, another context,
    /// a key that is not the one the ciphertext was made for, or a missing Galois key.
    public static var operandMismatch: Self { Self("operandMismatch") }
}
