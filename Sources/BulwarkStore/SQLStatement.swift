/// One SQL statement with `?` placeholders and the values bound to them, in order.
///
/// Write `?` for every value, on both engines: the PostgreSQL backend rewrites them to `$1`, `$2`, …
/// (a `?` inside a string literal, a quoted identifier, a comment or a dollar-quoted body is left
/// alone). Never splice untrusted text into ``sql``; bind it.
///
/// ```swift
/// let insert = SQLStatement("INSERT INTO users (name, age) VALUES (?, ?)", ["alice", 42])
/// ```
public struct SQLStatement: Sendable, Hashable, ExpressibleByStringLiteral {
    /// The SQL text, with `?` placeholders.
    public var sql: String
    /// The values of the placeholders, in order of appearance.
    public var bindings: [SQLValue]

    /// A statement of `sql` whose placeholders take `bindings` in order.
    public init(_ sql: String, _ bindings: [SQLValue] = []) {
        self.sql = sql
        self.bindings = bindings
    }

    /// A statement without bindings.
    public init(stringLiteral sql: String) {
        self.init(sql)
    }

    /// The first words of ``sql`` (at most 60 characters, on one line), for error messages: enough
    /// to tell which statement failed, never any bound value.
    public var summary: String {
        let words = sql.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        return words.count <= 60 ? words : String(words.prefix(57)) + "..."
    }
}

/// Lexical helpers over SQL text that know where string literals, quoted identifiers, comments
/// and PostgreSQL dollar-quoted bodies begin and end.
package enum SQLText {
    /// `sql` with each `?` placeholder outside literals and comments replaced by `$1`, `$2`, …,
    /// and the number of placeholders found.
    package static func numberedPlaceholders(_ sql: String) -> (sql: String, count: Int) {
        var output: [UInt8] = []
        output.reserveCapacity(sql.utf8.count + 8)
        var count = 0
        scan(sql) { segment, isCode in
            guard isCode else {
                output.append(contentsOf: segment)
                return
            }
            for byte in segment {
                if byte == UInt8(ascii: "?") {
                    count += 1
                    output.append(UInt8(ascii: "$"))
                    output.append(contentsOf: String(count).utf8)
                } else {
                    output.append(byte)
                }
            }
        }
        return (String(decoding: output, as: UTF8.self), count)
    }

    /// The number of `?` placeholders outside literals and comments.
    package static func placeholderCount(_ sql: String) -> Int {
        var count = 0
        scan(sql) { segment, isCode in
            if isCode { count += segment.reduce(0) { $0 + ($1 == UInt8(ascii: "?") ? 1 : 0) } }
        }
        return count
    }

    /// The statements of a script, split at semicolons outside literals, comments and dollar
    /// quotes; blank statements (and statements that are only comments) are dropped.
    package static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current: [UInt8] = []
        var hasCode = false
        func finish() {
            if hasCode {
                let text = String(decoding: current, as: UTF8.self).trimmingWhitespace()
                if !text.isEmpty { statements.append(text) }
            }
            current.removeAll(keepingCapacity: true)
            hasCode = false
        }
        scan(script) { segment, isCode in
            guard isCode else {
                // a literal is code; a comment is not
                if let first = segment.first, first == UInt8(ascii: "'") || first == UInt8(ascii: "\"") || first == UInt8(ascii: "$") {
                    hasCode = true
                }
                current.append(contentsOf: segment)
                return
            }
            for byte in segment {
                if byte == UInt8(ascii: ";") {
                    finish()
                } else {
                    current.append(byte)
                    if !isWhitespace(byte) { hasCode = true }
                }
            }
        }
        finish()
        return statements
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    /// Calls `visit` with consecutive segments of `sql`'s UTF-8 bytes, each marked as code or as
    /// a literal/comment (quoted with `'…'`, `"…"`, `` `…` ``, `--…`, `/*…*/`, `$tag$…$tag$`).
    /// An unterminated literal runs to the end of the text (the engine reports the error).
    private static func scan(_ sql: String, _ visit: (ArraySlice<UInt8>, Bool) -> Void) {
        let bytes = Array(sql.utf8)
        var codeStart = 0
        var index = 0
        func flushCode(upTo end: Int) {
            if end > codeStart { visit(bytes[codeStart..<end], true) }
        }
        while index < bytes.count {
            let byte = bytes[index]
            var end: Int? = nil
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"):
                // doubled quotes inside are escapes: they close and reopen, which this loop handles
                var cursor = index + 1
                while cursor < bytes.count, bytes[cursor] != byte { cursor += 1 }
                end = min(cursor + 1, bytes.count)
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                var cursor = index + 2
                while cursor < bytes.count, bytes[cursor] != 0x0A { cursor += 1 }
                end = cursor
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                var cursor = index + 2
                while cursor + 1 < bytes.count, !(bytes[cursor] == UInt8(ascii: "*") && bytes[cursor + 1] == UInt8(ascii: "/")) {
                    cursor += 1
                }
                end = min(cursor + 2, bytes.count)
            case UInt8(ascii: "$"):
                // $tag$ … $tag$ (tag empty or an identifier not starting with a digit); `$1` is code
                var cursor = index + 1
                while cursor < bytes.count, isIdentifierByte(bytes[cursor]) { cursor += 1 }
                let tagIsValid = cursor < bytes.count && bytes[cursor] == UInt8(ascii: "$")
                    && (cursor == index + 1 || !(bytes[index + 1] >= UInt8(ascii: "0") && bytes[index + 1] <= UInt8(ascii: "9")))
                if tagIsValid {
                    let tag = bytes[index...cursor]
                    var search = cursor + 1
                    var closing = bytes.count
                    while search + tag.count <= bytes.count {
                        if bytes[search..<(search + tag.count)].elementsEqual(tag) {
                            closing = search + tag.count
                            break
                        }
                        search += 1
                    }
                    end = closing
                }
            default:
                break
            }
            if let end {
                flushCode(upTo: index)
                visit(bytes[index..<end], false)
                index = end
                codeStart = end
            } else {
                index += 1
            }
        }
        flushCode(upTo: bytes.count)
    }
}

extension String {
    /// The string without leading and trailing whitespace and newlines.
    package func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
