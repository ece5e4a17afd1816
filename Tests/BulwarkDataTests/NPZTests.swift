import BulwarkArchive
import BulwarkData
import BulwarkTensor
import Foundation
import Testing

@Test(arguments: ["stored.npz", "compressed.npz"])
func readsNpzWrittenByNumPy(file: String) throws {
    let arrays = try NPZ.read(path: fixturePath(file))
    #expect(Set(arrays.keys) == ["x", "y"])
    let x = try #require(arrays["x"])
    #expect(x.shape == [2, 3])
    #expect(try x.toTensor().scalars == fixtureValues(6).map { Float($0) })
    #expect(try arrays["y"]?.toLabels() == [3, 1, 4, 1, 5])
}

@Test func npzRoundTrips() throws {
    let x = try NDArray(shape: [2, 2], storage: .float32([1, 2, 3, 4]))
    let y = NDArray(labels: [1, 0])
    let bytes = try NPZ.encode([("inputs", x), ("labels", y)])
    let zip = try ZipArchive(source: MemorySource(bytes))
    #expect(zip.issues.isEmpty)
    #expect(zip.entries.map(\.name) == ["inputs.npy", "labels.npy"])
    let back = try NPZ.decode(MemorySource(bytes))
    #expect(back == ["inputs": x, "labels": y])
    let path = temporaryPath("roundtrip.npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try NPZ.write([("inputs", x)], path: path)
    #expect(try NPZ.read(path: path) == ["inputs": x])
    #expect(throws: DataError.self) { try NPZ.encode([("a", x), ("a", y)]) }
}

@Test func refusesHostileOrForeignArchives() throws {
    let npy = NPY.encode(NDArray(labels: [1]))
    let traversal = try StoredZipWriter.archive([("../../evil.npy", npy)])
    let error = #expect(throws: DataError.self) { try NPZ.decode(MemorySource(traversal, name: "t.npz")) }
    #expect(error?.message.contains("pathTraversal") == true)
    let foreign = try StoredZipWriter.archive([("data.pkl", [0x80, 0x02])])
    #expect((#expect(throws: DataError.self) { try NPZ.decode(MemorySource(foreign)) })?.message.contains("data.pkl") == true)
    let object = try fixtureBytes("object.npy")
    let withObject = try StoredZipWriter.archive([("o.npy", object)])
    #expect((#expect(throws: DataError.self) { try NPZ.decode(MemorySource(withObject)) })?.code == .unsupported)
    #expect(throws: DataError.self) { try NPZ.decode(MemorySource(npy)) }
}
