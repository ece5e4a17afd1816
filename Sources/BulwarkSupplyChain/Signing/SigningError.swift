@_exported public import BulwarkErrors

/// Why signing or verifying a model failed: a stable ``Code`` and a one-line message that names
/// the file, field or certificate at fault and what was expected.
///
/// Follows the package's error design (`BulwarkError`): a non-frozen ``Code``, a one-line
/// ``message`` (sanitised when the error is made) and the ``underlying`` error that caused it.
/// Equality compares ``code``, ``message`` and ``differences``, never ``underlying``.
///
/// When the model on disk does not match its signature, ``differences`` lists every file that
/// differs (code ``Code/modelMismatch``).
public struct SigningError: BulwarkError, Equatable {
    /// The kind of failure; branch on it to decide what to do, show ``message`` to a person.
    /// New codes may be added: compare with `==`, or `switch` with a `default:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case io, unsupportedPath, key, certificate, malformedSignature, signatureInvalid
            case keyMismatch, untrustedCertificate, payload, hashingMismatch, modelMismatch, reportMismatch
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A file could not be read or written.
        public static let io = Code(.io)
        /// The model holds something that cannot be hashed (symlink without permission, a socket, a non-UTF-8 name…).
        public static let unsupportedPath = Code(.unsupportedPath)
        /// A key file is unreadable, encrypted, or of an unsupported kind.
        public static let key = Code(.key)
        /// A certificate file or the certificates in a bundle are unreadable or unusable.
        public static let certificate = Code(.certificate)
        /// The signature file is not a Sigstore bundle of the expected shape.
        public static let malformedSignature = Code(.malformedSignature)
        /// The DSSE signature does not verify under the given key or certificate.
        public static let signatureInvalid = Code(.signatureInvalid)
        /// The bundle names a different public key than the one given.
        public static let keyMismatch = Code(.keyMismatch)
        /// The signing certificate does not chain to the given CA, or may not sign.
        public static let untrustedCertificate = Code(.untrustedCertificate)
        /// The signed in-toto statement is not a model-signing manifest.
        public static let payload = Code(.payload)
        /// The hashing options requested differ from the ones the signature was made with.
        public static let hashingMismatch = Code(.hashingMismatch)
        /// The signature is genuine but the model on disk differs from what was signed.
        public static let modelMismatch = Code(.modelMismatch)
        /// An attestation is genuine but the report given differs from the one it attests.
        public static let reportMismatch = Code(.reportMismatch)

        /// A short name of the code, such as `modelMismatch`.
        public var description: String { kind.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// One line naming what failed and what was expected.
    public let message: String
    /// For ``Code/modelMismatch``: every difference between the model and its manifest.
    public let differences: [ManifestDifference]
    /// The error that caused this one, if any.
    public let underlying: (any Error)?

    /// Makes an error of `code` with `message`, caused by `underlying`; control characters in
    /// `message` are escaped and it is cut to 400 characters, so it stays one line.
    public init(_ code: Code, _ message: String, differences: [ManifestDifference] = [], underlying: (any Error)? = nil) {
        self.code = code
        self.message = message.oneLine()
        self.differences = differences
        self.underlying = underlying
    }

    /// One line: the message, then the part of the cause's description it does not already
    /// quote (the rules are on `BulwarkError.description`).
    public var description: String { describing(message) }

    /// Equal when code, message and differences are; ``underlying`` is not compared.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.differences == rhs.differences
    }
}
