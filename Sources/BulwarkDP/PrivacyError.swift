@_exported public import BulwarkErrors

/// An error from the differential-privacy module: names the parameter that failed and what was expected.
///
/// Follows the package's error design (`BulwarkError`): a non-frozen ``Code``, a one-line
/// ``message`` (sanitised when the error is made) and the ``underlying`` error that caused it.
/// Equality compares ``code``, ``parameter`` and ``message``, never ``underlying``.
public struct PrivacyError: BulwarkError, Equatable {
    /// The kind of failure, for callers that branch on it. New codes may be added: compare with
    /// `==`, or `switch` with a `default:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case invalidParameter, budgetExceeded
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A parameter or input is outside what the method accepts (the code of
        /// ``PrivacyError/init(parameter:message:)``).
        public static let invalidParameter = Code(.invalidParameter)
        /// Spending would exceed a privacy budget.
        public static let budgetExceeded = Code(.budgetExceeded)

        /// A short stable name of the code, such as `invalidParameter`.
        public var description: String { kind.rawValue }
    }

    /// The failure kind.
    public let code: Code
    /// The parameter or quantity that was invalid (for example `samplingRate`); may be empty.
    public let parameter: String
    /// One line saying what was expected.
    public let message: String
    /// The error that caused this one, if any.
    public let underlying: (any Error)?

    /// Creates an ``Code/invalidParameter`` error for `parameter` with a one-line `message`.
    public init(parameter: String, message: String) {
        self.init(.invalidParameter, parameter: parameter, message: message)
    }

    /// Creates an error of `code` for `parameter`, caused by `underlying`; `parameter` and
    /// `message` are made one line (control characters escaped, at most 400 characters).
    public init(_ code: Code, parameter: String, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.parameter = parameter.oneLine()
        self.message = message.oneLine()
        self.underlying = underlying
    }

    /// Creates an error of `code` that names no parameter, caused by `underlying`.
    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.init(code, parameter: "", message: message, underlying: underlying)
    }

    /// The one-line message shown to a person: `invalid <parameter>: <message>` (just the
    /// message when no parameter is named), then the cause it does not already quote.
    public var description: String {
        describing(parameter.isEmpty ? message : "invalid \(parameter): \(message)")
    }

    /// Equal when code, parameter and message are; ``underlying`` is not compared.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.parameter == rhs.parameter && lhs.message == rhs.message
    }
}
