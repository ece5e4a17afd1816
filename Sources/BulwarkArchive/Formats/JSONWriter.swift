/// Serializes `JSONValue`s: compact (`{"a":1}`) or indented like Python's `json.dumps(indent=2)`.
/// Strings are escaped as `serde_json` escapes them (`\"`, `\\`, `\b \f \n \r \t`, other
/// control characters as `\u00xx`, everything else as UTF-8), so a safetensors header written
/// here is byte-identical to the Python package's.
package enum JSONWriter {
    /// The layout of the output.
    package enum Style: Sendable {
        /// No whitespace: `{"a":[1]}`, as `serde_json` and `json.dumps(separators=(",", ":"))` write.
        case compact
        /// One member or element a line, indented by this many spaces a level, `": "` after keys.
        case indented(Int)
    }

    /// The UTF-8 bytes of `value` in `style`; members are written in their stored order.
    package static func encode(_ value: JSONValue, style: Style) -> [UInt8] {
        var out: [UInt8] = []
        write(value, style: style, level: 0, into: &out)
        return out
    }

    private static func newline(_ style: Style, level: Int, into out: inout [UInt8]) {
        guard case .indented(let width) = style else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: width * level))
    }

    private static func write(_ value: JSONValue, style: Style, level: Int, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            guard !elements.isEmpty else { out.append(UInt8(ascii: "]")); return }
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(style, level: level + 1, into: &out)
                write(element, style: style, level: level + 1, into: &out)
            }
            newline(style, level: level, into: &out)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            guard !members.isEmpty else { out.append(UInt8(ascii: "}")); return }
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(style, level: level + 1, into: &out)
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if case .indented = style { out.append(UInt8(ascii: " ")) }
                write(member.value, style: style, level: level + 1, into: &out)
            }
            newline(style, level: level, into: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
