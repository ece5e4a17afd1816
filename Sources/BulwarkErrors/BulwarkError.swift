/// The one error design every Bulwark module follows: a stable code, a one-line message a person
/// can act on, and the error that caused it, if any.
///
/// Each module names its errors with one line, `typealias DataError = ModuleError<DataErrorDomain>`
/// (``ModuleError``), and lists its codes in an extension of ``ErrorCode``; a module whose errors
/// carry more than a message (`PrivacyError` names a parameter, `SigningError` lists file
/// differences) declares its own conforming struct. The shape is swift-nio's and swift-crypto's:
///
/// - `code` is a struct wrapping a private enum, not a public enum, so a new code is not a
///   source-breaking change: compare with `error.code == .io`, or `switch` with a `default:`.
/// - `message` is one printable line (control characters escaped, at most 400 characters; see
///   `String.oneLine(limit:)`), sanitised when the error is made, so a hostile file name can
///   neither break a log line nor flood it. It names what failed and what was expected.
/// - `underlying` keeps the error that caused this one (another module's error, a system error),
///   so a wrapper never flattens its cause to a string.
///
/// Equality (where a conforming type is `Equatable`) compares the code and the message, never
/// `underlying`, which need not be `Equatable`.
///
/// ```swift
/// enum ExampleDomain: ErrorDomain {}
/// typealias ExampleError = ModuleError<ExampleDomain>
/// let cause = ExampleError(.init("io"), "weights.bin: cannot read (Permission denied)")
/// let error = ExampleError(.init("malformed"), "model.zip: cannot load", underlying: cause)
/// if error.code == .init("malformed") { print(error) }  // one line: the message, then its cause
/// ```
public protocol BulwarkError: Error, CustomStringConvertible {
    /// The kind of failure: a small `Hashable` struct whose `description` is a stable short name
    /// (such as `io`), for branching and for machine-readable output.
    associatedtype Code: Hashable, Sendable, CustomStringConvertible
    /// The kind of failure, for callers that branch on it.
    var code: Code { get }
    /// One printable line naming what failed and what was expected.
    var message: String { get }
    /// The error that caused this one, kept whole; `nil` when this error is the origin.
    var underlying: (any Error)? { get }
}

extension BulwarkError {
    /// One line for a person: ``message``, then `": "` and the description of the
    /// ``underlying`` error when that is itself a ``BulwarkError`` whose text the message does
    /// not already quote.
    ///
    /// - If the message already contains the cause's whole description, the message alone.
    /// - If it contains only the cause's own message (the cause has a cause of its own), the
    ///   message followed by the rest of the cause's description, so no text appears twice.
    /// - A cause from outside Bulwark (Foundation, the system, another package) is kept in
    ///   ``underlying`` for code but never appended: its description can be a multi-line dump or
    ///   quote raw input. The throwing site puts what a person needs (say, the system's reason)
    ///   in the message.
    public var description: String { describing(message) }

    /// `text`, then the part of the ``underlying`` Bulwark error's description that `text` does
    /// not already quote, by the rules of ``description``; for types whose description adds to
    /// the message (`PrivacyError` prefixes the parameter).
    package func describing(_ text: String) -> String {
        guard let cause = underlying as? any BulwarkError else { return text }
        let causeText = cause.description.oneLine()
        if causeText.isEmpty || text.contains(causeText) { return text }
        let causeMessage = cause.message
        if !causeMessage.isEmpty, text.contains(causeMessage), causeText.hasPrefix(causeMessage) {
            return text + causeText.dropFirst(causeMessage.count)
        }
        return "\(text): \(causeText)"
    }
}

/// A module's kind of error: an uninhabited type that only tells one module's ``ErrorCode``s and
/// ``ModuleError``s from another's (`DataErrorDomain`, `ModelErrorDomain`, …).
public protocol ErrorDomain: Sendable {}

/// The kind of a ``ModuleError``: a stable short name such as `io`.
///
/// A struct, not an enum, so that a module adding a code does not break its callers' `switch`es:
/// compare with `==` or `switch` with a `default:`. Each module declares its codes once, as static
/// properties in an extension constrained to its domain
/// (`extension ErrorCode where Domain == DataErrorDomain { public static var io: Self { Self("io") } }`),
/// so `error.code == .io` reads as it would for an enum.
public struct ErrorCode<Domain: ErrorDomain>: Hashable, Sendable, CustomStringConvertible {
    /// The code's stable short name, such as `io`; what JSON output and logs show.
    public let description: String

    /// A code named `name`. Modules declare their codes once, as static properties; two codes
    /// of one domain are equal when their names are.
    public init(_ name: String) { description = name }
}

/// The error every Bulwark module throws: a ``code`` of the module's domain, a one-line
/// ``message`` and the ``underlying`` cause (see ``BulwarkError`` for the rules).
///
/// A module declares `public typealias DataError = ModuleError<DataErrorDomain>`, so callers
/// write `throws(DataError)`, `catch let error as DataError` and `error.code == .io` as for any
/// concrete type; two modules' errors are different types.
public struct ModuleError<Domain: ErrorDomain>: BulwarkError, Equatable {
    /// The module's kind of failure (see ``ErrorCode``).
    public typealias Code = ErrorCode<Domain>

    /// The kind of failure, for callers that branch on it.
    public let code: Code
    /// One printable line naming what failed and what was expected.
    public let message: String
    /// The error that caused this one, kept whole; `nil` when this error is the origin.
    public let underlying: (any Error)?

    /// An error of `code` caused by `underlying`; control characters in `message` are escaped
    /// and it is cut to 400 characters, so it stays one line whatever it quotes.
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
