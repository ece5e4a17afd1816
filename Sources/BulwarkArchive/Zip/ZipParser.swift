/// The parsing state behind ``ZipArchive/init(source:limits:)``: a flat sequence of bounded
/// steps (no recursion), recording issues as it goes.
struct ZipParser {
    let source: any RandomAccessSource
    let limits: ZipLimits
    var entries: [ZipEntry] = []
    var issues: [ZipIssue] = []
    var issuesTruncated = false
    var isZip64 = false
    /// Bytes found before the archive proper (self-extracting or polyglot files); every
    /// offset in the directory is relative to where the archive starts, so this is added.
    var prefixLength: UInt64 = 0

    init(source: any RandomAccessSource, limits: ZipLimits) {
        self.source = source
        self.limits = limits
    }

    mutating func note(_ kind: ZipIssue.Kind, _ entry: String?, _ message: String) {
        if issues.count < limits.maxIssues {
            issues.append(ZipIssue(kind, entry: entry, message))
        } else {
            issuesTruncated = true
        }
    }

    /// The end-of-central-directory facts.
    struct Directory {
        var entryCount: UInt64
        var size: UInt64
        var offset: UInt64
        /// Where the directory should end: the ZIP64 record or the end record.
        var end: UInt64
    }

    mutating func parse() throws(ArchiveError) {
        let directory = try findDirectory()
        try parseDirectory(directory)
        checkEntries(directoryOffset: directory.offset &+ prefixLength)
    }

    // MARK: end of central directory

    mutating func findDirectory() throws(ArchiveError) -> Directory {
        let size = source.size
        guard size >= 22 else {
            throw ArchiveError(.malformed, "\(source.name): not a ZIP archive (\(size) bytes, too short for an end record)")
        }
        let tailStart = max(0, size - (22 + 0xFFFF))
        let tail = try source.read(offset: tailStart, count: size - tailStart)
        var found: Int?
        var fallback: Int?
        var i = tail.count - 22
        while i >= 0 {
            if tail[i] == 0x50, tail[i + 1] == 0x4b, tail[i + 2] == 0x05, tail[i + 3] == 0x06,
               let commentLength = ByteReader.u16(tail, i + 20) {
                let end = i + 22 + Int(commentLength)
                if end == tail.count { found = i; break }
                if end < tail.count, fallback == nil { fallback = i }
            }
            i -= 1
        }
        guard let position = found ?? fallback else {
            throw ArchiveError(.malformed, "\(source.name): not a ZIP archive (no end of central directory record)")
        }
        if found == nil {
            note(.inconsistentDirectory, nil, "data follows the end of central directory record and its comment")
        }
        var r = ByteReader(tail, at: position + 4)
        guard let disk = r.u16(), let directoryDisk = r.u16(), let onDisk = r.u16(), let total = r.u16(),
              let cdSize = r.u32(), let cdOffset = r.u32() else {
            throw ArchiveError(.truncated, "\(source.name): end of central directory record is cut short")
        }
        let endOffset = tailStart + position
        if disk != 0 || directoryDisk != 0 || onDisk != total {
            note(.inconsistentDirectory, nil, "multi-disk archive markers (disk \(disk), directory disk \(directoryDisk), \(onDisk) of \(total) entries on this disk)")
        }
        var directory = Directory(entryCount: UInt64(total), size: UInt64(cdSize), offset: UInt64(cdOffset), end: UInt64(endOffset))
        let saturated = total == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF
        if let zip64 = readZip64(endOffset: endOffset) {
            directory = zip64
            isZip64 = true
        } else if saturated {
            note(.inconsistentDirectory, nil, "end record has ZIP64 placeholder values but no valid ZIP64 record")
        }
        return directory
    }

