public import BulwarkArchive

/// An error raised while reading, validating or writing a dataset or array file.
///
/// Messages are one line: they name the file (or entry) and the field that failed, and
/// what was expected.
///
/// Follows the package's error design (`BulwarkError`): a non-frozen ``Code``, a one-line
/// ``message`` (sanitised when the error is made) and the ``underlying`` error that caused it.
/// Equality compares ``code`` and ``message``, never ``underlying``.
public struct DataError: BulwarkError, Equatable {
    /// The kind of failure, for callers that branch on it. New codes may be added: compare with
    /// `==`, or `switch` with a `default:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case io, malformed, unsupported, limitExceeded, shapeMismatch
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A file is missing or cannot be read or written.
        public static let io = Code(.io)
        /// The bytes violate their format.
        public static let malformed = Code(.malformed)
        /// A valid but unsupported feature (dtype, Fortran order, object arrays).
        public static let unsupported = Code(.unsupported)
        /// A size limit would be exceeded.
        public static let limitExceeded = Code(.limitExceeded)
        /// Shapes, counts or labels disagree.
        public static let shapeMismatch = Code(.shapeMismatch)

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
