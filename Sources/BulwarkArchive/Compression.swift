import CBZip2
import CLZ4
import CLZMA
import CZlib
import CZstd

/// The compressed-stream formats Python model loaders open transparently (`pandas.read_pickle`
/// infers them from the name, `joblib.load` from the magic bytes), decompressed with hard
/// limits so that a bomb ends in an error quickly instead of a hang or a huge allocation.
///
/// ```swift
/// let bytes = try FileChecks.readRegularFile("model.pkl.xz", maxBytes: 1 << 30)
/// if let codec = Compression.sniff(bytes.prefix(16)) {
///     let raw = try Compression.decompress(bytes, as: codec, limits: DecompressionLimits(maxOutputBytes: 64 << 20), label: "model.pkl.xz")
/// }
/// ```
public enum Compression: String, Sendable, CaseIterable {
    /// gzip (RFC 1952), one or more members: `1f 8b`.
    case gzip
    /// zlib (RFC 1950): joblib's `zlib` compressor. Recognised by its two-byte header check.
    case zlib
    /// bzip2, one or more streams: `BZh1`…`BZh9`.
    case bzip2
    /// xz, one or more streams: `fd 37 7a 58 5a 00`.
    case xz
    /// The legacy `.lzma` ("lzma alone") format: joblib's `lzma` compressor. Its header is
    /// only a properties byte, a dictionary size and a length, so the sniff is weak.
    case lzma
    /// LZ4 frame format: joblib's `lz4` compressor, `04 22 4d 18`.
    case lz4
    /// Zstandard frames: `28 b5 2f fd`.
    case zstd

    /// Whether the magic bytes are few or loose enough to match other data by chance.
    public var sniffIsWeak: Bool { self == .lzma || self == .zlib }