    mutating func readZip64(endOffset: Int) -> Directory? {
        guard endOffset >= 20, let locator = try? source.read(offset: endOffset - 20, count: 20),
              ByteReader.u32(locator, 0) == ZipArchive.zip64LocatorSignature,
              let recordOffset64 = ByteReader.u64(locator, 8) else { return nil }
        guard let recordOffset = Int(exactly: recordOffset64), recordOffset <= endOffset - 20 - 56,
              let record = try? source.read(offset: recordOffset, count: 56),
              ByteReader.u32(record, 0) == ZipArchive.zip64EndSignature else {
            note(.inconsistentDirectory, nil, "ZIP64 locator points to offset \(recordOffset64), where no ZIP64 end record is")
            return nil
        }
        var r = ByteReader(record, at: 16)
        guard let disk = r.u32(), let directoryDisk = r.u32(), let onDisk = r.u64(), let total = r.u64(),
              let cdSize = r.u64(), let cdOffset = r.u64() else { return nil }
        if disk != 0 || directoryDisk != 0 || onDisk != total {
            note(.inconsistentDirectory, nil, "ZIP64 record has multi-disk markers")
        }
        return Directory(entryCount: total, size: cdSize, offset: cdOffset, end: UInt64(recordOffset))
    }

    // MARK: central directory

    mutating func parseDirectory(_ d: Directory) throws(ArchiveError) {
        let size = UInt64(source.size)
        if d.size > UInt64(limits.maxCentralDirectoryBytes) {
            throw ArchiveError(.limitExceeded, "\(source.name): central directory of \(d.size) bytes exceeds the limit of \(limits.maxCentralDirectoryBytes) bytes")
        }
        guard d.offset <= size else {
            note(.truncated, nil, "central directory offset \(d.offset) is past the end of the file (\(size) bytes)")
            return
        }
        let (cdEnd, overflow) = d.offset.addingReportingOverflow(d.size)
        if overflow || cdEnd > d.end {
            note(cdEnd > size || overflow ? .truncated : .inconsistentDirectory, nil,
                 "central directory (\(d.size) bytes at offset \(d.offset)) runs past its end record at \(d.end)")
        } else if cdEnd < d.end {
            // Either data was prepended to the archive (offsets are then all short by the
            // gap, as Python's zipfile assumes) or junk sits before the end record.
            let gap = d.end - cdEnd
            let shifted = Int(d.offset + gap)
            if d.size >= 4, let sig = try? source.read(offset: shifted, count: 4),
               ByteReader.u32(sig, 0) == ZipArchive.centralSignature {
                prefixLength = gap
                note(.leadingData, nil, "\(gap) bytes precede the archive (self-extracting or polyglot file); offsets adjusted")
            } else {
                note(.inconsistentDirectory, nil, "\(gap) unexplained bytes between the central directory and its end record")
            }
        }
        let start = d.offset + prefixLength
        let readable = Int(min(d.size, size - start))
        let bytes = try source.read(offset: Int(start), count: readable)
        var r = ByteReader(bytes)
        while r.remaining >= 4 {
            guard ByteReader.u32(bytes, r.position) == ZipArchive.centralSignature else {
                note(.inconsistentDirectory, nil, "unexpected bytes in the central directory at offset \(start + UInt64(r.position))")
                break
            }
            if entries.count >= limits.maxEntries {
                note(.tooManyEntries, nil, "more than \(limits.maxEntries) entries; the rest were not parsed")
                return
            }
            guard let entry = parseCentralEntry(&r) else {
                note(.truncated, nil, "central directory entry \(entries.count) is cut short")
                break
            }
            entries.append(entry)
        }
        if UInt64(entries.count) != d.entryCount {
            note(entries.count < d.entryCount ? .truncated : .inconsistentDirectory, nil,
                 "end record declares \(d.entryCount) entries, the directory holds \(entries.count)")
        }
    }

