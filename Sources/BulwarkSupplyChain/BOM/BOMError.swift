public import BulwarkArchive

/// Why an ML-BOM could not be made: one line naming the file or field and what was expected.
///
/// Follows the package's error design (`BulwarkError`): a non-frozen ``Code``, a one-line
/// ``message`` (sanitised when the error is made) and the ``underlying`` error that caused it.
/// Equality compares ``code`` and ``message``, never ``underlying``.
public struct BOMError: BulwarkError, Equatable {
    /// The kind of failure, for callers that branch on it. New codes may be added: compare with
    /// `==`, or `switch` with a `default:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case invalidInput, io
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A model card, option or model file is not acceptable (the code of
        /// ``BOMError/init(_:underlying:)``).
        public static let invalidInput = Code(.invalidInput)
        /// A file could not be read.
        public static let io = Code(.io)

        /// A short stable name of the code, such as `invalidInput`.
        public var description: String { kind.rawValue }
    }

    /// The failure kind.
    public let code: Code
    /// One line naming what failed and what was expected.
    public let message: String
    /// The error that caused this one, if any.
    public let underlying: (any Error)?

    /// Creates an ``Code/invalidInput`` error with a one-line message.
    public init(_ message: String, underlying: (any Error)? = nil) {
        self.init(.invalidInput, message, underlying: underlying)
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

extension BOMError {
    /// Wraps an error from reading, hashing or decoding through the signing module: code
    /// ``Code/io`` for a file that could not be read, ``Code/invalidInput`` otherwise; the
    /// message is kept and the error is the cause.
    init(_ error: SigningError) {
        self.init(error.code == .io ? .io : .invalidInput, error.message, underlying: error)
    }
}
