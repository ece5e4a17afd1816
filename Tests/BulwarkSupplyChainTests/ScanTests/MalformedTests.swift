import Testing
@testable import BulwarkSupplyChain
import BulwarkArchive

// Hand-built malformed files, each next to a valid twin that must stay clean.

private func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

/// Builds GGUF files field by field (v2+: u64 lengths; v1: u32).
private struct GGUF {
    var version: UInt32 = 3
    var kv: [UInt8] = []
    var kvCount = 0
    var infos: [UInt8] = []
    var tensorCount = 0
    var wide: Bool { version >= 2 }

    func str(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count), wide ? 8 : 4) + Array(s.utf8) }
    mutating func key(_ k: String, type: UInt32, _ value: [UInt8]) { kv += str(k) + le(UInt64(type), 4) + value; kvCount += 1 }
    mutating func string(_ k: String, _ v: String) { key(k, type: 8, str(v)) }
    mutating func u32(_ k: String, _ v: UInt32) { key(k, type: 4, le(UInt64(v), 4)) }
    mutating func array(_ k: String, of type: UInt32, count: UInt64, _ payload: [UInt8]) {
        key(k, type: 9, le(UInt64(type), 4) + le(count, wide ? 8 : 4) + payload)
    }
    mutating func tensor(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        infos += str(name) + le(UInt64(dims.count), 4) + dims.flatMap { le($0, wide ? 8 : 4) } + le(UInt64(type), 4) + le(offset, 8)
        tensorCount += 1
    }
    /// The file: header, padding to 32, then `dataBytes` zero bytes.
    func file(dataBytes: Int) -> [UInt8] {
        var out = Array("GGUF".utf8) + le(UInt64(version), 4)
        out += le(UInt64(tensorCount), wide ? 8 : 4) + le(UInt64(kvCount), wide ? 8 : 4) + kv + infos
        out += [UInt8](repeating: 0, count: (32 - out.count % 32) % 32)
        return out + [UInt8](repeating: 0, count: dataBytes)
    }
}

/// A valid GGUF v3: metadata of every kind, an F32 [4, 2] tensor at 0 (32 bytes) and a Q8_0
/// [32] tensor at 32 (34 bytes).
private func validGGUF() -> GGUF {
    var g = GGUF()
    g.string("general.architecture", "llama")
    g.u32("general.alignment", 32)
    g.array("tokenizer.ggml.tokens", of: 8, count: 2, g.str("a") + g.str("bc"))
    g.array("tokenizer.ggml.scores", of: 6, count: 2, le(0, 8))
    g.key("general.flag", type: 7, [1])
    g.tensor("w", dims: [4, 2], type: 0, offset: 0)
    g.tensor("b", dims: [32], type: 8, offset: 32)
    return g
}

private func ggufFindings(_ bytes: [UInt8]) -> [ScanFinding] {
    MalformedChecks.gguf(size: bytes.count) { o, n in o >= 0 && n >= 0 && n <= bytes.count - o ? Array(bytes[o..<(o + n)]) : nil }
}

private func expectMalformed(_ findings: [ScanFinding], _ format: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(findings.contains { $0.rule == "\(format).malformed" && $0.severity == .high && $0.detail.hasPrefix("malformed: can crash or confuse loaders — ") && $0.detail.contains(text) },
            "expected a \(format).malformed finding mentioning '\(text)', got \(findings.map(\.detail))", sourceLocation: sourceLocation)
}

@Test func validGGUFIsReadAndClean() throws {
    let bytes = validGGUF().file(dataBytes: 66)
    let info = try GGUFInfo(size: bytes.count) { o, n in Array(bytes[o..<(o + n)]) }
    #expect(info.version == 3 && info.keys.count == 5 && info.alignment == 32)
    #expect(info.metadata["general.architecture"] == .string("llama"))
    #expect(info.metadata["tokenizer.ggml.tokens"] == .array(elementType: 8, count: 2))
    #expect(info.tensors.map(\.byteSize) == [32, 34])
    #expect(info.problems.isEmpty)
    let (format, findings, complete) = try ArtifactScanner().scanSource(MemorySource(bytes), directory: ".")
    #expect(format == "gguf" && findings.isEmpty && complete)
    // the same file as GGUF v1 (u32 counts, lengths and dims)
    var v1 = GGUF(version: 1)
    v1.string("general.architecture", "llama")
    v1.array("tokenizer.ggml.tokens", of: 8, count: 2, v1.str("a") + v1.str("bc"))
    v1.tensor("w", dims: [4, 2], type: 0, offset: 0)
    #expect(ggufFindings(v1.file(dataBytes: 32)).isEmpty)
}

