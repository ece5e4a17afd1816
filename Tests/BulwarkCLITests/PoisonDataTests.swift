import Foundation
import Testing

/// `bulwark poison`, `poison evaluate`, `data detect` and `data check --method` (issue 17) on tiny
/// generated data.
@Suite(.serialized) struct PoisonDataTests {
    /// Deterministic values in [0, 1).
    static func uniform(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
    }

    /// The integers of an int64 `.npy` file (little-endian, 1-D), as `bulwark poison` writes them.
    static func int64s(_ path: String) throws -> [Int] {
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        try #require(header.contains("<i8"))
        return stride(from: 10 + headerLength, to: bytes.count, by: 8).map { i in
            var v: UInt64 = 0
            for b in 0..<8 { v |= UInt64(bytes[i + b]) << UInt64(8 * b) }
            return Int(Int64(bitPattern: v))
        }
    }

    /// `n` images 1×28×28 in [0, 0.5) with labels cycling over `classes`.
    static func images(_ dir: URL, _ name: String, n: Int, classes: Int, seed: UInt64) throws -> (x: String, y: String, labels: [Int]) {
        let x = dir.appendingPathComponent("\(name)_x.npy"), y = dir.appendingPathComponent("\(name)_y.npy")
        let labels = (0..<n).map { $0 % classes }
        // class k brightens row band k so a model can learn something in one epoch
        var values = uniform(n * 784, seed: seed).map { $0 * 0.5 }
        for i in 0..<n { for c in 0..<28 { values[i * 784 + (labels[i] * 5) * 28 + c] = 1 } }
        try Data(npyFloat32(shape: [n, 1, 28, 28], values: values)).write(to: x)
        try Data(npyInt64(shape: [n], values: labels.map(Int64.init))).write(to: y)
        return (x.path, y.path, labels)
    }

    @Test func poisonWritesFilesAndIndicesMatchRate() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try Self.images(dir, "train", n: 40, classes: 4, seed: 3)
        let out = dir.appendingPathComponent("poisoned").path
        let run = try CLI.run(["poison", "--attack", "badnets", "--data", train.x, "--labels", train.y, "--target-class", "0",
                               "--rate", "0.2", "--patch-size", "3", "--seed", "1", "--out", out, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        for file in ["x.npy", "y.npy", "poison_indices.npy", "trigger.npy", "trigger_mask.npy"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file) missing")
        }
        let indices = try Self.int64s(out + "/poison_indices.npy")
        let poisonedLabels = try Self.int64s(out + "/y.npy")
        // 30 non-target rows × 0.2 = 6, each a former non-target row now labelled 0
        #expect(indices.count == 6)
        #expect(Set(indices).count == indices.count)
        #expect(indices.allSatisfy { train.labels[$0] != 0 && poisonedLabels[$0] == 0 })
        #expect(poisonedLabels.count == 40)
        // the explicit subcommand name runs the same attack
        let again = try CLI.run(["poison", "attack", "--attack", "label-flip", "--data", train.x, "--labels", train.y, "--rate", "0.25",
                                 "--seed", "2", "--out", dir.appendingPathComponent("flipped").path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.int64s(dir.appendingPathComponent("flipped/poison_indices.npy").path).count == 10)
    }

    @Test func poisonAndDataBadFlagsFailWithOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try Self.images(dir, "train", n: 8, classes: 2, seed: 5)
        let out = dir.appendingPathComponent("o").path
        let cases: [([String], Int32, String)] = [
            (["poison", "--attack", "badnets", "--data", train.x, "--labels", train.y, "--target-class", "0", "--rate", "1.5", "--out", out], 64, "--rate"),
            (["poison", "--attack", "badnets", "--data", train.x, "--labels", train.y, "--rate", "0.1", "--out", out], 64, "--target-class"),
            (["poison", "--attack", "badnets", "--data", dir.appendingPathComponent("missing.npy").path, "--labels", train.y,
              "--target-class", "0", "--rate", "0.1", "--out", out], 2, "missing.npy"),
            (["poison", "evaluate", "--model", "m.safetensors", "--data", train.x, "--labels", train.y, "--target-class", "0"], 64, "--trigger"),
            (["poison", "evaluate", "--model", "m.safetensors", "--data", train.x, "--labels", train.y, "--target-class", "0",
              "--victims", "1,x"], 64, "--victims"),
            (["data", "detect", "--model", "m.safetensors", "--data", train.x, "--labels", train.y, "--method", "all"], 64, "data check"),
            (["data", "detect", "--model", "m.safetensors", "--data", train.x, "--labels", train.y, "--method", "strip"], 64, "--clean"),
            (["data", "check", "--data", train.x, "--labels", train.y, "--model", "m.safetensors", "--method", "all"], 64, "--clean"),
            (["data", "check", "--data", train.x, "--labels", train.y, "--method", "spectral"], 64, "--model"),
            (["detect-poison", "--model", "m.safetensors", "--data", train.x, "--labels", train.y, "--method", "loss"], 64, "Unknown"),  // moved to `data detect`
        ]
        for (args, status, mention) in cases {
            let run = try CLI.run(args)
            #expect(run.status == status, "\(args): \(run.status) \(run.stderr)")
            #expect(run.isCleanFailure, "\(args): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").first?.contains(mention) == true, "\(args): \(run.stderr)")
        }
    }

