import BulwarkData
import Foundation
import Testing

@testable import BulwarkPoisoning

/// The test vectors of RFC 6962's reference implementation (certificate-transparency
/// `merkle_tree_test`): leaves "", 00, 10, 2021, 3031, 40414243, 5051525354555657,
/// 606162636465666768696a6b6c6d6e6f and the roots of their first 1, 2, 3, 5 and 8. The 8-leaf
/// root is the published one; all were recomputed with Python's hashlib:
///
///     def mth(ds): return sha256(b'') if not ds else sha256(b'\0'+ds[0]) if len(ds)==1 else
///         (k := largest power of two < len(ds), sha256(b'\1'+mth(ds[:k])+mth(ds[k:])))
@Test func provenanceMerkleRootKnownAnswers() {
    let leaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        .map { MerkleTree.bytes(hex: $0) ?? [] }
    #expect(MerkleTree.hex(MerkleTree.root(leaves: [])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    let expected = [1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
    for (n, root) in expected {
        #expect(MerkleTree.hex(MerkleTree.root(leaves: Array(leaves.prefix(n)))) == root, "root of \(n) leaves")
    }
}

/// A fresh directory holding `files` (relative path → contents).
private func makeDirectory(_ files: [String: String]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-manifest-\(UUID().uuidString)").path
    for (path, contents) in files {
        let full = dir + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
    }
    return dir
}

private let threeFiles = ["a.txt": "alpha\n", "b.txt": "beta\n", "sub/c.txt": "gamma\n"]

/// Known answer made with Python (hashlib, struct): leaves `path ‖ 0x00 ‖ sha256(contents) ‖
/// size as u64 big-endian` in path order, tree as in RFC 6962.
@Test func provenanceManifestRootKnownAnswer() throws {
    let dir = try makeDirectory(threeFiles)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let manifest = try DataManifest.make(paths: [dir])
    #expect(manifest.mode == .directory)
    #expect(manifest.files.map(\.path) == ["a.txt", "b.txt", "sub/c.txt"])
    #expect(manifest.files[0].sha256 == "b6a98d9ce9a2d9149288fa3df42d377c3e42737afdcdaf714e33c0a100b51060")  // sha256sum of "alpha\n"
    #expect(manifest.files.map(\.size) == [6, 5, 6])
    #expect(manifest.root == "e82f6470e5e7dbdfff0e198acc1510a1bada163f836cd0bd49c8c884d3fe71f8")
    try manifest.verify()
}

@Test func provenanceManifestCountsRecords() throws {
    let dir = try makeDirectory(["table.csv": "a,b,label\n1,2,0\n3,4,1\n5,6,0\n", "notes.txt": "hello"])
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try NPY.write(NDArray(shape: [5, 2], storage: .float32([Float](repeating: 0.5, count: 10))), path: dir + "/x.npy")
    let manifest = try DataManifest.make(paths: [dir])
    let records = Dictionary(uniqueKeysWithValues: manifest.files.map { ($0.path, $0.records) })
    #expect(records["x.npy"] == 5)
    #expect(records["table.csv"] == 3)
    #expect(records["notes.txt"] == .some(nil))
    #expect(manifest.totalRecords == 8)
}

@Test func provenanceTamperByteFlip() throws {
    let dir = try makeDirectory(threeFiles)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let manifest = try DataManifest.make(paths: [dir])
    try Data("alphA\n".utf8).write(to: URL(fileURLWithPath: dir + "/a.txt"))
    let error = #expect(throws: PoisoningError.self) { try manifest.verify(label: "m.json") }
    #expect(error?.code == .dataChanged)
    #expect(error?.message.hasPrefix("m.json: data changed since the manifest was made: modified 'a.txt'") == true)
    #expect(error?.message.contains("\n") == false)
    #expect(try manifest.difference() == ManifestDifference(modified: ["a.txt"], added: [], missing: []))
}

@Test func provenanceTamperFileAddedAndRemoved() throws {
    let dir = try makeDirectory(threeFiles)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let manifest = try DataManifest.make(paths: [dir])
    try Data("poison".utf8).write(to: URL(fileURLWithPath: dir + "/sub/extra.txt"))
    let added = #expect(throws: PoisoningError.self) { try manifest.verify() }
    #expect(added?.code == .dataChanged)
    #expect(added?.message.contains("added 'sub/extra.txt'") == true)
    try FileManager.default.removeItem(atPath: dir + "/sub/extra.txt")
    try FileManager.default.removeItem(atPath: dir + "/b.txt")
    let removed = #expect(throws: PoisoningError.self) { try manifest.verify() }
    #expect(removed?.message.contains("missing 'b.txt'") == true)
    #expect(try manifest.difference() == ManifestDifference(modified: [], added: [], missing: ["b.txt"]))
}

@Test func provenanceEditedManifestAndFilesMode() throws {
    let dir = try makeDirectory(threeFiles)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var manifest = try DataManifest.make(paths: [dir + "/b.txt", dir + "/a.txt"])
    #expect(manifest.mode == .files)
    #expect(manifest.files.map(\.path) == [dir + "/a.txt", dir + "/b.txt"])
    #expect(manifest.covers(dir + "/./a.txt"))
    #expect(!manifest.covers(dir + "/sub/c.txt"))
    try manifest.verify()
    manifest.files[0].sha256 = manifest.files[1].sha256  // an edit that the root no longer matches
    let edited = #expect(throws: PoisoningError.self) { try manifest.verify() }
    #expect(edited?.message.contains("the manifest was edited") == true)
}

@Test func provenanceJSONRoundTripAndErrors() throws {
    let dir = try makeDirectory(threeFiles)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let manifest = try DataManifest.make(paths: [dir])
    #expect(try DataManifest.decode(try manifest.jsonBytes()) == manifest)
    let bad = #expect(throws: PoisoningError.self) { try DataManifest.decode(Array("{\"version\": 1}".utf8), label: "m.json") }
    #expect(bad?.message.hasPrefix("m.json: not a Bulwark data manifest (missing field") == true)
    try FileManager.default.createSymbolicLink(atPath: dir + "/link.txt", withDestinationPath: dir + "/a.txt")
    let link = #expect(throws: PoisoningError.self) { try DataManifest.make(paths: [dir]) }
    #expect(link?.message == "\(dir)/link.txt: symbolic links are refused; list the file it points to")
    let missing = #expect(throws: PoisoningError.self) { try DataManifest.make(paths: [dir + "/nope"]) }
    #expect(missing?.code == .io)
}