    /// The format `prefix` starts with, if any (at least 13 bytes are needed for lzma).
    public static func sniff(_ prefix: some Collection<UInt8>) -> Compression? {
        let b = Array(prefix.prefix(16))
        func starts(_ m: [UInt8]) -> Bool { b.count >= m.count && Array(b.prefix(m.count)) == m }
        if starts([0x1f, 0x8b]) { return .gzip }
        if starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if starts([0x04, 0x22, 0x4d, 0x18]) { return .lz4 }
        if starts([0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        if b.count >= 4, starts([0x42, 0x5a, 0x68]), (0x31...0x39).contains(b[3]) { return .bzip2 }
        // zlib: deflate method, window ≤ 32 KiB, header checksum, no preset dictionary.
        if b.count >= 2, b[0] & 0x0f == 8, b[0] >> 4 <= 7, (Int(b[0]) << 8 | Int(b[1])) % 31 == 0, b[1] & 0x20 == 0 { return .zlib }
        // lzma alone: properties (lc+lp*9+pb*45 < 225), a dictionary size that is a power of
        // two or 2^n + 2^(n-1) between 4 KiB and 1.5 GiB, and an 8-byte length: unknown (all
        // ones) or below 2^48.
        if b.count >= 13, b[0] < 225 {
            var dict: UInt32 = 0
            for i in 0..<4 { dict |= UInt32(b[1 + i]) << (8 * UInt32(i)) }
            var length: UInt64 = 0
            for i in 0..<8 { length |= UInt64(b[5 + i]) << (8 * UInt64(i)) }
            let plausibleDict = dict >= 1 << 12 && dict <= 3 << 29 && (dict & (dict - 1) == 0 || { let h = UInt32(1) << (31 - UInt32(dict.leadingZeroBitCount)); return dict == h | h >> 1 }())
            if plausibleDict, length == .max || length < 1 << 48 { return .lzma }
        }
        return nil
    }

    /// Decompresses all of `data` (every member or stream of it), stopping with
    /// `.limitExceeded` as soon as the output passes `limits.maxOutputBytes` or
    /// `limits.maxRatio` times the input size (whichever is smaller, but never below
    /// `limits.ratioFloorBytes`). Trailing bytes after the last stream are an error
    /// (`.malformed`), except zero padding.
    ///
    /// Cost: the output, produced in 64 KiB steps; the decoders' own memory is capped
    /// (xz/lzma 256 MiB, zstd windows of at most 2^27 bytes).
    public static func decompress(_ data: [UInt8], as codec: Compression, limits: DecompressionLimits, label: String) throws(ArchiveError) -> [UInt8] {
        let limit = limits.outputLimit(inputBytes: data.count)
        switch codec {
        case .gzip: return try Gzip.decompress(data, maxOutputBytes: limit, label: label)
        case .zlib:
            let inflater = try Inflater(format: .zlib, maxOutputBytes: limit, label: label)
            let leftover = try inflater.feed(data)
            guard inflater.finished else { throw ArchiveError(.truncated, "\(label): zlib stream ends early") }
            try checkTrailing(data, leftover, label)
            return inflater.output
        case .bzip2: return try bunzip(data, limit: limit, label: label)
        case .xz, .lzma: return try unxz(data, alone: codec == .lzma, limit: limit, label: label)
        case .lz4: return try unlz4(data, limit: limit, label: label)
        case .zstd: return try unzstd(data, limit: limit, label: label)
        }
    }

    private static func checkTrailing(_ data: [UInt8], _ leftover: Int, _ label: String) throws(ArchiveError) {
        if leftover > 0, data[(data.count - leftover)...].contains(where: { $0 != 0 }) {
            throw ArchiveError(.malformed, "\(label): \(leftover) bytes of trailing data after the compressed stream")
        }
    }

    private static func overLimit(_ label: String, _ limit: Int) -> ArchiveError {
        ArchiveError(.limitExceeded, "\(label): decompressed data exceeds the limit of \(limit) bytes")
    }

    /// Runs `step(input, inputCount, output, outputCount) -> (consumed, produced, status)` until
    /// the decoder reports the end (`status` true) with all input consumed; 64 KiB at a time.
    private static func pump(_ data: [UInt8], limit: Int, label: String,
                             step: (UnsafePointer<UInt8>, Int, UnsafeMutablePointer<UInt8>, Int) throws(ArchiveError) -> (Int, Int, Bool)) throws(ArchiveError) -> (output: [UInt8], leftover: Int) {
        var output: [UInt8] = []
        var position = 0
        let room = 1 << 16
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: room)
        defer { chunk.deallocate() }
        var failure: ArchiveError?
        var leftover = 0
        data.withUnsafeBufferPointer { input in
            guard let base = input.baseAddress else { failure = ArchiveError(.truncated, "\(label): empty compressed stream"); return }
            var stalls = 0
            while true {
                let result: (Int, Int, Bool)
                do throws(ArchiveError) { result = try step(base + position, data.count - position, chunk, room) } catch { failure = error; return }
                let (consumed, produced, ended) = result
                position += consumed
                guard output.count + produced <= limit else { failure = overLimit(label, limit); return }
                output.append(contentsOf: UnsafeBufferPointer(start: chunk, count: produced))
                if ended { leftover = data.count - position; return }
                if consumed == 0 && produced == 0 {
                    stalls += 1
                    if stalls > 2 { failure = ArchiveError(.truncated, "\(label): compressed stream ends before it is complete"); return }
                } else { stalls = 0 }
            }
        }
        if let failure { throw failure }
        return (output, leftover)
    }

    private static func bunzip(_ data: [UInt8], limit: Int, label: String) throws(ArchiveError) -> [UInt8] {
        var all: [UInt8] = []
        var rest = data[...]
        repeat {
            var stream = bz_stream()
            guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else { throw ArchiveError(.io, "\(label): bzip2 init failed") }
            defer { BZ2_bzDecompressEnd(&stream) }
            let member = Array(rest)
            let (out, leftover) = try pump(member, limit: limit - all.count, label: label) { input, count, output, room throws(ArchiveError) in
                stream.next_in = UnsafeMutablePointer(mutating: UnsafeRawPointer(input).assumingMemoryBound(to: CChar.self))
                stream.avail_in = UInt32(min(count, 1 << 30))
                stream.next_out = UnsafeMutableRawPointer(output).assumingMemoryBound(to: CChar.self)
                stream.avail_out = UInt32(room)
                let before = stream.avail_in
                let rc = BZ2_bzDecompress(&stream)
                guard rc == BZ_OK || rc == BZ_STREAM_END else { throw ArchiveError(.malformed, "\(label): bzip2 data is corrupt (\(rc))") }
                return (Int(before - stream.avail_in), room - Int(stream.avail_out), rc == BZ_STREAM_END)
            }
            all += out
            rest = rest.suffix(leftover)
        } while rest.count >= 4 && rest.starts(with: [0x42, 0x5a, 0x68])
        try checkTrailing(Array(rest), rest.count, label)
        return all
    }

    private static func unxz(_ data: [UInt8], alone: Bool, limit: Int, label: String) throws(ArchiveError) -> [UInt8] {
        var stream = lzma_stream()
        let memlimit: UInt64 = 256 << 20
        let rc = alone ? lzma_alone_decoder(&stream, memlimit) : lzma_stream_decoder(&stream, memlimit, 0x08 /* LZMA_CONCATENATED */)
        guard rc == LZMA_OK else { throw ArchiveError(.io, "\(label): lzma init failed (\(rc.rawValue))") }
        defer { lzma_end(&stream) }
        let (out, leftover) = try pump(data, limit: limit, label: label) { input, count, output, room throws(ArchiveError) in
            stream.next_in = input
            stream.avail_in = count
            stream.next_out = output
            stream.avail_out = room
            // All input given: FINISH lets the decoder report the end (or the truncation).
            let rc = lzma_code(&stream, count == 0 ? LZMA_FINISH : LZMA_RUN)
            let consumed = count - stream.avail_in, produced = room - stream.avail_out
            switch rc {
            case LZMA_STREAM_END: return (consumed, produced, true)
            case LZMA_OK: return (consumed, produced, false)
            case LZMA_BUF_ERROR: return (consumed, produced, false)
            case LZMA_MEMLIMIT_ERROR, LZMA_MEM_ERROR: throw ArchiveError(.limitExceeded, "\(label): lzma needs more than \(memlimit >> 20) MiB of memory to decode")
            default: throw ArchiveError(.malformed, "\(label): \(alone ? "lzma" : "xz") data is corrupt (\(rc.rawValue))")
            }
        }
        try checkTrailing(data, leftover, label)
        return out
    }

    private static func unlz4(_ data: [UInt8], limit: Int, label: String) throws(ArchiveError) -> [UInt8] {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else {
            throw ArchiveError(.io, "\(label): lz4 init failed")
        }
        defer { LZ4F_freeDecompressionContext(context) }
        var all: [UInt8] = []
        var rest = data[...]
        repeat {
            let (out, leftover) = try pump(Array(rest), limit: limit - all.count, label: label) { input, count, output, room throws(ArchiveError) in
                var inSize = count, outSize = room
                let hint = LZ4F_decompress(context, output, &outSize, input, &inSize, nil)
                if LZ4F_isError(hint) != 0 { throw ArchiveError(.malformed, "\(label): lz4 data is corrupt (\(String(cString: LZ4F_getErrorName(hint))))") }
                return (inSize, outSize, hint == 0)
            }
            all += out
            rest = rest.suffix(leftover)
        } while rest.count >= 4 && rest.starts(with: [0x04, 0x22, 0x4d, 0x18])
        try checkTrailing(Array(rest), rest.count, label)
        return all
    }

    private static func unzstd(_ data: [UInt8], limit: Int, label: String) throws(ArchiveError) -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw ArchiveError(.io, "\(label): zstd init failed") }
        defer { ZSTD_freeDStream(stream) }
        _ = ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, 27)
        var all: [UInt8] = []
        var rest = data[...]
        repeat {
            _ = ZSTD_DCtx_reset(stream, ZSTD_reset_session_only)
            let (out, leftover) = try pump(Array(rest), limit: limit - all.count, label: label) { input, count, output, room throws(ArchiveError) in
                var inBuffer = ZSTD_inBuffer(src: input, size: count, pos: 0)
                var outBuffer = ZSTD_outBuffer(dst: output, size: room, pos: 0)
                let rc = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                if ZSTD_isError(rc) != 0 { throw ArchiveError(.malformed, "\(label): zstd data is corrupt (\(String(cString: ZSTD_getErrorName(rc))))") }
                return (inBuffer.pos, outBuffer.pos, rc == 0)
            }
            all += out
            rest = rest.suffix(leftover)
        } while rest.count >= 4 && rest.starts(with: [0x28, 0xb5, 0x2f, 0xfd])
        try checkTrailing(Array(rest), rest.count, label)
        return all
    }
}

