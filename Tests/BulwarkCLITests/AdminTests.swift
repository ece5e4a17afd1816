import Foundation
import Testing

/// `bulwark admin` through the real binary: the first administrator, users, service accounts
/// and API tokens over one SQLite database.
@Suite struct AdminTests {
    @Test func adminSetsUpUsersServiceAccountsAndTokens() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bulwark.db").path
        let passwordFile = dir.appendingPathComponent("pw.txt")
        try "correct horse battery staple\n".write(to: passwordFile, atomically: true, encoding: .utf8)

        let initRun = try CLI.run(["admin", "init", "--database", db, "--username", "ada", "--team", "platform", "--password-file", passwordFile.path])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        #expect(initRun.stdout.contains("otpauth://totp/") && initRun.stdout.contains("Recovery codes"))
        let keyMode = try FileManager.default.attributesOfItem(atPath: db + ".accounts-key")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let again = try CLI.run(["admin", "init", "--database", db, "--username", "bob", "--password-file", passwordFile.path])
        #expect(again.status != 0 && again.isCleanFailure && again.stderr.contains("already exists"), "\(again.stderr)")

        let user = try CLI.run(["admin", "user", "add", "--database", db, "--username", "grace", "--role", "approver", "--password-file", passwordFile.path])
        #expect(user.status == 0, "\(user.stderr)")
        let users = try CLI.run(["admin", "user", "list", "--database", db])
        #expect(users.stdout.contains("ada") && users.stdout.contains("grace") && users.stdout.contains("roles=approver"))

        let add = try CLI.run(["admin", "service-account", "add", "--database", db, "--name", "ci-vision", "--role", "publisher",
                               "--team", "vision", "--owner", "grace"])
        #expect(add.status == 0 && add.stdout.contains("roles publisher"), "\(add.stderr)")
        let badRole = try CLI.run(["admin", "service-account", "add", "--database", db, "--name", "x", "--role", "pub lisher"])
        #expect(badRole.status != 0 && badRole.isCleanFailure && badRole.stderr.contains("role"), "\(badRole.stderr)")
        let unknownOwner = try CLI.run(["admin", "service-account", "add", "--database", db, "--name", "y", "--owner", "nobody"])
        #expect(unknownOwner.status != 0 && unknownOwner.stderr.contains("--owner"), "\(unknownOwner.stderr)")

        let listed = try CLI.run(["admin", "service-account", "list", "--database", db, "--json"])
        let accounts = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(accounts.count == 1 && accounts.first?["team"] as? String == "vision" && accounts.first?["roles"] as? [String] == ["publisher"])

        let noScope = try CLI.run(["admin", "token", "issue", "--database", db, "--service-account", "ci-vision"])
        #expect(noScope.status != 0 && noScope.stderr.contains("--scope"), "\(noScope.stderr)")
        let tooLong = try CLI.run(["admin", "token", "issue", "--database", db, "--service-account", "ci-vision", "--scope", "*", "--expires-in", "400d"])
        #expect(tooLong.status != 0 && tooLong.stderr.contains("--expires-in"), "\(tooLong.stderr)")
        let issued = try CLI.run(["admin", "token", "issue", "--database", db, "--service-account", "ci-vision", "--scope", "model.*",
                                  "--scope", "version.upload", "--expires-in", "1d"])
        #expect(issued.status == 0, "\(issued.stderr)")
        let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("bwk_") && !issued.stderr.contains(token))
        // the id is the part between bwk_ and the secret, as the issue message names it
        let id = try #require(issued.stderr.split(separator: " ").dropFirst(2).first.map(String.init))
        #expect(token.contains(id))
        let revoked = try CLI.run(["admin", "token", "revoke", "--database", db, id])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        let twice = try CLI.run(["admin", "token", "revoke", "--database", db, id])
        #expect(twice.status != 0 && twice.isCleanFailure, "\(twice.stderr)")

        let disabled = try CLI.run(["admin", "service-account", "disable", "--database", db, "--name", "ci-vision"])
        #expect(disabled.status == 0 && disabled.stdout.contains("Disabled"), "\(disabled.stderr)")
        let afterDisable = try CLI.run(["admin", "token", "issue", "--database", db, "--service-account", "ci-vision", "--scope", "*"])
        #expect(afterDisable.status != 0 && afterDisable.stderr.contains("no such enabled service account"), "\(afterDisable.stderr)")
    }
}
