import Foundation
import Testing
import BulwarkModels
import BulwarkTensor

/// A minimal protobuf writer, enough to forge hostile ONNX files field by field.
struct Proto {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func int(_ field: Int, _ v: Int64) { varint(UInt64(field << 3)); varint(UInt64(bitPattern: v)) }
    mutating func bytesField(_ field: Int, _ b: [UInt8]) { varint(UInt64(field << 3 | 2)); varint(UInt64(b.count)); bytes += b }
    mutating func string(_ field: Int, _ s: String) { bytesField(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ build: (inout Proto) -> Void) {
        var inner = Proto()
        build(&inner)
        bytesField(field, inner.bytes)
    }
}

/// ModelProto with opset `opset`, one float input `x` of `dims`, output `y`, and the given nodes
/// (op type, inputs, outputs, name).
func model(opset: Int64 = 17, dims: [Int64] = [1, 4], nodes: [(String, [String], [String], String)],
                   output: String = "y", initializers: [(inout Proto) -> Void] = []) -> Data {
    var m = Proto()
    m.int(1, 8)  // ir_version
    m.message(8) { $0.int(2, opset) }
    m.message(7) { g in
        for (op, ins, outs, name) in nodes {
            g.message(1) { n in
                for i in ins { n.string(1, i) }
                for o in outs { n.string(2, o) }
                n.string(3, name)
                n.string(4, op)
            }
        }
        for t in initializers { g.message(5, t) }
        for (field, name) in [(11, "x"), (12, output)] {
            g.message(field) { v in
                v.string(1, name)
                v.message(2) { t in t.message(1) { tt in
                    tt.int(1, 1)
                    tt.message(2) { s in for d in dims { s.message(1) { $0.int(1, d) } } }
                } }
            }
        }
    }
    return Data(m.bytes)
}

private func loadError(_ bytes: Data) -> ONNXError? {
    do { _ = try ONNXModel(serialized: bytes); return nil } catch { return error }
}

@Suite struct ONNXHostileTests {
    @Test func forgedModelLoads() throws {
        // The writer itself is right: a valid Relu graph loads and runs.
        let m = try ONNXModel(serialized: model(nodes: [("Relu", ["x"], ["y"], "r")]))
        #expect(m.inputShape == [4])
        #expect(m.logits(Tensor(shape: [1, 4], scalars: [-1, 2, -3, 4])).scalars == [0, 2, 0, 4])
    }

    @Test func truncatedFileIsRefused() throws {
        let url = try ONNXFixtureTests.fixture("mlp.onnx")
        let bytes = try Data(contentsOf: url)
        for cut in [1, 7, bytes.count / 3, bytes.count / 2, bytes.count - 3] {
            let e = loadError(bytes.prefix(cut))
            #expect(e != nil, "a file cut at \(cut) bytes loaded")
        }
    }

    @Test func garbageIsRefused() {
        #expect(loadError(Data("this is not a protobuf, it is a text file\n".utf8))?.code == .malformed)
        #expect(loadError(Data([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]))?.code == .malformed)
    }

    @Test func wrongFieldTypesAreRefused() {
        // graph (field 7) sent as a varint instead of a message.
        var m = Proto()
        m.message(8) { $0.int(2, 17) }
        m.int(7, 5)
        #expect(loadError(Data(m.bytes))?.code == .malformed)
        // An initializer whose raw bytes do not match its shape.
        let bad = model(nodes: [("Add", ["x", "w"], ["y"], "add")], initializers: [{ t in
            t.int(1, 4); t.int(2, 1); t.string(8, "w"); t.bytesField(9, [0, 0, 0, 0])
        }])
        let e = loadError(bad)
        #expect(e?.code == .malformed)
        #expect(e?.message.contains("initializer 'w'") == true)
    }

