import Foundation
import Testing

/// `bulwark defend detect` and `bulwark certify --out` end to end on a small CLI-trained mlp.
@Suite(.serialized) struct DetectCertifyReportTests {
    static let fashionMNIST = EvaluateTests.fashionMNIST

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func detectReportsROCAndBothAttacks() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try EvaluateTests.fixture(in: dir)
        let out = dir.appendingPathComponent("detect").path
        for detector in ["mahalanobis", "feature-squeezing"] {
            let r = try CLI.run(["defend", "detect", "--detector", detector, "--model", f.model, "--data", f.data, "--labels", f.labels,
                                 "--attack", "pgd", "--eps", "0.1", "--steps", "5", "--fpr", "0.1", "--json", "--out", out])
            #expect(r.status == 0, "\(detector): \(r.stderr)")
            let j = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let auc = try #require(j["roc_auc"] as? Double)
            #expect(auc >= 0 && auc <= 1)
            #expect((j["threshold"] as? Double)?.isFinite == true)
            #expect(j["examples"] as? Int == 32 && j["held_out_examples"] as? Int == 32)
            // Mahalanobis fits on two thirds of the held-out half and calibrates on the rest.
            #expect(j["calibration_examples"] as? Int == (detector == "mahalanobis" ? 11 : 32))
            let clean = try #require(j["clean_accuracy"] as? Double)
            for key in ["non_adaptive", "adaptive"] {
                let m = try #require(j[key] as? [String: Any], "\(key)")
                let pipeline = try #require(m["pipeline_robust_accuracy"] as? Double)
                let model = try #require(m["model_robust_accuracy"] as? Double)
                #expect(model <= pipeline + 1e-12 && pipeline <= clean + 1e-12, "\(key): \(m)")
                #expect(m["detection_rate"] is Double && m["undetected_success_rate"] is Double)
            }
            let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
            #expect(html.contains("Detector ROC") && html.contains("detector-aware pgd (adaptive)"))
            #expect(FileManager.default.fileExists(atPath: out + "/detection.json") && FileManager.default.fileExists(atPath: out + "/report.sarif"))
        }
        let base = ["defend", "detect", "--model", f.model, "--data", f.data, "--labels", f.labels]
        for (args, needle) in [(["--detector", "oracle"], "invalid for '--detector"), (["--detector", "mahalanobis", "--fpr", "1.5"], "--fpr"),
                               (["--detector", "mahalanobis", "--attack", "cw"], "--attack"),
                               (["--detector", "mahalanobis", "--calibration", "64"], "no examples to attack")] {
            let r = try CLI.run(base + args)
            #expect(r.isCleanFailure && r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func certifyOutWritesTheCertifiedAccuracyCurve() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try EvaluateTests.fixture(in: dir)
        let out = dir.appendingPathComponent("cert").path
        let r = try CLI.run(["certify", "--model", f.model, "--sigma", "0.25", "--data", f.data, "--labels", f.labels, "--n0", "10", "--n", "50",
                             "--alpha", "0.01", "--radii", "0,0.1,0.2", "--limit", "8", "--quiet", "--json", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((j["report"] as? [String])?.count == 4)
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(html.contains("Certified accuracy vs L2 radius") && html.contains("<svg"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        let metrics = try #require(findings.first?["metrics"] as? [[String: Any]])
        let curve = try #require(j["curve"] as? [[String: Any]])
        let reported = metrics.filter { ($0["name"] as? String)?.hasPrefix("certified_accuracy@") == true }.compactMap { $0["value"] as? Double }
        #expect(reported == curve.compactMap { $0["certified_accuracy"] as? Double })
        #expect(FileManager.default.fileExists(atPath: out + "/certification.json"))
    }
}