@Test func ggufStringLength2To63IsMalformed() {
    var g = validGGUF()
    g.key("general.name", type: 8, le(1 << 63, 8) + Array("x".utf8))
    expectMalformed(ggufFindings(g.file(dataBytes: 66)), "gguf", "string length of 'general.name' at offset")
}

@Test func ggufArrayCountOverflowIsMalformed() {
    var g = validGGUF()
    g.array("big", of: 10, count: 1 << 62, le(0, 8))          // 2^62 × 8 bytes overflows 64 bits
    expectMalformed(ggufFindings(g.file(dataBytes: 66)), "gguf", "overflows 64 bits")
    var s = validGGUF()
    s.array("strings", of: 8, count: 1 << 40, s.str("a"))       // more strings than bytes left
    expectMalformed(ggufFindings(s.file(dataBytes: 66)), "gguf", "declares 1099511627776 elements")
    var n = validGGUF()
    var nested = le(9, 4) + le(1, 8)                            // arrays of arrays, 12 deep
    for _ in 0..<11 { nested = le(9, 4) + le(1, 8) + nested }
    n.array("deep", of: 9, count: 1, nested + le(0, 4) + le(0, 8))
    expectMalformed(ggufFindings(n.file(dataBytes: 66)), "gguf", "nests deeper than 8")
}

@Test func ggufTensorShapeChecks() {
    var five = validGGUF()
    five.tensor("x", dims: [1, 1, 1, 1, 1], type: 0, offset: 96)
    expectMalformed(ggufFindings(five.file(dataBytes: 200)), "gguf", "n_dims 5")
    var over = validGGUF()
    over.tensor("x", dims: [1 << 32, 1 << 32], type: 0, offset: 96)
    expectMalformed(ggufFindings(over.file(dataBytes: 200)), "gguf", "overflows 64 bits")
    var bytesOver = validGGUF()
    bytesOver.tensor("x", dims: [1 << 31, 1 << 31], type: 28, offset: 96)   // 2^62 F64 elements: 2^65 bytes
    expectMalformed(ggufFindings(bytesOver.file(dataBytes: 200)), "gguf", "need more than 2^63 bytes")
    var block = validGGUF()
    block.tensor("q", dims: [33], type: 2, offset: 96)
    expectMalformed(ggufFindings(block.file(dataBytes: 200)), "gguf", "not a multiple of its block size 32")
    var unknown = validGGUF()
    unknown.tensor("u", dims: [1], type: 99, offset: 96)
    expectMalformed(ggufFindings(unknown.file(dataBytes: 200)), "gguf", "unknown ggml type 99")
}

@Test func ggufTensorPlacementChecks() throws {
    var past = validGGUF()
    past.tensor("x", dims: [8], type: 0, offset: 1024)
    expectMalformed(ggufFindings(past.file(dataBytes: 66)), "gguf", "runs past")
    var overlap = validGGUF()
    overlap.tensor("x", dims: [8], type: 0, offset: 0)
    expectMalformed(ggufFindings(overlap.file(dataBytes: 66)), "gguf", "overlap tensor")
    var misaligned = validGGUF()
    misaligned.tensor("x", dims: [1], type: 0, offset: 68)
    expectMalformed(ggufFindings(misaligned.file(dataBytes: 96)), "gguf", "not a multiple of the alignment 32")
    var dup = validGGUF()
    dup.u32("general.alignment", 64)
    expectMalformed(ggufFindings(dup.file(dataBytes: 66)), "gguf", "appears twice")
    var badAlign = GGUF()
    badAlign.key("general.alignment", type: 10, le(32, 8))
    expectMalformed(ggufFindings(badAlign.file(dataBytes: 0)), "gguf", "not uint32")
    // the header counts themselves
    var counts = Array("GGUF".utf8) + le(3, 4) + le(1 << 40, 8) + le(0, 8)
    counts += [UInt8](repeating: 0, count: 64)
    expectMalformed(ggufFindings(counts), "gguf", "tensor_count 1099511627776")
    let (_, findings, _) = try ArtifactScanner().scanSource(MemorySource(past.file(dataBytes: 66)), directory: ".")
    #expect(ArtifactScanner.result(path: "x.gguf", format: "gguf", findings: findings, complete: true).verdict == .suspicious)
}

