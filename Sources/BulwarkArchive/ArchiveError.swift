/// An error raised while reading a file, a compressed stream or a ZIP archive.
///
/// Messages are one line and name what failed (file, entry, field) and what was expected.
/// Errors never carry more than a short excerpt of the input, so they are safe to log.
///
/// Follows the package's error design (``BulwarkError``): a non-frozen ``Code``, a one-line
/// ``message`` (sanitised when the error is made) and the ``underlying`` error that caused it.
/// Equality compares ``code`` and ``message``, never ``underlying``.
public struct ArchiveError: BulwarkError, Equatable {
    /// The kind of failure, for callers that branch on it. New codes may be added: compare with
    /// `==`, or `switch` with a `default:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case io, truncated, malformed, limitExceeded, unsupported, checksumMismatch, encrypted
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// The operating system refused to open or read a file.
        public static let io = Code(.io)
        /// The input ends before a structure it declares.
        public static let truncated = Code(.truncated)
        /// The input violates its format.
        public static let malformed = Code(.malformed)
        /// A size limit chosen by the caller (or a default) would be exceeded.
        public static let limitExceeded = Code(.limitExceeded)
        /// The input uses a feature this module does not implement (e.g. a compression method).
        public static let unsupported = Code(.unsupported)
        /// A CRC-32 or length check failed after decompression.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// The entry is encrypted; it is never decrypted.
        public static let encrypted = Code(.encrypted)

        /// A short stable name of the code, such as `io`.
        public var description: String { kind.rawValue }
    }

    /// The failure kind.
    public let code: Code
    /// One line naming what failed and what was expected.
    public let message: String
    /// The error that caused this one, if any.
    public let underlying: (any Error)?

    /// Creates an error of `code` caused by `underlying`; control characters in `message` are
    /// escaped and it is cut to 400 characters, so it stays one line whatever it quotes.
    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message.oneLine()
        self.underlying = underlying
    }

    /// One line: the message, then the part of the cause's description it does not already
    /// quote (the rules are on `BulwarkError.description`).
    public var description: String { describing(message) }

    /// Equal when code and message are; ``underlying`` is not compared.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
}
