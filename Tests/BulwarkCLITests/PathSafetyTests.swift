import Foundation
import Testing

/// Hostile paths: FIFOs are refused before they are opened (no command hangs), directory
/// symlink cycles end, each file is reported once, and no command writes over its inputs.
@Suite struct PathSafetyTests {
    /// The signing fixtures of the SupplyChain tests (a P-256 key pair).
    static let signingFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../BulwarkSupplyChainTests/Fixtures/signing").standardized

    static func fifo(in dir: URL, _ name: String = "pipe") throws -> String {
        let path = dir.appendingPathComponent(name).path
        #expect(mkfifo(path, 0o600) == 0)
        return path
    }

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func fifosAreRefusedNotWaitedOn() throws {
        let dir = try CLI.temporaryDirectory()
        let pipe = try Self.fifo(in: dir)
        let key = Self.signingFixtures.appendingPathComponent("key.pem").path
        let pub = Self.signingFixtures.appendingPathComponent("key.pub.pem").path
        // Every command returns within the time limit (a hang would be killed and fail here).
        let scan = try CLI.run(["scan", pipe], timeoutSeconds: 15)
        #expect(scan.status == 2 && scan.stdout.contains("not a regular file (FIFO)"))
        let predict = try CLI.run(["predict", "--model", pipe, "--input", pipe, "--output", dir.appendingPathComponent("y.npy").path], timeoutSeconds: 15)
        #expect(predict.isCleanFailure && predict.stderr.contains("FIFO"), "\(predict.stderr)")
        let verifyKey = try CLI.run(["verify", dir.path, "--public-key", pipe, "--signature", pipe], timeoutSeconds: 15)
        #expect(verifyKey.isCleanFailure, "\(verifyKey.stderr)")
        let policy = try CLI.run(["scan", "--policy", pipe, key], timeoutSeconds: 15)
        #expect(policy.status == 2 && policy.stderr.contains("FIFO"))
        // A FIFO inside a model folder: sign refuses it rather than hashing it forever.
        let model = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("weights".utf8).write(to: model.appendingPathComponent("w.bin"))
        _ = try Self.fifo(in: model)
        let sign = try CLI.run(["sign", model.path, "--private-key", key, "--signature", dir.appendingPathComponent("m.sig").path], timeoutSeconds: 15)
        #expect(sign.isCleanFailure, "\(sign.stderr)")
        _ = pub
    }

    @Test func symlinkCyclesEndAndEachFileIsReportedOnce() throws {
        let dir = try CLI.temporaryDirectory()
        let sub = dir.appendingPathComponent("a/sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let file = sub.appendingPathComponent("m.pkl")
        try Data([0x80, 0x02, 0x7d, 0x2e]).write(to: file)
        try FileManager.default.createSymbolicLink(atPath: sub.appendingPathComponent("up").path, withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("a/loop").path, withDestinationPath: "../a")
        try FileManager.default.linkItem(atPath: file.path, toPath: dir.appendingPathComponent("a/hard.pkl").path)
        for follow in [false, true] {
            let r = try CLI.run(["scan", "--format", "json", dir.path] + (follow ? ["--follow-symlinks"] : []), timeoutSeconds: 20)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let files = try #require(json["files"] as? [[String: Any]])
            // The pickle (three names: m.pkl, hard.pkl, and through the links) is scanned once.
            #expect(files.filter { ($0["verdict"] as? String) == "clean" }.count == 1, "\(r.stdout)")
            let reasons = files.compactMap { $0["reason"] as? String }
            #expect(reasons.contains { $0.contains(follow ? "already walked" : "not followed") }, "\(reasons)")
        }
    }

    @Test func outputsNeverOverwriteInputsOrLandInsideWhatIsSigned() throws {
        let dir = try CLI.temporaryDirectory()
        let key = Self.signingFixtures.appendingPathComponent("key.pem").path
        let model = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let weights = model.appendingPathComponent("w.safetensors").path
        try Data("not really weights".utf8).write(to: URL(fileURLWithPath: weights))
        let inputs = dir.appendingPathComponent("x.npy").path
        try Data("inputs".utf8).write(to: URL(fileURLWithPath: inputs))
        let before = [weights, inputs, key].map(Self.bytes)
        let cases: [[String]] = [
            ["sign", model.path, "--private-key", key, "--signature", model.appendingPathComponent("model.sig").path],
            ["sign", model.path, "--private-key", key, "--signature", key],
            ["bom", model.path, "--output", weights],
            ["bom", model.path, "--output", model.appendingPathComponent("bom.json").path],
            ["export", "--model", weights, "--out", model.path + "/./w.safetensors"],
            ["predict", "--model", weights, "--input", inputs, "--output", inputs],
            ["evaluate", "--model", weights, "--data", inputs, "--labels", inputs, "--out", model.path + "/w.safetensors"],
        ]
        for args in cases {
            let r = try CLI.run(args, timeoutSeconds: 30)
            #expect(r.isCleanFailure, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("refusing to overwrite") || r.stderr.contains("lies inside"), "\(args): \(r.stderr)")
        }
        #expect([weights, inputs, key].map(Self.bytes) == before)
        #expect(!FileManager.default.fileExists(atPath: model.appendingPathComponent("model.sig").path))
        // A hard link is the same file under another name.
        let link = dir.appendingPathComponent("alias.npy").path
        try FileManager.default.linkItem(atPath: inputs, toPath: link)
        let r = try CLI.run(["predict", "--model", weights, "--input", inputs, "--output", link], timeoutSeconds: 30)
        #expect(r.isCleanFailure && r.stderr.contains("refusing to overwrite"))
    }
}
