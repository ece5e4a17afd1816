// A bounded CBOR (RFC 8949) reader for the subset WebAuthn uses. This file imports nothing, so
// the libFuzzer harness in Benchmarks/fuzz/webauthn-cbor/ compiles it on its own.

/// A decoded CBOR data item of the subset WebAuthn needs (RFC 8949 §3): unsigned and negative
/// integers, byte and text strings, arrays, maps, `true`, `false` and `null`.
///
/// Map entries keep their wire order; duplicate keys are refused when decoding.
package indirect enum CBORValue: Equatable, Sendable {
    /// Major type 0: an unsigned integer.
    case unsigned(UInt64)
    /// Major type 1: the integer `-1 - n`, kept as `n` so every encodable value fits.
    case negative(UInt64)
    /// Major type 2: a byte string.
    case bytes([UInt8])
    /// Major type 3: a UTF-8 text string.
    case text(String)
    /// Major type 4: an array.
    case array([CBORValue])
    /// Major type 5: a map, entries in wire order.
    case map([CBORMapEntry])
    /// Simple values 20 and 21.
    case bool(Bool)
    /// Simple value 22.
    case null

    /// The value as a signed integer when it is an integer that fits `Int64`.
    package var integer: Int64? {
        switch self {
        case .unsigned(let n): n <= UInt64(Int64.max) ? Int64(n) : nil
        case .negative(let n): n <= UInt64(Int64.max) ? -1 - Int64(n) : nil
        default: nil
        }
    }

    /// The map entry whose key is the integer `key`, if this is a map holding one.
    package subscript(intKey key: Int64) -> CBORValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key.integer == key }?.value
    }

    /// The map entry whose key is the text `key`, if this is a map holding one.
    package subscript(textKey key: String) -> CBORValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == .text(key) }?.value
    }
}

/// One key–value pair of a CBOR map.
package struct CBORMapEntry: Equatable, Sendable {
    /// The entry's key.
    package var key: CBORValue
    /// The entry's value.
    package var value: CBORValue
}

/// Why bytes are not CBOR of the accepted subset: one line naming the offset and the rule broken.
package struct CBORDecodingError: Error, Equatable, Sendable {
    /// Byte offset in the input where decoding stopped.
    package var offset: Int
    /// What was wrong there, one line.
    package var reason: String
}

/// Decodes untrusted CBOR with fixed bounds; it never traps.
///
/// Accepted: definite-length items of major types 0–5 and the simple values false, true and null.
/// Refused: indefinite lengths, tags (major type 6), floats and other simple values, reserved
/// additional-information values, lengths beyond the remaining input, nesting deeper than
/// ``maximumDepth``, duplicate map keys, invalid UTF-8 in text strings, and — for
/// ``decodeWhole(_:)`` — trailing bytes. A container's declared element count is checked against
/// the bytes left before anything is allocated, so a short input cannot request a large buffer.
/// Cost: O(n · k) for n input bytes and k keys per map (duplicate check); WebAuthn maps are small.
package struct CBORReader {
    /// The deepest nesting accepted: the top-level item is depth 1.
    package static let maximumDepth = 16

    private let bytes: [UInt8]
    private var position: Int

    /// A reader positioned at `start` of `bytes`.
    package init(_ bytes: [UInt8], start: Int = 0) {
        self.bytes = bytes
        self.position = max(0, min(start, bytes.count))
    }

    /// The offset just past the last item read.
    package var offset: Int { position }

    /// Decodes exactly one item spanning all of `bytes`; trailing bytes are an error.
    package static func decodeWhole(_ bytes: [UInt8]) throws(CBORDecodingError) -> CBORValue {
        var reader = CBORReader(bytes)
        let value = try reader.readItem()
        guard reader.position == bytes.count else {
            throw CBORDecodingError(offset: reader.position, reason: "\(bytes.count - reader.position) trailing bytes after the item")
        }
        return value
    }

    /// Reads one item starting at ``offset`` and moves past it; bytes after it are left unread.
    package mutating func readItem() throws(CBORDecodingError) -> CBORValue {
        try readItem(depth: 1)
    }

    private func fail(_ reason: String) -> CBORDecodingError {
        CBORDecodingError(offset: position, reason: reason)
    }

    private mutating func readByte() throws(CBORDecodingError) -> UInt8 {
        guard position < bytes.count else { throw fail("input ends inside an item") }
        let byte = bytes[position]
        position += 1
        return byte
    }

    /// Reads the argument that follows an initial byte with additional information `info`.
    private mutating func readArgument(_ info: UInt8) throws(CBORDecodingError) -> UInt64 {
        switch info {
        case 0...23:
            return UInt64(info)
        case 24, 25, 26, 27:
            let width = 1 << Int(info - 24)
            guard bytes.count - position >= width else { throw fail("input ends inside an integer argument") }
            var value: UInt64 = 0
            for index in 0..<width { value = value << 8 | UInt64(bytes[position + index]) }
            position += width
            return value
        case 31:
            throw fail("indefinite-length items are not accepted")
        default:
            throw fail("reserved additional information \(info)")
        }
    }

    /// A declared length or count, checked against the bytes left (each element needs ≥ 1 byte).
    private func checkedLength(_ declared: UInt64, minimumBytesPerElement: Int) throws(CBORDecodingError) -> Int {
        let remaining = UInt64(bytes.count - position)
        guard declared <= remaining / UInt64(minimumBytesPerElement) else {
            throw fail("declared length \(declared) exceeds the \(remaining) bytes left")
        }
        return Int(declared)
    }

    private mutating func readItem(depth: Int) throws(CBORDecodingError) -> CBORValue {
        guard depth <= Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth)") }
        let initial = try readByte()
        let major = initial >> 5
        let info = initial & 0x1f
        // Read the argument before checking it against the bytes left: `checkedLength` must see
        // the position after the argument (a nested call would capture `self` before it moved).
        switch major {
        case 0:
            return .unsigned(try readArgument(info))
        case 1:
            return .negative(try readArgument(info))
        case 2:
            let declared = try readArgument(info)
            let count = try checkedLength(declared, minimumBytesPerElement: 1)
            let slice = Array(bytes[position..<(position + count)])
            position += count
            return .bytes(slice)
        case 3:
            let declared = try readArgument(info)
            let count = try checkedLength(declared, minimumBytesPerElement: 1)
            let slice = bytes[position..<(position + count)]
            guard let text = String(validating: slice, as: UTF8.self) else { throw fail("text string is not valid UTF-8") }
            position += count
            return .text(text)
        case 4:
            let declared = try readArgument(info)
            let count = try checkedLength(declared, minimumBytesPerElement: 1)
            var items: [CBORValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try readItem(depth: depth + 1)) }
            return .array(items)
        case 5:
            let declared = try readArgument(info)
            let count = try checkedLength(declared, minimumBytesPerElement: 2)
            var entries: [CBORMapEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let keyOffset = position
                let key = try readItem(depth: depth + 1)
                if entries.contains(where: { $0.key == key }) {
                    throw CBORDecodingError(offset: keyOffset, reason: "duplicate map key")
                }
                let value = try readItem(depth: depth + 1)
                entries.append(CBORMapEntry(key: key, value: value))
            }
            return .map(entries)
        case 6:
            throw fail("tags are not accepted")
        default:
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 25, 26, 27: throw fail("floating-point values are not accepted")
            case 31: throw fail("a break code outside an indefinite-length item")
            default: throw fail("simple value \(info) is not accepted")
            }
        }
    }
}
