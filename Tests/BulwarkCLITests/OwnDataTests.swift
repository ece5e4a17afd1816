import Foundation
import Testing

/// Bring-your-own data and models (issue 16): `.npy`/`.npz`, image folders and CSV tables in every
/// command that takes data, and ONNX models fine-tuned by `train` / `defend train`.
@Suite(.serialized) struct OwnDataTests {
    /// Tests/BulwarkDataTests/Fixtures and Tests/BulwarkModelsTests/Fixtures/onnx-train.
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let dataFixtures = tests.appendingPathComponent("BulwarkDataTests/Fixtures")
    static let breastCancer = dataFixtures.appendingPathComponent("breast_cancer.csv").path
    static let onnxCNN = tests.appendingPathComponent("BulwarkModelsTests/Fixtures/onnx-train/cnn_train.onnx").path

    /// Deterministic values in [0, 1).
    static func uniform(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
    }

    /// Writes `x` (N×F float32) and `y` (int64) as .npy files in `dir`.
    static func writeTable(_ dir: URL, _ name: String, rows: Int, features: Int, values: [Float]? = nil,
                           labels: [Int64]? = nil) throws -> (data: String, labels: String) {
        let data = dir.appendingPathComponent("\(name)_x.npy"), y = dir.appendingPathComponent("\(name)_y.npy")
        let x = values ?? uniform(rows * features, seed: 7)
        try Data(npyFloat32(shape: [rows, features], values: x)).write(to: data)
        let l = labels ?? (0..<rows).map { Int64(x[$0 * features] > 0.5 ? 1 : 0) }
        try Data(npyInt64(shape: [l.count], values: l)).write(to: y)
        return (data.path, y.path)
    }

