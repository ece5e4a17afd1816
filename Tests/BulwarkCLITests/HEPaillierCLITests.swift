import Foundation
import Testing

/// `bulwark he paillier`: a round trip through the files, and hostile inputs ending with one line
/// and status 2, never a crash.
@Suite struct HEPaillierCLITests {
    @Test func roundTripAndHostileInputs() throws {
        let dir = try CLI.temporaryDirectory()
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let keygen = try CLI.run(["he", "paillier", "keygen", "--bits", "512", "--insecure-for-tests",
                                  "--out-public", path("pub.jwk"), "--out-private", path("priv.jwk")])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        #expect(try CLI.run(["he", "paillier", "keygen", "--bits", "512", "--out-public", path("p2"), "--out-private", path("q2")]).isCleanFailure)
        try Data("[1.5, -2, \"123456789012345678901234567890\"]".utf8).write(to: URL(fileURLWithPath: path("x.json")))
        try Data("[2, 0.5, 1]".utf8).write(to: URL(fileURLWithPath: path("w.json")))
        #expect(try CLI.run(["he", "paillier", "encrypt", "--public-key", path("pub.jwk"), "--values", path("x.json"), "--out", path("x.ct")]).status == 0)
        #expect(try CLI.run(["he", "paillier", "dot", "--public-key", path("pub.jwk"), "--ciphertexts", path("x.ct"),
                             "--weights", path("w.json"), "--out", path("s.ct")]).status == 0)
        let score = try CLI.run(["he", "paillier", "decrypt", "--private-key", path("priv.jwk"), "--ciphertext", path("s.ct"), "--json"])
        #expect(score.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "{\"value\":\"123456789012345678901234567892\"}")

        // hostile: a ciphertext ≥ n², malformed JSON, swapped keys, an --out that is an input
        try Data("{\"v\": \"\(String(repeating: "9", count: 400))\", \"e\": 0}".utf8).write(to: URL(fileURLWithPath: path("big.ct")))
        try Data("{\"v\": ".utf8).write(to: URL(fileURLWithPath: path("cut.ct")))
        for args in [["decrypt", "--private-key", path("priv.jwk"), "--ciphertext", path("big.ct")],
                     ["decrypt", "--private-key", path("priv.jwk"), "--ciphertext", path("cut.ct")],
                     ["decrypt", "--private-key", path("pub.jwk"), "--ciphertext", path("s.ct")],
                     ["encrypt", "--public-key", path("priv.jwk"), "--value", "1", "--out", path("o.ct")],
                     ["sum", "--public-key", path("pub.jwk"), "--ciphertexts", path("s.ct"), "--out", path("s.ct")],
                     ["encrypt", "--public-key", path("pub.jwk"), "--value", "nan", "--out", path("o.ct")],
                     ["dot", "--public-key", path("pub.jwk"), "--ciphertexts", path("x.ct"), "--weights", path("x.ct"), "--out", path("o.ct")]] {
            let run = try CLI.run(["he", "paillier"] + args)
            #expect(run.isCleanFailure, "\(args): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(args): \(run.stderr)")
        }
    }
}
