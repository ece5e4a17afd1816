import BulwarkArchive

/// The IDX format of MNIST and Fashion-MNIST (LeCun et al.), plain or gzip-compressed:
/// a 4-byte magic `00 00 <type> <rank>`, `rank` big-endian 32-bit dimensions, then the
/// elements in big-endian row-major order.
///
/// Element types: `0x08` unsigned byte (→ `uint8`), `0x09` signed byte and `0x0B` short
/// (→ `int32`), `0x0C` int (→ `int32`), `0x0D` float (→ `float32`), `0x0E` double (→ `float64`).
public enum IDX {
    /// The largest decoded file accepted by default (Fashion-MNIST's training images are 47 MB).
    public static let defaultMaxBytes = 1 << 30

    /// Decodes IDX bytes; gzip-compressed input is detected by its magic and inflated first
    /// (bounded by `maxBytes`).
    public static func decode(_ bytes: [UInt8], label: String = "data.idx", maxBytes: Int = defaultMaxBytes) throws(DataError) -> NDArray {
        var raw = bytes
        if Gzip.looksLikeGzip(bytes) {
            do {
                raw = try Gzip.decompress(bytes, maxOutputBytes: maxBytes, label: label)
            } catch {
                throw DataError(error)
            }
        }
        guard raw.count >= 4, raw[0] == 0, raw[1] == 0 else {
            throw DataError(.malformed, "\(label): not an IDX file (magic must start with 00 00)")
        }
        let typeCode = raw[2], rank = Int(raw[3])
        guard rank >= 1, rank <= 8 else {
            throw DataError(.malformed, "\(label): IDX rank \(rank) (expected 1 to 8)")
        }
        let headerLength = 4 + 4 * rank
        guard raw.count >= headerLength else {
            throw DataError(.malformed, "\(label): IDX header of \(headerLength) bytes is cut short")
        }
        var shape: [Int] = []
        for axis in 0..<rank {
            let o = 4 + 4 * axis
            shape.append(Int(raw[o]) << 24 | Int(raw[o + 1]) << 16 | Int(raw[o + 2]) << 8 | Int(raw[o + 3]))
        }
        let width: Int
        switch typeCode {
        case 0x08, 0x09: width = 1
        case 0x0B: width = 2
        case 0x0C, 0x0D: width = 4
        case 0x0E: width = 8
        default:
            throw DataError(.malformed, "\(label): IDX element type 0x\(String(typeCode, radix: 16)) is unknown")
        }
        guard let count = NDArray.elementCount(shape) else {
            throw DataError(.malformed, "\(label): IDX shape \(shape) is too large")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: width)
        let available = raw.count - headerLength
        guard !overflow, needed == available else {
            throw DataError(.malformed, "\(label): IDX shape \(shape) needs \(overflow ? "too many" : String(needed)) data bytes, file has \(available)")
        }
        let o = headerLength
        let storage: NDArray.Storage
        switch typeCode {
        case 0x08:
            storage = ElementCodec.decode(raw, offset: o, count: count, dtype: .uint8, bigEndian: true)
        case 0x09:
            storage = .int32(raw[o..<(o + count)].map { Int32(Int8(bitPattern: $0)) })
        case 0x0B:
            storage = .int32(ElementCodec.load(raw, o, count, true, UInt16.self).map { Int32(Int16(bitPattern: $0)) })
        case 0x0C:
            storage = ElementCodec.decode(raw, offset: o, count: count, dtype: .int32, bigEndian: true)
        case 0x0D:
            storage = ElementCodec.decode(raw, offset: o, count: count, dtype: .float32, bigEndian: true)
        default:
            storage = ElementCodec.decode(raw, offset: o, count: count, dtype: .float64, bigEndian: true)
        }
        return try NDArray(shape: shape, storage: storage)
    }

    /// Reads the IDX file (plain or `.gz`) at `path`.
    public static func read(path: String, maxBytes: Int = defaultMaxBytes) throws(DataError) -> NDArray {
        try decode(FileIO.read(path, maxBytes: maxBytes), label: path, maxBytes: maxBytes)
    }
}
