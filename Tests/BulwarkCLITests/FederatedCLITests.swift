import Foundation
import Testing

/// `bulwark fl simulate` and `fl certs` through the executable, on the tabular rows ExtractTests makes.
@Suite(.serialized) struct FederatedCLITests {
    @Test func simulateComparesRulesAndWritesAReport() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try ExtractTests.rows(dir, "fl", n: 300, seed: 4)
        let report = dir.appendingPathComponent("report").path
        let run = try CLI.run(["fl", "simulate", "--model", "tabular", "--data", data.x, "--labels", data.y, "--clients", "6", "--rounds", "2",
                               "--lr", "0.1", "--malicious", "0.34", "--attack", "sign-flip", "--aggregator", "fedavg,median",
                               "--clean-baseline", "--report", report, "--json", "--quiet"])
        try #require(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.compactMap { $0["label"] as? String } == ["fedavg, no attackers", "fedavg", "median"])
        #expect(runs.allSatisfy { ($0["rounds"] as? [Any])?.count == 2 })
        for name in ["index.html", "report.json", "report.sarif", "federated.json"] {
            #expect(FileManager.default.fileExists(atPath: report + "/" + name), "\(name)")
        }
        let written = try String(contentsOfFile: report + "/report.json", encoding: .utf8)
        #expect(written.contains("federated.fedavg"))
    }

    @Test func badFederationSettingsFailWithOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try ExtractTests.rows(dir, "fl", n: 30, seed: 5)
        let cases: [[String]] = [
            ["fl", "simulate", "--model", "tabular", "--data", data.x, "--labels", data.y, "--malicious", "0.2"],
            ["fl", "simulate", "--model", "tabular", "--data", data.x, "--labels", data.y, "--aggregator", "mean"],
            ["fl", "simulate", "--model", "tabular", "--data", data.x, "--labels", data.y, "--secure-aggregation", "secagg", "--aggregator", "median"],
            ["fl", "simulate", "--model", "tabular", "--data", data.x, "--labels", data.y, "--dp", "--client-rate", "0.5"],
            ["fl", "simulate", "--model", "tabular", "--data", data.x, "--labels", data.y, "--clients", "100"],
            ["fl", "serve", "--model", "tabular", "--data", data.x, "--labels", data.y],
            ["fl", "serve", "--model", "tabular", "--data", data.x, "--labels", data.y, "--insecure", "--secure-aggregation", "paillier"],
            ["fl", "simulate", "--model", "tabular", "--data", data.x, "--labels", data.y, "--secure-aggregation", "paillier", "--paillier-bits", "512"],
            ["fl", "client", "--data", data.x, "--labels", data.y],
            ["fl", "client", "--coordinator", "nowhere", "--insecure", "--name", "a", "--data", data.x, "--labels", data.y, "--model", "tabular"],
        ]
        for args in cases {
            let run = try CLI.run(args, timeoutSeconds: 60)
            #expect(run.isCleanFailure, "\(args.joined(separator: " ")): status \(run.status) \(run.stderr)")
        }
    }

    @Test func certsRefuseToReplaceACertificateAuthority() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pki = dir.appendingPathComponent("pki").path
        let first = try CLI.run(["fl", "certs", "--out", pki, "--clients", "2"])
        try #require(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("client-2-key.pem"))
        let attributes = try FileManager.default.attributesOfItem(atPath: pki + "/ca-key.pem")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let second = try CLI.run(["fl", "certs", "--out", pki, "--clients", "1"])
        #expect(second.isCleanFailure)
        #expect(second.stderr.contains("refusing to replace"))
    }
}
