import Foundation
import Testing

/// `bulwark attest` and `verify --attestation` through the binary: a genuine attestation
/// verifies and prints its findings; a changed model, a changed report, a forged bundle and a
/// wrong key each fail with one line and the documented exit code.
@Suite struct AttestTests {
    static let keys = PathSafetyTests.signingFixtures

    @Test func attestThenTamper() throws {
        let dir = try CLI.temporaryDirectory()
        let model = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("weights v1".utf8).write(to: model.appendingPathComponent("w.bin"))
        let report = dir.appendingPathComponent("report.json")
        try Data(#"{"title":"Evasion","tool":"bulwark","toolVersion":"0.1.0","command":"bulwark evaluate --seed 3","seed":3,"findings":[{"id":"a","severity":"high","title":"PGD drops accuracy to 5%"}]}"#.utf8).write(to: report)
        let key = Self.keys.appendingPathComponent("key.pem").path, pub = Self.keys.appendingPathComponent("key.pub.pem").path
        let att = dir.appendingPathComponent("att.json").path
        let signed = try CLI.run(["attest", "--model", model.path, "--report", report.path, "--private-key", key, "--out", att, "--json"])
        #expect(signed.status == 0, "\(signed.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(signed.stdout.utf8)) as? [String: Any], "\(signed.stdout)")
        #expect(summary["files"] as? Int == 1 && (summary["sha256"] as? String)?.count == 64 && summary["attestation"] as? String == att)
        let ok = try CLI.run(["verify", model.path, "--attestation", att, "--public-key", pub, "--report", report.path])
        #expect(ok.status == 0 && ok.stdout.contains("high  PGD drops accuracy to 5%") && ok.stdout.contains("seed: 3"), "\(ok.stdout)\(ok.stderr)")

        // Changed report: exit 1, named.
        let original = try Data(contentsOf: report)
        try Data(String(decoding: original, as: UTF8.self).replacingOccurrences(of: "5%", with: "50%").utf8).write(to: report)
        let badReport = try CLI.run(["verify", model.path, "--attestation", att, "--public-key", pub, "--report", report.path])
        #expect(badReport.status == 1 && badReport.stderr.contains("report differs"), "\(badReport.stderr)")
        try original.write(to: report)

        // Changed model: exit 1, the file named.
        try Data("weights v2".utf8).write(to: model.appendingPathComponent("w.bin"))
        let badModel = try CLI.run(["verify", model.path, "--attestation", att, "--public-key", pub])
        #expect(badModel.status == 1 && badModel.stderr.contains("w.bin"), "\(badModel.stderr)")
        try Data("weights v1".utf8).write(to: model.appendingPathComponent("w.bin"))

        // Wrong key, cut bundle, a report that is not a report: exit 2 / clean failures.
        let otherPub = Self.keys.appendingPathComponent("leaf.pem").path
        #expect(try CLI.run(["verify", model.path, "--attestation", att, "--public-key", otherPub]).isCleanFailure)
        let cut = dir.appendingPathComponent("cut.json")
        try Data(try Data(contentsOf: URL(fileURLWithPath: att)).prefix(100)).write(to: cut)
        let cutRun = try CLI.run(["verify", model.path, "--attestation", cut.path, "--public-key", pub])
        #expect(cutRun.status == 2 && cutRun.isCleanFailure)
        let notReport = try CLI.run(["attest", "--model", model.path, "--report", key, "--private-key", key, "--out", dir.appendingPathComponent("x.json").path])
        #expect(notReport.isCleanFailure, "\(notReport.stderr)")
        // --out inside the attested model is refused.
        let inside = try CLI.run(["attest", "--model", model.path, "--report", report.path, "--private-key", key, "--out", model.appendingPathComponent("a.json").path])
        #expect(inside.isCleanFailure && inside.stderr.contains("lies inside"))
    }
}

/// `sign --json` and `verify --json` print Codable results; a failed verification stays one line
/// per difference on stderr with exit 1.
@Test func signAndVerifyPrintJSON() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = dir.appendingPathComponent("model")
    try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
    try Data("weights v1".utf8).write(to: model.appendingPathComponent("w.bin"))
    let key = AttestTests.keys.appendingPathComponent("key.pem").path, pub = AttestTests.keys.appendingPathComponent("key.pub.pem").path
    let sig = dir.appendingPathComponent("model.sig").path
    let signed = try CLI.run(["sign", model.path, "--private-key", key, "--out", sig, "--json"])
    let s = try #require(try JSONSerialization.jsonObject(with: Data(signed.stdout.utf8)) as? [String: Any], "\(signed.stderr)")
    #expect(signed.status == 0 && s["files"] as? Int == 1 && (s["sha256"] as? String)?.count == 64)
    let ok = try CLI.run(["verify", model.path, "--public-key", pub, "--signature", sig, "--json"])
    let v = try #require(try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any], "\(ok.stderr)")
    #expect(ok.status == 0 && v["verified"] as? Bool == true && v["files"] as? Int == 1)
    try Data("weights v2".utf8).write(to: model.appendingPathComponent("w.bin"))
    let bad = try CLI.run(["verify", model.path, "--public-key", pub, "--signature", sig, "--json"])
    #expect(bad.status == 1 && bad.stdout.isEmpty && bad.stderr.contains("modified: 'w.bin'"), "\(bad.stdout)\(bad.stderr)")
}
