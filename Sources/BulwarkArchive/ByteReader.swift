/// Little-endian reads from a byte array that never trap: out-of-range reads return nil.
struct ByteReader {
    let bytes: [UInt8]
    var position: Int

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { max(0, bytes.count - position) }

    mutating func u8() -> UInt8? {
        guard position >= 0, position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() -> UInt16? {
        guard let v = Self.u16(bytes, position) else { return nil }
        position += 2
        return v
    }

    mutating func u32() -> UInt32? {
        guard let v = Self.u32(bytes, position) else { return nil }
        position += 4
        return v
    }

    mutating func u64() -> UInt64? {
        guard let v = Self.u64(bytes, position) else { return nil }
        position += 8
        return v
    }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, position >= 0, count <= remaining else { return nil }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    static func u16(_ b: [UInt8], _ at: Int) -> UInt16? {
        guard at >= 0, at <= b.count - 2 else { return nil }
        return UInt16(b[at]) | UInt16(b[at + 1]) << 8
    }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32? {
        guard at >= 0, at <= b.count - 4 else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(b[at + i]) << (8 * UInt32(i)) }
        return v
    }

    static func u64(_ b: [UInt8], _ at: Int) -> UInt64? {
        guard at >= 0, at <= b.count - 8 else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[at + i]) << (8 * UInt64(i)) }
        return v
    }
}
