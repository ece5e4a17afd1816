import Foundation
import Testing

/// `bulwark audit`: keygen, append, checkpoint (witness file), verify and export on SQLite.
@Test func auditCommandsCheckpointVerifyAndExport() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let database = "sqlite:" + dir.appendingPathComponent("audit.db").path
    let other = "sqlite:" + dir.appendingPathComponent("other.db").path
    let origin = "bulwark.example/audit"

    let keygen = try CLI.run(["audit", "keygen", "--name", origin, "--out", "audit.key"], currentDirectory: dir)
    #expect(keygen.status == 0, "\(keygen.stderr)")
    let verifierKey = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(verifierKey.hasPrefix(origin + "+"))
    let mode = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("audit.key").path)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    let again = try CLI.run(["audit", "keygen", "--name", origin, "--out", "audit.key"], currentDirectory: dir)
    #expect(again.status == 2 && again.isCleanFailure && again.stderr.contains("--force"), "\(again.stderr)")

    for (db, actor) in [(database, "ana"), (database, "bob"), (database, "carol"), (other, "mallory"), (other, "bob"), (other, "carol")] {
        let append = try CLI.run(["audit", "append", "--database", db, "--actor", actor, "--action", "login",
                                  "--resource", "session", "--outcome", "succeeded"], currentDirectory: dir)
        #expect(append.status == 0, "\(append.stderr)")
        #expect(append.stdout.contains("\"actor\":\"\(actor)\""))
    }
    let checkpoint = try CLI.run(["audit", "checkpoint", "--database", database, "--signer-key", "audit.key",
                                  "--origin", origin, "--out", "witness.checkpoint"], currentDirectory: dir)
    #expect(checkpoint.status == 0, "\(checkpoint.stderr)")
    // The other database is a different log: its head does not extend the witnessed one.
    let fork = try CLI.run(["audit", "checkpoint", "--database", other, "--signer-key", "audit.key",
                            "--origin", origin, "--out", "witness.checkpoint"], currentDirectory: dir)
    #expect(fork.status == 2 && fork.isCleanFailure, "\(fork.stderr)")

    let verified = try CLI.run(["audit", "verify", "--database", database, "--checkpoint", "witness.checkpoint",
                                "--key", verifierKey], currentDirectory: dir)
    #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
    #expect(verified.stdout.hasPrefix("verified: 3 entries"))
    let forged = try CLI.run(["audit", "verify", "--database", other, "--checkpoint", "witness.checkpoint",
                              "--key", verifierKey], currentDirectory: dir)
    #expect(forged.status == 1, "\(forged.stdout) \(forged.stderr)")
    #expect(forged.stdout.hasPrefix("modified:"), "\(forged.stdout)")
    let wrongKey = try CLI.run(["audit", "verify", "--database", database, "--checkpoint", "witness.checkpoint",
                                "--key", "nobody+00000000+AQ=="], currentDirectory: dir)
    #expect(wrongKey.status == 2 && wrongKey.isCleanFailure, "\(wrongKey.stderr)")

    let export = try CLI.run(["audit", "export", "--database", database, "--from", "1"], currentDirectory: dir)
    #expect(export.status == 0, "\(export.stderr)")
    let lines = export.stdout.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines.first?.contains("\"index\":1,") == true && lines.first?.contains("\"leafHash\":") == true)
}
