// libFuzzer harness: the ZIP parser, entry reads and gzip on arbitrary bytes.
// Property: no trap, no sanitizer report; every error is a typed ArchiveError.
import BulwarkArchive

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let source = MemorySource(bytes, name: "fuzz.zip")
    _ = ZipArchive.looksLikeZip(source)
    let limits = ZipLimits(maxEntries: 256, maxCentralDirectoryBytes: 1 << 16, maxIssues: 64)
    if let zip = try? ZipArchive(source: source, limits: limits) {
        for entry in zip.entries.prefix(16) {
            _ = try? zip.read(entry, maxBytes: 1 << 16)
            _ = try? zip.readPrefix(entry, count: 64)
        }
    }
    _ = try? Gzip.decompress(bytes, maxOutputBytes: 1 << 16)
    _ = try? Deflate.inflate(bytes, maxOutputBytes: 1 << 16)
    return 0
}
