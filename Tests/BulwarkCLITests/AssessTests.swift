import Foundation
import Testing

/// `bulwark assess --quick` end to end: train, scan, attack, report — the real pipeline on a
/// tiny budget.
@Suite(.serialized) struct AssessTests {
    static let fashionMNIST = EvaluateTests.fashionMNIST

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func quickAssessmentWritesOneReportAndReusesTheModel() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let models = dir.appendingPathComponent("models").path, out = dir.appendingPathComponent("report").path
        let args = ["assess", "--quick", "--model-dir", models, "--out", out, "--json"]
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("[train]") && r.stderr.contains("[scan]") && r.stderr.contains("[evaluate]"), "\(r.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(summary["trained_now"] as? Bool == true)
        #expect(summary["scan_verdict"] as? String == "clean")
        let poisoning = try #require(summary["poisoning"] as? [String: Any])
        let detectors = try #require(poisoning["detectors"] as? [[String: Any]])
        #expect(detectors.compactMap { $0["method"] as? String } == ["activation-clustering", "spectral-signatures"])
        #expect(detectors.allSatisfy { ($0["flagged"] as? Int) == ($0["flagged_indices"] as? [Int])?.count })
        #expect((poisoning["detection_examples"] as? Int ?? 0) > 0)
        let extraction = try #require(summary["extraction"] as? [String: Any])
        #expect(extraction["attack"] as? String == "knockoff-random" && extraction["queries"] as? Int == 500)
        #expect((extraction["fidelity"] as? Double).map { $0 > 0 && $0 <= 1 } == true)
        let findings = try #require(summary["findings"] as? [[String: Any]])
        let ids = findings.compactMap { $0["id"] as? String }
        #expect(ids.contains("supply-chain.scan.0"))
        #expect(ids.contains("evasion.white-box.pgd-linf") && ids.contains("evasion.black-box.square-linf"))
        #expect(ids.contains("extraction.knockoff-random"))
        for f in findings {
            #expect((f["atlas"] as? String)?.hasPrefix("AML.T00") == true)
            #expect((f["owasp"] as? String)?.hasPrefix("ML0") == true)
        }
        for name in ["index.html", "report.json", "report.sarif", "evaluation-white-box.json", "evaluation-black-box.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "missing \(name)")
        }
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("class=\"grid\""))
        #expect(html.contains("Supply chain") && html.contains("Evasion") && html.contains("Model extraction"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        let reportFindings = try #require(report["findings"] as? [[String: Any]])
        #expect(reportFindings.count == findings.count)
        #expect(reportFindings.allSatisfy { ($0["reproduce"] as? String)?.hasPrefix("bulwark assess --quick") == true })
        let sarif = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.sarif"))) as? [String: Any])
        #expect(((sarif["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])?.count == findings.count)

        // the second run reuses the cached, scanned model and finds the same clean accuracy;
        // with --sign-with it also writes an attestation that verifies against model and report
        let keys = PathSafetyTests.signingFixtures
        let again = try CLI.run(args + ["--quiet", "--sign-with", keys.appendingPathComponent("key.pem").path])
        #expect(again.status == 0, "\(again.stderr)")
        let attested = try CLI.run(["verify", models + "/" + ((summary["model"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } ?? ""),
                                    "--attestation", out + "/attestation.json", "--public-key", keys.appendingPathComponent("key.pub.pem").path,
                                    "--report", out + "/report.json"])
        #expect(attested.status == 0 && attested.stdout.contains("findings:"), "\(attested.stdout)\(attested.stderr)")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect(second["trained_now"] as? Bool == false)
        #expect(second["sha256"] as? String == summary["sha256"] as? String)
        #expect(second["clean_accuracy"] as? Double == summary["clean_accuracy"] as? Double)
    }

    @Test func tamperedCacheStopsWithTheScanFinding() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let models = dir.appendingPathComponent("models"), out = dir.appendingPathComponent("report").path
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        // a pickle that runs a shell command, where the cached model should be
        let payload = Data([0x80, 2] + Array("cposix\nsystem\n(S'echo pwned'\ntR.".utf8))
        try payload.write(to: models.appendingPathComponent("mlp-fashion-mnist-e1-s0-n2000.safetensors"))
        let r = try CLI.run(["assess", "--quick", "--model-dir", models.path, "--out", out, "--quiet"])
        #expect(r.isCleanFailure, "status \(r.status), stderr: \(r.stderr)")
        #expect(r.stderr.contains("scan verdict 'malicious'"), "\(r.stderr)")
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(html.contains("carries a code-execution payload"))
    }

    @Test func badOptionsFailCleanly() throws {
        for (args, needle) in [(["assess", "--model", "nope"], "unknown model"), (["assess", "--limit", "0"], "--limit"),
                               (["assess", "--epochs", "0"], "--epochs")] {
            let r = try CLI.run(args)
            #expect(r.isCleanFailure, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }
}
