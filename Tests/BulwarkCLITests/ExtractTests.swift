import Foundation
import Testing

/// `bulwark extract` (issue 18) on a tiny generated tabular task: a `tabular` victim trained by
/// `bulwark train`, stolen through its query interface.
@Suite(.serialized) struct ExtractTests {
    /// `n` rows of 6 features: values in [0, 1], class k (of 3) shifts feature k by +0.4; deterministic from `seed`.
    static func rows(_ dir: URL, _ name: String, n: Int, seed: UInt64) throws -> (x: String, y: String) {
        var state = seed
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        var values = [Float](), labels = [Int64]()
        for i in 0..<n {
            let k = i % 3
            labels.append(Int64(k))
            for f in 0..<6 { values.append(0.6 * uniform() + (f == k ? 0.4 : 0)) }
        }
        let x = dir.appendingPathComponent("\(name)_x.npy"), y = dir.appendingPathComponent("\(name)_y.npy")
        try Data(npyFloat32(shape: [n, 6], values: values)).write(to: x)
        try Data(npyInt64(shape: [n], values: labels)).write(to: y)
        return (x.path, y.path)
    }

    @Test func extractStealsATabularVictimWithinTheBudget() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try Self.rows(dir, "train", n: 300, seed: 1), pool = try Self.rows(dir, "pool", n: 200, seed: 2)
        let test = try Self.rows(dir, "test", n: 150, seed: 3)
        let victim = dir.appendingPathComponent("victim.safetensors").path
        let trained = try CLI.run(["train", "--model", "tabular", "--data", train.x, "--labels", train.y, "--epochs", "5", "--out", victim, "--quiet"])
        try #require(trained.status == 0, "\(trained.stderr)")
        let stolen = dir.appendingPathComponent("stolen.safetensors").path
        let run = try CLI.run(["extract", "--victim", victim, "--attack", "knockoff", "--query-data", pool.x, "--test-data", test.x,
                               "--test-labels", test.y, "--queries", "120", "--arch", "tabular", "--epochs", "8", "--seed", "1",
                               "--out", stolen, "--json", "--curve", "--quiet"])
        try #require(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let report = try #require(json["report"] as? [String: Any])
        #expect(report["queriesUsed"] as? Int == 120 && report["queryBudget"] as? Int == 120)
        #expect((report["fidelity"] as? Double ?? 0) > 0.8, "\(run.stdout)")
        #expect((report["curve"] as? [[String: Any]])?.compactMap { $0["queryBudget"] as? Int } == [15, 30, 60, 120])
        #expect(FileManager.default.fileExists(atPath: stolen))
        // the stolen file is a model bulwark can use
        let predicted = try CLI.run(["predict", "--model", stolen, "--data", test.x, "--out", dir.appendingPathComponent("p.npy").path])
        #expect(predicted.status == 0, "\(predicted.stderr)")
    }

    @Test func extractRefusesBadOptionsInOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pool = try Self.rows(dir, "pool", n: 10, seed: 2)
        let base = ["extract", "--victim", "v.safetensors", "--query-data", pool.x, "--queries", "10"]
        let noHidden = try CLI.run(base + ["--attack", "equivalent", "--out", "e.onnx"])
        #expect(noHidden.status == 64 && noHidden.stderr.contains("--hidden"))
        let notONNX = try CLI.run(base + ["--attack", "equivalent", "--hidden", "4", "--out", "e.safetensors"])
        #expect(notONNX.status == 64 && notONNX.stderr.contains(".onnx"))
        let noArch = try CLI.run(base + ["--attack", "copycat", "--out", "s.safetensors"])
        #expect(noArch.status == 64 && noArch.stderr.contains("--arch"))
        let missing = try CLI.run(base + ["--attack", "copycat", "--arch", "tabular", "--out", dir.appendingPathComponent("s.safetensors").path])
        #expect(missing.isCleanFailure && missing.status == 2, "\(missing.stderr)")
    }
}
