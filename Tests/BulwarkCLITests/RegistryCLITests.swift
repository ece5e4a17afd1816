import BulwarkAccess
import Foundation
import Testing

/// Runs `bulwark` with an environment and standard input (the login and registry commands read
/// both).
func runBulwark(_ args: [String], environment: [String: String] = [:], stdin: String = "", timeoutSeconds: Double = 120) throws -> CLIRun {
    let process = Process()
    process.executableURL = CLI.executable
    process.arguments = args
    var merged = ProcessInfo.processInfo.environment
    for name in ["BULWARK_SERVER", "BULWARK_TOKEN"] { merged[name] = nil }
    for (name, value) in environment { merged[name] = value }
    process.environment = merged
    let input = Pipe(), out = Pipe(), err = Pipe()
    process.standardInput = input
    process.standardOutput = out
    process.standardError = err
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    let group = DispatchGroup()
    group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    group.wait()
    return CLIRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}

/// A `bulwark serve --insecure-http --database …` process under the shipped policy, with an
/// administrator (TOTP enrolled) and a publisher of team `vision`.
final class RegistryServer {
    let directory: URL
    let process = Process()
    let url: String
    let totp: TOTP
    static let password = "correct horse battery staple"

    init() throws {
        directory = try CLI.temporaryDirectory()
        let database = directory.appendingPathComponent("bulwark.db").path
        let passwordFile = directory.appendingPathComponent("password").path
        try Self.password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let keygen = try CLI.run(["audit", "keygen", "--name", "bulwark.test/audit", "--out", directory.appendingPathComponent("audit.key").path])
        guard keygen.status == 0 else { throw CLIError("audit keygen: \(keygen.stderr)") }
        let initialised = try CLI.run(["admin", "init", "--database", database, "--username", "ada", "--password-file", passwordFile, "--team", "ops"])
        guard initialised.status == 0, let line = initialised.stdout.split(separator: "\n").first(where: { $0.contains("secret (base32):") }) else {
            throw CLIError("admin init: \(initialised.stderr)")
        }
        let grouped = line.components(separatedBy: "secret (base32):")[1].components(separatedBy: "(")[0]
        totp = try TOTP(secret: try Base32.decodeUserInput(grouped.trimmingCharacters(in: .whitespaces)))
        let added = try CLI.run(["admin", "user", "add", "--database", database, "--username", "pia", "--password-file", passwordFile,
                                 "--team", "vision", "--role", "publisher"])
        guard added.status == 0 else { throw CLIError("admin user add: \(added.stderr)") }
        process.executableURL = CLI.executable
        process.arguments = ["serve", "--insecure-http", "--port", "0", "--grace-period", "1", "--database", database,
                             "--policy", ControlPlaneTests.examples.appendingPathComponent("policy.yaml").path,
                             "--audit-key", directory.appendingPathComponent("audit.key").path, "--audit-origin", "bulwark.test/audit",
                             "--max-body", "16384", "--max-upload", "65536"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = Data()
        while !text.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text.append(chunk)
        }
        guard let found = String(decoding: text, as: UTF8.self).split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines),
              found.hasPrefix("http://127.0.0.1:") else {
            process.terminate()
            throw CLIError("serve printed no URL")
        }
        url = found
    }

    /// A fresh XDG_CONFIG_HOME for one person.
    func configHome(_ name: String) -> String { directory.appendingPathComponent("config-\(name)").path }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite struct RegistryCLITests {
    @Test func loginStoresAPrivateTokenAndPushListPullPromoteWork() throws {
        let server = try RegistryServer()
        defer { server.stop() }
        let dir = server.directory
        let pia = ["XDG_CONFIG_HOME": server.configHome("pia")]
        let ada = ["XDG_CONFIG_HOME": server.configHome("ada")]

        // Login: password from stdin; the admin is asked for a TOTP code (the server answers 202).
        let piaLogin = try runBulwark(["login", "--server", server.url, "--username", "pia"], environment: pia, stdin: RegistryServer.password + "\n")
        #expect(piaLogin.status == 0, "\(piaLogin.stderr)")
        let credentials = server.configHome("pia") + "/bulwark/credentials.json"
        let attributes = try FileManager.default.attributesOfItem(atPath: credentials)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let folder = try FileManager.default.attributesOfItem(atPath: server.configHome("pia") + "/bulwark")
        #expect((folder[.posixPermissions] as? Int) == 0o700)
        let stored = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: credentials))) as? [String: String])
        #expect(stored["server"] == server.url && stored["token"]?.hasPrefix("bws_") == true)
        let code = try server.totp.code(at: Date())
        let adaLogin = try runBulwark(["login", "--server", server.url, "--username", "ada"], environment: ada,
                                      stdin: RegistryServer.password + "\n" + code + "\n")
        #expect(adaLogin.status == 0, "\(adaLogin.stderr)")
        let wrong = try runBulwark(["login", "--server", server.url, "--username", "pia"], environment: ["XDG_CONFIG_HOME": server.configHome("x")],
                                   stdin: "not the password\n")
        #expect(wrong.isCleanFailure && !FileManager.default.fileExists(atPath: server.configHome("x") + "/bulwark/credentials.json"), "\(wrong.stderr)")

        // A signing key for team vision, registered by the admin; a signed artifact.
        let privateKey = dir.appendingPathComponent("signing.pem").path
        let publicKey = dir.appendingPathComponent("signing.pub.pem").path
        #expect(try shell(["/usr/bin/openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", privateKey]) == 0)
        #expect(try shell(["/usr/bin/openssl", "ec", "-in", privateKey, "-pubout", "-out", publicKey]) == 0)
        let model = dir.appendingPathComponent("model.safetensors")
        try Data(safetensorsBytes()).write(to: model)
        let signature = dir.appendingPathComponent("model.sig").path
        let signed = try CLI.run(["sign", model.path, "--private-key", privateKey, "--out", signature])
        #expect(signed.status == 0, "\(signed.stderr)")
        let key = try runBulwark(["registry", "add-key", "--publisher", "team:vision", publicKey], environment: ada)
        #expect(key.status == 0, "\(key.stderr)")
        let refusedKey = try runBulwark(["registry", "add-key", "--publisher", "team:vision", publicKey], environment: pia)
        #expect(refusedKey.isCleanFailure && refusedKey.stderr.contains("403"), "\(refusedKey.stderr)")

        // Push (streamed, lineage, submitted to the gates), list, pull.
        #expect(try runBulwark(["registry", "create", "cats", "--team", "vision", "--risk-tier", "high", "--data-classification", "internal"],
                               environment: pia).status == 0)
        let push = try runBulwark(["registry", "push", "cats", model.path, "--signature", signature, "--training-command", "bulwark train --seed 7",
                                   "--submit"], environment: pia)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stdout.contains("pushed cats version 1 (draft)") && push.stdout.contains("is in staging"), "\(push.stdout)")
        let table = try runBulwark(["registry", "list"], environment: pia)
        #expect(table.status == 0 && table.stdout.hasPrefix("MODEL") && table.stdout.contains("cats") && table.stdout.contains("vision"), "\(table.stdout)")
        let listed = try runBulwark(["registry", "list", "cats", "--json"], environment: pia)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any], "\(listed.stderr)")
        let versions = try #require(answer["versions"] as? [[String: Any]])
        #expect(versions.first?["state"] as? String == "staging")
        #expect((versions.first?["lineage"] as? [String: Any])?["trainingCommand"] as? String == "bulwark train --seed 7")

        // The uploader cannot promote; the admin approves and promotes.
        let selfPromote = try runBulwark(["registry", "promote", "cats", "1", "--stage", "production"], environment: pia)
        #expect(selfPromote.isCleanFailure && selfPromote.stderr.contains("403"), "\(selfPromote.stderr)")
        #expect(try runBulwark(["registry", "approve", "cats", "1"], environment: ada).status == 0)
        let promoted = try runBulwark(["registry", "promote", "cats", "1", "--stage", "production", "--reason", "first release"], environment: ada)
        #expect(promoted.status == 0 && promoted.stdout.contains("is in production"), "\(promoted.stderr)")

        let out = dir.appendingPathComponent("pulled/cats.safetensors")
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        let pull = try runBulwark(["registry", "pull", "cats", "1", "--out", out.path], environment: pia)
        #expect(pull.status == 0 && pull.stdout.contains("verified"), "\(pull.stderr)")
        #expect(try Data(contentsOf: out) == Data(contentsOf: model))
        #expect(try runBulwark(["registry", "pull", "cats", "1", "--out", out.path], environment: pia).isCleanFailure)

        // Revoked: the pull fails in one line and leaves no file behind.
        #expect(try runBulwark(["registry", "revoke", "cats", "1", "--reason", "found a backdoor"], environment: ada).status == 0)
        let gone = dir.appendingPathComponent("pulled/again.safetensors")
        let refused = try runBulwark(["registry", "pull", "cats", "1", "--out", gone.path], environment: ada)
        #expect(refused.isCleanFailure && refused.stderr.contains("revoked"), "\(refused.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path)
        #expect(left == ["cats.safetensors"], "\(left)")

        // A bad token: the one line says to log in again.
        let expired = try runBulwark(["registry", "list"], environment: ["BULWARK_SERVER": server.url, "BULWARK_TOKEN": "bws_not_a_session",
                                                                        "XDG_CONFIG_HOME": server.configHome("none")])
        #expect(expired.isCleanFailure && expired.stderr.contains("not logged in or token expired: run bulwark login"), "\(expired.stderr)")
    }

    @Test func pushOverTheServerLimitFailsCleanly() throws {
        let server = try RegistryServer()
        defer { server.stop() }
        let pia = ["XDG_CONFIG_HOME": server.configHome("pia")]
        #expect(try runBulwark(["login", "--server", server.url, "--username", "pia"], environment: pia, stdin: RegistryServer.password + "\n").status == 0)
        #expect(try runBulwark(["registry", "create", "big", "--team", "vision", "--risk-tier", "low", "--data-classification", "public"],
                               environment: pia).status == 0)
        let file = server.directory.appendingPathComponent("big.bin")
        try Data(repeating: 7, count: 200_000).write(to: file)
        let push = try runBulwark(["registry", "push", "big", file.path], environment: pia)
        #expect(push.isCleanFailure && push.stderr.contains("413"), "\(push.stderr)")
        let listed = try runBulwark(["registry", "list", "big", "--json"], environment: pia)
        #expect(listed.stdout.contains("\"versions\":[]"), "\(listed.stdout)")
    }
}

/// Runs a program and returns its exit status.
func shell(_ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// A clean safetensors file: one F32 tensor of 32 values.
func safetensorsBytes() -> [UInt8] {
    var header = Array(#"{"w":{"dtype":"F32","shape":[32],"data_offsets":[0,128]}}"#.utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
    out += header
    for index in 0..<32 { withUnsafeBytes(of: Float(index).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
    return out
}
