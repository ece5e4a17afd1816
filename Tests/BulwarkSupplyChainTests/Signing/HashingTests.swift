import Crypto
import Foundation
import Testing
@testable import BulwarkSupplyChain

@Suite struct ParallelHashingTests {
    /// Files larger than the read buffer hash the same on one thread or several, per file or per
    /// shard, and equal a one-shot SHA-256 of the same bytes.
    @Test func streamingMatchesOneShot() async throws {
        let base = NSTemporaryDirectory() + "bulwark-hash-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var generator = SplitMix(seed: 7)
        let sizes = [ParallelHasher.bufferSize * 2 + 12_345, 1, 4096]
        var contents: [String: [UInt8]] = [:]
        for (index, size) in sizes.enumerated() {
            let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            contents["f\(index).bin"] = bytes
            try Data(bytes).write(to: URL(fileURLWithPath: base + "/f\(index).bin"))
        }
        let one = try await ModelHasher.manifest(of: base, options: HashingOptions(parallelism: 1))
        let many = try await ModelHasher.manifest(of: base, options: HashingOptions(parallelism: 4))
        #expect(one == many)
        for resource in one.resources {
            let expected = Array(SHA256.hash(data: try #require(contents[resource.name])))
            #expect(resource.digest == expected)
        }
        let shardSize = Int64(ParallelHasher.bufferSize + 1000)
        let shards = try await ModelHasher.manifest(of: base, options: HashingOptions(method: .shards(size: shardSize), parallelism: 3))
        let big = try #require(contents["f0.bin"])
        let bigShards = shards.items.filter { $0.key.path == "f0.bin" }
        #expect(bigShards.map(\.key.range) == [0..<shardSize, shardSize..<2 * shardSize, 2 * shardSize..<Int64(big.count)])
        for item in bigShards {
            let range = try #require(item.key.range)
            #expect(item.descriptor.digest == Array(SHA256.hash(data: big[Int(range.lowerBound)..<Int(range.upperBound)])))
            #expect(item.descriptor.name == "f0.bin:\(range.lowerBound):\(range.upperBound)")
        }
    }

    @Test func manifestOrderIsByPathComponents() {
        // Python's PurePosixPath order: "weights" < "weights.json" component-wise, though
        // "weights.json" < "weights/x" as plain strings.
        #expect(ModelPath.precedes("weights/layer0.bin", "weights.json"))
        #expect(!ModelPath.precedes("weights.json", "weights/layer0.bin"))
        #expect(ModelPath.precedes("a/b", "a/b/c"))
        #expect(ModelPath.precedes("Z", "a"))
        #expect(ModelPath.precedes("e", "é"))
        let keys = [ManifestKey(path: "b", range: 10..<20), ManifestKey(path: "b", range: 0..<10), ManifestKey(path: "a.txt", range: 0..<1), ManifestKey(path: "a/z", range: 0..<1)]
        #expect(keys.sorted().map(\.description) == ["a/z:0:1", "a.txt:0:1", "b:0:10", "b:10:20"])
    }

    @Test func pathsNormalizeLikePurePosixPath() {
        #expect(ModelPath.normalize("./a//b/") == "a/b")
        #expect(ModelPath.normalize("a/../b") == "b")
        #expect(ModelPath.normalize("../x") == nil)
        #expect(ModelPath.normalize("/etc/passwd") == nil)
        #expect(ManifestKey(name: "a:1:0", method: .shards(size: 1)) == nil)
        #expect(ManifestKey(name: "a:x:2", method: .shards(size: 1)) == nil)
        #expect(ManifestKey(name: "dir/a.bin:0:5", method: .shards(size: 5)) == ManifestKey(path: "dir/a.bin", range: 0..<5))
    }

    @Test func commandLineIgnorePathsResolveFromTheWorkingDirectory() throws {
        let base = try SigningFixtures.scratchCopy()
        defer { SigningFixtures.cleanup(base) }
        let model = base + "/model"
        let resolved = ModelPathResolver.relativeToModel(model: model, paths: [model + "/weights", base + "/outside.sig", model + "/./x/../model.sig"])
        #expect(resolved == ["weights", "model.sig"])
    }
}

/// A deterministic generator for test data (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct HostileSignatureTests {
    /// A signature asking for 1-byte shards over a model must not make verification allocate
    /// one job per byte.
    @Test func tinyShardSizeIsBounded() async throws {
        let base = NSTemporaryDirectory() + "bulwark-shards-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let handle = try #require(FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: base + "/big.bin", contents: nil); return base + "/big.bin" }()))
        try handle.truncate(atOffset: UInt64(ModelHasher.maxShards) + 1)  // sparse
        try handle.close()
        do {
            _ = try await ModelHasher.manifest(of: base, options: HashingOptions(method: .shards(size: 1)))
            Issue.record("a 1-byte shard size over \(ModelHasher.maxShards + 1) bytes was accepted")
        } catch {
            #expect(error.code == .hashingMismatch)
            #expect(error.message.contains("shards"))
        }
    }
}
