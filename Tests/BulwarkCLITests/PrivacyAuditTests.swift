import Foundation
import Testing

@Suite(.serialized) struct PrivacyAuditTests {
    static let fashionMNIST = FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")

    @Test func dpTrainingRefusesWithoutWhatAnEpsilonNeeds() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [([String], String)] = [
            (["train", "--model", "mlp", "--dp", "--max-grad-norm", "1", "--delta", "1e-5", "--out", "m.safetensors"], "--noise-multiplier"),
            (["train", "--model", "mlp", "--dp", "--noise-multiplier", "1", "--delta", "1e-5", "--out", "m.safetensors"], "--max-grad-norm"),
            (["train", "--model", "mlp", "--dp", "--noise-multiplier", "1", "--max-grad-norm", "1", "--out", "m.safetensors"], "--delta"),
            (["train", "--model", "mlp", "--noise-multiplier", "1", "--out", "m.safetensors"], "--dp"),
            (["train", "--model", "mlp", "--dp", "--noise-multiplier", "-1", "--max-grad-norm", "1", "--delta", "1e-5", "--out", "m.safetensors"], "--noise-multiplier"),
        ]
        for (args, needle) in cases {
            let r = try CLI.run(args, currentDirectory: dir)
            #expect(r.isCleanFailure, "\(args): status \(r.status), stderr: \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }

    @Test(.enabled(if: fashionMNIST))
    func dpTrainingReportsEpsilonAndTheAuditReadsIt() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("dp.safetensors").path
        let refused = try CLI.run(["train", "--model", "mlp", "--dp", "--noise-multiplier", "0.3", "--max-grad-norm", "1", "--delta", "1e-5",
                                   "--target-epsilon", "0.5", "--limit", "600", "--batch-size", "60", "--epochs", "3", "--out", model])
        #expect(refused.isCleanFailure && refused.stderr.contains("refusing"), "\(refused.stderr)")
        let r = try CLI.run(["train", "--model", "mlp", "--dp", "--noise-multiplier", "1.1", "--max-grad-norm", "1", "--delta", "1e-5",
                             "--limit", "600", "--batch-size", "60", "--epochs", "2", "--out", model, "--json"], timeoutSeconds: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let eps = try #require(object["epsilon"] as? Double)
        #expect(eps > 0 && eps.isFinite)
        #expect(object["steps"] as? Int == 20 && object["privacy_claim"] as? Bool == true)
        #expect(r.stderr.contains("ε = "))
        let header = String(decoding: try Data(contentsOf: URL(fileURLWithPath: model)).prefix(4096), as: UTF8.self)
        #expect(header.contains("bulwark.dp.epsilon") && header.contains("bulwark.dp.randomness"))

        // audit the model on random "members" and "non-members"
        var rng = SystemRandomNumberGenerator()
        for name in ["m", "n"] {
            let x = (0..<(40 * 784)).map { _ in Float.random(in: 0...1, using: &rng) }
            try Data(npyFloat32(shape: [40, 1, 28, 28], values: x)).write(to: dir.appendingPathComponent("\(name)x.npy"))
            try Data(npyInt64(shape: [40], values: (0..<40).map { Int64($0 % 10) })).write(to: dir.appendingPathComponent("\(name)y.npy"))
        }
        let out = dir.appendingPathComponent("audit").path
        let a = try CLI.run(["privacy", "audit", "--model", model,
                             "--data", dir.appendingPathComponent("mx.npy").path, "--labels", dir.appendingPathComponent("my.npy").path,
                             "--non-member-data", dir.appendingPathComponent("nx.npy").path,
                             "--non-member-labels", dir.appendingPathComponent("ny.npy").path,
                             "--attack", "loss,confidence,lira-online,shadow,inversion", "--shadow-models", "2", "--shadow-epochs", "1",
                             "--inversion-steps", "5", "--out", out, "--json"], timeoutSeconds: 300)
        #expect(a.status == 0, "\(a.stderr)")
        let audit = try #require(try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])
        let attacks = try #require(audit["attacks"] as? [[String: Any]])
        #expect(attacks.map { $0["attack"] as? String ?? "" } == ["loss", "confidence", "lira-online", "shadow"])
        #expect(attacks.allSatisfy { ($0["auc"] as? Double).map { $0 >= 0 && $0 <= 1 } ?? false })
        #expect(abs((audit["claimed_epsilon"] as? Double ?? 0) - eps) < 1e-9)
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("AML.T0024.000") && html.contains("ML04:2023") && html.contains("data:image/png"))
        #expect(FileManager.default.fileExists(atPath: out + "/report.sarif"))
    }

    @Test func auditBadInputFailsCleanly() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = dir.appendingPathComponent("x.npy").path, y = dir.appendingPathComponent("y.npy").path
        try Data(npyFloat32(shape: [4, 784], values: [Float](repeating: 0.5, count: 4 * 784))).write(to: URL(fileURLWithPath: x))
        try Data(npyInt64(shape: [3], values: [0, 1, 2])).write(to: URL(fileURLWithPath: y))
        let missing = dir.appendingPathComponent("missing.safetensors").path
        let (x5, y5) = (dir.appendingPathComponent("x5.npy").path, dir.appendingPathComponent("y5.npy").path)
        try Data(npyFloat32(shape: [4, 784], values: [Float](repeating: 1.5, count: 4 * 784))).write(to: URL(fileURLWithPath: x5))
        try Data(npyInt64(shape: [4], values: [0, 1, 2, 3])).write(to: URL(fileURLWithPath: y5))
        let model = dir.appendingPathComponent("m.safetensors").path
        let trained = try CLI.run(["train", "--model", "mlp", "--limit", "64", "--epochs", "1", "--out", model])
        #expect(trained.status == 0, "\(trained.stderr)")
        let data: [String] = ["--data", x, "--labels", y, "--non-member-data", x, "--non-member-labels", y]
        let outOfRange: [String] = ["--data", x5, "--labels", y5, "--non-member-data", x5, "--non-member-labels", y5]
        let audit: [String] = ["privacy", "audit", "--model"]
        var cases: [([String], String)] = []
        cases.append((audit + [missing] + data, "not found"))
        cases.append((audit + [missing] + data + ["--attack", "nope"], "unknown attack"))
        cases.append((audit + [missing] + data + ["--shadow-models", "3"], "--shadow-models"))
        cases.append((audit + [missing] + data + ["--attack", "attribute"], "--attribute-feature"))
        cases.append((audit + [missing, "--data", x, "--labels", y], "--non-member-data"))
        cases.append((audit + [model] + data, "3 labels"))
        cases.append((audit + [model] + outOfRange, "outside the clip range"))
        cases.append((audit + [model] + data + ["--delta", "-1"], "--delta"))
        for (args, needle) in cases {
            let r = try CLI.run(args, currentDirectory: dir)
            #expect(r.isCleanFailure, "\(args): status \(r.status), stderr: \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }
}
