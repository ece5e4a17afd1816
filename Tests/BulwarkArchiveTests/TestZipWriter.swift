import BulwarkArchive
import CZlib

/// A tiny ZIP writer for tests: every header field can be forged, so hostile archives
/// (traversal, overlap, lying sizes, ZIP64) are built in the test that uses them.
struct TestZipWriter {
    struct Item {
        var name: [UInt8]
        /// The bytes written after the local header (already compressed for deflate).
        var payload: [UInt8]
        var method: UInt16 = 0
        var flags: UInt16 = 0
        var crc: UInt32
        var compressedSize: UInt64
        var uncompressedSize: UInt64
        /// Name written in the local header (defaults to `name`).
        var localName: [UInt8]? = nil
        /// Write ZIP64 extra fields for this entry.
        var zip64 = false
        /// Point the directory entry at another entry's local header instead of writing one.
        var sharesLocalHeaderOf: Int? = nil

        init(_ name: String, _ content: [UInt8], deflate: Bool = false) {
            self.name = Array(name.utf8)
            self.crc = CRC32.checksum(content)
            self.uncompressedSize = UInt64(content.count)
            self.payload = deflate ? rawDeflate(content) : content
            self.method = deflate ? 8 : 0
            self.compressedSize = UInt64(payload.count)
        }
    }

    var items: [Item] = []
    var prefix: [UInt8] = []
    var declaredEntryCount: Int? = nil
    var forceZip64 = false

    func build() -> [UInt8] {
        var out = prefix
        var localOffsets: [UInt64] = []
        for item in items {
            if let other = item.sharesLocalHeaderOf {
                localOffsets.append(localOffsets[other])
                continue
            }
            localOffsets.append(UInt64(out.count))
            let lname = item.localName ?? item.name
            var extra: [UInt8] = []
            if item.zip64 {
                extra += le16(1) + le16(16) + le64(item.uncompressedSize) + le64(item.compressedSize)
            }
            out += le32(0x0403_4b50) + le16(45) + le16(item.flags) + le16(item.method) + le16(0) + le16(0)
            out += le32(item.crc)
            out += item.zip64 ? le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF)
                              : le32(UInt32(truncatingIfNeeded: item.compressedSize)) + le32(UInt32(truncatingIfNeeded: item.uncompressedSize))
            out += le16(UInt16(lname.count)) + le16(UInt16(extra.count)) + lname + extra + item.payload
        }
        let cdOffset = UInt64(out.count)
        for (i, item) in items.enumerated() {
            var extra: [UInt8] = []
            if item.zip64 {
                extra += le16(1) + le16(24) + le64(item.uncompressedSize) + le64(item.compressedSize) + le64(localOffsets[i])
            }
            out += le32(0x0201_4b50) + le16(45) + le16(45) + le16(item.flags) + le16(item.method) + le16(0) + le16(0)
            out += le32(item.crc)
            if item.zip64 {
                out += le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF)
            } else {
                out += le32(UInt32(truncatingIfNeeded: item.compressedSize)) + le32(UInt32(truncatingIfNeeded: item.uncompressedSize))
            }
            out += le16(UInt16(item.name.count)) + le16(UInt16(extra.count)) + le16(0) + le16(0) + le16(0) + le32(0)
            out += item.zip64 ? le32(0xFFFF_FFFF) : le32(UInt32(truncatingIfNeeded: localOffsets[i]))
            out += item.name + extra
        }
        let cdSize = UInt64(out.count) - cdOffset
        let count = UInt64(declaredEntryCount ?? items.count)
        if forceZip64 {
            let recordOffset = UInt64(out.count)
            out += le32(0x0606_4b50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0)
            out += le64(count) + le64(count) + le64(cdSize) + le64(cdOffset)
            out += le32(0x0706_4b50) + le32(0) + le64(recordOffset) + le32(1)
            out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF)
            out += le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le16(0)
        } else {
            out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(UInt16(count)) + le16(UInt16(count))
            out += le32(UInt32(cdSize)) + le32(UInt32(cdOffset)) + le16(0)
        }
        return out
    }
}

func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xff) } }
func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xff) } }

/// Raw DEFLATE (no zlib header) of `data` with zlib, for building test archives.
func rawDeflate(_ data: [UInt8]) -> [UInt8] { zlibCompress(data, windowBits: -15) }

/// gzip of `data` with zlib.
func gzip(_ data: [UInt8]) -> [UInt8] { zlibCompress(data, windowBits: 31) }

private func zlibCompress(_ data: [UInt8], windowBits: Int32) -> [UInt8] {
    // zlib requires the z_stream to stay at one address, so it lives on the heap.
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { deflateEnd(stream); stream.deinitialize(count: 1); stream.deallocate() }
    let rc = deflateInit2_(stream, 9, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    precondition(rc == Z_OK)
    var input = data
    var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, UInt(data.count))) + 64)
    let produced: Int = input.withUnsafeMutableBufferPointer { inBuf in
        output.withUnsafeMutableBufferPointer { outBuf in
            stream.pointee.next_in = inBuf.baseAddress
            stream.pointee.avail_in = UInt32(inBuf.count)
            stream.pointee.next_out = outBuf.baseAddress
            stream.pointee.avail_out = UInt32(outBuf.count)
            let r = deflate(stream, Z_FINISH)
            precondition(r == Z_STREAM_END)
            return outBuf.count - Int(stream.pointee.avail_out)
        }
    }
    return Array(output.prefix(produced))
}