    /// The labels of the breast-cancer table (its `target` column).
    static func breastCancerLabels() throws -> [Int] {
        let lines = try String(contentsOfFile: breastCancer, encoding: .utf8).split(separator: "\n").dropFirst()
        return lines.compactMap { $0.split(separator: ",").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
    }

    /// argmax of each row of an N×K float32 .npy file written by `predict`.
    static func argmaxRows(_ path: String) throws -> [Int] {
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        let dims = header.split(separator: "(")[1].split(separator: ")")[0].split(separator: ",")
        let shape: [Int] = dims.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        var values: [Float] = []
        for i in stride(from: 10 + headerLength, to: bytes.count, by: 4) {
            var bits: UInt32 = 0
            for b in 0..<4 { bits |= UInt32(bytes[i + b]) << UInt32(8 * b) }
            values.append(Float(bitPattern: bits))
        }
        let k = shape[1]
        return (0..<shape[0]).map { r in (0..<k).max { values[r * k + $0] < values[r * k + $1] } ?? 0 }
    }

    @Test func badOwnDataFailsWithOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try Self.writeTable(dir, "good", rows: 40, features: 4)
        var nanValues = Self.uniform(40, seed: 3)
        nanValues[13] = .nan
        let nan = try Self.writeTable(dir, "nan", rows: 10, features: 4, values: nanValues)
        var infValues = Self.uniform(40, seed: 3)
        infValues[5] = .infinity
        let inf = try Self.writeTable(dir, "inf", rows: 10, features: 4, values: infValues)
        let negative = try Self.writeTable(dir, "neg", rows: 10, features: 4, labels: [0, 1, 0, -1, 0, 1, 0, 1, 0, 1])
        let short = try Self.writeTable(dir, "short", rows: 10, features: 4, labels: [0, 1, 0, 1, 0, 1, 0, 1, 0])
        let wide = try Self.writeTable(dir, "wide", rows: 10, features: 5)
        let manyClasses = try Self.writeTable(dir, "many", rows: 10, features: 4, labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        let badCSV = dir.appendingPathComponent("bad.csv")
        try "a,b,label\n1,2,0\n3,inf,1\n".write(to: badCSV, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("tab.safetensors").path
        let trained = try CLI.run(["train", "--model", "tabular", "--data", good.data, "--labels", good.labels, "--epochs", "1",
                                   "--out", model, "--quiet"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let out = dir.appendingPathComponent("o.safetensors").path
        let train = ["train", "--model", "tabular", "--out", out, "--quiet"]
        let evaluate = ["evaluate", "--model", model, "--attack", "fgsm", "--eps", "0.1", "--out", dir.appendingPathComponent("eval").path, "--quiet"]
        let cases: [([String], String)] = [
            (train + ["--data", good.data, "--labels", good.labels, "--csv", Self.breastCancer, "--label-column", "target"], "exclusive"),
            (train + ["--dataset", "fashion-mnist", "--data", good.data, "--labels", good.labels], "exclusive"),
            (train + ["--data", good.data], "needs --labels"),
            (train + ["--csv", Self.breastCancer], "--label-column"),
            (train + ["--image-folder", dir.path, "--channels", "2"], "--channels must be 1 or 3"),
            (train + ["--image-folder", dir.path, "--image-size", "32"], "--image-size must be HxW"),
            (train + ["--data", good.data, "--labels", good.labels, "--image-size", "8x8"], "go with --image-folder"),
            (train + ["--data", good.data, "--labels", good.labels, "--test-fraction", "1.5"], "--test-fraction"),
            (train + ["--data", nan.data, "--labels", nan.labels], "example 3"),
            (train + ["--data", inf.data, "--labels", inf.labels], "example 1"),
            (train + ["--data", negative.data, "--labels", negative.labels], "negative"),
            (train + ["--data", short.data, "--labels", short.labels], "9 labels for 10 inputs"),
            (train + ["--csv", badCSV.path, "--label-column", "label"], "bad.csv"),
            (train + ["--csv", Self.breastCancer, "--label-column", "no such column"], "no such column"),
            (["train", "--model", "model.bin", "--data", good.data, "--labels", good.labels, "--out", out], "--model must be a zoo architecture"),
            (["train", "--model", Self.onnxCNN, "--data", good.data, "--labels", good.labels, "--out", out], "--out must name an .onnx file"),
            (["train", "--model", Self.onnxCNN, "--data", good.data, "--labels", good.labels, "--out", dir.appendingPathComponent("f.onnx").path],
             "the model expects N×1×8×8"),
            (evaluate, "give the examples"),
            (evaluate + ["--data", wide.data, "--labels", wide.labels], "the model expects N×4"),
            (evaluate + ["--data", manyClasses.data, "--labels", manyClasses.labels], "outside 0..<2"),
            (evaluate + ["--csv", Self.breastCancer, "--label-column", "target"], "30"),
            (["predict", "--model", model, "--data", wide.data, "--out", dir.appendingPathComponent("l.npy").path], "the model expects N×4"),
        ]
        for (args, needle) in cases {
            let r = try CLI.run(args)
            #expect(r.isCleanFailure, "\(args): status \(r.status), stderr: \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 || r.stderr.contains("Usage:"), "\(args): \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }

    @Test func breastCancerTableTrainsTabularWithDPAndReportsEpsilon() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("tabular-dp.safetensors").path
        let r = try CLI.run(["train", "--csv", Self.breastCancer, "--label-column", "target", "--model", "tabular", "--dp",
                             "--noise-multiplier", "1.0", "--max-grad-norm", "1", "--delta", "1e-5", "--epochs", "5",
                             "--batch-size", "32", "--lr", "0.01", "--out", model, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let epsilon = try #require(json["epsilon"] as? Double)
        #expect(epsilon > 0 && epsilon.isFinite)
        // 569 rows, 20 % held out from --seed 0; on standardised features the DP model separates the classes
        #expect(json["train_images"] as? Int == 455)
        let accuracy = try #require(json["test_accuracy"] as? Double)
        #expect(accuracy >= 0.85, "test accuracy \(accuracy)")

        // predict reads the standardisation from the model's metadata: raw features would not classify this well
        let logits = dir.appendingPathComponent("logits.npy").path
        let p = try CLI.run(["predict", "--model", model, "--csv", Self.breastCancer, "--label-column", "target", "--out", logits])
        #expect(p.status == 0, "\(p.stderr)")
        let predicted = try Self.argmaxRows(logits), truth = try Self.breastCancerLabels()
        #expect(predicted.count == 569 && truth.count == 569)
        let agree = Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
        #expect(agree >= 0.85, "predict accuracy \(agree)")
    }

    @Test func imageFolderTrainsAndEvaluates() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("images")
        let classes = ["cat": ["rgb_4x3.png", "rgb_4x3_b.png", "rgb_8x6.png"], "dog": ["grey_4x3.png", "palette_2x2.png", "rgba_4x3.png"]]
        for (name, files) in classes {
            let sub = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            for file in files {
                try FileManager.default.copyItem(at: Self.dataFixtures.appendingPathComponent(file), to: sub.appendingPathComponent(file))
            }
        }
        let model = dir.appendingPathComponent("resnet.safetensors").path
        let images = ["--image-folder", folder.path, "--image-size", "8x8", "--channels", "3"]
        let r = try CLI.run(["train", "--model", "resnet", "--epochs", "2", "--batch-size", "4", "--test-fraction", "0.34",
                             "--out", model, "--json", "--quiet"] + images)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["train_images"] as? Int == 4 && json["test_images"] as? Int == 2, "\(json)")
        let out = dir.appendingPathComponent("eval").path
        let e = try CLI.run(["evaluate", "--model", model, "--attack", "fgsm", "--eps", "0.1", "--out", out, "--json", "--quiet"] + images)
        #expect(e.status == 0, "\(e.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        let clean = try #require(report["clean_accuracy"] as? Double)
        #expect(clean >= 0 && clean <= 1)
        // the model was built for 3×8×8: other sizes are refused before any work
        let wrong = try CLI.run(["evaluate", "--model", model, "--image-folder", folder.path, "--image-size", "4x4", "--channels", "3",
                                 "--out", out + "2", "--quiet"])
        #expect(wrong.isCleanFailure && wrong.stderr.contains("the model expects 3×8×8"), "\(wrong.stderr)")
    }

    @Test func onnxCNNFineTunedByPGDATExportsWithTheSameLogits() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let n = 48
        let x = dir.appendingPathComponent("x.npy").path, y = dir.appendingPathComponent("y.npy").path
        let values = Self.uniform(n * 64, seed: 11)
        try Data(npyFloat32(shape: [n, 1, 8, 8], values: values)).write(to: URL(fileURLWithPath: x))
        // a learnable rule: the class is the brightest of the first ten pixels
        let labels = (0..<n).map { i in Int64((0..<10).max { values[i * 64 + $0] < values[i * 64 + $1] } ?? 0) }
        try Data(npyInt64(shape: [n], values: labels)).write(to: URL(fileURLWithPath: y))
        let tuned = dir.appendingPathComponent("cnn-pgd.onnx").path
        let r = try CLI.run(["defend", "train", "--defense", "pgd-at", "--model", Self.onnxCNN, "--data", x, "--labels", y,
                             "--test-data", x, "--test-labels", y, "--limit", "32", "--epochs", "2", "--batch-size", "8",
                             "--steps", "2", "--eps", "0.05", "--eval-limit", "8", "--eval-steps", "3", "--out", tuned, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let clean = try #require(json["clean_accuracy"] as? Double)
        #expect(json["pgd_accuracy"] as? Double != nil)

        let exported = dir.appendingPathComponent("exported.onnx").path
        let e = try CLI.run(["export", "--model", tuned, "--out", exported])
        #expect(e.status == 0 && e.stdout.contains("opset 17"), "\(e.stdout) \(e.stderr)")
        let before = dir.appendingPathComponent("before.npy").path, after = dir.appendingPathComponent("after.npy").path
        let tunedLogits = dir.appendingPathComponent("tuned.npy").path
        for (m, out) in [(Self.onnxCNN, before), (exported, after), (tuned, tunedLogits)] {
            let p = try CLI.run(["predict", "--model", m, "--data", x, "--out", out])
            #expect(p.status == 0, "\(p.stderr)")
        }
        // the exported file is the fine-tuned model: identical logits to the file defend train wrote,
        // different from the original, and the in-memory model's clean accuracy on the same test set
        let tunedBytes = try #require(FileManager.default.contents(atPath: tunedLogits))
        #expect(FileManager.default.contents(atPath: after) == tunedBytes)
        #expect(FileManager.default.contents(atPath: before) != tunedBytes)
        let predicted = try Self.argmaxRows(after)
        let accuracy = Double(zip(predicted, labels).filter { Int64($0) == $1 }.count) / Double(n)
        #expect(abs(accuracy - clean) < 1e-9, "predict on the exported file: \(accuracy), in memory: \(clean)")
    }
}
