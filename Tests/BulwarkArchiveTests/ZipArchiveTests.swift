import BulwarkArchive
import Testing

private func archive(_ writer: TestZipWriter, limits: ZipLimits = ZipLimits()) throws -> ZipArchive {
    try ZipArchive(source: MemorySource(writer.build(), name: "test.zip"), limits: limits)
}

private func kinds(_ zip: ZipArchive) -> Set<ZipIssue.Kind> { Set(zip.issues.map(\.kind)) }

private let text = Array("hello, archive! ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 500)

@Test func storedAndDeflatedEntriesRoundTrip() throws {
    var w = TestZipWriter()
    w.items = [.init("a.txt", text), .init("dir/b.bin", text + text, deflate: true), .init("empty", [])]
    let zip = try archive(w)
    #expect(zip.issues.isEmpty, "\(zip.issues)")
    #expect(zip.entries.map(\.name) == ["a.txt", "dir/b.bin", "empty"])
    #expect(zip.entries.map(\.method) == [0, 8, 0])
    let b = try #require(zip.entry(named: "dir/b.bin"))
    #expect(b.compressedSize < b.uncompressedSize)
    #expect(try zip.read(b, maxBytes: 10_000) == text + text)
    #expect(try zip.read(zip.entries[0], maxBytes: 10_000) == text)
    #expect(try zip.read(zip.entries[2], maxBytes: 0) == [])
    #expect(try zip.readPrefix(b, count: 5) == Array("hello".utf8))
    #expect(try zip.readPrefix(zip.entries[0], count: 5) == Array("hello".utf8))
    #expect(!zip.isZip64)
}

@Test func hostileNamesAreReported() throws {
    var w = TestZipWriter()
    w.items = [.init("../../etc/passwd", [1]), .init("/etc/shadow", [2]), .init("C:\\Windows\\x.dll", [3]),
               .init("ok/../../up", [4]), .init("nul\u{0}byte", [5]), .init("fine/name.txt", [6])]
    let zip = try archive(w)
    let byName = Dictionary(grouping: zip.issues, by: { $0.entry ?? "" }).mapValues { Set($0.map(\.kind)) }
    #expect(byName["../../etc/passwd"] == [.pathTraversal])
    #expect(byName["/etc/shadow"] == [.absolutePath])
    #expect(byName["C:\\Windows\\x.dll"] == [.windowsPath])
    #expect(byName["ok/../../up"] == [.pathTraversal])
    #expect(byName["nul\u{0}byte"] == [.controlCharacterInName])
    #expect(byName["fine/name.txt"] == nil)
}

@Test func duplicateNamesAreReported() throws {
    var w = TestZipWriter()
    w.items = [.init("data.pkl", [1, 2]), .init("data.pkl", [3, 4])]
    let zip = try archive(w)
    #expect(zip.issues.map(\.kind) == [.duplicateName])
    #expect(zip.entry(named: "data.pkl")?.index == 0)
}

@Test func overlappingEntriesAreReported() throws {
    // The overlap bomb: several directory entries point at one local header and its data.
    var w = TestZipWriter()
    w.items = [.init("kernel", Array(repeating: 0, count: 100_000), deflate: true)]
    for i in 1...5 {
        var copy = w.items[0]
        copy.name = Array("copy\(i)".utf8)
        copy.sharesLocalHeaderOf = 0
        w.items.append(copy)
    }
    let zip = try archive(w)
    #expect(zip.issues.filter { $0.kind == .overlappingEntries }.count == 5)
    // Names differ between the shared local header and the copies.
    #expect(kinds(zip).contains(.headerMismatch))
}

@Test func bombDeclarationIsReportedAndNotInflated() throws {
    // 10 MB of zeros deflates to about 10 kB; the directory then claims 300 GB (ZIP64).
    let zeros = [UInt8](repeating: 0, count: 10 << 20)
    var item = TestZipWriter.Item("bomb.bin", zeros, deflate: true)
    item.uncompressedSize = 300 << 30
    item.zip64 = true
    var w = TestZipWriter()
    w.items = [item]
    w.forceZip64 = true
    let zip = try archive(w)
    #expect(zip.isZip64)
    let entry = try #require(zip.entries.first)
    #expect(entry.uncompressedSize == 300 << 30)
    #expect(kinds(zip).isSuperset(of: [.sizeBeyondLimit, .suspiciousCompressionRatio]))
    let declared = #expect(throws: ArchiveError.self) { try zip.read(entry, maxBytes: 1 << 20) }
    #expect(declared?.code == .limitExceeded)
    // A prefix read inflates only what it needs.
    #expect(try zip.readPrefix(entry, count: 1000) == [UInt8](repeating: 0, count: 1000))
}

@Test func entryThatInflatesBeyondItsDeclaredSizeIsStopped() throws {
    var item = TestZipWriter.Item("liar.bin", [UInt8](repeating: 0, count: 10 << 20), deflate: true)
    item.uncompressedSize = 1000
    var w = TestZipWriter()
    w.items = [item]
    let zip = try archive(w)
    let error = #expect(throws: ArchiveError.self) { try zip.read(zip.entries[0], maxBytes: 1 << 30) }
    #expect(error?.code == .checksumMismatch)
    #expect(error?.message.contains("liar.bin") == true)
}

@Test func honestLargeEntryAboveTheCallerLimitIsRefused() throws {
    var w = TestZipWriter()
    w.items = [.init("big.bin", [UInt8](repeating: 7, count: 2 << 20), deflate: true)]
    let zip = try archive(w)
    let error = #expect(throws: ArchiveError.self) { try zip.read(zip.entries[0], maxBytes: 1 << 20) }
    #expect(error?.code == .limitExceeded)
    #expect(try zip.read(zip.entries[0], maxBytes: 2 << 20).count == 2 << 20)
}

@Test func crcMismatchIsDetected() throws {
    var item = TestZipWriter.Item("x", text, deflate: true)
    item.crc ^= 1
    var w = TestZipWriter()
    w.items = [item]
    let zip = try archive(w)
    #expect(zip.issues.isEmpty)
    let error = #expect(throws: ArchiveError.self) { try zip.read(zip.entries[0], maxBytes: 1 << 20) }
    #expect(error?.code == .checksumMismatch)
}

@Test func encryptedAndUnsupportedEntriesAreReportedAndRefused() throws {
    var enc = TestZipWriter.Item("secret", text)
    enc.flags = 1
    var implode = TestZipWriter.Item("implode", text)
    implode.method = 6
    // bzip2 (12) is supported now; stored bytes labelled bzip2 are corrupt data, not an unsupported method.
    var bz = TestZipWriter.Item("bzip", text)
    bz.method = 12
    var w = TestZipWriter()
    w.items = [enc, implode, bz]
    let zip = try archive(w)
    #expect(kinds(zip) == [.encrypted, .unsupportedMethod])
    #expect((#expect(throws: ArchiveError.self) { try zip.read(zip.entries[0], maxBytes: 1 << 20) })?.code == .encrypted)
    #expect((#expect(throws: ArchiveError.self) { try zip.read(zip.entries[1], maxBytes: 1 << 20) })?.code == .unsupported)
    #expect((#expect(throws: ArchiveError.self) { try zip.read(zip.entries[2], maxBytes: 1 << 20) })?.code == .malformed)
}

@Test func localCentralMismatchIsReported() throws {
    var item = TestZipWriter.Item("innocent.txt", text)
    item.localName = Array("payload.exe!".utf8)
    var w = TestZipWriter()
    w.items = [item]
    let zip = try archive(w)
    #expect(kinds(zip) == [.headerMismatch])
}

@Test func tooManyEntriesStopsParsing() throws {
    var w = TestZipWriter()
    w.items = (0..<10).map { .init("f\($0)", [UInt8($0)]) }
    let zip = try archive(w, limits: ZipLimits(maxEntries: 3))
    #expect(zip.entries.count == 3)
    #expect(kinds(zip).contains(.tooManyEntries))
}

@Test func badOffsetsAndTruncationAreReported() throws {
    var w = TestZipWriter()
    w.items = [.init("a", text), .init("b", text, deflate: true)]
    let good = w.build()
    // Bytes prepended (a self-extracting or polyglot file): reported, offsets adjusted.
    let shifted = try ZipArchive(source: MemorySource([1, 2, 3, 4, 5, 6, 7] + good))
    #expect(shifted.issues.map(\.kind) == [.leadingData])
    #expect(shifted.leadingBytes > 0)
    #expect(shifted.issues.first?.message.contains("7 bytes precede the archive") == true)
    #expect(try shifted.entries.map { try shifted.read($0, maxBytes: 1 << 20) } == [text, text])
    // A directory offset that points at the wrong place: entries cannot be found.
    var wrongOffset = good
    wrongOffset[wrongOffset.count - 6] &+= 3
    let broken = try ZipArchive(source: MemorySource(wrongOffset))
    #expect(!broken.issues.isEmpty)
    for entry in broken.entries {
        #expect(throws: ArchiveError.self) { _ = try broken.read(entry, maxBytes: 1 << 20) }
    }
    // The first entry's data cut off: directory and end record kept but moved.
    var cut = good
    cut.removeSubrange(40..<200)
    let truncated = try ZipArchive(source: MemorySource(cut))
    #expect(!truncated.issues.isEmpty)
    // Cut at the end: no end record at all.
    let error = #expect(throws: ArchiveError.self) { try ZipArchive(source: MemorySource(Array(good.prefix(good.count - 30)))) }
    #expect(error?.code == .malformed)
    // End record claims more entries than present.
    w.declaredEntryCount = 5
    #expect(kinds(try archive(w)).contains(.truncated))
}

@Test func everyPrefixAndByteFlipIsHandledWithoutTrapping() throws {
    var w = TestZipWriter()
    w.items = [.init("a", text), .init("b/c", text, deflate: true)]
    let good = w.build()
    var inputs: [[UInt8]] = (0...good.count).map { Array(good.prefix($0)) }
    for i in stride(from: 0, to: good.count, by: 3) {
        var flipped = good
        flipped[i] ^= 0xA5
        inputs.append(flipped)
    }
    var parsed = 0
    for input in inputs {
        guard let zip = try? ZipArchive(source: MemorySource(input)) else { continue }
        parsed += 1
        for entry in zip.entries {
            _ = try? zip.read(entry, maxBytes: 1 << 16)
            _ = try? zip.readPrefix(entry, count: 10)
        }
    }
    #expect(parsed > good.count / 4)
}

@Test func zip64ArchiveIsRead() throws {
    var item = TestZipWriter.Item("weights.bin", text, deflate: true)
    item.zip64 = true
    var w = TestZipWriter()
    w.items = [item, .init("small", [1, 2, 3])]
    w.forceZip64 = true
    let zip = try archive(w)
    #expect(zip.isZip64)
    #expect(zip.issues.isEmpty, "\(zip.issues)")
    #expect(try zip.read(zip.entries[0], maxBytes: 1 << 20) == text)
    #expect(try zip.read(zip.entries[1], maxBytes: 1 << 20) == [1, 2, 3])
}

@Test func contentSniff() throws {
    var w = TestZipWriter()
    w.items = [.init("a", [1])]
    #expect(ZipArchive.looksLikeZip(MemorySource(w.build())))
    #expect(ZipArchive.looksLikeZip(MemorySource(TestZipWriter().build())))
    #expect(!ZipArchive.looksLikeZip(MemorySource(Array("\u{93}NUMPY".utf8))))
    #expect(!ZipArchive.looksLikeZip(MemorySource([0x50, 0x4b])))
    let notZip = #expect(throws: ArchiveError.self) { try ZipArchive(source: MemorySource([UInt8](repeating: 9, count: 100))) }
    #expect(notZip?.code == .malformed)
}

@Test func messagesStayOneLineWhateverTheNames() throws {
    var item = TestZipWriter.Item("evil\nname\u{1b}[31m", text)
    item.localName = Array(("x" + String(repeating: "\n", count: 2000)).utf8)
    var w = TestZipWriter()
    w.items = [item]
    let zip = try archive(w)
    #expect(!zip.issues.isEmpty)
    for issue in zip.issues {
        #expect(!issue.message.contains("\n") && !issue.message.contains("\u{1b}"))
        #expect(issue.message.count < 500)
    }
    #expect(zip.entries[0].name == "evil\nname\u{1b}[31m")
    let error = ArchiveError(.malformed, "entry 'a\nb'")
    #expect(error.message == "entry 'a\\nb'")
}