    @Test func unsupportedOperatorNamesNodeAtLoadTime() {
        let e = loadError(model(nodes: [("Relu", ["x"], ["h"], "first"), ("Softplus", ["h"], ["y"], "the_softplus")]))
        #expect(e?.code == .unsupported)
        #expect(e?.message.contains("Softplus") == true)
        #expect(e?.message.contains("the_softplus") == true)
    }

    @Test func unsupportedOpsetIsRefused() {
        #expect(loadError(model(opset: 11, nodes: [("Relu", ["x"], ["y"], "r")]))?.code == .unsupported)
        #expect(loadError(model(opset: 22, nodes: [("Relu", ["x"], ["y"], "r")]))?.code == .unsupported)
    }

    @Test func cyclicGraphIsRefused() {
        let e = loadError(model(nodes: [("Add", ["x", "b"], ["a"], "n1"), ("Relu", ["a"], ["b"], "n2"), ("Relu", ["a"], ["y"], "n3")]))
        #expect(e?.code == .invalidGraph)
        #expect(e?.message.contains("cycle") == true)
    }

    @Test func danglingInputIsRefused() {
        let e = loadError(model(nodes: [("Add", ["x", "nowhere"], ["y"], "n1")]))
        #expect(e?.code == .invalidGraph)
        #expect(e?.message.contains("nowhere") == true)
    }

    @Test func hugeDeclaredDimsAreRefusedBeforeAllocating() {
        #expect(loadError(model(dims: [1, 1 << 40], nodes: [("Relu", ["x"], ["y"], "r")]))?.code == .malformed)
        #expect(loadError(model(dims: [1, 1 << 20, 1 << 20], nodes: [("Relu", ["x"], ["y"], "r")]))?.code == .malformed)
        // An initializer declaring 2^62 elements with no data.
        let e = loadError(model(nodes: [("Add", ["x", "w"], ["y"], "add")], initializers: [{ t in
            t.int(1, 1 << 31); t.int(1, 1 << 31); t.int(2, 1); t.string(8, "w")
        }]))
        #expect(e?.code == .malformed)
    }

    @Test func shapeErrorsSurfaceAtLoadTime() {
        let e = loadError(model(nodes: [("MatMul", ["x", "w"], ["y"], "mm")], initializers: [{ t in
            t.int(1, 3); t.int(1, 2); t.int(2, 1); t.string(8, "w"); t.bytesField(9, [UInt8](repeating: 0, count: 24))
        }]))
        #expect(e?.code == .shapeMismatch)
        #expect(e?.message.contains("mm") == true)
    }

    @Test(arguments: ["../ernal_weights.bin", "/etc/al_weights.bin0", "a/../../weights.bin1"])
    func externalDataOutsideTheFolderIsRefused(_ location: String) throws {
        #expect(location.utf8.count == "external_weights.bin".utf8.count)
        let original = try Data(contentsOf: ONNXFixtureTests.fixture("external.onnx"))
        let forged = Data(replace(Array(original), Array("external_weights.bin".utf8), with: Array(location.utf8)))
        #expect(forged != original)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-escape-\(UUID().uuidString)/inner")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let url = dir.appendingPathComponent("m.onnx")
        try forged.write(to: url)
        do {
            _ = try ONNXModel(contentsOf: url)
            Issue.record("external data at \(location) was accepted")
        } catch {
            #expect(error.code == .unsafePath, "\(error)")
        }
    }

    @Test func externalDataFromMemoryIsRefused() throws {
        let bytes = try Data(contentsOf: ONNXFixtureTests.fixture("external.onnx"))
        #expect(loadError(bytes)?.code == .unsafePath)
    }
}

private func replace(_ haystack: [UInt8], _ needle: [UInt8], with replacement: [UInt8]) -> [UInt8] {
    var out = haystack
    var i = 0
    while i + needle.count <= out.count {
        if Array(out[i..<(i + needle.count)]) == needle {
            out.replaceSubrange(i..<(i + needle.count), with: replacement)
            i += replacement.count
        } else { i += 1 }
    }
    return out
}