/// Bounds on one decompression: total output, and output per input byte beyond a floor.
public struct DecompressionLimits: Sendable, Equatable {
    /// Output above this many bytes is `.limitExceeded`.
    public var maxOutputBytes: Int
    /// Output above `maxRatio` × input bytes is `.limitExceeded` (once past `ratioFloorBytes`).
    public var maxRatio: Int
    /// Output below this size is never refused for its ratio (small files compress well).
    public var ratioFloorBytes: Int

    /// Creates limits; defaults: 512 MiB, ratio 1000:1 beyond 64 MiB.
    public init(maxOutputBytes: Int = 512 << 20, maxRatio: Int = 1000, ratioFloorBytes: Int = 64 << 20) {
        self.maxOutputBytes = maxOutputBytes; self.maxRatio = maxRatio; self.ratioFloorBytes = ratioFloorBytes
    }

    /// The output limit for an input of `inputBytes`.
    public func outputLimit(inputBytes: Int) -> Int {
        let (byRatio, overflow) = inputBytes.multipliedReportingOverflow(by: max(1, maxRatio))
        return min(maxOutputBytes, overflow ? Int.max : max(ratioFloorBytes, byRatio))
    }
}

extension Compression {
    /// `bytes` as one zlib stream (RFC 1950: DEFLATE with a zlib header and Adler-32), at
    /// `level` 0–9 — what PNG's IDAT chunks hold. Only running out of memory can fail, and that
    /// traps, as any other allocation failure does.
    public static func zlibCompressed(_ bytes: [UInt8], level: Int32 = 9) -> [UInt8] {
        var destLength = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(destLength))
        let status = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in compress2(o.baseAddress, &destLength, i.baseAddress, uLong(i.count), min(max(level, 0), 9)) }
        }
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")  // Z_MEM_ERROR only: the buffer is compressBound-sized
        return Array(out.prefix(Int(destLength)))
    }
}
