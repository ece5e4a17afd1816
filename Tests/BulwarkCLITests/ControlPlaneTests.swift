import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `bulwark policy` and `bulwark serve` through the real binary.
@Suite struct ControlPlaneTests {
    /// The repository's `examples/` folder (the shipped default policy and its cases).
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples")

    @Test func policyCheckListsRolesAndRulesAndRefusesABadFile() throws {
        let ok = try CLI.run(["policy", "check", Self.examples.appendingPathComponent("policy.yaml").path, "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any])
        let roles = try #require(summary["roles"] as? [String: [String]])
        #expect(Set(roles.keys) == ["admin", "publisher", "approver", "consumer", "auditor"])
        #expect((summary["rules"] as? [String])?.contains("no-self-approval") == true)

        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.yaml")
        try "version: 1\nroles:\n  x: [nope.*]\n".write(to: bad, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["policy", "check", bad.path])
        #expect(refused.status == 2 && refused.isCleanFailure, "\(refused.stderr)")
        #expect(refused.stderr.contains("bad.yaml:3") && refused.stderr.contains("nope.*"), "\(refused.stderr)")
        let missing = try CLI.run(["policy", "check", dir.appendingPathComponent("absent.yaml").path])
        #expect(missing.status == 2 && missing.isCleanFailure)
    }

    @Test func policyTestPassesTheShippedCasesAndFailsAWrongExpectation() throws {
        let policy = Self.examples.appendingPathComponent("policy.yaml").path
        let passing = try CLI.run(["policy", "test", policy, Self.examples.appendingPathComponent("policy-tests.yaml").path])
        #expect(passing.status == 0, "\(passing.stdout)\(passing.stderr)")
        #expect(passing.stdout.contains("passed, 0 failed"))

        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = dir.appendingPathComponent("cases.yaml")
        try """
        cases:
          - name: consumers may not upload
            principal: {id: carol, roles: [consumer]}
            action: version.upload
            resource: {type: version, id: cats/1}
            expect: allow
        """.write(to: cases, atomically: true, encoding: .utf8)
        let failing = try CLI.run(["policy", "test", policy, cases.path])
        #expect(failing.status == 1, "\(failing.stdout)\(failing.stderr)")
        #expect(failing.stdout.contains("FAIL  case 'consumers may not upload'") && failing.stdout.contains("got deny by 'default-deny'"))
    }

    @Test func serveRefusesPlainHTTPOffLoopbackAndPrintsAValidDocument() throws {
        let refused = try CLI.run(["serve", "--insecure-http", "--host", "0.0.0.0"])
        #expect(refused.status == 64 && refused.stderr.contains("loopback"), "\(refused.stderr)")
        let noTLS = try CLI.run(["serve", "--port", "0"])
        #expect(noTLS.status != 0 && noTLS.stderr.contains("--tls-cert"), "\(noTLS.stderr)")
        let document = try CLI.run(["serve", "--print-openapi"])
        #expect(document.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(document.stdout.utf8)) as? [String: Any])
        #expect((json["openapi"] as? String)?.hasPrefix("3.1.") == true)
        #expect((json["paths"] as? [String: Any])?["/healthz"] != nil)
    }

    @Test func serveAnswersOnLoopbackAndStopsOnSIGTERM() async throws {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["serve", "--insecure-http", "--port", "0", "--grace-period", "1"]
        let out = Pipe()
        process.standardOutput = out
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("serve-stderr-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: errPath, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The first stdout line names the URL with the real port.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        let url = try #require(text.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, "\(text)")
        #expect(url.hasPrefix("http://127.0.0.1:"), "\(text)")
        let (body, response) = try await URLSession.shared.data(from: try #require(URL(string: url + "/healthz")))
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 200)
        #expect(http.value(forHTTPHeaderField: "X-Content-Type-Options") == "nosniff")
        #expect(String(decoding: body, as: UTF8.self).contains("ok"))
        process.terminate()  // SIGTERM: graceful shutdown, exit 0
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        // The log (stderr) is JSON, one object per line, the access line of /healthz among them.
        let lines = try String(contentsOfFile: errPath, encoding: .utf8).split(separator: "\n")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!lines.isEmpty && objects.count == lines.count, "not all JSON: \(lines)")
        let access = objects.first { $0["message"] as? String == "request" && ($0["metadata"] as? [String: Any])?["path"] as? String == "/healthz" }
        let metadata = try #require(access?["metadata"] as? [String: Any], "\(lines)")
        #expect(metadata["status"] as? String == "200" && metadata["method"] as? String == "GET" && metadata["request.id"] is String)
        #expect(access?["level"] as? String == "info" && access?["logger"] as? String == "bulwark.gateway")
        #expect((access?["time"] as? String)?.hasSuffix("Z") == true)
    }
}
