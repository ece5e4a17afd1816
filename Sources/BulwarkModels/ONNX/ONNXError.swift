public import BulwarkArchive

/// Errors raised while loading, validating, running or exporting an ONNX model.
///
/// Every message is one line naming the file, node, tensor or field that failed and what was expected.
///
/// Follows the package's error design (`BulwarkError`): a non-frozen ``Code``, a one-line
/// ``message`` (sanitised when the error is made) and the ``underlying`` error that caused it.
/// Equality compares ``code`` and ``message``, never ``underlying``.
public struct ONNXError: BulwarkError, Equatable {
    /// The kind of failure, for callers that branch on it. New codes may be added: compare with
    /// `==`, or `switch` with a `default:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case io, malformed, unsupported, invalidGraph, unsafePath, shapeMismatch
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// The file could not be read, or is larger than the limit.
        public static let io = Code(.io)
        /// The bytes are not a well-formed ONNX protobuf, or a field has an impossible value.
        public static let malformed = Code(.malformed)
        /// The model uses an operator, opset, data type or attribute Bulwark does not support.
        public static let unsupported = Code(.unsupported)
        /// The graph is not a DAG, or refers to a value nothing produces.
        public static let invalidGraph = Code(.invalidGraph)
        /// An external-data location escapes the model's folder or is absolute.
        public static let unsafePath = Code(.unsafePath)
        /// Shapes of a node's inputs do not fit together.
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
