public import BulwarkArchive

/// Errors raised while building, loading or running a model.
///
/// Follows the package's error design (`BulwarkError`): a non-frozen ``Code``, a one-line
/// ``message`` (sanitised when the error is made) and the ``underlying`` error that caused it.
/// Equality compares ``code`` and ``message``, never ``underlying``.
public struct ModelError: BulwarkError, Equatable {
    /// The kind of failure, for callers that branch on it. New codes may be added: compare with
    /// `==`, or `switch` with a `default:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case shapeMismatch, parameterMismatch, unknownArchitecture, io, malformed, training
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// An input shape the model cannot take.
        public static let shapeMismatch = Code(.shapeMismatch)
        /// A parameter is missing, extra or of the wrong shape in a weights file.
        public static let parameterMismatch = Code(.parameterMismatch)
        /// An unknown architecture or layer.
        public static let unknownArchitecture = Code(.unknownArchitecture)
        /// A file could not be read or written.
        public static let io = Code(.io)
        /// A model file is malformed.
        public static let malformed = Code(.malformed)
        /// A training procedure could not train (invalid settings, a layer it cannot handle).
        public static let training = Code(.training)

        /// A short stable name of the code, such as `shapeMismatch`.
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
