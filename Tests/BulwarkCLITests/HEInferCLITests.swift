import Foundation
import Testing

/// `bulwark train --activation square|poly` and `bulwark he infer` end to end: the encrypted
/// logits (client → separate `he evaluate` process → client) equal `bulwark predict`'s plaintext
/// logits of the same file; models and inputs CKKS cannot take end with one line, never a crash.
@Suite struct HEInferCLITests {
    static let fashionMNIST = FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")

    /// The float32 values of a version-1.0 `.npy` file.
    static func npyValues(_ path: String) throws -> [Float] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let payload = bytes[(10 + headerLength)...]
        return stride(from: payload.startIndex, to: payload.endIndex, by: 4).map { i in
            Float(bitPattern: UInt32(payload[i]) | UInt32(payload[i + 1]) << 8 | UInt32(payload[i + 2]) << 16 | UInt32(payload[i + 3]) << 24)
        }
    }

    static func train(_ out: String, hidden: String, activation: String, limit: Int = 3000, epochs: Int = 2) throws -> CLIRun {
        try CLI.run(["train", "--dataset", "fashion-mnist", "--model", "mlp", "--hidden", hidden, "--activation", activation,
                     "--epochs", String(epochs), "--limit", String(limit), "--out", out, "--json", "--quiet"])
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"), arguments: ["square", "poly"])
    func encryptedLogitsEqualPlaintextPredictions(_ activation: String) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let trained = try Self.train(path("m.safetensors"), hidden: "8", activation: activation)
        #expect(trained.status == 0, "\(trained.stderr)")
        let accuracy = try #require(try JSONSerialization.jsonObject(with: Data(trained.stdout.utf8)) as? [String: Any])["test_accuracy"] as? Double
        #expect((accuracy ?? 0) > 0.3, "test accuracy \(accuracy ?? 0)")

        // Six images: one full ciphertext of four and one of two.
        let pixels = (0..<(6 * 784)).map { Float(($0 * 37) % 256) / 255 }
        try Data(npyFloat32(shape: [6, 784], values: pixels)).write(to: URL(fileURLWithPath: path("x.npy")))
        let run = try CLI.run(["he", "infer", "--model", path("m.safetensors"), "--input", path("x.npy"), "--out", path("enc.npy"), "--json"],
                              timeoutSeconds: 600)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(report["images"] as? Int == 6 && report["ciphertexts"] as? Int == 2 && report["images_per_ciphertext"] as? Int == 4)
        #expect(report["activation"] as? String == activation && report["shape"] as? String == "784-8-10")
        #expect(report["argmax_agreement"] as? Double == 1)
        #expect((report["max_abs_error"] as? Double).map { $0 < 1e-2 } == true, "\(report)")
        let bytes = try #require(report["bytes"] as? [String: Int])
        #expect((bytes["input_ciphertext"] ?? 0) > 100_000 && (bytes["output_ciphertext"] ?? 0) > 10_000)
        #expect((bytes["sent_to_server"] ?? 0) > (bytes["evaluation_keys"] ?? 0) + 2 * (bytes["input_ciphertext"] ?? 0) - 1)

        // The same file's plaintext logits by predict (Float32 Sequential inference).
        let plain = try CLI.run(["predict", "--model", path("m.safetensors"), "--data", path("x.npy"), "--out", path("plain.npy")])
        #expect(plain.status == 0, "\(plain.stderr)")
        let encrypted = try Self.npyValues(path("enc.npy")), expected = try Self.npyValues(path("plain.npy"))
        #expect(encrypted.count == 60 && expected.count == 60)
        let scale = max(1, expected.map(abs).max() ?? 1)
        for (e, p) in zip(encrypted, expected) { #expect(abs(e - p) <= 1e-3 * scale, "encrypted \(e), plaintext \(p)") }
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func datasetImagesAndRefusals() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        #expect(try Self.train(path("sq.safetensors"), hidden: "4", activation: "square", limit: 500, epochs: 1).status == 0)
        #expect(try Self.train(path("relu.safetensors"), hidden: "4", activation: "relu", limit: 200, epochs: 1).status == 0)
        #expect(try Self.train(path("deep.safetensors"), hidden: "4,4", activation: "square", limit: 200, epochs: 1).status == 0)

        // Test images straight from the dataset, with their labels.
        let run = try CLI.run(["he", "infer", "--model", path("sq.safetensors"), "--dataset", "fashion-mnist", "--count", "3", "--json"],
                              timeoutSeconds: 600)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(report["images"] as? Int == 3 && report["accuracy_encrypted"] is Double && report["accuracy_plaintext"] is Double)

        try Data(npyFloat32(shape: [2, 784], values: [Float](repeating: 0.5, count: 2 * 784))).write(to: URL(fileURLWithPath: path("ok.npy")))
        try Data(npyFloat32(shape: [3, 100], values: [Float](repeating: 0.5, count: 300))).write(to: URL(fileURLWithPath: path("narrow.npy")))
        var withNaN = [Float](repeating: 0.5, count: 2 * 784)
        withNaN[900] = .nan
        try Data(npyFloat32(shape: [2, 784], values: withNaN)).write(to: URL(fileURLWithPath: path("nan.npy")))
        try Data(npyFloat32(shape: [1, 784], values: [Float](repeating: 1e6, count: 784))).write(to: URL(fileURLWithPath: path("huge.npy")))
        try Data("not keys".utf8).write(to: URL(fileURLWithPath: path("junk.bin")))
        let refused: [([String], String)] = [
            (["he", "infer", "--model", path("relu.safetensors"), "--input", path("ok.npy")], "--activation square"),
            (["he", "infer", "--model", path("deep.safetensors"), "--input", path("ok.npy")], "one hidden layer"),
            (["he", "infer", "--model", path("sq.safetensors"), "--input", path("narrow.npy")], "100"),
            (["he", "infer", "--model", path("sq.safetensors"), "--input", path("nan.npy")], "NaN"),
            (["he", "infer", "--model", path("sq.safetensors"), "--input", path("huge.npy")], "refusing"),
            (["he", "infer", "--model", path("sq.safetensors"), "--input", path("ok.npy"), "--dataset", "fashion-mnist"], "give the images"),
            (["he", "infer", "--model", path("ok.npy"), "--input", path("ok.npy")], ".safetensors"),
            (["he", "evaluate", "--model", path("sq.safetensors"), "--keys", path("junk.bin"), "--in", path("junk.bin"), "--out", path("o.ct")], "keys"),
            (["train", "--dataset", "fashion-mnist", "--model", "cnn", "--activation", "square", "--out", path("c.safetensors")], "mlp only"),
            (["train", "--dataset", "fashion-mnist", "--model", "mlp", "--hidden", "0", "--out", path("c.safetensors")], "--hidden"),
        ]
        for (args, needle) in refused {
            let r = try CLI.run(args, timeoutSeconds: 600)
            #expect(r.isCleanFailure, "\(args): status \(r.status), \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }
}
