import Foundation
import Testing

/// `train --dp` on an imported ONNX model (issue 16): fine-tuned with DP-SGD, ε per epoch, written back as ONNX.
@Suite(.serialized) struct ONNXDPTrainTests {
    static let onnxTrain = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BulwarkModelsTests/Fixtures/onnx-train")
    static let cnn = onnxTrain.appendingPathComponent("cnn_train.onnx").path
    static let cnnBatchNorm = onnxTrain.appendingPathComponent("cnn_bn_train.onnx").path

    /// 48 examples of 1×8×8 in [0, 1); the class is the brightest of the first ten pixels.
    static func writeImages(_ dir: URL) throws -> (x: String, y: String) {
        let n = 48
        let x = dir.appendingPathComponent("x.npy").path, y = dir.appendingPathComponent("y.npy").path
        let values = OwnDataTests.uniform(n * 64, seed: 21)
        try Data(npyFloat32(shape: [n, 1, 8, 8], values: values)).write(to: URL(fileURLWithPath: x))
        let labels = (0..<n).map { i in Int64((0..<10).max { values[i * 64 + $0] < values[i * 64 + $1] } ?? 0) }
        try Data(npyInt64(shape: [n], values: labels)).write(to: URL(fileURLWithPath: y))
        return (x, y)
    }

    static let dp = ["--dp", "--noise-multiplier", "1", "--max-grad-norm", "1", "--delta", "1e-5"]

    @Test func pytorchCNNIsFineTunedWithDPSGDAndWrittenBackAsONNX() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (x, y) = try Self.writeImages(dir)
        let tuned = dir.appendingPathComponent("cnn-dp.onnx").path
        let r = try CLI.run(["train", "--model", Self.cnn, "--data", x, "--labels", y, "--epochs", "1", "--batch-size", "8",
                             "--lr", "0.01", "--out", tuned, "--json", "--quiet"] + Self.dp)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let epsilon = try #require(json["epsilon"] as? Double)
        #expect(epsilon > 0 && epsilon.isFinite)
        let epochs = try #require(json["per_epoch"] as? [[String: Any]])
        #expect(epochs.count == 1 && epochs[0]["epsilon"] as? Double == epsilon)
        #expect(json["privacy_claim"] as? Bool == true && json["out"] as? String == tuned)

        // the written file loads and runs, with other weights than the original
        let before = dir.appendingPathComponent("before.npy").path, after = dir.appendingPathComponent("after.npy").path
        for (m, out) in [(Self.cnn, before), (tuned, after)] {
            let p = try CLI.run(["predict", "--model", m, "--data", x, "--out", out])
            #expect(p.status == 0, "\(p.stderr)")
        }
        let tunedLogits = try #require(FileManager.default.contents(atPath: after))
        #expect(FileManager.default.contents(atPath: before) != tunedLogits)
        let i = try CLI.run(["inspect", tuned])
        #expect(i.status == 0 && i.stdout.contains("opset: 17"), "\(i.stdout) \(i.stderr)")

        // text mode: ε after every epoch on stderr, the final ε on stdout
        let text = try CLI.run(["train", "--model", Self.cnn, "--data", x, "--labels", y, "--epochs", "2", "--batch-size", "8",
                                "--out", dir.appendingPathComponent("cnn-dp2.onnx").path] + Self.dp)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stderr.contains("epoch 1/2") && text.stderr.contains("epoch 2/2") && text.stderr.contains("ε = "), "\(text.stderr)")
        #expect(text.stdout.contains("DP-SGD 2 epochs") && text.stdout.contains("ε = "), "\(text.stdout)")
    }

    @Test func onnxModelsDPSGDCannotClipAreRefusedWithOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (x, y) = try Self.writeImages(dir)
        let out = dir.appendingPathComponent("refused.onnx").path
        let cases: [([String], String)] = [
            (["train", "--model", Self.cnnBatchNorm, "--data", x, "--labels", y, "--out", out, "--quiet"] + Self.dp, "(BatchNormalization): batch normalisation"),
            (["train", "--model", Self.cnn, "--data", x, "--labels", y, "--out", dir.appendingPathComponent("m.safetensors").path] + Self.dp,
             "--out must name an .onnx file"),
        ]
        for (args, needle) in cases {
            let r = try CLI.run(args)
            #expect(r.isCleanFailure, "\(args): status \(r.status), stderr: \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").filter { $0.contains("rror") }.count == 1, "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
