import Testing
@testable import BulwarkSupplyChain
import BulwarkArchive

@Test func onnxReaderReadsProducerOpsetAndInitializers() throws {
    // ModelProto{ir_version=8, producer_name="t", graph{node{op_type="Relu"}, initializer{dims=[2,3], data_type=1, name="W"}}, opset_import{version=17}}
    let node: [UInt8] = [0x22, 4] + Array("Relu".utf8)
    let tensor: [UInt8] = [0x08, 2, 0x08, 3, 0x10, 1, 0x42, 1, UInt8(ascii: "W")]
    let graph: [UInt8] = [0x0a, UInt8(node.count)] + node + [0x2a, UInt8(tensor.count)] + tensor
    let model: [UInt8] = [0x08, 8, 0x12, 1, UInt8(ascii: "t"), 0x3a, UInt8(graph.count)] + graph + [0x42, 2, 0x10, 17]
    let info = try OnnxModelInfo(bytes: model)
    #expect(info.irVersion == 8 && info.producerName == "t")
    #expect(info.opsets == [.init(domain: "", version: 17)])
    #expect(info.operators == [.init(domain: "", opType: "Relu")])
    #expect(info.parameterCount == 6)
    #expect(throws: FormatError.self) { try OnnxModelInfo(bytes: [0x3a, 50, 1]) }
}

@Test func scannerGivesVerdictsByContentNotExtension() throws {
    let scanner = ArtifactScanner()
    let evil = MemorySource(Array("cos\nsystem\n(S'echo x'\ntR.".utf8))
    let (format, findings, _) = try scanner.scanSource(evil, directory: ".")
    #expect(format == "pickle")
    #expect(ArtifactScanner.result(path: "x.safetensors", format: format, findings: findings, complete: true).verdict == .malicious)
    let benign = MemorySource([0x80, 2, 0x7d, 0x2e])
    let (f2, x2, c2) = try scanner.scanSource(benign, directory: ".")
    #expect(ArtifactScanner.result(path: "y", format: f2, findings: x2, complete: c2).verdict == .clean)
    let unknown = MemorySource(Array("hello world".utf8))
    let (f3, x3, c3) = try scanner.scanSource(unknown, directory: ".")
    #expect(ArtifactScanner.result(path: "z", format: f3, findings: x3, complete: c3).verdict == .unsupported)
}

@Test func hostileZipGivesFindingNotError() throws {
    let zip = try StoredZipWriter.archive([("archive/data.pkl", [0x80, 2, 0x7d, 0x2e]), ("../../evil", [1])])
    let (format, findings, _) = try ArtifactScanner().scanSource(MemorySource(zip), directory: ".")
    #expect(format == "pytorch-zip")
    #expect(findings.contains { $0.rule == "zip.pathTraversal" && $0.severity == .critical })
}
