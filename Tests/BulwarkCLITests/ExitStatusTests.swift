import Foundation
import Testing

/// One exit-status table for every command: 2 for an input that cannot be used, 64 for a bad
/// option or value (negative numbers included), the table itself in `bulwark --help`.
@Suite struct ExitStatusTests {
    @Test func statusesFollowTheTable() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.safetensors").path
        let out = dir.appendingPathComponent("o").path
        let cases: [([String], Int32, String)] = [
            (["evaluate", "--model", missing, "--data", "x.npy", "--labels", "y.npy", "--out", out], 2, "model file not found"),
            (["predict", "--model", missing, "--input", "x.npy", "--output", dir.appendingPathComponent("y.npy").path], 2, "not found"),
            (["scan", missing], 2, "no such file"),
            (["evaluate", "--model", missing, "--data", "x", "--labels", "y", "--out", out, "--eps", "-1"], 64, "'-1' is not a positive number"),
            (["evaluate", "--model", missing, "--data", "x", "--labels", "y", "--out", out, "--steps", "-3"], 64, "--steps must be in 1…100000, got -3"),
            (["evaluate", "--model", missing, "--data", "x", "--labels", "y", "--out", out, "--restarts", "5000"], 64, "--restarts"),
            (["evaluate", "--model", missing, "--data", "x", "--labels", "y", "--out", out, "--norm", "l1"], 64, "'linf' and 'l2'"),
            (["evaluate", "--model", missing, "--data", "x", "--labels", "y", "--out", out, "--arch", "resnet9"], 64, "mlp"),
            (["scan", "--format", "xml", missing], 64, "--format"),
            (["certify", "--model", missing, "--sigma", "0.5", "--data", "x.npy", "--labels", "y.npy", "--out", "x.npy"], 2, "refusing to overwrite"),
            (["defend", "detect", "--detector", "mahalanobis", "--model", missing, "--data", "x.npy", "--labels", "y.npy", "--out", "y.npy"], 2, "refusing to overwrite"),
        ]
        for (args, status, needle) in cases {
            let r = try CLI.run(args, currentDirectory: dir)
            #expect(r.status == status && r.isCleanFailure, "\(args): status \(r.status), stderr: \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
        let help = try CLI.run(["--help"])
        #expect(help.status == 0 && help.stdout.contains("Exit status (every command):") && help.stdout.contains("64  bad option"))
    }
}

/// Library parameter names never reach the user: a privacy error names the flag.
@Test func privacyErrorsNameTheFlag() throws {
    let r = try CLI.run(["privacy", "epsilon", "--noise-multiplier", "1.1", "--sampling-rate", "1.5", "--steps", "10", "--delta", "1e-5"])
    #expect(r.status == 64 && r.stderr.contains("invalid --sampling-rate: expected a number in [0, 1], got 1.5"), "\(r.stderr)")
    #expect(!r.stderr.contains("samplingRate"))
}

/// A file-system failure is one plain line naming the path, never Foundation's
/// `Error Domain=NSCocoaErrorDomain …` dump.
@Test func fileSystemErrorsArePlainLines() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../BulwarkModelsTests/Fixtures/onnx/cnn.onnx").standardizedFileURL.path
    let x = dir.appendingPathComponent("x.npy"), y = dir.appendingPathComponent("y.npy")
    try Data(npyFloat32(shape: [2, 1, 8, 8], values: [Float](repeating: 0.5, count: 128))).write(to: x)
    try Data(npyInt64(shape: [2], values: [0, 1])).write(to: y)
    let file = dir.appendingPathComponent("a-file")
    try Data("x".utf8).write(to: file)
    let r = try CLI.run(["evaluate", "--model", model, "--data", x.path, "--labels", y.path, "--attack", "fgsm", "--eps", "0.1",
                         "--no-checklist", "--quiet", "--out", file.appendingPathComponent("sub").path])
    #expect(r.status == 2 && r.isCleanFailure, "\(r.stderr)")
    #expect(r.stderr.contains("a-file/sub: Not a directory") && !r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)")
}

/// Every command that attacks or certifies checks the inputs lie in the model's range first.
@Test func inputsOutsideTheRangeAreRefusedByEveryAttackingCommand() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../BulwarkModelsTests/Fixtures/onnx/cnn.onnx").standardizedFileURL.path
    let x = dir.appendingPathComponent("x.npy"), y = dir.appendingPathComponent("y.npy")
    try Data(npyFloat32(shape: [2, 1, 8, 8], values: [Float](repeating: 3, count: 128))).write(to: x)
    try Data(npyInt64(shape: [2], values: [0, 1])).write(to: y)
    for args in [["evaluate", "--out", dir.appendingPathComponent("e").path], ["certify", "--sigma", "0.25"],
                 ["defend", "detect", "--detector", "feature-squeezing"], ["defend", "check", "--transform", "bit-depth:1"]] {
        let r = try CLI.run(args + ["--model", model, "--data", x.path, "--labels", y.path])
        #expect(r.status == 2 && r.isCleanFailure && r.stderr.contains("outside the clip range [0.0, 1.0]"), "\(args): \(r.stderr)")
    }
}
