import CZlib

/// A zlib inflate stream (raw DEFLATE, gzip or zlib) with a hard limit on the bytes it produces.
///
/// The `z_stream` lives at a fixed heap address, as zlib requires. Not thread-safe; each
/// decompression makes its own.
final class Inflater {
    enum Format {
        /// Raw DEFLATE (RFC 1951), as in ZIP entries.
        case raw
        /// gzip (RFC 1952), one or more members.
        case gzip
        /// zlib (RFC 1950), one stream.
        case zlib
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private let format: Format
    private let maxOutput: Int
    private let label: String
    /// Bytes produced so far.
    private(set) var output: [UInt8] = []
    /// Whether the last member ended (`Z_STREAM_END`).
    private(set) var finished = false
    private var initialized = false

    /// Starts a stream; `label` names the input in messages.
    init(format: Format, maxOutputBytes: Int, label: String) throws(ArchiveError) {
        self.format = format
        self.maxOutput = max(0, maxOutputBytes)
        self.label = label
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let bits: Int32 = switch format { case .raw: -15; case .gzip: 31; case .zlib: 15 }
        let rc = inflateInit2_(stream, bits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw ArchiveError(.io, "\(label): zlib inflateInit failed (\(rc))")
        }
        initialized = true
    }

    deinit {
        if initialized { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Feeds `input`; returns the number of input bytes left unconsumed once the stream ended
    /// (trailing data), or 0. Input of any length is handed to zlib in slices of at most
    /// 1 GiB, so its 32-bit counters never overflow.
    /// - Parameter stopAfter: stop early (without error) once this many bytes were produced.
    @discardableResult
    func feed(_ input: [UInt8], stopAfter: Int? = nil) throws(ArchiveError) -> Int {
        if input.isEmpty || finished { return finished ? input.count : 0 }
        var leftover = 0
        var failure: ArchiveError?
        input.withUnsafeBufferPointer { inBuf in
            guard let inBase = inBuf.baseAddress else { return }
            let total = inBuf.count
            var given = 0  // bytes handed to zlib so far
            func consumed() -> Int { given - Int(stream.pointee.avail_in) }
            func refill() {
                let start = consumed()
                let n = min(total - start, 1 << 30)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBase + start)
                stream.pointee.avail_in = UInt32(n)
                given = start + n
            }
            stream.pointee.avail_in = 0
            refill()
            while consumed() < total || !finished {
                if let stop = stopAfter, output.count >= stop { break }
                if stream.pointee.avail_in == 0 && given < total { refill() }
                // Produce at most one byte past the limit so that overflow is detected.
                let room = maxOutput + 1 - output.count
                if room <= 0 {
                    failure = ArchiveError(.limitExceeded, "\(label): decompressed data exceeds the limit of \(maxOutput) bytes")
                    return
                }
                var chunk = min(room, 1 << 16)
                if let stop = stopAfter { chunk = min(chunk, stop - output.count) }
                let before = output.count
                output.append(contentsOf: repeatElement(0, count: chunk))
                var rc: Int32 = Z_OK
                output.withUnsafeMutableBufferPointer { outBuf in
                    guard let outBase = outBuf.baseAddress else { return }
                    stream.pointee.next_out = outBase + before
                    stream.pointee.avail_out = UInt32(chunk)
                    rc = inflate(stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.pointee.avail_out)
                output.removeLast(chunk - produced)
                if output.count > maxOutput {
                    failure = ArchiveError(.limitExceeded, "\(label): decompressed data exceeds the limit of \(maxOutput) bytes")
                    return
                }
                switch rc {
                case Z_STREAM_END:
                    let at = consumed()
                    if format == .gzip, total - at >= 2, inBase[at] == 0x1f, inBase[at + 1] == 0x8b {
                        // Another gzip member follows.
                        inflateReset(stream)
                        continue
                    }
                    finished = true
                    leftover = total - at
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible: all input used mid-stream (more input needed).
                    if consumed() >= total { return }
                    if stream.pointee.avail_in == 0 { continue }
                    failure = ArchiveError(.malformed, "\(label): compressed data is corrupt (no progress)")
                    return
                case Z_NEED_DICT:
                    failure = ArchiveError(.unsupported, "\(label): compressed data needs a preset dictionary")
                    return
                case Z_MEM_ERROR:
                    failure = ArchiveError(.limitExceeded, "\(label): zlib ran out of memory")
                    return
                default:
                    var reason = "error \(rc)"
                    if let msg = stream.pointee.msg { reason = String(cString: msg) }
                    failure = ArchiveError(.malformed, "\(label): compressed data is corrupt (\(reason))")
                    return
                }
            }
        }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        if let failure { throw failure }
        return leftover
    }
}
