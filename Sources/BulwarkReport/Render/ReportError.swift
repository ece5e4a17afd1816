public import BulwarkArchive

/// An error writing a report.
///
/// Follows the package's error design (`BulwarkError`): a non-frozen ``Code``, a one-line
/// ``message`` (sanitised when the error is made) and the ``underlying`` error that caused it.
/// Equality compares ``code`` and ``message``, never ``underlying``.
public struct ReportError: BulwarkError, Equatable {
    /// The kind of failure, for callers that branch on it. New codes may be added: compare with
    /// `==`, or `switch` with a `default:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case io, failed
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A report file or directory could not be written.
        public static let io = Code(.io)
        /// The report could not be made (the code of ``ReportError/init(_:underlying:)``).
        public static let failed = Code(.failed)

        /// A short stable name of the code, such as `io`.
        public var description: String { kind.rawValue }
    }

    /// The failure kind.
    public let code: Code
    /// One line naming what failed and what was expected.
    public let message: String
    /// The error that caused this one, if any.
    public let underlying: (any Error)?

    /// Creates a ``Code/failed`` error with a one-line message.
    public init(_ message: String, underlying: (any Error)? = nil) {
        self.init(.failed, message, underlying: underlying)
    }

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
