/// The Python literals an `.npy` header uses: strings, integers, `True`/`False`/`None`,
/// tuples, lists and dicts with string keys.
package enum PythonLiteral: Sendable, Equatable, CustomStringConvertible {
    /// `'text'` or `"text"`.
    case string(String)
    /// An integer that fits in 64 bits (a Python 2 `L` suffix is accepted).
    case int(Int)
    /// `True` or `False`.
    case bool(Bool)
    /// `None`.
    case none
    /// `( … )`.
    case tuple([PythonLiteral])
    /// `[ … ]`.
    case list([PythonLiteral])
    /// `{ 'key': value, … }`, entries in written order (a repeated key keeps each entry).
    case dict([(String, PythonLiteral)])

    /// Equal when written the same way.
    package static func == (a: PythonLiteral, b: PythonLiteral) -> Bool { a.description == b.description }

    /// The literal written back as Python.
    package var description: String {
        switch self {
        case .string(let s): "'\(s)'"
        case .int(let n): String(n)
        case .bool(let b): b ? "True" : "False"
        case .none: "None"
        case .tuple(let items): "(" + items.map(\.description).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .dict(let entries): "{" + entries.map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A recursive-descent parser of Python literals over bytes: nesting bounded by `maxDepth`,
/// integers bounded to 64 bits, nothing evaluated, nothing trapping.
package struct PythonLiteralParser {
    private let bytes: [UInt8]
    private let maxDepth: Int
    private var i = 0

    /// A parser at the start of `bytes`.
    package init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0a || bytes[i] == 0x0d { i += 1 }
    }

    private func fail(_ what: String) -> ArchiveError { ArchiveError(.malformed, "npy: header \(what) at byte \(i)") }

    /// Throws unless only whitespace is left.
    package mutating func expectEnd() throws(ArchiveError) {
        skipSpace()
        guard i == bytes.count else { throw fail("has data after the dict") }
    }

    /// The literal at the current position, `depth` levels deep.
    package mutating func value(depth: Int) throws(ArchiveError) -> PythonLiteral {
        guard depth < maxDepth else { throw fail("nests deeper than \(maxDepth)") }
        skipSpace()
        guard i < bytes.count else { throw fail("ends early") }
        let c = bytes[i]
        switch c {
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            i += 1
            var items: [PythonLiteral] = []
            while true {
                skipSpace()
                guard i < bytes.count else { throw fail("ends inside a sequence") }
                if bytes[i] == close {
                    i += 1
                    return close == UInt8(ascii: ")") ? .tuple(items) : .list(items)
                }
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("ends inside a sequence") }
                if bytes[i] == UInt8(ascii: ",") { i += 1 } else if bytes[i] != close { throw fail("expects ',' or a closing bracket") }
            }
        case UInt8(ascii: "{"):
            i += 1
            var entries: [(String, PythonLiteral)] = []
            while true {
                skipSpace()
                guard i < bytes.count else { throw fail("ends inside the dict") }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .dict(entries) }
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expects ':'") }
                i += 1
                entries.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard i < bytes.count else { throw fail("ends inside the dict") }
                if bytes[i] == UInt8(ascii: ",") { i += 1 } else if bytes[i] != UInt8(ascii: "}") { throw fail("expects ',' or '}'") }
            }
        case UInt8(ascii: "-"), 0x30...0x39: return .int(try integer())
        default:
            for (word, literal) in [("True", PythonLiteral.bool(true)), ("False", .bool(false)), ("None", .none)] {
                let w = Array(word.utf8)
                if bytes.count - i >= w.count, bytes[i..<(i + w.count)].elementsEqual(w) { i += w.count; return literal }
            }
            throw fail("has an unexpected character")
        }
    }

    private mutating func string() throws(ArchiveError) -> String {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "'") || bytes[i] == UInt8(ascii: "\"") else { throw fail("expects a string") }
        let quote = bytes[i]
        i += 1
        var out: [UInt8] = []
        while i < bytes.count, bytes[i] != quote {
            if bytes[i] == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { break }
            }
            out.append(bytes[i])
            i += 1
        }
        guard i < bytes.count else { throw fail("ends inside a string") }
        i += 1
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func integer() throws(ArchiveError) -> Int {
        var negative = false
        if bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var n = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(bytes[i] - 0x30))
            guard !o1, !o2 else { throw fail("holds an integer beyond 64 bits") }
            n = a
            digits += 1
            i += 1
        }
        guard digits > 0 else { throw fail("has a '-' without digits") }
        if i < bytes.count, bytes[i] == UInt8(ascii: "L") { i += 1 }  // Python 2 long
        return negative ? -n : n
    }
}
