/// A ZIP archive read from a ``RandomAccessSource``, parsed defensively.
///
/// Parsing reads the end-of-central-directory record (ZIP64 included), the central directory
/// and every local header, and records each structural problem as a ``ZipIssue`` instead of
/// failing: path traversal, absolute or Windows names, duplicates, overlapping entries,
/// sizes beyond limits or beyond the file, impossible compression ratios, local/central
/// mismatches, encryption, unsupported methods, truncation, too many entries. Only an input
/// that is not a ZIP at all, an unreadable file, or a directory above the size limit throws.
///
/// Reading an entry (stored or deflate) enforces a byte limit and verifies length and CRC-32.
/// Nothing recurses on input, and memory is bounded by the limits.
///
/// ```swift
/// let zip = try ZipArchive(source: try FileSource(path: "model.pt"))
/// for issue in zip.issues { print(issue) }
/// if let entry = zip.entry(named: "archive/data.pkl") {
///     let bytes = try zip.read(entry, maxBytes: 64 << 20)
/// }
/// ```
public struct ZipArchive: Sendable {
    /// Where the bytes come from.
    public let source: any RandomAccessSource
    /// The limits the archive was parsed with.
    public let limits: ZipLimits
    /// The central directory entries in directory order (at most `limits.maxEntries`).
    public let entries: [ZipEntry]
    /// Structural problems found while parsing, at most `limits.maxIssues`.
    public let issues: [ZipIssue]
    /// Whether more issues were found than recorded.
    public let issuesTruncated: Bool
    /// Whether a ZIP64 end-of-central-directory record was used.
    public let isZip64: Bool
    /// Bytes before the archive's first byte (a self-extracting stub, a polyglot); 0 normally.
    public let leadingBytes: Int

    static let localSignature: UInt32 = 0x0403_4b50
    static let centralSignature: UInt32 = 0x0201_4b50
    static let endSignature: UInt32 = 0x0605_4b50
    static let zip64EndSignature: UInt32 = 0x0606_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50

    /// A cheap content sniff: whether the source starts like a ZIP archive (a local header,
    /// an empty archive's end record, or a spanning marker). Never throws; reads 4 bytes.
    public static func looksLikeZip(_ source: any RandomAccessSource) -> Bool {
        guard source.size >= 4, let head = try? source.read(offset: 0, count: 4),
              let sig = ByteReader.u32(head, 0) else { return false }
        return sig == localSignature || sig == endSignature || sig == 0x0807_4b50
    }

    /// Parses the archive in `source`.
    /// - Throws: ``ArchiveError`` if no end-of-central-directory record exists (not a ZIP),
    ///   the source cannot be read, or the central directory exceeds
    ///   `limits.maxCentralDirectoryBytes`. Every other problem becomes an ``issues`` entry.
    public init(source: any RandomAccessSource, limits: ZipLimits = ZipLimits()) throws(ArchiveError) {
        var parser = ZipParser(source: source, limits: limits)
        try parser.parse()
        self.source = source
        self.limits = limits
        self.entries = parser.entries
        self.issues = parser.issues
        self.issuesTruncated = parser.issuesTruncated
        self.isZip64 = parser.isZip64
        self.leadingBytes = Int(clamping: parser.prefixLength)
    }

    /// The first entry whose name is `name`.
    public func entry(named name: String) -> ZipEntry? {
        entries.first { $0.name == name }
    }

    /// The entry's uncompressed bytes, verified against the declared size and CRC-32.
    ///
    /// Cost: reads the entry's compressed bytes in 64 KiB chunks; memory is the output only.
    /// - Throws: `.encrypted`, `.unsupported` (method), `.limitExceeded` if the declared or
    ///   actual size is above `maxBytes`, `.truncated`/`.malformed` for bad data, and
    ///   `.checksumMismatch` if length or CRC-32 differ from the directory.
    public func read(_ entry: ZipEntry, maxBytes: Int) throws(ArchiveError) -> [UInt8] {
        let (dataOffset, compressed) = try extractable(entry)
        guard let declared = Int(exactly: entry.uncompressedSize), declared <= maxBytes else {
            throw ArchiveError(.limitExceeded, "\(label(entry)): declared size \(entry.uncompressedSize) bytes exceeds the limit of \(maxBytes) bytes")
        }
        let output: [UInt8]
        if entry.method == 0 {
            guard compressed == declared else {
                throw ArchiveError(.malformed, "\(label(entry)): stored entry has compressed size \(compressed) but uncompressed size \(declared)")
            }
            output = try source.read(offset: dataOffset, count: compressed)
        } else if entry.method == 8 {
            output = try inflate(entry, dataOffset: dataOffset, compressed: compressed, limit: declared, stopAfter: nil)
        } else {
            output = try decompressOther(entry, dataOffset: dataOffset, compressed: compressed, limit: declared)
        }
        guard output.count == declared else {
            throw ArchiveError(.checksumMismatch, "\(label(entry)): inflated to \(output.count) bytes but the directory declares \(declared)")
        }
        let crc = CRC32.checksum(output)
        guard crc == entry.crc32 else {
            throw ArchiveError(.checksumMismatch, "\(label(entry)): CRC-32 is \(hex(crc)) but the directory declares \(hex(entry.crc32))")
        }
        return output
    }

