import Foundation
import Testing

/// `bulwark mpc train-lr`: two feature parties and a dealer as three processes over loopback TLS
/// train a logistic regression on scikit-learn's breast-cancer set split by columns; each party
/// writes only its own weights, and parties that disagree on the parameters stop before sharing.
@Suite struct MPCTrainLRCLITests {
    static let source = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv"

    /// Writes the first `count` records split by columns: a.csv (15 columns + `malignant`), b.csv (15).
    static func split(into dir: URL, count: Int) throws -> [[Double]] {
        let lines = try String(contentsOfFile: source, encoding: .utf8).split(separator: "\n").dropFirst().prefix(count)
        let rows = lines.map { $0.split(separator: ",").map { Double($0)! } }
        let names = (0..<30).map { "f\($0)" }
        var a = names[0..<15].joined(separator: ",") + ",malignant\n", b = names[15...].joined(separator: ",") + "\n"
        for row in rows {
            a += row[0..<15].map { "\($0)" }.joined(separator: ",") + ",\(1 - Int(row[30]))\n"
            b += row[15..<30].map { "\($0)" }.joined(separator: ",") + "\n"
        }
        try a.write(to: dir.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
        try b.write(to: dir.appendingPathComponent("b.csv"), atomically: true, encoding: .utf8)
        return rows
    }

    /// Runs the three parties at once; returns (status, stderr) per party.
    static func train(_ dir: URL, extra: [[String]]) throws -> [(Int32, String)] {
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let peers = (0..<3).map { _ in "127.0.0.1:\(MPCCLITests.freePort())" }.joined(separator: ",")
        let processes = try (0..<3).map { id in
            let process = Process()
            process.executableURL = CLI.executable
            process.arguments = ["mpc", "train-lr", "--id", "\(id)", "--peers", peers, "--cert", path("pki/party-\(id).pem"),
                                 "--key", path("pki/party-\(id)-key.pem"), "--ca", path("pki/ca.pem"), "--timeout", "20",
                                 "--connect-timeout", "20"] + extra[id]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return (process, err)
        }
        let deadline = Date().addingTimeInterval(120)
        while processes.contains(where: { $0.0.isRunning }) && Date() < deadline { usleep(20_000) }
        return processes.map { process, err in
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: source), "needs Debian's python3-sklearn (scripts/bootstrap)"))
    func twoPartiesTrainOnTheirOwnColumns() throws {
        let dir = try CLI.temporaryDirectory()
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let rows = try Self.split(into: dir, count: 200)
        let certs = try CLI.run(["mpc", "certs", "--out", path("pki")])
        try #require(certs.status == 0, "\(certs.stderr)")
        let common = ["--epochs", "3", "--batch", "50"]
        let results = try Self.train(dir, extra: [
            ["--data", path("a.csv"), "--label", "malignant", "--out", path("a.json")] + common,
            ["--data", path("b.csv"), "--out", path("b.json")] + common, []])
        for (id, (status, stderr)) in results.enumerated() { #expect(status == 0, "party \(id): \(stderr)") }
        struct Model: Decodable {
            var features: [String]; var weights: [Double]; var bias: Double?
            struct Standardisation: Decodable { var mean: [Double]; var std: [Double] }
            var standardisation: Standardisation
        }
        let a = try JSONDecoder().decode(Model.self, from: Data(contentsOf: URL(fileURLWithPath: path("a.json"))))
        let b = try JSONDecoder().decode(Model.self, from: Data(contentsOf: URL(fileURLWithPath: path("b.json"))))
        #expect(a.features == (0..<15).map { "f\($0)" } && b.features == (15..<30).map { "f\($0)" })
        #expect(a.weights.count == 15 && b.weights.count == 15)
        #expect(a.bias != nil && b.bias == nil)   // only the label holder learns the bias
        // Joined, the two halves classify the training records well (a real model, not zeros).
        var correct = 0
        for row in rows {
            var z = a.bias ?? 0
            for j in 0..<15 { z += (row[j] - a.standardisation.mean[j]) / a.standardisation.std[j] * a.weights[j] }
            for j in 0..<15 { z += (row[15 + j] - b.standardisation.mean[j]) / b.standardisation.std[j] * b.weights[j] }
            if (z > 0 ? 1 : 0) == 1 - Int(row[30]) { correct += 1 }
        }
        #expect(correct >= 180, "\(correct) of 200")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: source), "needs Debian's python3-sklearn (scripts/bootstrap)"))
    func partiesWithOtherParametersOrBadFilesStopWithOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        _ = try Self.split(into: dir, count: 20)
        try #require(try CLI.run(["mpc", "certs", "--out", path("pki")]).status == 0)
        let results = try Self.train(dir, extra: [
            ["--data", path("a.csv"), "--label", "malignant", "--out", path("a.json"), "--epochs", "2"],
            ["--data", path("b.csv"), "--out", path("b.json"), "--epochs", "3"], []])
        #expect(results[0].0 != 0 && results[0].1.contains("other parameters"), "\(results[0].1)")
        #expect(results[1].0 != 0 && results[1].1.contains("other parameters"), "\(results[1].1)")
        #expect(!FileManager.default.fileExists(atPath: path("a.json")))

        // A non-numeric cell and a label that is not 0/1: refused before connecting.
        try "f0,malignant\n1,0\nx,1\n".write(to: dir.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
        try "f0,malignant\n1,0\n2,3\n".write(to: dir.appendingPathComponent("label.csv"), atomically: true, encoding: .utf8)
        let base = ["mpc", "train-lr", "--id", "0", "--peers", "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3", "--cert", path("pki/party-0.pem"),
                    "--key", path("pki/party-0-key.pem"), "--ca", path("pki/ca.pem"), "--label", "malignant", "--out", path("x.json")]
        let bad = try CLI.run(base + ["--data", path("bad.csv")])
        #expect(bad.isCleanFailure && bad.stderr.contains("line 3"), "\(bad.stderr)")
        let label = try CLI.run(base + ["--data", path("label.csv")])
        #expect(label.isCleanFailure && label.stderr.contains("not 0 or 1"), "\(label.stderr)")
        // Hostile paths: a FIFO is refused without waiting for a writer; --out naming --data is refused.
        try #require(mkfifo(path("fifo.csv"), 0o600) == 0)
        let fifo = try CLI.run(base + ["--data", path("fifo.csv")], timeoutSeconds: 30)
        #expect(fifo.isCleanFailure && fifo.stderr.contains("not a regular file"), "\(fifo.stderr)")
        var same = base
        same[same.count - 1] = path("a.json")
        try "f0,malignant\n1,0\n".write(to: dir.appendingPathComponent("a.json"), atomically: true, encoding: .utf8)
        let overwrite = try CLI.run(same + ["--data", path("a.json")])
        #expect(overwrite.isCleanFailure, "\(overwrite.stderr)")
        #expect(try String(contentsOfFile: path("a.json"), encoding: .utf8) == "f0,malignant\n1,0\n")
    }
}
