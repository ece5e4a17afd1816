import CZlib

/// The CRC-32 checksum (ISO-HDLC polynomial, as in ZIP, gzip and PNG), computed by zlib.
public struct CRC32: Sendable {
    /// The checksum of everything fed so far.
    public private(set) var value: UInt32 = 0

    /// A checksum of no bytes.
    public init() {}

    /// Feeds more bytes.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        var crc = UInt(value)
        let done: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            crc = Self.update(crc, buffer)
            return true
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { crc = Self.update(crc, $0) }
        }
        value = UInt32(truncatingIfNeeded: crc)
    }

    private static func update(_ start: UInt, _ buffer: UnsafeBufferPointer<UInt8>) -> UInt {
        guard var base = buffer.baseAddress else { return start }
        var crc = start
        var remaining = buffer.count
        while remaining > 0 {
            let n = min(remaining, Int(UInt32.max / 2))
            crc = CZlib.crc32(crc, base, UInt32(n))
            base += n
            remaining -= n
        }
        return crc
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var c = CRC32()
        c.update(bytes)
        return c.value
    }
}
