/// gzip (RFC 1952) decompression with a hard limit on the output size.
///
/// ```swift
/// let bytes = try FileChecks.readRegularFile("train.gz", maxBytes: 64 << 20)
/// let raw = try Gzip.decompress(bytes, maxOutputBytes: 64 << 20, label: "train.gz")
/// ```
public enum Gzip {
    /// Whether `prefix` starts with the gzip magic bytes `1f 8b`.
    public static func looksLikeGzip(_ prefix: some Collection<UInt8>) -> Bool {
        var it = prefix.makeIterator()
        return it.next() == 0x1f && it.next() == 0x8b
    }

    /// Decompresses a gzip stream of one or more members.
    ///
    /// Trailing zero bytes after the last member are ignored (tape padding); any other
    /// trailing data is an error. Cost: memory for the output only, at most `maxOutputBytes`.
    /// - Parameters:
    ///   - data: the compressed bytes.
    ///   - maxOutputBytes: decompression stops with `.limitExceeded` beyond this many bytes.
    ///   - label: names the input in error messages.
    public static func decompress(_ data: [UInt8], maxOutputBytes: Int, label: String = "gzip data") throws(ArchiveError) -> [UInt8] {
        guard looksLikeGzip(data) else {
            throw ArchiveError(.malformed, "\(label): not gzip data (expected magic 1f 8b)")
        }
        let inflater = try Inflater(format: .gzip, maxOutputBytes: maxOutputBytes, label: label)
        let leftover = try inflater.feed(data)
        guard inflater.finished else {
            throw ArchiveError(.truncated, "\(label): gzip stream ends before its last member is complete")
        }
        if leftover > 0, data[(data.count - leftover)...].contains(where: { $0 != 0 }) {
            throw ArchiveError(.malformed, "\(label): \(leftover) bytes of trailing data after the gzip stream")
        }
        return inflater.output
    }
}

/// Raw DEFLATE (RFC 1951) decompression with a hard limit on the output size.
public enum Deflate {
    /// Inflates a complete raw DEFLATE stream.
    /// - Parameters:
    ///   - data: the compressed bytes; bytes after the end of the stream are ignored.
    ///   - maxOutputBytes: decompression stops with `.limitExceeded` beyond this many bytes.
    ///   - label: names the input in error messages.
    public static func inflate(_ data: [UInt8], maxOutputBytes: Int, label: String = "deflate data") throws(ArchiveError) -> [UInt8] {
        let inflater = try Inflater(format: .raw, maxOutputBytes: maxOutputBytes, label: label)
        try inflater.feed(data)
        guard inflater.finished else {
            throw ArchiveError(.truncated, "\(label): deflate stream is incomplete")
        }
        return inflater.output
    }
}
