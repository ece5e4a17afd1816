import BulwarkArchive
import Testing

/// A stand-in for a foreign (non-Bulwark) error, such as a Foundation or system error.
private struct ForeignError: Error, CustomStringConvertible {
    var description: String { "multi\nline\ndump" }
}

@Test func messagesAreOneLineAndBounded() {
    let error = ArchiveError(.malformed, "entry 'a\nb\u{1b}[31m\u{7f}'")
    #expect(error.message == "entry 'a\\nb\\u{1B}[31m\\u{7F}'")
    #expect(error.description == error.message)

    let long = ArchiveError(.io, String(repeating: "x", count: 5_000))
    #expect(long.message.unicodeScalars.count == 401)  // 400 kept, then "…"
    #expect(long.message.hasSuffix("…"))

    #expect("plain text, ünïcode ok".oneLine() == "plain text, ünïcode ok")
    #expect("\u{85}".oneLine() == "\\u{0085}")  // C1 control
    #expect("abcdef".oneLine(limit: 3) == "abc…")
}

@Test func underlyingIsKeptAndNotCompared() throws {
    let cause = ArchiveError(.checksumMismatch, "weights.bin: CRC-32 mismatch")
    let wrapped = ArchiveError(.malformed, "model.zip: cannot read an entry", underlying: cause)
    let kept = try #require(wrapped.underlying as? ArchiveError)
    #expect(kept.code == .checksumMismatch)
    #expect(kept == cause)
    // Equality compares code and message only.
    #expect(wrapped == ArchiveError(.malformed, "model.zip: cannot read an entry"))
    #expect(wrapped != ArchiveError(.io, "model.zip: cannot read an entry"))
}

@Test func descriptionAppendsOnlyWhatTheMessageDoesNotQuote() {
    let cause = ArchiveError(.truncated, "weights.bin: ends at byte 12")
    // The message does not quote the cause: it is appended after ": ".
    #expect(ArchiveError(.malformed, "model.zip: cannot read", underlying: cause).description
        == "model.zip: cannot read: weights.bin: ends at byte 12")
    // The message already quotes it (the usual way a wrapper is written): nothing is repeated.
    let quoting = ArchiveError(.malformed, "model.zip: \(cause.message)", underlying: cause)
    #expect(quoting.description == quoting.message)
    // A chain: the outer message quotes the middle message; only the innermost cause is added.
    let middle = ArchiveError(.malformed, "entry 'w'", underlying: cause)
    let outer = ArchiveError(.io, "cannot load: entry 'w'", underlying: middle)
    #expect(outer.description == "cannot load: entry 'w': weights.bin: ends at byte 12")
    // A foreign cause is kept but its (possibly multi-line) text is never appended.
    let foreign = ArchiveError(.io, "x.bin: cannot read (Permission denied)", underlying: ForeignError())
    #expect(foreign.description == "x.bin: cannot read (Permission denied)")
    #expect(foreign.underlying is ForeignError)
}

@Test func codesAreNonFrozenValuesWithStableNames() {
    let error = ArchiveError(.encrypted, "secret.bin: encrypted entry")
    #expect(error.code == .encrypted)
    #expect(error.code.description == "encrypted")
    // A switch needs a default: new codes are not a source-breaking change.
    let handled: Bool = switch error.code {
    case .encrypted, .unsupported: true
    default: false
    }
    #expect(handled)
    // Through the protocol, code, message and cause are reachable without knowing the type.
    let any: any BulwarkError = error
    #expect("\(any.code)" == "encrypted")
    #expect(any.message == "secret.bin: encrypted entry")
    #expect(any.underlying == nil)
}
