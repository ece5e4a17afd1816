import Foundation
import Testing

/// `bulwark evaluate` end to end on a small model trained by the CLI.
@Suite(.serialized) struct EvaluateTests {
    static let fashionMNIST = FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")

    /// A trained mlp, 64 seeded inputs in [0, 1] and labels, written into `dir`.
    static func fixture(in dir: URL) throws -> (model: String, data: String, labels: String) {
        let model = dir.appendingPathComponent("mlp.safetensors").path
        let r = try CLI.run(["train", "--dataset", "fashion-mnist", "--model", "mlp", "--epochs", "1", "--limit", "1000",
                             "--out", model, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let values: [Float] = (0..<(64 * 784)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        let data = dir.appendingPathComponent("x.npy").path
        try Data(npyFloat32(shape: [64, 1, 28, 28], values: values)).write(to: URL(fileURLWithPath: data))
        let labels = dir.appendingPathComponent("y.npy").path
        try Data(npyInt64(shape: [64], values: (0..<64).map { Int64($0 % 10) })).write(to: URL(fileURLWithPath: labels))
        return (model, data, labels)
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func jsonReportsEveryAttackAndEpsilon() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try Self.fixture(in: dir)
        let out = dir.appendingPathComponent("eval").path
        let r = try CLI.run(["evaluate", "--model", f.model, "--data", f.data, "--labels", f.labels,
                             "--attack", "fgsm,pgd", "--eps", "0.02,0.2", "--steps", "5", "--out", out, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let clean = try #require(json["clean_accuracy"] as? Double)
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.count == 4)
        for row in results {
            for key in ["attack", "eps", "norm", "robust_accuracy", "success_rate", "mean_l2", "mean_linf", "seconds"] {
                #expect(row[key] != nil, "missing \(key) in \(row)")
            }
            let robust = try #require(row["robust_accuracy"] as? Double)
            #expect(robust <= clean + 1e-12)
            let linf = try #require(row["mean_linf"] as? Double)
            let eps = try #require(row["eps"] as? Double)
            #expect(linf <= eps + 1e-5)
        }
        // a larger ε never leaves more examples standing in the worst case over the attacks
        let curve = try #require(json["ensemble"] as? [[String: Any]])
        let accuracies = curve.compactMap { $0["robust_accuracy"] as? Double }
        #expect(accuracies.count == 2)
        #expect(accuracies[1] <= accuracies[0])
        #expect(FileManager.default.fileExists(atPath: out + "/evaluation.json"))
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func outWritesTheReport() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try Self.fixture(in: dir)
        let out = dir.appendingPathComponent("eval").path
        let r = try CLI.run(["evaluate", "--model", f.model, "--data", f.data, "--labels", f.labels,
                             "--attack", "fgsm,pgd", "--eps", "0.05,0.2", "--steps", "5", "--limit", "32", "--out", out, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["evaluation.json", "index.html", "report.json", "report.sarif"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "missing \(name)")
        }
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("<polyline"))
        #expect(html.contains("class=\"grid\"") && html.contains("data:image/png;base64,"))
        #expect(html.contains("not a guarantee"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        let ids = findings.compactMap { $0["id"] as? String }
        #expect(Array(ids.prefix(3)) == ["evasion.evaluate.fgsm-linf", "evasion.evaluate.pgd-linf", "evasion.evaluate.ensemble-linf"])
        #expect(ids.count == 4 && ids.last?.hasPrefix("evasion.checklist.pgd-linf.") == true, "\(ids)")  // the checklist's verdict
        #expect(html.contains("Gradient-masking checklist"))
        for finding in findings {
            #expect((finding["atlasID"] as? String)?.hasPrefix("AML.T0043") == true)
            #expect(finding["owaspID"] as? String == "ML01:2023")
            #expect((finding["reproduce"] as? String)?.hasPrefix("bulwark evaluate --model") == true)
        }
        #expect(report["seed"] as? Int == 0)
        let sarif = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.sarif"))) as? [String: Any])
        let results = (sarif["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]]
        #expect(results?.count == findings.count)
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func badInputFailsCleanly() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try Self.fixture(in: dir)
        let short = dir.appendingPathComponent("short.npy").path
        try Data(npyInt64(shape: [3], values: [0, 1, 2])).write(to: URL(fileURLWithPath: short))
        let outOfRange = dir.appendingPathComponent("big.npy").path
        try Data(npyFloat32(shape: [1, 784], values: [Float](repeating: 3, count: 784))).write(to: URL(fileURLWithPath: outOfRange))
        let one = dir.appendingPathComponent("one.npy").path
        try Data(npyInt64(shape: [1], values: [0])).write(to: URL(fileURLWithPath: one))
        let base = ["evaluate", "--model", f.model, "--out", dir.appendingPathComponent("o").path]
        let cases: [([String], String)] = [
            (base + ["--data", f.data, "--labels", f.labels, "--attack", "nosuch"], "unknown attack"),
            (base + ["--data", f.data, "--labels", f.labels, "--eps", "0.1,-1"], "--eps"),
            (base + ["--data", f.data, "--labels", f.labels, "--norm", "l1"], "--norm"),
            (base + ["--data", f.data, "--labels", short], "3 labels"),
            (base + ["--data", outOfRange, "--labels", one], "clip range"),
            (base + ["--data", f.data, "--labels", f.labels, "--attack", "cw"], "l2 only"),
            (base + ["--data", dir.appendingPathComponent("missing.npy").path, "--labels", f.labels], "not found"),
        ]
        for (args, needle) in cases {
            let r = try CLI.run(args)
            #expect(r.isCleanFailure, "\(args): status \(r.status), stderr: \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }
}