    @Test func dataManifestThenTamperFailsCheck() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try Self.images(dir, "train", n: 12, classes: 2, seed: 9)
        let manifest = dir.appendingPathComponent("manifest.json").path
        let made = try CLI.run(["data", "manifest", train.x, train.y, "--out", manifest])
        #expect(made.status == 0, "\(made.stderr)")
        let check = ["data", "check", "--data", train.x, "--labels", train.y, "--manifest", manifest, "--fail-on", "high"]
        let before = try CLI.run(check)
        #expect(before.status == 0, "\(before.stdout) \(before.stderr)")
        #expect(before.stdout.contains("none run"))
        var bytes = try #require(FileManager.default.contents(atPath: train.x))
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: train.x))
        let after = try CLI.run(check)
        #expect(after.status == 1, "\(after.stdout) \(after.stderr)")
        #expect(after.isCleanFailure)
        #expect(after.stderr.split(separator: "\n").count == 1 && after.stderr.contains("train_x.npy"), "\(after.stderr)")
    }

    @Test func dataCheckSpectralFlagsPlantedRows() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 80 rows × 6 features in [0, 0.3), label = feature 0 above 0.15; rows 0, 10, …, 70 of
        // class 0 are planted with a 1.0 in features 4 and 5 (a "trigger") and keep label 0.
        let (n, f) = (80, 6)
        var values = Self.uniform(n * f, seed: 11).map { $0 * 0.3 }
        var labels = (0..<n).map { Int64(values[$0 * f] > 0.15 ? 1 : 0) }
        let planted = Array(stride(from: 0, to: n, by: 10))
        for i in planted {
            values[i * f + 4] = 1
            values[i * f + 5] = 1
            labels[i] = 0
        }
        let x = dir.appendingPathComponent("x.npy").path, y = dir.appendingPathComponent("y.npy").path
        try Data(npyFloat32(shape: [n, f], values: values)).write(to: URL(fileURLWithPath: x))
        try Data(npyInt64(shape: [n], values: labels)).write(to: URL(fileURLWithPath: y))
        let model = dir.appendingPathComponent("tab.safetensors").path
        let trained = try CLI.run(["train", "--model", "tabular", "--data", x, "--labels", y, "--epochs", "3", "--out", model, "--quiet"])
        try #require(trained.status == 0, "\(trained.stderr)")
        let run = try CLI.run(["data", "check", "--data", x, "--labels", y, "--model", model, "--method", "spectral",
                               "--expected-rate", "0.2", "--valid-range", "none", "--fail-on", "high", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let methods = try #require(json["methods"] as? [[String: Any]])
        #expect(methods.count == 1)
        #expect(methods.first?["method"] as? String == "spectral-signatures")
        let flagged = try #require(methods.first?["flagged"] as? [Int])
        let union = try #require(json["flagged_indices"] as? [Int])
        #expect(!flagged.isEmpty)
        #expect(Set(flagged).isSubset(of: Set(union)))
        let summary = try #require(methods.first?["summary"] as? [String: Any])
        #expect(summary["count"] as? Int == n)
        // the planted rows stand out: most of them are among the flagged
        let found = Set(planted).intersection(flagged).count
        #expect(found >= planted.count * 3 / 4, "flagged \(flagged), planted \(planted)")
    }

    /// `n` images 1×8×8 in [0, 0.5) with labels cycling over `classes`, class k brightening row k.
    static func smallImages(_ dir: URL, _ name: String, n: Int, classes: Int, seed: UInt64) throws -> (x: String, y: String, labels: [Int]) {
        let x = dir.appendingPathComponent("\(name)_x.npy"), y = dir.appendingPathComponent("\(name)_y.npy")
        let labels = (0..<n).map { $0 % classes }
        var values = uniform(n * 64, seed: seed).map { $0 * 0.5 }
        for i in 0..<n { for c in 0..<8 { values[i * 64 + labels[i] * 8 + c] = 1 } }
        try Data(npyFloat32(shape: [n, 1, 8, 8], values: values)).write(to: x)
        try Data(npyInt64(shape: [n], values: labels.map(Int64.init))).write(to: y)
        return (x.path, y.path, labels)
    }

    @Test func poisonRepairAndEvaluateAgree() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try Self.smallImages(dir, "train", n: 120, classes: 3, seed: 21)
        let test = try Self.smallImages(dir, "test", n: 30, classes: 3, seed: 22)
        let out = dir.appendingPathComponent("p").path
        let poisoned = try CLI.run(["poison", "--attack", "badnets", "--data", train.x, "--labels", train.y, "--target-class", "0",
                                    "--rate", "0.25", "--patch-size", "2", "--seed", "4", "--out", out])
        try #require(poisoned.status == 0, "\(poisoned.stderr)")
        let model = dir.appendingPathComponent("poisoned.safetensors").path
        let trained = try CLI.run(["train", "--model", "tabular", "--data", out + "/x.npy", "--labels", out + "/y.npy", "--test-data", test.x,
                                   "--test-labels", test.y, "--epochs", "5", "--out", model, "--quiet"])
        try #require(trained.status == 0, "\(trained.stderr)")
        let repaired = dir.appendingPathComponent("repaired.safetensors").path
        let repair = try CLI.run(["poison", "repair", "--model", model, "--arch", "tabular", "--data", out + "/x.npy", "--labels", out + "/y.npy",
                                  "--flagged", out + "/poison_indices.npy", "--test-data", test.x, "--test-labels", test.y,
                                  "--trigger", out + "/trigger.npy", "--target-class", "0", "--epochs", "5", "--out", repaired, "--json"])
        try #require(repair.status == 0, "\(repair.stderr)")
        let report = try #require((try JSONSerialization.jsonObject(with: Data(repair.stdout.utf8)) as? [String: Any])?["report"] as? [String: Any])
        let poison = try Self.int64s(out + "/poison_indices.npy")
        #expect(poison.count == 20)  // 80 non-target rows × 0.25
        #expect(report["removedExamples"] as? Int == poison.count)
        #expect(report["keptExamples"] as? Int == 120 - poison.count)
        let before = try #require(report["before"] as? [String: Any]), after = try #require(report["after"] as? [String: Any])
        #expect(after["triggeredInputs"] as? Int == 20)  // the 20 test rows not of class 0
        // evaluate measures the same models the same way: its figures equal repair's before and after
        for (path, expected) in [(model, before), (repaired, after)] {
            let run = try CLI.run(["poison", "evaluate", "--model", path, "--data", test.x, "--labels", test.y, "--trigger", out + "/trigger.npy",
                                   "--target-class", "0", "--json"])
            try #require(run.status == 0, "\(run.stderr)")
            let evaluation = try #require((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["evaluation"] as? [String: Any])
            let metrics = try #require(evaluation["poisoned"] as? [String: Any])
            #expect(metrics["triggeredCount"] as? Int == 20)
            #expect(metrics["attackSuccessRate"] as? Double == expected["attackSuccessRate"] as? Double)
            #expect(metrics["cleanAccuracy"] as? Double == expected["cleanAccuracy"] as? Double)
        }
        // with the clean-model comparison, the deltas are the differences
        let both = try CLI.run(["poison", "evaluate", "--model", model, "--clean-model", repaired, "--data", test.x, "--labels", test.y,
                                "--trigger", out + "/trigger.npy", "--target-class", "0", "--victims", "0,3", "--json"])
        try #require(both.status == 0, "\(both.stderr)")
        let e = try #require((try JSONSerialization.jsonObject(with: Data(both.stdout.utf8)) as? [String: Any])?["evaluation"] as? [String: Any])
        let delta = try #require(e["attackSuccessDelta"] as? Double)
        let a = try #require(before["attackSuccessRate"] as? Double), b = try #require(after["attackSuccessRate"] as? Double)
        #expect(abs(delta - (a - b)) < 1e-12)
        #expect(((e["poisoned"] as? [String: Any])?["victimCount"] as? Int) == 2)
    }
}