    mutating func parseCentralEntry(_ r: inout ByteReader) -> ZipEntry? {
        guard r.u32() != nil, r.u16() != nil, r.u16() != nil, let flags = r.u16(), let method = r.u16(),
              r.u32() != nil, let crc = r.u32(), let csize32 = r.u32(), let usize32 = r.u32(),
              let nameLength = r.u16(), let extraLength = r.u16(), let commentLength = r.u16(),
              let disk16 = r.u16(), r.u16() != nil, r.u32() != nil, let offset32 = r.u32(),
              let rawName = r.take(Int(nameLength)), let extra = r.take(Int(extraLength)),
              r.take(Int(commentLength)) != nil else { return nil }
        var usize = UInt64(usize32), csize = UInt64(csize32), offset = UInt64(offset32)
        let name = String(decoding: rawName, as: UTF8.self)
        // ZIP64 extended information: values present only for saturated fields, in this order.
        if usize32 == 0xFFFF_FFFF || csize32 == 0xFFFF_FFFF || offset32 == 0xFFFF_FFFF {
            if let field = Self.extraField(extra, id: 0x0001) {
                var z = ByteReader(field)
                var ok = true
                if usize32 == 0xFFFF_FFFF { if let v = z.u64() { usize = v } else { ok = false } }
                if csize32 == 0xFFFF_FFFF { if let v = z.u64() { csize = v } else { ok = false } }
                if offset32 == 0xFFFF_FFFF { if let v = z.u64() { offset = v } else { ok = false } }
                if !ok { note(.inconsistentDirectory, name, "ZIP64 extra field is too short") }
            } else {
                note(.inconsistentDirectory, name, "ZIP64 placeholder sizes without a ZIP64 extra field")
            }
        }
        if disk16 != 0 && disk16 != 0xFFFF {
            note(.inconsistentDirectory, name, "entry claims to start on disk \(disk16)")
        }
        let (shiftedOffset, shiftOverflow) = offset.addingReportingOverflow(prefixLength)
        if !shiftOverflow { offset = shiftedOffset }
        let index = entries.count
        let dataOffset = readLocalHeader(name: name, rawName: rawName, flags: flags, method: method,
                                         crc: crc, csize: csize, usize: usize, offset: offset)
        return ZipEntry(name: name, rawName: rawName, method: method, flags: flags, crc32: crc,
                        compressedSize: csize, uncompressedSize: usize, localHeaderOffset: offset,
                        dataOffset: dataOffset, index: index)
    }

    /// The body of the extra field with `id`, if present and well-formed.
    static func extraField(_ extra: [UInt8], id: UInt16) -> [UInt8]? {
        var r = ByteReader(extra)
        while r.remaining >= 4 {
            guard let tag = r.u16(), let length = r.u16(), let body = r.take(Int(length)) else { return nil }
            if tag == id { return body }
        }
        return nil
    }

    // MARK: local headers

    /// Reads and cross-checks the local header; returns the data offset, or nil if unreadable.
    mutating func readLocalHeader(name: String, rawName: [UInt8], flags: UInt16, method: UInt16,
                                  crc: UInt32, csize: UInt64, usize: UInt64, offset: UInt64) -> UInt64? {
        guard let start = Int(exactly: offset), start <= source.size - 30,
              let header = try? source.read(offset: start, count: 30) else {
            note(.sizeBeyondArchive, name, "local header offset \(offset) is outside the file (\(source.size) bytes)")
            return nil
        }
        var r = ByteReader(header)
        guard r.u32() == ZipArchive.localSignature, r.u16() != nil, let lflags = r.u16(), let lmethod = r.u16(),
              r.u32() != nil, let lcrc = r.u32(), let lcsize = r.u32(), let lusize = r.u32(),
              let nameLength = r.u16(), let extraLength = r.u16() else {
            note(.headerMismatch, name, "no local header signature at offset \(offset)")
            return nil
        }
        let variable = Int(nameLength) + Int(extraLength)
        guard start + 30 <= source.size - variable,
              let tail = try? source.read(offset: start + 30, count: variable) else {
            note(.truncated, name, "local header at offset \(offset) is cut short")
            return nil
        }
        let localName = Array(tail[0..<Int(nameLength)])
        if localName != rawName {
            note(.headerMismatch, name, "local header names it '\(String(decoding: localName, as: UTF8.self))'")
        }
        if lmethod != method {
            note(.headerMismatch, name, "local header method \(lmethod), directory method \(method)")
        }
        if (lflags & 1) != (flags & 1) {
            note(.headerMismatch, name, "local and central headers disagree on encryption")
        }
        if lflags & 0x8 == 0 {
            var lc = UInt64(lcsize), lu = UInt64(lusize)
            if lcsize == 0xFFFF_FFFF || lusize == 0xFFFF_FFFF,
               let field = Self.extraField(Array(tail[Int(nameLength)...]), id: 0x0001) {
                // In a local header the ZIP64 field holds both sizes, uncompressed first.
                var z = ByteReader(field)
                if let u = z.u64(), let c = z.u64() { lu = u; lc = c }
            }
            if lcrc != crc || lc != csize || lu != usize {
                note(.headerMismatch, name, "local header declares CRC/sizes \(lcrc)/\(lc)/\(lu), directory \(crc)/\(csize)/\(usize)")
            }
        }
        return offset + 30 + UInt64(variable)
    }

