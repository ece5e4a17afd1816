/// A bounds-checked reader of the protobuf wire format over a byte slice.
///
/// It never traps on hostile input: every length is checked against the remaining bytes and
/// varints are limited to 10 bytes. Nested messages are read by making a new reader over the
/// length-delimited payload (`nested()`), so the depth is chosen by the caller.
struct ProtobufReader {
    /// One field as seen on the wire.
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        /// Range of a length-delimited payload within the reader's bytes.
        case bytes(Range<Int>)
    }

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    /// A reader over `bytes[range]`.
    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        let r = range ?? 0..<bytes.count
        self.position = r.lowerBound
        self.end = r.upperBound
    }

    var isAtEnd: Bool { position >= end }

    mutating func readVarint() throws(FormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw FormatError("protobuf: varint runs past the end at offset \(position)") }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { throw FormatError("protobuf: varint longer than 64 bits at offset \(position - 1)") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw FormatError("protobuf: varint longer than 10 bytes at offset \(position - 1)") }
        }
    }

    /// Reads the next (field number, value); nil at the end.
    mutating func next() throws(FormatError) -> (field: UInt64, value: Value)? {
        guard position < end else { return nil }
        let key = try readVarint()
        let field = key >> 3
        guard field != 0 else { throw FormatError("protobuf: field number 0 at offset \(position)") }
        switch key & 7 {
        case 0: return (field, .varint(try readVarint()))
        case 1:
            guard end - position >= 8 else { throw FormatError("protobuf: fixed64 field \(field) runs past the end") }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
            position += 8
            return (field, .fixed64(v))
        case 2:
            let length = try readVarint()
            guard length <= UInt64(end - position) else {
                throw FormatError("protobuf: field \(field) declares \(length) bytes but only \(end - position) remain")
            }
            let start = position
            position += Int(length)
            return (field, .bytes(start..<position))
        case 5:
            guard end - position >= 4 else { throw FormatError("protobuf: fixed32 field \(field) runs past the end") }
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
            position += 4
            return (field, .fixed32(v))
        default:
            throw FormatError("protobuf: unsupported wire type \(key & 7) for field \(field)")
        }
    }

    /// The UTF-8 string in a payload range (invalid sequences repaired).
    func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
}
