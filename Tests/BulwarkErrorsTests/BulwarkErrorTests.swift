import BulwarkErrors
import Testing

/// A domain of this file's own, as a module declares one.
private enum SampleErrorDomain: ErrorDomain {}
private typealias SampleError = ModuleError<SampleErrorDomain>
extension ErrorCode<SampleErrorDomain> {
    fileprivate static var io: Self { Self("io") }
    fileprivate static var malformed: Self { Self("malformed") }
    fileprivate static var truncated: Self { Self("truncated") }
    fileprivate static var checksumMismatch: Self { Self("checksumMismatch") }
    fileprivate static var encrypted: Self { Self("encrypted") }
    fileprivate static var unsupported: Self { Self("unsupported") }
}

/// A stand-in for a foreign (non-Bulwark) error, such as a Foundation or system error.
private struct ForeignError: Error, CustomStringConvertible {
    var description: String { "multi\nline\ndump" }
}

@Test func messagesAreOneLineAndBounded() {
    let error = SampleError(.malformed, "entry 'a\nb\u{1b}[31m\u{7f}'")
    #expect(error.message == "entry 'a\\nb\\u{1B}[31m\\u{7F}'")
    #expect(error.description == error.message)

    let long = SampleError(.io, String(repeating: "x", count: 5_000))
    #expect(long.message.unicodeScalars.count == 401)  // 400 kept, then "…"
    #expect(long.message.hasSuffix("…"))

    #expect("plain text, ünïcode ok".oneLine() == "plain text, ünïcode ok")
    #expect("\u{85}".oneLine() == "\\u{0085}")  // C1 control
    #expect("abcdef".oneLine(limit: 3) == "abc…")
}

@Test func underlyingIsKeptAndNotCompared() throws {
    let cause = SampleError(.checksumMismatch, "weights.bin: CRC-32 mismatch")
    let wrapped = SampleError(.malformed, "model.zip: cannot read an entry", underlying: cause)
    let kept = try #require(wrapped.underlying as? SampleError)
    #expect(kept.code == .checksumMismatch)
    #expect(kept == cause)
    // Equality compares code and message only.
    #expect(wrapped == SampleError(.malformed, "model.zip: cannot read an entry"))
    #expect(wrapped != SampleError(.io, "model.zip: cannot read an entry"))
}

@Test func descriptionAppendsOnlyWhatTheMessageDoesNotQuote() {
    let cause = SampleError(.truncated, "weights.bin: ends at byte 12")
    // The message does not quote the cause: it is appended after ": ".
    #expect(SampleError(.malformed, "model.zip: cannot read", underlying: cause).description
        == "model.zip: cannot read: weights.bin: ends at byte 12")
    // The message already quotes it (the usual way a wrapper is written): nothing is repeated.
    let quoting = SampleError(.malformed, "model.zip: \(cause.message)", underlying: cause)
    #expect(quoting.description == quoting.message)
    // A chain: the outer message quotes the middle message; only the innermost cause is added.
    let middle = SampleError(.malformed, "entry 'w'", underlying: cause)
    let outer = SampleError(.io, "cannot load: entry 'w'", underlying: middle)
    #expect(outer.description == "cannot load: entry 'w': weights.bin: ends at byte 12")
    // A foreign cause is kept but its (possibly multi-line) text is never appended.
    let foreign = SampleError(.io, "x.bin: cannot read (Permission denied)", underlying: ForeignError())
    #expect(foreign.description == "x.bin: cannot read (Permission denied)")
    #expect(foreign.underlying is ForeignError)
}

@Test func codesAreNonFrozenValuesWithStableNames() {
    let error = SampleError(.encrypted, "secret.bin: encrypted entry")
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

/// Another domain: its errors are another type, and equal names do not make equal codes across it.
private enum OtherErrorDomain: ErrorDomain {}

@Test func domainsKeepModulesErrorsApart() {
    let sample = SampleError(.io, "x: cannot read")
    let other = ModuleError<OtherErrorDomain>(ErrorCode("io"), "x: cannot read")
    #expect(sample.code.description == other.code.description)
    let caught: Bool
    do { throw other } catch let error as SampleError { caught = error.code == .io } catch { caught = false }
    #expect(!caught)  // a catch for one module's errors does not catch another's
}
