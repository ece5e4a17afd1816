/// The little JSON that Flower's object bodies use: a flat object of string values (names →
/// object ids, in order) and an `Array`'s metadata. A strict reader that keeps key order (a
/// dictionary would lose the order of a model's tensors) and writes what Python's `json.dumps`
/// writes for the same values (ASCII only, `", "` and `": "` separators).
enum FlowerJSON {
    /// `text` as a JSON string literal, non-ASCII escaped as `\uXXXX` like `json.dumps`.
    static func quote(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5c: out += "\\\\"
            case 0x0a: out += "\\n"
            case 0x0d: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0c: out += "\\f"
            case 0x20..<0x7f: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out + "\""
    }

    /// The metadata of a Flower `Array` object.
    struct ArrayMetadata {
        var dtype = "", stype = ""
        var shape: [Int] = []
        var chunkIndexes: [Int] = []
    }

    /// A JSON object whose values are all strings, as (key, value) pairs in order.
    static func stringMap(_ bytes: ArraySlice<UInt8>, what: String) throws(FederatedError) -> [(key: String, value: String)] {
        var reader = Reader(bytes: Array(bytes), what: what)
        var out: [(key: String, value: String)] = []
        try reader.object { key, reader throws(FederatedError) in out.append((key, try reader.string())) }
        try reader.end()
        return out
    }

    /// The `dtype`, `shape`, `stype` and `arraychunk_ids` of an `Array` body.
    static func arrayMetadata(_ bytes: ArraySlice<UInt8>, what: String) throws(FederatedError) -> ArrayMetadata {
        var reader = Reader(bytes: Array(bytes), what: what)
        var meta = ArrayMetadata()
        var seen = Set<String>()
        try reader.object { key, reader throws(FederatedError) in
            seen.insert(key)
            switch key {
            case "dtype": meta.dtype = try reader.string()
            case "stype": meta.stype = try reader.string()
            case "shape": meta.shape = try reader.integers()
            case "arraychunk_ids": meta.chunkIndexes = try reader.integers()
            default: throw reader.failure("unexpected key '\(key.prefix(40))'")
            }
        }
        try reader.end()
        guard seen.isSuperset(of: ["dtype", "stype", "shape", "arraychunk_ids"]) else {
            throw reader.failure("missing one of dtype, shape, stype, arraychunk_ids")
        }
        guard meta.shape.allSatisfy({ $0 >= 0 }), meta.chunkIndexes.allSatisfy({ $0 >= 0 }) else {
            throw reader.failure("negative dimension or chunk index")
        }
        return meta
    }

    struct Reader {
        let bytes: [UInt8]
        let what: String
        var position = 0

        func failure(_ reason: String) -> FederatedError {
            FederatedError(.malformed, "Flower \(what): bad JSON body (\(reason))")
        }

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[position]) { position += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(FederatedError) {
            skipSpace()
            guard position < bytes.count, bytes[position] == byte else {
                throw failure("expected '\(Character(Unicode.Scalar(byte)))' at byte \(position)")
            }
            position += 1
        }

        mutating func peek(_ byte: UInt8) -> Bool {
            skipSpace()
            return position < bytes.count && bytes[position] == byte
        }

        mutating func end() throws(FederatedError) {
            skipSpace()
            guard position == bytes.count else { throw failure("trailing bytes at \(position)") }
        }

        mutating func object(_ member: (String, inout Reader) throws(FederatedError) -> Void) throws(FederatedError) {
            try expect(0x7b)
            if peek(0x7d) { position += 1; return }
            while true {
                let key = try string()
                try expect(0x3a)
                try member(key, &self)
                if peek(0x2c) { position += 1; continue }
                try expect(0x7d)
                return
            }
        }

        mutating func integers() throws(FederatedError) -> [Int] {
            try expect(0x5b)
            var out: [Int] = []
            if peek(0x5d) { position += 1; return out }
            while true {
                skipSpace()
                let start = position
                if position < bytes.count, bytes[position] == 0x2d { position += 1 }
                while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
                guard position > start, position - start <= 18, let value = Int(String(decoding: bytes[start..<position], as: UTF8.self)) else {
                    throw failure("expected an integer at byte \(start)")
                }
                out.append(value)
                if peek(0x2c) { position += 1; continue }
                try expect(0x5d)
                return out
            }
        }

        mutating func string() throws(FederatedError) -> String {
            try expect(0x22)
            var units: [UInt16] = []
            while true {
                guard position < bytes.count else { throw failure("unterminated string") }
                let byte = bytes[position]
                position += 1
                switch byte {
                case 0x22:
                    return String(decoding: units, as: UTF16.self)
                case 0x5c:
                    guard position < bytes.count else { throw failure("unterminated escape") }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case 0x22, 0x5c, 0x2f: units.append(UInt16(escape))
                    case 0x62: units.append(0x08)
                    case 0x66: units.append(0x0c)
                    case 0x6e: units.append(0x0a)
                    case 0x72: units.append(0x0d)
                    case 0x74: units.append(0x09)
                    case 0x75:
                        guard position + 4 <= bytes.count,
                              let unit = UInt16(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16) else {
                            throw failure("bad \\u escape at byte \(position)")
                        }
                        units.append(unit)
                        position += 4
                    default: throw failure("bad escape at byte \(position - 1)")
                    }
                case 0..<0x20:
                    throw failure("control character in a string at byte \(position - 1)")
                case 0x80...:
                    // UTF-8 sequences: decode the run of non-ASCII bytes as one piece.
                    var end = position
                    while end < bytes.count, bytes[end] >= 0x80 { end += 1 }
                    guard let text = String(validating: bytes[(position - 1)..<end], as: UTF8.self) else {
                        throw failure("invalid UTF-8 at byte \(position - 1)")
                    }
                    units.append(contentsOf: text.utf16)
                    position = end
                default:
                    units.append(UInt16(byte))
                }
            }
        }
    }
}
