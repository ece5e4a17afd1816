import Foundation
import Testing

/// `bulwark evaluate` with the gradient-masking checklist and an input-transform defence.
@Suite(.serialized) struct EvaluateDefenceTests {
    static let fashionMNIST = EvaluateTests.fashionMNIST

    static func json(_ r: CLIRun) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func plainGradientThroughRoundingIsFlaggedUnreliable() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try EvaluateTests.fixture(in: dir)
        let out = dir.appendingPathComponent("eval").path
        let base = ["evaluate", "--model", f.model, "--data", f.data, "--labels", f.labels, "--attack", "fgsm,pgd", "--eps", "0.1",
                    "--steps", "5", "--limit", "32", "--checklist-limit", "24", "--checklist-queries", "50", "--out", out, "--quiet"]
        // The naive attacker differentiates 1-bit rounding: a zero gradient everywhere.
        let plain = try CLI.run(base + ["--defense", "bit-depth:1", "--gradient", "plain", "--json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let pj = try Self.json(plain)
        #expect(pj["reliable"] as? Bool == false)
        let failed = try #require(pj["failed_checks"] as? [String])
        #expect(failed.contains("gradients-finite-and-nonzero"), "\(failed)")
        let rows = try #require(pj["results"] as? [[String: Any]])
        #expect(rows.count == 2 && rows.allSatisfy { $0["reliable"] as? Bool == false && $0["robust_accuracy"] is Double })
        let defense = try #require(pj["defense"] as? [String: Any])
        #expect(defense["transform"] as? String == "bit-depth-1" && defense["gradient"] as? String == "plain")
        #expect((pj["undefended"] as? [String: Any])?["results"] is [[String: Any]])
        let checklist = try #require(pj["checklist"] as? [String: Any])
        #expect((checklist["verdicts"] as? [[String: Any]])?.count == 9)

        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(html.contains("Defences (") && html.contains("UNRELIABLE") && html.contains("before: undefended"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        // Every evasion figure carries the checklist's failure.
        for finding in findings {
            let reliability = finding["reliability"] as? [String: Any]
            #expect(reliability?["unreliable"] != nil, "\(finding["id"] ?? "?") is not marked unreliable")
        }
        #expect(findings.contains { ($0["id"] as? String)?.hasPrefix("evasion.checklist.") == true && $0["severity"] as? String == "high" })
        let sarif = try String(contentsOfFile: out + "/report.sarif", encoding: .utf8)
        #expect(sarif.contains("UNRELIABLE") && sarif.contains("gradients-finite-and-nonzero"))

        // The terminal says it too, and never prints the figure as a plain result.
        let text = try CLI.run(base + ["--defense", "bit-depth:1", "--gradient", "plain"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("UNRELIABLE"))
        for line in text.stdout.split(separator: "\n") where line.hasPrefix("pgd ") || line.hasPrefix("fgsm ") {
            #expect(line.hasSuffix("UNRELIABLE"), "\(line)")
        }
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func adaptiveGradientAndSkippingTheChecklist() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try EvaluateTests.fixture(in: dir)
        let base = ["evaluate", "--model", f.model, "--data", f.data, "--labels", f.labels, "--attack", "pgd", "--eps", "0.1",
                    "--steps", "5", "--limit", "24", "--checklist-limit", "24", "--checklist-queries", "50", "--quiet", "--json"]
        let adaptive = try CLI.run(base + ["--defense", "bit-depth:1", "--out", dir.appendingPathComponent("a").path])
        #expect(adaptive.status == 0, "\(adaptive.stderr)")
        let aj = try Self.json(adaptive)
        #expect((aj["defense"] as? [String: Any])?["gradient"] as? String == "bpda")
        // BPDA passes the model's gradient through the rounding: the gradient check holds.
        #expect((aj["failed_checks"] as? [String])?.contains("gradients-finite-and-nonzero") == false)
        #expect(aj["reliable"] is Bool)

        let skipped = try CLI.run(base + ["--no-checklist", "--out", dir.appendingPathComponent("s").path])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        let sj = try Self.json(skipped)
        #expect(sj["reliable"] is NSNull && sj["checklist"] == nil)
        #expect((sj["failed_checks"] as? [String])?.isEmpty == true)

        // A training defence: the baseline model is evaluated with the same attacks (here the same file, so the same figures).
        let withBaseline = try CLI.run(base + ["--baseline", f.model, "--no-checklist", "--out", dir.appendingPathComponent("b").path])
        #expect(withBaseline.status == 0, "\(withBaseline.stderr)")
        let bj = try Self.json(withBaseline)
        let before = try #require((bj["undefended"] as? [String: Any])?["results"] as? [[String: Any]])
        let after = try #require(bj["results"] as? [[String: Any]])
        #expect(before.map { $0["robust_accuracy"] as? Double } == after.map { $0["robust_accuracy"] as? Double })
        #expect(bj["defense"] == nil)
        let html = try String(contentsOfFile: dir.appendingPathComponent("b/index.html").path, encoding: .utf8)
        #expect(html.contains("before: undefended") && html.contains("not checked"))

        for (args, needle) in [(["--defense", "magic:3"], "--defense"), (["--defense", "thermometer:4"], "maps inputs"),
                               (["--baseline", dir.appendingPathComponent("none.safetensors").path], "not found"), (["--gradient", "sideways"], "--gradient"),
                               (["--checklist-limit", "0"], "--checklist-limit")] {
            let r = try CLI.run(base + args + ["--out", dir.appendingPathComponent("x").path])
            #expect(r.isCleanFailure && r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }
}
