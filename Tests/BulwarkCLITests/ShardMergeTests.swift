import Foundation
import Testing

/// `evaluate --shard K/N` + `report merge` against one `evaluate` run, end to end.
@Suite(.serialized) struct ShardMergeTests {
    /// The findings' metric values of a report.json, by finding id and metric name (timings left out).
    static func metrics(_ path: String) throws -> [String: Double] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let findings = try #require(json["findings"] as? [[String: Any]])
        var out: [String: Double] = [:]
        for f in findings {
            let id = try #require(f["id"] as? String)
            for m in f["metrics"] as? [[String: Any]] ?? [] {
                guard let name = m["name"] as? String, let value = m["value"] as? Double, !name.contains("second") else { continue }
                out[id + "/" + name] = value
            }
        }
        return out
    }

    @Test(.enabled(if: EvaluateTests.fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func twoShardsMergeIntoTheReportOfOneRun() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try EvaluateTests.fixture(in: dir)
        let common = ["evaluate", "--model", f.model, "--data", f.data, "--labels", f.labels, "--attack", "fgsm,pgd", "--eps", "0.02,0.1",
                      "--steps", "3", "--restarts", "1", "--batch-size", "16", "--limit", "40", "--checklist-limit", "10",
                      "--checklist-queries", "10", "--seed", "3", "--quiet"]
        let single = dir.appendingPathComponent("single").path
        var r = try CLI.run(common + ["--out", single])
        #expect(r.status == 0, "\(r.stderr)")
        let parts = dir.appendingPathComponent("parts").path
        for k in 1...2 {
            r = try CLI.run(common + ["--out", parts, "--shard", "\(k)/2", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("\"examples\":20"))
        }
        let one = parts + "/evaluation.part-1-of-2.json", two = parts + "/evaluation.part-2-of-2.json"
        // a missing shard is named, and nothing is written
        r = try CLI.run(["report", "merge", two, "--out", dir.appendingPathComponent("bad").path])
        #expect(r.status == 2 && r.stderr.contains("missing shard 1/2"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad").path))
        r = try CLI.run(["report", "merge", one, one, "--out", dir.appendingPathComponent("bad").path])
        #expect(r.status == 2 && r.stderr.contains("shard 1/2 given twice"), "\(r.stderr)")

        let merged = dir.appendingPathComponent("merged").path
        r = try CLI.run(["report", "merge", two, one, "--out", merged, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"shards\":2"))
        let expected = try Self.metrics(single + "/report.json"), got = try Self.metrics(merged + "/report.json")
        #expect(!expected.isEmpty)
        #expect(got == expected)
        for name in ["index.html", "report.sarif", "evaluation.json", "checked-evaluation.json"] {
            #expect(FileManager.default.fileExists(atPath: merged + "/" + name), "\(name)")
        }
        // the recorded command is the unsharded one
        let report = try String(contentsOfFile: merged + "/report.json", encoding: .utf8)
        #expect(!report.contains("--shard"))
    }

    @Test func badShardsAndPartsAreRefusedInOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = try CLI.run(["evaluate", "--model", "m.safetensors", "--data", "x.npy", "--labels", "y.npy", "--out", dir.path, "--shard", "3/2"])
        #expect(r.status == 64 && r.stderr.contains("--shard: shard 3/2: expected K/N with 1 ≤ K ≤ N ≤ 10000"), "\(r.stderr)")
        r = try CLI.run(["certify", "--model", "m.safetensors", "--sigma", "0.5", "--data", "x.npy", "--labels", "y.npy", "--shard", "1/2"])
        #expect(r.status == 64 && r.stderr.contains("--shard needs --out"), "\(r.stderr)")
        let junk = dir.appendingPathComponent("junk.json")
        try Data("{\"format\":\"bulwark-report-part/1\"}".utf8).write(to: junk)
        r = try CLI.run(["report", "merge", junk.path, "--out", dir.appendingPathComponent("out").path])
        #expect(r.status == 2 && r.stderr.contains("not a bulwark report part"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }
}
