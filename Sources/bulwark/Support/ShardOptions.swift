import ArgumentParser
import BulwarkAssessment
import BulwarkData
import BulwarkReport
import Foundation

/// `--shard K/N`, shared by `evaluate`, `certify` and `privacy audit`: run one contiguous block
/// of the examples and write a partial result for `bulwark report merge` instead of a report.
struct ShardOptions: ParsableArguments {
    @Option(help: "Run shard K of N (1 ≤ K ≤ N ≤ 10000; shard K takes examples ⌊(K−1)n/N⌋..<⌊Kn/N⌋) and write OUT/KIND.part-K-of-N.json for 'bulwark report merge' instead of a report.")
    var shard: String?

    func validate() throws { _ = try parsed() }

    /// The shard, or `nil` without `--shard`.
    func parsed() throws -> Shard? {
        guard let shard else { return nil }
        do { return try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error.message)") }
    }

    /// Prints what a shard wrote: one JSON object (``Written``) or a line naming the part and
    /// how to merge it; `unit` names what the shard covered (examples, candidates).
    static func render(_ written: WrittenPart, json: Bool, unit: String = "examples") throws {
        let shard = written.shard
        if json {
            try printJSON(Written(kind: written.kind.rawValue, shard: shard.description, examples: written.block.count, part: written.url.path))
        } else {
            print("wrote \(written.url.path) (shard \(shard), \(written.block.count) of \(written.total) \(unit)); merge shards 1…\(shard.count) with 'bulwark report merge'")
        }
    }

    /// What `--shard … --json` prints.
    struct Written: Codable {
        var kind: String, shard: String, examples: Int, part: String
    }
}
