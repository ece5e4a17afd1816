import Foundation
import Testing

/// `bulwark watermark embed | verify` and `bulwark fingerprint verify` end to end (issue 18):
/// the owner's model verifies with a p-value, the exit status says the verdict, the JSON is the
/// report `bulwark attest` signs, and a damaged key is a one-line error with status 2.
@Suite(.serialized) struct OwnershipTests {
    static let fashionMNIST = EvaluateTests.fashionMNIST

    @Test(.enabled(if: fashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func watermarkEmbedVerifiesTheOwnerAndStatusFollowsTheVerdict() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("wm.safetensors").path, key = dir.appendingPathComponent("wm.key").path
        let embed = try CLI.run(["watermark", "embed", "--model", "mlp", "--limit", "2000", "--epochs", "4", "--key-size", "50", "--copies", "10",
                                 "--references", "3", "--seed", "1", "--out", model, "--key-out", key, "--json"], timeoutSeconds: 300)
        #expect(embed.status == 0, "\(embed.stderr)")
        #expect(FileManager.default.fileExists(atPath: model) && FileManager.default.fileExists(atPath: key))

        let verify = try CLI.run(["watermark", "verify", "--model", model, "--key", key, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any], "\(verify.stdout)\(verify.stderr)")
        let findings = try #require(json["findings"] as? [[String: Any]])
        #expect(findings.count == 1 && json["title"] is String && json["command"] is String)
        // the verdict's figures are at the top level; the exit status follows the p-value
        let p = try #require(json["p_value"] as? Double, "\(json)")
        let matches = try #require(json["matches"] as? Int), size = try #require(json["key_size"] as? Int)
        #expect((json["verified"] as? Bool) == (p < 1e-6))
        #expect(size == 50 && matches <= size)
        #expect(verify.status == (p < 1e-6 ? 0 : 1), "p \(p), status \(verify.status)")
        #expect(verify.status == 0, "the owner's own model must verify: \(matches)/\(size), p \(p)")

        // an existing key is never replaced without --force: models made with it would lose their proof
        let keyBytes = try #require(FileManager.default.contents(atPath: key))
        let again = try CLI.run(["watermark", "embed", "--model", "mlp", "--limit", "100", "--epochs", "1",
                                 "--out", dir.appendingPathComponent("other.safetensors").path, "--key-out", key])
        #expect(again.status == 2 && again.stderr.contains("already exists"), "\(again.stderr)")
        #expect(FileManager.default.contents(atPath: key) == keyBytes)
        let fingerprint = try CLI.run(["fingerprint", "make", "--model", model, "--limit", "100", "--out", key])
        #expect(fingerprint.status == 2 && fingerprint.stderr.contains("already exists"), "\(fingerprint.stderr)")
        #expect(FileManager.default.contents(atPath: key) == keyBytes)

        // a stricter threshold than the p-value refuses the same claim with status 1
        let strict = try CLI.run(["watermark", "verify", "--model", model, "--key", key, "--threshold", String(p / 10)])
        #expect(strict.status == 1, "\(strict.stdout)\(strict.stderr)")

        // a truncated key is one line on stderr and status 2, for watermarks and fingerprints alike
        let bytes = try #require(FileManager.default.contents(atPath: key))
        let broken = dir.appendingPathComponent("broken.key").path
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: broken))
        for command in [["watermark", "verify"], ["fingerprint", "verify"]] {
            let bad = try CLI.run(command + ["--model", model, "--key", broken])
            #expect(bad.status == 2, "\(command): \(bad.stderr)")
            #expect(bad.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1, "\(bad.stderr)")
        }
    }
}
