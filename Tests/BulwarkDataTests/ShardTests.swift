import BulwarkData
import Foundation
import Testing

@Test func shardParsesKOverNAndRefusesEverythingElse() throws {
    let s = try Shard(parsing: "3/8")
    #expect(s.index == 3 && s.count == 8 && s.description == "3/8")
    #expect(try Shard(parsing: "10000/10000").count == 10_000)
    for bad in ["0/4", "5/4", "1/0", "1/10001", "a/b", "1/", "/2", "1/2/3", "", "-1/2", "+1/2", " 1/2", "１/２", "99999999999999999999/1"] {
        #expect(throws: DataError.self, "\(bad)") { try Shard(parsing: bad) }
    }
    do { _ = try Shard(parsing: "5/4"); Issue.record("accepted 5/4") } catch {
        #expect(error.message == "shard 5/4: expected K/N with 1 ≤ K ≤ N ≤ 10000")
    }
    // decoding validates too
    #expect(throws: (any Error).self) { try JSONDecoder().decode(Shard.self, from: Data(#"{"index":0,"count":2}"#.utf8)) }
    #expect(try JSONDecoder().decode(Shard.self, from: JSONEncoder().encode(s)) == s)
}

@Test func shardBlocksAreContiguousAndCoverEveryIndexOnce() throws {
    for total in [0, 1, 7, 10, 101] {
        for n in [1, 2, 3, 4, 16] {
            let blocks = try (1...n).map { try Shard(index: $0, count: n).range(of: total) }
            #expect(blocks.flatMap { Array($0) } == Array(0..<total))
            let sizes = blocks.map(\.count)
            #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
        }
    }
    #expect(try Shard(index: 2, count: 4).range(of: 10) == 2..<5)
    #expect(Shard.whole.range(of: 9) == 0..<9)
}

@Test func exampleSeedsDependOnTheRunSeedAndTheIndexOnly() {
    let seeds = (0..<1000).map { Shard.exampleSeed(run: 42, index: $0) }
    #expect(Set(seeds).count == 1000)
    #expect(Shard.exampleSeed(run: 42, index: 7) == seeds[7])
    #expect(Shard.exampleSeed(run: 43, index: 7) != seeds[7])
}

@Test func checkCompleteNamesWhatDiffersOrIsMissing() throws {
    func run(_ k: Int, _ n: Int, seed: UInt64 = 1, digest: String = "ab", version: String = "1.0", examples: Int = 10) throws -> ShardedRun {
        ShardedRun(shard: try Shard(index: k, count: n), seed: seed, dataDigest: digest, toolVersion: version, examples: examples)
    }
    #expect(try ShardedRun.checkComplete([run(2, 3), run(3, 3), run(1, 3)]) == [2, 0, 1])
    func message(_ runs: [ShardedRun]) -> String {
        do { _ = try ShardedRun.checkComplete(runs); return "" } catch { return error.message }
    }
    #expect(message([]) == "merge: no parts given")
    #expect(message([try run(1, 2), try run(1, 2)]) == "merge: shard 1/2 given twice (parts 1 and 2)")
    #expect(message([try run(1, 3), try run(3, 3)]) == "merge: missing shard 2/3")
    #expect(message([try run(1, 2), try run(2, 2, seed: 9)]) == "merge: part 1 and part 2 differ in seed (1 vs 9): they are not shards of one run")
    #expect(message([try run(1, 2), try run(2, 2, digest: "cd")]).contains("dataset digest (ab vs cd)"))
    #expect(message([try run(1, 2), try run(2, 2, version: "2.0")]).contains("tool version (1.0 vs 2.0)"))
    #expect(message([try run(1, 2), try run(2, 2, examples: 11)]).contains("dataset size (10 vs 11)"))
}
