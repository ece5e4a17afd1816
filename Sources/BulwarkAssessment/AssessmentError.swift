public import BulwarkArchive

/// An assessment that could not run; one line naming what failed.
///
/// Follows the package's error design (`BulwarkError`): a non-frozen ``Code``, a one-line
/// ``message`` (sanitised when the error is made) and the ``underlying`` error that caused it.
/// Equality compares ``code`` and ``message``, never ``underlying``.
public struct AssessmentError: BulwarkError, Equatable {
    /// The kind of failure, for callers that branch on it. New codes may be added: compare with
    /// `==`, or `switch` with a `default:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case failed, invalidConfiguration, io
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A stage of the assessment failed; ``AssessmentError/underlying`` holds the module error
        /// (the code of ``AssessmentError/init(_:underlying:)``).
        public static let failed = Code(.failed)
        /// The configuration is not acceptable.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A file or directory could not be read or written.
        public static let io = Code(.io)

        /// A short stable name of the code, such as `failed`.
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