    /// At most the first `count` uncompressed bytes of the entry, without CRC verification
    /// (for sniffing content types). Reads and inflates only what is needed.
    public func readPrefix(_ entry: ZipEntry, count: Int) throws(ArchiveError) -> [UInt8] {
        let (dataOffset, compressed) = try extractable(entry)
        let wanted = max(0, count)
        if entry.method == 0 {
            return try source.read(offset: dataOffset, count: min(wanted, compressed))
        }
        if entry.method != 8 {
            let declared = Int(clamping: entry.uncompressedSize)
            return Array(try decompressOther(entry, dataOffset: dataOffset, compressed: compressed, limit: min(declared, Int(clamping: limits.maxEntryUncompressedBytes))).prefix(wanted))
        }
        let out = try inflate(entry, dataOffset: dataOffset, compressed: compressed,
                              limit: wanted == Int.max ? wanted : wanted + 1, stopAfter: wanted)
        return Array(out.prefix(wanted))
    }

    private func label(_ entry: ZipEntry) -> String { "\(source.name): entry '\(entry.name)'" }

    private func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    /// Checks that the entry can be extracted; returns its data offset and compressed size.
    private func extractable(_ entry: ZipEntry) throws(ArchiveError) -> (Int, Int) {
        if entry.isEncrypted {
            throw ArchiveError(.encrypted, "\(label(entry)): entry is encrypted")
        }
        guard entry.isMethodSupported else {
            throw ArchiveError(.unsupported, "\(label(entry)): compression method \(entry.method) is not supported (stored and deflate are)")
        }
        guard let off = entry.dataOffset, let dataOffset = Int(exactly: off) else {
            throw ArchiveError(.malformed, "\(label(entry)): local header is missing or unreadable")
        }
        guard let compressed = Int(exactly: entry.compressedSize),
              dataOffset <= source.size, compressed <= source.size - dataOffset else {
            throw ArchiveError(.truncated, "\(label(entry)): data (\(entry.compressedSize) bytes at offset \(off)) runs past the end of the archive")
        }
        return (dataOffset, compressed)
    }

    /// bzip2 (12) and LZMA (14) entries, decompressed whole with `limit` as the output bound.
    /// An LZMA entry holds a 4-byte version/size header and the 5 property bytes, then a raw
    /// LZMA1 stream; it is decoded as an "lzma alone" stream rebuilt from those properties.
    private func decompressOther(_ entry: ZipEntry, dataOffset: Int, compressed: Int, limit: Int) throws(ArchiveError) -> [UInt8] {
        let data = try source.read(offset: dataOffset, count: compressed)
        let bounds = DecompressionLimits(maxOutputBytes: limit, maxRatio: Int.max, ratioFloorBytes: 0)
        do throws(ArchiveError) {
            if entry.method == 12 { return try Compression.decompress(data, as: .bzip2, limits: bounds, label: label(entry)) }
            guard data.count >= 9, data[2] == 5, data[3] == 0 else {
                throw ArchiveError(.malformed, "\(label(entry)): LZMA entry header is not 4 bytes + 5 properties")
            }
            // General-purpose flag bit 1: the stream ends with an end marker (size unknown to the decoder).
            let size: UInt64 = entry.flags & 2 != 0 ? .max : entry.uncompressedSize
            let alone = Array(data[4..<9]) + withUnsafeBytes(of: size.littleEndian, Array.init) + Array(data[9...])
            return try Compression.decompress(alone, as: .lzma, limits: bounds, label: label(entry))
        } catch {
            if error.code == .limitExceeded { throw ArchiveError(.checksumMismatch, "\(label(entry)): decompresses to more than the declared \(limit) bytes") }
            throw error
        }
    }

    private func inflate(_ entry: ZipEntry, dataOffset: Int, compressed: Int, limit: Int,
                         stopAfter: Int?) throws(ArchiveError) -> [UInt8] {
        let inflater = try Inflater(format: .raw, maxOutputBytes: limit, label: label(entry))
        var position = 0
        while position < compressed && !inflater.finished {
            if let stop = stopAfter, inflater.output.count >= stop { break }
            let n = min(1 << 16, compressed - position)
            let chunk = try source.read(offset: dataOffset + position, count: n)
            do throws(ArchiveError) {
                try inflater.feed(chunk, stopAfter: stopAfter)
            } catch {
                if error.code == .limitExceeded && stopAfter == nil {
                    throw ArchiveError(.checksumMismatch, "\(label(entry)): inflates to more than the declared \(limit) bytes")
                }
                throw error
            }
            position += n
        }
        if stopAfter == nil, !inflater.finished {
            throw ArchiveError(.truncated, "\(label(entry)): deflate stream ends before it is complete")
        }
        return inflater.output
    }
}