@Test func ggufReaderReadsOnlyTheHeaderRegion() throws {
    // a 1 GiB "file" whose bytes past the header are never requested
    let header = validGGUF().file(dataBytes: 0)
    var furthest = 0
    let info = try GGUFInfo(size: 1 << 30) { o, n in
        furthest = max(furthest, o + n)
        return (0..<n).map { o + $0 < header.count ? header[o + $0] : 0 }
    }
    #expect(info.tensors.count == 2)
    #expect(furthest <= 1 << 17)
}

/// An .npy file: the header dict padded to 64 bytes, then `data` bytes.
private func npy(_ dict: String, data: Int) -> [UInt8] {
    var h = Array(dict.utf8)
    let pad = 64 - (10 + h.count + 1) % 64
    h += [UInt8](repeating: 0x20, count: pad % 64) + [0x0a]
    return [0x93] + Array("NUMPY".utf8) + [1, 0] + le(UInt64(h.count), 2) + h + [UInt8](repeating: 0, count: data)
}

@Test func npyDataSizeChecks() throws {
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"
    #expect(MalformedChecks.npy(prefix: npy(dict, data: 48), fileSize: npy(dict, data: 48).count).isEmpty)
    let cut = npy(dict, data: 40)
    expectMalformed(MalformedChecks.npy(prefix: cut, fileSize: cut.count), "npy", "needs 48 bytes, 40 follow")
    let long = npy(dict, data: 52)
    #expect(MalformedChecks.npy(prefix: long, fileSize: long.count).map(\.rule) == ["npy.trailing-data"])
    let huge = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", data: 8)
    expectMalformed(MalformedChecks.npy(prefix: huge, fileSize: huge.count), "npy", "overflows 64 bits")
    let beyond = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (36893488147419103232,), }", data: 8)
    expectMalformed(MalformedChecks.npy(prefix: beyond, fileSize: beyond.count), "npy", "beyond 64 bits")
    let structured = npy("{'descr': [('a', '<f4'), ('b', '<i2', (3,))], 'fortran_order': False, 'shape': (2,), }", data: 20)
    let h = try NPYHeader(prefix: structured)
    let layout = try h.elementLayout()
    #expect(layout.itemSize == 10 && h.dataByteCount(itemSize: layout.itemSize) == .bytes(20))
    #expect(MalformedChecks.npy(prefix: structured, fileSize: structured.count).isEmpty)
    // through the scanner: truncated data is suspicious, the twin is clean
    let scanner = ArtifactScanner()
    #expect(scanner.scanNpy(cut, offsetBase: 0).0.contains { $0.rule == "npy.malformed" })
    #expect(scanner.scanNpy(npy(dict, data: 48), offsetBase: 0).0.isEmpty)
    // an object array is still handed to the pickle analysis, with no malformed finding
    let object = npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", data: 0) + [0x80, 2, 0x5d, 0x2e]
    #expect(scanner.scanNpy(object, offsetBase: 0).0.map(\.rule) == ["npy.object-array"])
}

// ONNX: ModelProto{ir_version=8, graph{node Relu, initializer}}
private func varint(_ v: UInt64) -> [UInt8] {
    var v = v, out: [UInt8] = []
    while v >= 0x80 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
    return out + [UInt8(v)]
}
private func field(_ n: UInt64, _ payload: [UInt8]) -> [UInt8] { varint(n << 3 | 2) + varint(UInt64(payload.count)) + payload }
private func onnxModel(_ tensor: [UInt8]) -> [UInt8] {
    let graph = field(1, field(4, Array("Relu".utf8))) + field(5, tensor)
    return [0x08, 8] + field(7, graph)
}
private func tensor(dims: [Int64], dataType: UInt64, _ data: [UInt8]) -> [UInt8] {
    dims.flatMap { [0x08] + varint(UInt64(bitPattern: $0)) } + [0x10] + varint(dataType) + field(8, Array("W".utf8)) + data
}

