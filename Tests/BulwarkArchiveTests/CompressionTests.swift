import BulwarkArchive
import CBZip2
import CLZ4
import CLZMA
import CZlib
import CZstd
import Testing

/// Encoders from the same C libraries, so every decoder is checked against its reference encoder.
private func compress(_ data: [UInt8], _ codec: Compression) -> [UInt8] {
    var input = data
    switch codec {
    case .gzip, .zlib:
        var stream = z_stream()
        deflateInit2_(&stream, 6, Z_DEFLATED, codec == .gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 64)
        let n = input.withUnsafeMutableBufferPointer { i in out.withUnsafeMutableBufferPointer { o in
            stream.next_in = i.baseAddress; stream.avail_in = UInt32(i.count)
            stream.next_out = o.baseAddress; stream.avail_out = UInt32(o.count)
            deflate(&stream, Z_FINISH); return Int(stream.total_out)
        } }
        deflateEnd(&stream)
        return Array(out.prefix(n))
    case .bzip2:
        var out = [UInt8](repeating: 0, count: data.count + data.count / 100 + 700)
        var n = UInt32(out.count)
        _ = input.withUnsafeMutableBufferPointer { i in out.withUnsafeMutableBufferPointer { o in
            BZ2_bzBuffToBuffCompress(UnsafeMutableRawPointer(o.baseAddress!).assumingMemoryBound(to: CChar.self), &n,
                                     UnsafeMutableRawPointer(i.baseAddress!).assumingMemoryBound(to: CChar.self), UInt32(i.count), 9, 0, 0)
        } }
        return Array(out.prefix(Int(n)))
    case .xz:
        var out = [UInt8](repeating: 0, count: data.count + 1024)
        var n = 0
        _ = lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nil, input, input.count, &out, &n, out.count)
        return Array(out.prefix(n))
    case .lzma:
        var stream = lzma_stream()
        var options = lzma_options_lzma()
        _ = lzma_lzma_preset(&options, 6)
        _ = lzma_alone_encoder(&stream, &options)
        var out = [UInt8](repeating: 0, count: data.count + 1024)
        let n = input.withUnsafeMutableBufferPointer { i in out.withUnsafeMutableBufferPointer { o in
            stream.next_in = UnsafePointer(i.baseAddress); stream.avail_in = i.count
            stream.next_out = o.baseAddress; stream.avail_out = o.count
            while lzma_code(&stream, LZMA_FINISH) == LZMA_OK {}
            return o.count - stream.avail_out
        } }
        lzma_end(&stream)
        return Array(out.prefix(n))
    case .lz4:
        var out = [UInt8](repeating: 0, count: LZ4F_compressFrameBound(data.count, nil))
        let n = LZ4F_compressFrame(&out, out.count, input, input.count, nil)
        return Array(out.prefix(n))
    case .zstd:
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(data.count))
        let n = ZSTD_compress(&out, out.count, input, input.count, 3)
        return Array(out.prefix(n))
    }
}

private let sample: [UInt8] = Array("\u{80}\u{02}}q\u{00}(X\u{01}\u{00}\u{00}\u{00}aK\u{01}u.".utf8) + (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 3) }

@Test(arguments: Compression.allCases)
func eachCodecRoundTripsAndIsSniffed(codec: Compression) throws {
    let packed = compress(sample, codec)
    #expect(Compression.sniff(packed) == codec)
    let out = try Compression.decompress(packed, as: codec, limits: DecompressionLimits(), label: "t")
    #expect(out == sample)
    // Two concatenated streams/members decode to both (Python's readers accept them).
    if codec != .zlib && codec != .lzma {
        #expect(try Compression.decompress(packed + packed, as: codec, limits: DecompressionLimits(), label: "t") == sample + sample)
    }
}

@Test(arguments: Compression.allCases)
func truncatedAndCorruptStreamsAreErrorsNotTraps(codec: Compression) {
    let packed = compress(sample, codec)
    #expect(throws: ArchiveError.self) { try Compression.decompress(Array(packed.prefix(packed.count / 2)), as: codec, limits: DecompressionLimits(), label: "t") }
    var corrupt = packed
    for i in stride(from: min(20, corrupt.count - 1), to: corrupt.count, by: 7) { corrupt[i] ^= 0x5a }
    #expect(throws: ArchiveError.self) { try Compression.decompress(corrupt, as: codec, limits: DecompressionLimits(), label: "t") }
    #expect(throws: ArchiveError.self) { try Compression.decompress([], as: codec, limits: DecompressionLimits(), label: "t") }
}

@Test(arguments: Compression.allCases)
func bombsStopAtTheLimit(codec: Compression) throws {
    let zeros = [UInt8](repeating: 0, count: 8 << 20)
    let packed = compress(zeros, codec)
    let limits = DecompressionLimits(maxOutputBytes: 1 << 20, maxRatio: 1000, ratioFloorBytes: 0)
    do {
        _ = try Compression.decompress(packed, as: codec, limits: limits, label: "bomb")
        Issue.record("\(codec): 8 MiB of zeros passed a 1 MiB limit")
    } catch {
        #expect(error.code == .limitExceeded)
    }
    // The ratio bound alone: 8 MiB from a few KiB is far beyond 10:1.
    #expect(throws: ArchiveError.self) {
        try Compression.decompress(packed, as: codec, limits: DecompressionLimits(maxOutputBytes: 1 << 30, maxRatio: 10, ratioFloorBytes: 0), label: "bomb")
    }
}

@Test func sniffDoesNotMistakePicklesOrTextForStreams() {
    #expect(Compression.sniff([0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0]) == nil)
    #expect(Compression.sniff(Array("cos\nsystem\n(S'x'\ntR.".utf8)) == nil)
    #expect(Compression.sniff(Array("{\"a\": 1}".utf8)) == nil)
    // A protocol-1 list pickle starts with ']' like an lzma header, but its dictionary field is implausible.
    #expect(Compression.sniff([0x5d, 0x71, 0x00, 0x28, 0x4b, 0x01, 0x4b, 0x02, 0x65, 0x2e, 0, 0, 0]) == nil)
}
