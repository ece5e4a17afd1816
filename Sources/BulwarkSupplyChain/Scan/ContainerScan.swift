import BulwarkArchive

extension ArtifactScanner {
    /// Ratio (output ÷ input) above which a stream past 64 MiB is treated as a bomb.
    static let bombRatio = 1000

    /// A compressed stream (gzip, zlib, bzip2, xz, lzma, lz4, zstd — what `pandas.read_pickle`
    /// and `joblib.load` open transparently) is decompressed, bounded, and its content analysed
    /// like a file. A stream that decompresses past ``maxDecompressedBytes`` — or past 64 MiB at
    /// a ratio above ``bombRatio`` — is a finding, never a hang. Returns nil
    /// when `head` is not a compressed stream (or a false match that does not decompress and
    /// reads as something else).
    func scanCompressed(_ source: any RandomAccessSource, head: [UInt8], directory: String, depth: Int) throws(ArchiveError) -> Analysis? {
        guard let codec = Compression.sniff(head) else { return nil }
        // A weak sniff (zlib's two bytes, lzma's plausible header) is decided by trying to
        // decompress: on failure the bytes are what the other checks say (a safetensors header
        // length can look like a zlib header), never a finding of their own.
        let weakOverOther = codec.sniffIsWeak
        guard source.size <= maxPickleBytes else {
            return Analysis(format: codec.name, gaps: ["\(codec.name) stream larger than \(maxPickleBytes) bytes not opened"])
        }
        let compressed = try source.read(offset: 0, count: source.size)
        let inner: [UInt8]
        do {
            inner = try Compression.decompress(compressed, as: codec,
                                               limits: DecompressionLimits(maxOutputBytes: maxDecompressedBytes, maxRatio: Self.bombRatio, ratioFloorBytes: 64 << 20),
                                               label: source.name)
        } catch {
            if error.code == .limitExceeded {
                return Analysis(format: codec.name, findings: [ScanFinding(
                    severity: .high, rule: "container.decompression-bomb",
                    detail: "\(codec.name) stream expands beyond the scan limit (\(error.message)); not analysed", offset: 0,
                    explanation: "built-in check: decompression is bounded by size (\(maxDecompressedBytes) bytes) and ratio (\(Self.bombRatio):1 past 64 MiB); a stream beyond either is a decompression bomb or too large to vouch for")])
            }
            // A sniff that matched by chance (an lzma-alone header is only a few plausible
            // bytes): fall through to the other formats when the bytes read as a pickle.
            if weakOverOther { return nil }
            return Analysis(format: codec.name, findings: [ScanFinding(
                severity: .high, rule: "container.malformed", detail: "malformed: can crash or confuse loaders — \(codec.name) stream does not decompress: \(error.message)", offset: 0,
                explanation: "built-in check: a compressed stream the scanner cannot open may still be opened by a lenient loader")])
        }
        let analysis = try analyze(MemorySource(inner, name: source.name), directory: directory, depth: depth + 1)
        return Analysis(format: "\(codec.name)+\(analysis.format)", findings: analysis.findings, gaps: analysis.gaps)
    }

    /// A zip preceded by other bytes (a self-extracting stub, a polyglot): Python's `zipfile`
    /// finds it from its end record, so the members are analysed, and the leading bytes too
    /// when they read as a pickle (a loader that sniffs the first bytes would unpickle them).
    func scanPrefixedZip(_ source: any RandomAccessSource, head: [UInt8], depth: Int) throws(ArchiveError) -> Analysis? {
        let tail = min(source.size, 65_535 + 22)
        let end = try source.read(offset: source.size - tail, count: tail)
        guard end.count >= 22 else { return nil }
        var found = false
        var i = end.count - 22
        while i >= 0 {
            if end[i] == 0x50, end[i + 1] == 0x4b, end[i + 2] == 0x05, end[i + 3] == 0x06 { found = true; break }
            i -= 1
        }
        guard found else { return nil }
        var zip = try scanZip(source, depth: depth)
        zip.format = "prefixed-" + zip.format
        return zip
    }
}

extension Compression {
    /// Short name for formats and messages.
    var name: String { rawValue }
}