@Test func onnxInitializerChecks() throws {
    let good = try OnnxModelInfo(bytes: onnxModel(tensor(dims: [2, 3], dataType: 1, field(9, [UInt8](repeating: 0, count: 24)))))
    #expect(good.initializers.first?.rawDataBytes == 24)
    #expect(MalformedChecks.onnx(info: good).isEmpty && ArtifactScanner.onnxFindings(good).isEmpty)
    let short = try OnnxModelInfo(bytes: onnxModel(tensor(dims: [2, 3], dataType: 1, field(9, [UInt8](repeating: 0, count: 20)))))
    expectMalformed(ArtifactScanner.onnxFindings(short), "onnx", "raw_data holds 20 bytes")
    let over = try OnnxModelInfo(bytes: onnxModel(tensor(dims: [1 << 62, 4], dataType: 1, [])))
    expectMalformed(MalformedChecks.onnx(info: over), "onnx", "overflows 64 bits")
    let bytesOver = try OnnxModelInfo(bytes: onnxModel(tensor(dims: [1 << 61, 2], dataType: 11, [])))  // 2^62 doubles
    expectMalformed(MalformedChecks.onnx(info: bytesOver), "onnx", "need more than 2^63 bytes")
    let negative = try OnnxModelInfo(bytes: onnxModel(tensor(dims: [-1, 3], dataType: 1, [])))
    expectMalformed(MalformedChecks.onnx(info: negative), "onnx", "dims[0] = -1 is negative")
    // typed data: float_data packed with 6 floats is right, 5 is not
    let typed = try OnnxModelInfo(bytes: onnxModel(tensor(dims: [2, 3], dataType: 1, field(4, [UInt8](repeating: 0, count: 24)))))
    #expect(typed.initializers.first?.typedValueCount == 6 && MalformedChecks.onnx(info: typed).isEmpty)
    let fewer = try OnnxModelInfo(bytes: onnxModel(tensor(dims: [2, 3], dataType: 1, field(4, [UInt8](repeating: 0, count: 20)))))
    expectMalformed(MalformedChecks.onnx(info: fewer), "onnx", "float_data holds 5 values")
    let int64 = try OnnxModelInfo(bytes: onnxModel(tensor(dims: [3], dataType: 7, field(7, [1, 0x96, 0x01, 3]))))
    #expect(MalformedChecks.onnx(info: int64).isEmpty)
    let both = try OnnxModelInfo(bytes: onnxModel(tensor(dims: [1], dataType: 1, field(9, [0, 0, 0, 0]) + field(4, [0, 0, 0, 0]))))
    expectMalformed(MalformedChecks.onnx(info: both), "onnx", "both raw_data and typed data")
    // external data is not sized here
    let external = try OnnxModelInfo(bytes: onnxModel(tensor(dims: [2, 3], dataType: 1, field(13, field(1, Array("location".utf8)) + field(2, Array("w.bin".utf8))) + [0x70, 1])))
    #expect(MalformedChecks.onnx(info: external).isEmpty)
}

private func safetensorsFile(_ json: String, dataBytes: Int) -> [UInt8] {
    le(UInt64(json.utf8.count), 8) + Array(json.utf8) + [UInt8](repeating: 0, count: dataBytes)
}
private func safetensorsFindings(_ f: [UInt8]) -> [ScanFinding] {
    MalformedChecks.safetensors(fileSize: f.count) { o, n in Array(f[o..<min(f.count, o + n)]) }
}

@Test func safetensorsChecks() throws {
    let good = safetensorsFile(#"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F16","shape":[4],"data_offsets":[24,32]}}"#, dataBytes: 32)
    #expect(safetensorsFindings(good).isEmpty)
    #expect(try ArtifactScanner().scanSource(MemorySource(good), directory: ".").1.isEmpty)
    let overflow = safetensorsFile(#"{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}}"#, dataBytes: 8)
    expectMalformed(safetensorsFindings(overflow), "safetensors", "overflows 64 bits")
    let bigOffset = safetensorsFile(#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,18446744073709551616]}}"#, dataBytes: 8)
    expectMalformed(safetensorsFindings(bigOffset), "safetensors", "not a non-negative integer below 2^63")
    let bigDim = safetensorsFile(#"{"a":{"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,8]}}"#, dataBytes: 8)
    expectMalformed(safetensorsFindings(bigDim), "safetensors", "not a non-negative integer below 2^63")
    let overlap = safetensorsFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12)
    expectMalformed(safetensorsFindings(overlap), "safetensors", "overlaps the previous tensor")
    let past = safetensorsFile(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8)
    expectMalformed(safetensorsFindings(past), "safetensors", "runs past")
    let backwards = safetensorsFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, dataBytes: 8)
    expectMalformed(safetensorsFindings(backwards), "safetensors", "0 ≤ begin ≤ end")
    let dtype = safetensorsFile(#"{"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 8)
    expectMalformed(safetensorsFindings(dtype), "safetensors", "unknown dtype 'F31'")
    let headerPast = le(1000, 8) + Array(#"{"a":1}"#.utf8)
    expectMalformed(safetensorsFindings(headerPast), "safetensors", "header length 1000 runs past")
    let (_, findings, _) = try ArtifactScanner().scanSource(MemorySource(overlap), directory: ".")
    #expect(findings.allSatisfy { $0.rule == "safetensors.malformed" } && !findings.isEmpty)
}
