import Testing
@testable import BulwarkSupplyChain
import BulwarkArchive

@Test(arguments: ["benign-dict.joblib", "benign-mixed_arrays.joblib"])
func benignJoblibWithInStreamArraysIsClean(name: String) throws {
    let file = ArtifactScanner().scanFile(path: try ScanFixtures.path(name))
    #expect(file.format == "pickle")
    #expect(file.findings.isEmpty, "\(file.findings)")
    #expect(file.verdict == .clean)
    let r = PickleAnalyzer.analyze(try ScanFixtures.bytes(name))
    #expect(r.problems.isEmpty)
    #expect(r.endOffset == (try ScanFixtures.bytes(name)).count)
}

@Test(arguments: [("malicious-joblib_after_array.joblib", "REDUCE posix.system"),
                  ("malicious-joblib_object_array.joblib", "REDUCE posix.system"),
                  ("malicious-joblib_padding_smuggle.joblib", "plain-load:GLOBAL os.system")])
func joblibPayloadsAfterInsideAndBesideArraysAreCaught(name: String, detail: String) throws {
    let file = ArtifactScanner().scanFile(path: try ScanFixtures.path(name))
    #expect(file.verdict == .malicious)
    #expect(file.findings.contains { $0.rule == "pickle.dangerous-callable" && $0.detail.hasPrefix(detail) }, "\(file.findings)")
}

@Test func joblibArrayRunningPastTheEndIsAProblemNotACrash() throws {
    let good = try ScanFixtures.bytes("benign-mixed_arrays.joblib")
    // Every truncation of a real joblib stream is reported, never trapped on.
    for cut in stride(from: 1, to: good.count, by: 7) {
        let r = PickleAnalyzer.analyze(Array(good.prefix(cut)))
        #expect(!r.problems.isEmpty)
    }
}

@Test func joblibLayoutSizesDtypesAndRejectsAbsurdShapes() throws {
    #expect(try JoblibArrayLayout.itemSize(descr: "f8", flags: 0) == 8)
    #expect(try JoblibArrayLayout.itemSize(descr: "U5", flags: 8) == 20)
    #expect(try JoblibArrayLayout.itemSize(descr: "O8", flags: 63) == nil)
    #expect(try JoblibArrayLayout.itemSize(descr: "V6", flags: 16) == 6)
    #expect(try JoblibArrayLayout.itemSize(descr: "V6", flags: 17) == nil)
    #expect(throws: FormatError.self) { try JoblibArrayLayout.itemSize(descr: "V6", flags: nil) }
    #expect(throws: FormatError.self) { try JoblibArrayLayout.itemSize(descr: "f3", flags: 0) }
    #expect(try JoblibArrayLayout.layout(shape: [2, 3], descr: "i4", flags: 0, aligned: true) == .init(payload: .raw(count: 24), aligned: true))
    #expect(throws: FormatError.self) { try JoblibArrayLayout.layout(shape: [1 << 40, 1 << 40], descr: "f8", flags: 0, aligned: false) }
    #expect(throws: FormatError.self) { try JoblibArrayLayout.layout(shape: [-1], descr: "f8", flags: 0, aligned: false) }
}

@Test func wrapperDeclaringMoreBytesThanTheFileIsMalformed() {
    // NumpyArrayWrapper BUILD with shape (1000000,) float64 but only 8 bytes of data.
    let wrapper: [UInt8] = [0x80, 4, 0x8c, 19] + Array("joblib.numpy_pickle".utf8) + [0x8c, 17] + Array("NumpyArrayWrapper".utf8)
        + [0x93, 0x29, 0x81, 0x7d, 0x28, 0x8c, 5] + Array("shape".utf8) + [0x4a, 0x40, 0x42, 0x0f, 0x00, 0x85]
        + [0x8c, 5] + Array("dtype".utf8) + [0x8c, 5] + Array("numpy".utf8) + [0x8c, 5] + Array("dtype".utf8) + [0x93, 0x8c, 2] + Array("f8".utf8)
        + [0x89, 0x88, 0x87, 0x52, 0x75, 0x62] + [UInt8](repeating: 0, count: 8) + [0x2e]
    let r = PickleAnalyzer.analyze(wrapper)
    #expect(r.problems.contains { $0.contains("declares 8000000 bytes") })
}
