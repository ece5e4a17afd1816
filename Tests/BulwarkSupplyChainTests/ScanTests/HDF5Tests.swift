import Testing
@testable import BulwarkSupplyChain
import BulwarkArchive

private func attributes(_ b: [UInt8]) throws(FormatError) -> HDF5Attributes {
    try HDF5Attributes(size: b.count) { o, n in o >= 0 && n >= 0 && n <= b.count - o ? Array(b[o..<(o + n)]) : nil }
}

@Test(arguments: ["benign-keras_dense.h5", "benign-keras_dense_latest.h5"])
func kerasH5ModelConfigIsReadAndCleanWithoutLambda(name: String) throws {
    let a = try attributes(try ScanFixtures.bytes(name))
    let config = try #require(a.strings["model_config"])
    #expect(config.hasPrefix("{\"class_name\": \"Sequential\""))
    #expect(a.strings["keras_version"] == "2.15.0")
    let file = ArtifactScanner().scanFile(path: try ScanFixtures.path(name))
    #expect(file.format == "keras-h5")
    #expect(file.verdict == .clean, "\(file.findings)")
}

@Test func superblockVersionsZeroAndThreeAreBothRead() throws {
    #expect(try attributes(try ScanFixtures.bytes("benign-keras_dense.h5")).superblockVersion == 0)
    #expect(try attributes(try ScanFixtures.bytes("benign-keras_dense_latest.h5")).superblockVersion == 3)
}

@Test(arguments: ["malicious-lambda.h5", "malicious-lambda_latest_fixed.h5"])
func kerasH5LambdaIsMalicious(name: String) throws {
    let file = ArtifactScanner().scanFile(path: try ScanFixtures.path(name))
    #expect(file.format == "keras-h5")
    #expect(file.verdict == .malicious)
    #expect(file.findings.contains { $0.rule == "keras.lambda-layer" })
}

@Test func hdf5WithoutModelConfigIsUnsupportedNotClean() throws {
    let file = ArtifactScanner().scanFile(path: try ScanFixtures.path("benign-weights_only.h5"))
    #expect(file.format == "hdf5")
    #expect(file.verdict == .unsupported)
}

@Test func hostileHDF5GivesErrorsNotCrashes() throws {
    let good = try ScanFixtures.bytes("benign-keras_dense.h5")
    // Every truncation: an error or (past the root header) a result, never a trap or hang.
    for cut in stride(from: 8, to: good.count, by: 61) { _ = try? attributes(Array(good.prefix(cut))) }
    // Root object header address past the end of the file (superblock v0: offset 64).
    var far = good
    for i in 0..<8 { far[64 + i] = 0xff }
    far[71] = 0x7f
    #expect(throws: FormatError.self) { try attributes(far) }
    // Absurd offset/length sizes.
    var sizes = good
    sizes[13] = 3
    #expect(throws: FormatError.self) { try attributes(sizes) }
    // A continuation message pointing at its own block loops: detected (object header v1).
    var loop = good
    var q = 64
    let root = try HDF5Attributes.uint(good, &q, 8)
    let first = root + 16
    loop[first] = 0x10; loop[first + 1] = 0; loop[first + 2] = 16; loop[first + 3] = 0
    for i in 0..<8 { loop[first + 8 + i] = UInt8((UInt64(first) >> (8 * UInt64(i))) & 0xff) }
    for i in 0..<8 { loop[first + 16 + i] = i == 0 ? 24 : 0 }
    #expect { try attributes(loop) } throws: { ($0 as? FormatError)?.message.contains("loops") == true }
    #expect(ArtifactScanner().scanFile(path: try ScanFixtures.path("benign-keras_dense.h5")).verdict == .clean)
    let (format, findings, _) = try ArtifactScanner().scanSource(MemorySource(far), directory: ".")
    #expect(format == "hdf5" && findings.contains { $0.rule == "hdf5.malformed" })
}
