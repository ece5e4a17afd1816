import ArgumentParser
import BulwarkReport
import Foundation

/// `bulwark report`: work with reports and partial results.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Work with reports: merge the partial results of a sharded run.",
        subcommands: [ReportMergeCommand.self]
    )
}

/// `bulwark report merge`: shards 1…N of one run → the report one run writes.
struct ReportMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the partial results of 'evaluate', 'certify' or 'privacy audit' run with --shard K/N into one report.",
        discussion: """
        The parts must be shards 1…N of one run: same kind, configuration, seed, dataset digest and \
        tool version, every shard exactly once (otherwise one line names what differs, or the \
        duplicate or missing shard, and nothing is written). Every aggregate is recomputed from the \
        per-example records, so DIR gets the files the unsharded command writes with the same \
        numbers; wall times are summed over the shards and the report records the command \
        without --shard.

        Example:
          bulwark report merge parts/evaluation.part-*-of-4.json --out report
        """
    )

    @Argument(help: "Part files (KIND.part-K-of-N.json), in any order.")
    var parts: [String]

    @Option(help: "Output directory.")
    var out: String

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func validate() throws {
        guard !parts.isEmpty else { throw ValidationError("give the part files to merge") }
    }

    func run() throws {
        for name in ["", "/index.html", "/report.json", "/report.sarif", "/evaluation.json", "/checked-evaluation.json", "/certification.json"] {
            try refuseOverwrite(out + name, inputs: parts, role: "--out")
        }
        let loaded = try parts.map { try ReportPart.read(URL(fileURLWithPath: $0)) }
        let merged = try MergedReport.merge(loaded)
        let written = try merged.write(to: URL(fileURLWithPath: out))
        if json {
            try printJSON(Merged(kind: merged.kind.rawValue, shards: merged.shards, findings: merged.report.findings.count,
                                 written: written.map(\.path)))
        } else {
            print("merged \(merged.shards) \(merged.kind.rawValue) shards: \(merged.report.findings.count) findings")
            print("wrote " + written.map(\.path).joined(separator: ", "))
        }
    }

    /// What `report merge --json` prints.
    struct Merged: Codable {
        var kind: String, shards: Int, findings: Int, written: [String]
    }
}
