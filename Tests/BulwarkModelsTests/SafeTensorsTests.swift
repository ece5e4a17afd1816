import BulwarkModels
import BulwarkTensor
import Foundation
import Testing

private func safetensorsFixture(_ name: String) throws -> [UInt8] {
    let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
}

/// The formulas of Fixtures/make_safetensors_fixture.py.
private func floats(_ n: Int) -> [Float] { (0..<n).map { Float($0) * 0.5 - 1 } }

/// The tensors of safetensors_f32.safetensors, in a different order than the file's.
private func fixtureTensors() -> [(name: String, tensor: Tensor)] {
    [("weight", Tensor(shape: [2, 3], scalars: floats(6))),
     ("bias", Tensor(shape: [3], scalars: floats(3))),
     ("ünïcode \"quoted\"", Tensor(shape: [2], scalars: floats(2))),
     ("0.conv.weight", Tensor(shape: [1, 1, 2, 2], scalars: floats(4))),
     ("empty", Tensor(shape: [0, 2], scalars: [])),
     ("scalar", Tensor(2.5))]
}

private let fixtureMetadata = ["format": "pt\n\t\"bulwark\" é \u{0001}"]

@Test func writesTheSameBytesAsThePythonPackage() throws {
    let python = try safetensorsFixture("safetensors_f32.safetensors")
    let bulwark = try SafeTensors.encode(fixtureTensors(), metadata: fixtureMetadata)
    #expect(bulwark == python)
}

@Test func readsFloat32FileWrittenByThePythonPackage() throws {
    let (tensors, metadata) = try SafeTensors.read(safetensorsFixture("safetensors_f32.safetensors"))
    #expect(metadata == fixtureMetadata)
    #expect(tensors.count == 6)
    for (name, tensor) in fixtureTensors() {
        #expect(tensors[name] == tensor, "\(name)")
    }
}

@Test func readsEveryDtypeAsFloat() throws {
    let (tensors, metadata) = try SafeTensors.read(safetensorsFixture("safetensors_mixed.safetensors"))
    #expect(metadata.isEmpty)
    for name in ["f16", "bf16", "f32"] { #expect(tensors[name]?.scalars == floats(4), "\(name)") }
    #expect(tensors["f64"] == Tensor(shape: [2, 2], scalars: floats(4)))
    let ints = (0..<4).map { Float($0 * 3 - 4) }
    #expect(tensors["i64"]?.scalars == ints && tensors["i32"]?.scalars == ints)
    #expect(tensors["u8"]?.scalars == [0, 7, 14, 21])
}

@Test func writesAtomicallyAndRoundTrips() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-st-\(getpid()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafeTensors.write(fixtureTensors(), metadata: nil, to: url)
    let (tensors, metadata) = try SafeTensors.read(from: url)
    #expect(metadata.isEmpty)
    #expect(tensors.count == 6 && tensors["weight"] == fixtureTensors()[0].tensor)
    // A failing write (reserved name) leaves the existing file untouched.
    let before = try Data(contentsOf: url)
    #expect(throws: ModelError.self) { try SafeTensors.write([("__metadata__", Tensor(1))], to: url) }
    #expect(try Data(contentsOf: url) == before)
    #expect(throws: ModelError.self) { try SafeTensors.encode([("a", Tensor(1)), ("a", Tensor(2))]) }
    let missing = #expect(throws: ModelError.self) { try SafeTensors.read(from: URL(fileURLWithPath: "/nonexistent/m.safetensors")) }
    #expect(missing?.code == .io)
}

/// A file with `header` as its JSON text and `dataBytes` zero data bytes.
private func file(_ header: String, dataBytes: Int) -> [UInt8] {
    let h = Array(header.utf8)
    return (0..<8).map { UInt8((UInt64(h.count) >> (8 * UInt64($0))) & 0xff) } + h + [UInt8](repeating: 0, count: dataBytes)
}

@Test(arguments: [
    (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, 8, "not valid JSON"),
    (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, 8, "needs 12 bytes"),
    (#"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, 8, "not supported"),
    (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 9, "file holds 9"),
    (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 4, "file holds 4"),
    (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "overlaps"),
    (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "gap before"),
    (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, 0, "non-negative integer"),
    (#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#, 0, "overflows"),
    (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, 8, "begin ≤ end"),
    (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}"#, 4, "unexpected field"),
    (#"{"a":{"dtype":"F32","shape":[1]}}"#, 4, "lacks one of"),
    (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "appears twice"),
    (#"{"__metadata__":{"k":1}}"#, 0, "not a string"),
    (#"[1,2]"#, 0, "not a JSON object"),
    (#"{"a":[[[[[[[[[[[[1]]]]]]]]]]]]}"#, 0, "nesting deeper"),
    (#"{"evil\nname\u001b":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, 8, #"tensor 'evil\nname\u{1B}'"#),
] as [(String, Int, String)])
func refusesInvalidFiles(header: String, dataBytes: Int, expected: String) throws {
    let error = #expect(throws: ModelError.self) { try SafeTensors.read(file(header, dataBytes: dataBytes), label: "bad.safetensors") }
    #expect(error?.code == .malformed)
    #expect(error?.message.hasPrefix("bad.safetensors: ") == true)
    #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    #expect(error?.message.contains("\n") == false)
}

@Test func refusesHugeHeaderLengthAndShortFiles() throws {
    var huge: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x7f] + Array("{}".utf8)
    #expect((#expect(throws: ModelError.self) { try SafeTensors.read(huge) })?.message.contains("exceeds the limit") == true)
    huge[7] = 0
    huge[0] = 200
    #expect((#expect(throws: ModelError.self) { try SafeTensors.read(huge) })?.message.contains("runs past") == true)
    #expect(throws: ModelError.self) { try SafeTensors.read([1, 2, 3]) }
    #expect(try SafeTensors.read(file("{}", dataBytes: 0)).tensors.isEmpty)
}

@Test func everyTruncationAndByteFlipIsHandledWithoutTrapping() throws {
    let good = try safetensorsFixture("safetensors_mixed.safetensors")
    var accepted = 0
    for n in 0...good.count where (try? SafeTensors.read(Array(good.prefix(n)))) != nil { accepted += 1 }
    #expect(accepted == 1)
    for i in good.indices {
        var bad = good
        bad[i] ^= 0x55
        _ = try? SafeTensors.read(bad)
    }
}
