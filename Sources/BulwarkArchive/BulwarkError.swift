/// The one error design every Bulwark module follows: a stable code, a one-line message a person
/// can act on, and the error that caused it, if any.
///
/// Each module has its own conforming struct (``ArchiveError``, `DataError`, `ModelError`, …),
/// shaped as in swift-nio and swift-crypto:
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
/// do {
///     _ = try ZipArchive(source: try FileSource(path: "model.pt"))
/// } catch {
///     if error.code == .encrypted { print("encrypted entries are never opened") }
///     print(error)        // one line: the message, then the cause it does not already quote
/// }
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
