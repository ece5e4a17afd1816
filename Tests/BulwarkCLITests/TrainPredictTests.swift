import Foundation
import Testing

@Suite(.serialized) struct TrainPredictTests {
    static let fashionMNIST = FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")

    @Test func helpListsSubcommands() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        for sub in ["train", "predict"] { #expect(r.stdout.contains(sub)) }
    }

    @Test func badArgumentsFailCleanly() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [([String], String)] = [
            (["train", "--model", "resnet.bin", "--out", "m.safetensors"], "--model must be a zoo architecture"),
            (["train", "--model", "mlp", "--epochs", "0", "--out", "m.safetensors"], "--epochs"),
            (["train", "--model", "mlp", "--out", "m.bin"], ".safetensors"),
            (["train", "--model", "mlp", "--out", "m.safetensors", "--no-such-option"], "no-such-option"),
            (["predict", "--model", dir.appendingPathComponent("missing.safetensors").path, "--input", "x.npy", "--output", "y.npy"], "not found"),
        ]
        for (args, needle) in cases {
            let r = try CLI.run(args, currentDirectory: dir)
            #expect(r.isCleanFailure, "\(args): status \(r.status), stderr: \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }

    @Test func corruptModelFilesFailCleanly() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("x.npy")
        try Data(npyFloat32(shape: [2, 784], values: [Float](repeating: 0.5, count: 1568))).write(to: input)
        let bad: [(String, [UInt8])] = [
            ("empty.safetensors", []),
            ("short.safetensors", [1, 2, 3]),
            ("huge-header.safetensors", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F] + Array("{}".utf8)),
            ("bad-json.safetensors", [5, 0, 0, 0, 0, 0, 0, 0] + Array("{\"a\":".utf8)),
            ("wrong-tensors.safetensors", safetensorsHeaderOnly(#"{"__metadata__":{"bulwark.architecture":"mlp"}}"#)),
        ]
        for (name, bytes) in bad {
            let path = dir.appendingPathComponent(name)
            try Data(bytes).write(to: path)
            let r = try CLI.run(["predict", "--model", path.path, "--input", input.path, "--output", dir.appendingPathComponent("y.npy").path])
            #expect(r.isCleanFailure, "\(name): status \(r.status), stderr: \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("y.npy").path))
        }
    }

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func trainThenPredictEndToEnd() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("mlp.safetensors").path
        let r = try CLI.run(["train", "--dataset", "fashion-mnist", "--model", "mlp", "--epochs", "1", "--limit", "2000",
                             "--out", model, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let accuracy = try #require(json["test_accuracy"] as? Double)
        #expect(accuracy > 0.6 && accuracy <= 1)
        #expect(json["epochs"] as? Int == 1)
        #expect((json["seconds"] as? Double).map { $0 > 0 } == true)

        // predict: right shape out; wrong shape in is refused naming the shape
        let input = dir.appendingPathComponent("x.npy"), output = dir.appendingPathComponent("logits.npy")
        try Data(npyFloat32(shape: [3, 1, 28, 28], values: (0..<(3 * 784)).map { Float($0 % 255) / 255 })).write(to: input)
        let p = try CLI.run(["predict", "--model", model, "--input", input.path, "--output", output.path])
        #expect(p.status == 0, "\(p.stderr)")
        let logits = try Data(contentsOf: output)
        #expect(String(decoding: logits.prefix(80), as: UTF8.self).contains("'shape': (3, 10)"))
        try Data(npyFloat32(shape: [3, 27, 28], values: [Float](repeating: 0, count: 3 * 27 * 28))).write(to: input)
        let w = try CLI.run(["predict", "--model", model, "--input", input.path, "--output", output.path])
        #expect(w.isCleanFailure)
        #expect(w.stderr.contains("[3, 27, 28]"))
    }
}

/// A version-1.0 .npy file of little-endian float32 values.
func npyFloat32(shape: [Int], values: [Float]) -> [UInt8] {
    var payload: [UInt8] = []
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload += $0 } }
    return npyFile(descr: "<f4", shape: shape, payload: payload)
}

/// A little-endian int64 `.npy` file.
func npyInt64(shape: [Int], values: [Int64]) -> [UInt8] {
    var payload: [UInt8] = []
    for v in values { withUnsafeBytes(of: v.littleEndian) { payload += $0 } }
    return npyFile(descr: "<i8", shape: shape, payload: payload)
}

/// An `.npy` version 1.0 file: magic, padded header dict, then the raw little-endian payload.
func npyFile(descr: String, shape: [Int], payload: [UInt8]) -> [UInt8] {
    let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    bytes += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
    bytes += Array(header.utf8)
    return bytes + payload
}

/// A safetensors file with the given header JSON and no tensor data.
func safetensorsHeaderOnly(_ json: String) -> [UInt8] {
    let h = Array(json.utf8)
    var n = UInt64(h.count).littleEndian
    return withUnsafeBytes(of: &n) { Array($0) } + h
}
