import ArgumentParser
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

    /// The context a part records: files as given and the command line as typed.
    static func context(model: String, data: String, labels: String, inputShape: [Int]) -> RunContext {
        RunContext(model: model, data: data, labels: labels, arguments: Array(CommandLine.arguments.dropFirst()), inputShape: inputShape)
    }

    /// Writes `part` as `out/KIND.part-K-of-N.json` and returns its path.
    static func write(_ part: ReportPart, out: String) throws -> URL {
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(ReportPart.fileName(kind: part.kind, shard: part.shard))
        try ReportWriter.writeJSON(part, to: url)
        return url
    }

    /// What `--shard … --json` prints.
    struct Written: Codable {
        var kind: String, shard: String, examples: Int, part: String
    }
}