    // MARK: whole-archive checks

    mutating func checkEntries(directoryOffset: UInt64) {
        let size = UInt64(source.size)
        var seen: [[UInt8]: Int] = [:]
        var total: UInt64 = 0
        var ranges: [(start: UInt64, end: UInt64, index: Int)] = []
        ranges.reserveCapacity(entries.count)
        for entry in entries {
            let name = entry.name
            checkName(entry)
            if let first = seen[entry.rawName] {
                note(.duplicateName, name, "name also used by entry \(first)")
            } else {
                seen[entry.rawName] = entry.index
            }
            if entry.isEncrypted { note(.encrypted, name, "entry is encrypted") }
            if !entry.isMethodSupported { note(.unsupportedMethod, name, "compression method \(entry.method)") }
            if entry.uncompressedSize > limits.maxEntryUncompressedBytes {
                note(.sizeBeyondLimit, name, "declares \(entry.uncompressedSize) uncompressed bytes, limit \(limits.maxEntryUncompressedBytes)")
            }
            let (sum, overflow) = total.addingReportingOverflow(entry.uncompressedSize)
            total = overflow ? UInt64.max : sum
            let ratioLimited = entry.compressedSize == 0
                ? entry.uncompressedSize > 0
                : entry.uncompressedSize / entry.compressedSize > limits.maxCompressionRatio
            if ratioLimited && !(entry.compressedSize == 0 && entry.method == 0) {
                note(.suspiciousCompressionRatio, name, "declares \(entry.uncompressedSize) bytes from \(entry.compressedSize) compressed")
            }
            if entry.method == 0 && entry.compressedSize != entry.uncompressedSize {
                note(.headerMismatch, name, "stored entry with compressed size \(entry.compressedSize) ≠ uncompressed size \(entry.uncompressedSize)")
            }
            guard let dataOffset = entry.dataOffset else { continue }
            let (end, endOverflow) = dataOffset.addingReportingOverflow(entry.compressedSize)
            if endOverflow || end > size {
                note(.sizeBeyondArchive, name, "data (\(entry.compressedSize) bytes at offset \(dataOffset)) runs past the end of the file (\(size) bytes)")
                continue
            }
            if end > directoryOffset && entry.localHeaderOffset <= directoryOffset {
                note(.overlappingEntries, name, "data runs into the central directory at offset \(directoryOffset)")
            }
            ranges.append((entry.localHeaderOffset, end, entry.index))
        }
        if total > limits.maxTotalUncompressedBytes {
            note(.sizeBeyondLimit, nil, "entries declare \(total) uncompressed bytes in total, limit \(limits.maxTotalUncompressedBytes)")
        }
        // Overlap: sweep ranges by start, remembering the furthest end so far.
        ranges.sort { $0.start < $1.start || ($0.start == $1.start && $0.index < $1.index) }
        var furthest: (end: UInt64, index: Int)?
        for range in ranges {
            if let f = furthest, range.start < f.end {
                note(.overlappingEntries, entries[range.index].name,
                     "bytes \(range.start)..<\(range.end) overlap entry '\(entries[f.index].name)'")
            }
            if furthest == nil || range.end > (furthest?.end ?? 0) { furthest = (range.end, range.index) }
        }
    }

    mutating func checkName(_ entry: ZipEntry) {
        let raw = entry.rawName, name = entry.name
        if raw.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            note(.controlCharacterInName, name, "name holds a control character")
        }
        if raw.first == UInt8(ascii: "/") {
            note(.absolutePath, name, "absolute path")
        }
        let hasDrive = raw.count >= 2 && raw[1] == UInt8(ascii: ":")
            && ((raw[0] | 0x20) >= UInt8(ascii: "a") && (raw[0] | 0x20) <= UInt8(ascii: "z"))
        if raw.contains(UInt8(ascii: "\\")) || hasDrive {
            note(.windowsPath, name, hasDrive ? "name starts with a drive letter" : "name holds a backslash")
        }
        let components = raw.split(omittingEmptySubsequences: false) { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }
        if components.contains(where: { $0.elementsEqual([0x2e, 0x2e]) }) {
            note(.pathTraversal, name, "name has a '..' component")
        }
    }
}
