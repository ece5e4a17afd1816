import Foundation
import Testing

/// `bulwark defend train` and `bulwark certify` end to end on small runs.
@Suite(.serialized) struct DefendCertifyTests {
    static let fashionMNIST = FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")

    @Test func helpListsTheNewSubcommands() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        for sub in ["defend", "certify"] { #expect(r.stdout.contains(sub)) }
        let d = try CLI.run(["defend", "train", "--help"])
        for name in ["pgd-at", "trades", "fast-at", "distillation", "noise"] { #expect(d.stdout.contains(name)) }
    }

    @Test func badArgumentsFailCleanly() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = dir.appendingPathComponent("x.npy"), y = dir.appendingPathComponent("y.npy")
        try Data(npyFloat32(shape: [2, 784], values: [Float](repeating: 0.5, count: 1568))).write(to: x)
        try Data(npyInt64(shape: [3], values: [0, 1, 2])).write(to: y)
        let cases: [([String], String)] = [
            (["defend", "train", "--defense", "magic", "--model", "mlp", "--out", "m.safetensors"], "Please provide one of 'pgd-at'"),
            (["defend", "train", "--defense", "pgd-at", "--model", "transformer", "--out", "m.safetensors"], "--model must be a zoo architecture"),
            (["defend", "train", "--defense", "pgd-at", "--model", "mlp", "--eps", "2", "--out", "m.safetensors"], "--eps"),
            (["defend", "train", "--defense", "noise", "--model", "mlp", "--out", "m.bin"], ".safetensors"),
            (["certify", "--model", "missing.safetensors", "--sigma", "0.5", "--data", x.path, "--labels", y.path], "not found"),
            (["certify", "--model", "m.safetensors", "--sigma", "-1", "--data", x.path, "--labels", y.path], "--sigma"),
            (["certify", "--model", "m.safetensors", "--sigma", "0.5", "--alpha", "2", "--data", x.path, "--labels", y.path], "--alpha"),
            (["certify", "--model", "m.safetensors", "--sigma", "0.5", "--radii", "0,x", "--data", x.path, "--labels", y.path], "--radii"),
        ]
        for (args, needle) in cases {
            let r = try CLI.run(args, currentDirectory: dir)
            #expect(r.isCleanFailure, "\(args): status \(r.status), stderr: \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func noiseTrainingThenCertify() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("noise.safetensors").path
        let t = try CLI.run(["defend", "train", "--defense", "noise", "--sigma", "0.25", "--model", "mlp", "--epochs", "1",
                             "--limit", "2000", "--eval-limit", "50", "--eval-steps", "5", "--out", model, "--json", "--quiet"])
        #expect(t.status == 0, "\(t.stderr)")
        let tj = try #require(try JSONSerialization.jsonObject(with: Data(t.stdout.utf8)) as? [String: Any])
        #expect((tj["clean_accuracy"] as? Double ?? 0) > 0.6)
        #expect(tj["pgd_accuracy"] is Double)
        // Wrong label count fails cleanly.
        var state: UInt64 = 0x1234_5678
        let values: [Float] = (0..<(20 * 784)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        let x = dir.appendingPathComponent("x.npy"), y = dir.appendingPathComponent("y.npy"), bad = dir.appendingPathComponent("bad.npy")
        try Data(npyFloat32(shape: [20, 1, 28, 28], values: values)).write(to: x)
        try Data(npyInt64(shape: [20], values: (0..<20).map { Int64($0 % 10) })).write(to: y)
        try Data(npyInt64(shape: [3], values: [0, 1, 2])).write(to: bad)
        let b = try CLI.run(["certify", "--model", model, "--sigma", "0.25", "--data", x.path, "--labels", bad.path])
        #expect(b.isCleanFailure && b.stderr.contains("labels"), "\(b.stderr)")
        let c = try CLI.run(["certify", "--model", model, "--sigma", "0.25", "--data", x.path, "--labels", y.path,
                             "--n0", "20", "--n", "100", "--alpha", "0.01", "--radii", "0,0.1,0.5", "--json", "--quiet"])
        #expect(c.status == 0, "\(c.stderr)")
        let cj = try #require(try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as? [String: Any])
        let curve = try #require(cj["curve"] as? [[String: Any]])
        #expect(curve.count == 3)
        let accs = curve.compactMap { $0["certified_accuracy"] as? Double }
        #expect(accs.count == 3 && accs[0] >= accs[1] && accs[1] >= accs[2])
        // n = 100, α = 0.01: the bound is at most 0.01^(1/100) ≈ 0.955, radius ≤ 0.25 · Φ⁻¹(0.955) < 0.5.
        #expect(accs[2] == 0)
        let text = try CLI.run(["certify", "--model", model, "--sigma", "0.25", "--data", x.path, "--labels", y.path,
                                "--n0", "10", "--n", "50", "--limit", "5", "--quiet"])
        #expect(text.status == 0 && text.stdout.contains("certified accuracy"), "\(text.stderr)")
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func fastAdversarialTrainingWritesAModel() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("fast.safetensors").path
        let r = try CLI.run(["defend", "train", "--defense", "fast-at", "--eps", "0.1", "--model", "mlp", "--epochs", "1",
                             "--limit", "1000", "--eval-limit", "50", "--eval-steps", "5", "--out", model, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("fast-at mlp: clean test accuracy") && r.stdout.contains("upper bound"), "\(r.stdout)")
        #expect(FileManager.default.fileExists(atPath: model))
    }
}
