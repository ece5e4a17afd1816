import BulwarkArchive
import Foundation
import Testing

@Test func gzipRoundTripsAndAcceptsMultipleMembers() throws {
    let a = Array("first member\n".utf8), b = [UInt8](repeating: 42, count: 100_000)
    #expect(try Gzip.decompress(gzip(a), maxOutputBytes: 1 << 20) == a)
    #expect(try Gzip.decompress(gzip(a) + gzip(b), maxOutputBytes: 1 << 20) == a + b)
    #expect(try Gzip.decompress(gzip(a) + [0, 0, 0, 0], maxOutputBytes: 1 << 20) == a)
    #expect(Gzip.looksLikeGzip(gzip(a)))
    #expect(!Gzip.looksLikeGzip(a))
}

@Test func gzipLimitsAndCorruptionAreErrors() throws {
    let zeros = gzip([UInt8](repeating: 0, count: 5 << 20))
    let limit = #expect(throws: ArchiveError.self) { try Gzip.decompress(zeros, maxOutputBytes: 1 << 20, label: "z.gz") }
    #expect(limit?.code == .limitExceeded)
    #expect(limit?.message.hasPrefix("z.gz:") == true)
    #expect(try Gzip.decompress(zeros, maxOutputBytes: 5 << 20).count == 5 << 20)
    let truncated = #expect(throws: ArchiveError.self) { try Gzip.decompress(Array(zeros.prefix(zeros.count / 2)), maxOutputBytes: 1 << 30) }
    #expect(truncated?.code == .truncated)
    let trailing = #expect(throws: ArchiveError.self) { try Gzip.decompress(gzip([1]) + [7, 7], maxOutputBytes: 10) }
    #expect(trailing?.code == .malformed)
    var corrupt = gzip(Array("some text that is long enough".utf8))
    corrupt[corrupt.count - 5] ^= 0xFF  // inside the CRC/length trailer
    #expect(throws: ArchiveError.self) { try Gzip.decompress(corrupt, maxOutputBytes: 1 << 20) }
    #expect(throws: ArchiveError.self) { try Gzip.decompress([1, 2, 3], maxOutputBytes: 10) }
}

@Test func rawDeflateInflates() throws {
    let data: [UInt8] = Array(0..<255) + Array(0..<255)
    #expect(try Deflate.inflate(rawDeflate(data), maxOutputBytes: 510) == data)
    #expect(throws: ArchiveError.self) { try Deflate.inflate(rawDeflate(data), maxOutputBytes: 509) }
}

@Test func fileSourceReadsOnlyRequestedRanges() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-source-\(getpid()).bin")
    defer { try? FileManager.default.removeItem(at: url) }
    let bytes = (0..<10_000).map { UInt8($0 % 251) }
    try Data(bytes).write(to: url)
    let source = try FileSource(path: url.path)
    #expect(source.size == 10_000)
    #expect(try source.read(offset: 9_990, count: 10) == Array(bytes[9_990...]))
    #expect(try source.read(offset: 0, count: 0) == [])
    let past = #expect(throws: ArchiveError.self) { try source.read(offset: 9_995, count: 10) }
    #expect(past?.code == .truncated)
    #expect(throws: ArchiveError.self) { try source.read(offset: Int.max, count: 10) }
    #expect(throws: ArchiveError.self) { try source.read(offset: -1, count: 1) }
    let missing = #expect(throws: ArchiveError.self) { try FileSource(path: "/nonexistent/file.zip") }
    #expect(missing?.code == .io)
    #expect(missing?.message.contains("/nonexistent/file.zip") == true)
    #expect(throws: ArchiveError.self) { try FileSource(path: "/tmp") }
    let memory = MemorySource(bytes)
    #expect(try memory.read(offset: 100, count: 3) == Array(bytes[100..<103]))
    #expect(throws: ArchiveError.self) { try memory.read(offset: 9_999, count: 2) }
}
