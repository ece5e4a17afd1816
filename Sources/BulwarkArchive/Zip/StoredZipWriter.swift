/// Builds a ZIP archive whose entries are stored uncompressed (method 0), as `numpy.savez`
/// does. Intended for small-to-medium archives written by Bulwark itself (`.npz` files);
/// archives that would need ZIP64 (an entry or the whole archive of 4 GiB or more, or more
/// than 65 535 entries) are refused.
public enum StoredZipWriter {
    /// The bytes of a ZIP archive holding `entries` in order.
    /// - Throws: ``ArchiveError`` `.limitExceeded` if ZIP64 would be needed, `.malformed`
    ///   for an empty name, a name longer than 65 535 bytes, or a duplicate name.
    public static func archive(_ entries: [(name: String, data: [UInt8])]) throws(ArchiveError) -> [UInt8] {
        guard entries.count < 0xFFFF else {
            throw ArchiveError(.limitExceeded, "ZIP writer: \(entries.count) entries need ZIP64, which is not written")
        }
        var out: [UInt8] = []
        var directory: [UInt8] = []
        var names = Set<String>()
        for (name, data) in entries {
            let rawName = Array(name.utf8)
            guard !rawName.isEmpty, rawName.count <= 0xFFFF, names.insert(name).inserted else {
                throw ArchiveError(.malformed, "ZIP writer: entry name '\(name)' is empty, too long or duplicated")
            }
            guard data.count < 0xFFFF_FFFF, out.count < 0xFFFF_FFFF - data.count - 30 - rawName.count else {
                throw ArchiveError(.limitExceeded, "ZIP writer: entry '\(name)' would need ZIP64, which is not written")
            }
            let crc = CRC32.checksum(data)
            let offset = UInt32(out.count)
            let size = UInt32(data.count)
            // Version 20, flag bit 11 (UTF-8 names), method 0, DOS time/date 1980-01-01 00:00.
            let common: [UInt8] = le16(20) + le16(0x0800) + le16(0) + le16(0) + le16(0x21) + le32(crc) + le32(size) + le32(size)
                + le16(UInt16(rawName.count)) + le16(0)
            out += le32(ZipArchive.localSignature) + common + rawName
            out += data
            directory += le32(ZipArchive.centralSignature) + le16(20) + common + le16(0) + le16(0) + le16(0)
                + le32(0) + le32(offset) + rawName
        }
        guard out.count + directory.count < 0xFFFF_FFFF else {
            throw ArchiveError(.limitExceeded, "ZIP writer: archive of \(out.count + directory.count) bytes would need ZIP64")
        }
        let directoryOffset = UInt32(out.count)
        out += directory
        out += le32(ZipArchive.endSignature) + le16(0) + le16(0) + le16(UInt16(entries.count)) + le16(UInt16(entries.count))
            + le32(UInt32(directory.count)) + le32(directoryOffset) + le16(0)
        return out
    }

    private static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    private static func le32(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)]
    }
}
