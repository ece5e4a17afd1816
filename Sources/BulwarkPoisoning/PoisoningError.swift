public import BulwarkArchive

/// An error from the data-poisoning module: an attack, detector or data check that cannot run
/// on the inputs it was given.
///
/// Messages are one line: they name the option or file that failed and what was expected.
///
/// Follows the package's error design (`BulwarkError`): a non-frozen ``Code``, a one-line
/// ``message`` (sanitised when the error is made) and the ``underlying`` error that caused it.
/// Equality compares ``code`` and ``message``, never ``underlying``.
public struct PoisoningError: BulwarkError, Equatable {
    /// The kind of failure, for callers that branch on it. New codes may be added: compare with
    /// `==`, or `switch` with a `default:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case invalidParameter, shapeMismatch, io, dataChanged
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A parameter is outside what the attack or detector accepts (a rate above 1, a trigger
        /// that does not fit the image, a target class the labels do not have).
        public static let invalidParameter = Code(.invalidParameter)
        /// Inputs, labels, model or trigger disagree in shape or count.
        public static let shapeMismatch = Code(.shapeMismatch)
        /// A file is missing or cannot be read or written.
        public static let io = Code(.io)
        /// Data no longer matches the digests recorded for it in a manifest.
        public static let dataChanged = Code(.dataChanged)

        /// A short stable name of the code, such as `invalidParameter`.
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

    /// Equal when code and message are; ``underlying`` is not compared.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
}
