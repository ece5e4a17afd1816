import BulwarkAccess
import BulwarkGateway
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing

let controlPlaneOrigin = "bulwark.test/audit"

let controlPlanePolicy = """
version: 1
roles:
  auditor: [audit.*]
rules:
  - id: service-audit-read
    description: tokens scoped to the audit log read it
    effect: allow
    actions: [audit.read, audit.verify]
    when:
      - principal.kind == service
      - withinTokenScopes: true
"""

/// A gateway with a control plane over a fresh SQLite database in a temporary folder, cheap
/// Argon2id, and a lockout after three failures.
struct ControlPlaneFixture {
    let directory: URL
    let plane: ControlPlane
    let gateway: Gateway

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-cp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let policyPath = directory.appendingPathComponent("policy.yaml").path
        try Data(controlPlanePolicy.utf8).write(to: URL(fileURLWithPath: policyPath))
        let keyPath = directory.appendingPathComponent("audit.key").path
        try Data(try NoteSigner.generate(name: controlPlaneOrigin).signerKey.utf8).write(to: URL(fileURLWithPath: keyPath))
        let options = ControlPlaneOptions(
            database: directory.appendingPathComponent("bulwark.db").path, policyFile: policyPath, auditKeyFile: keyPath,
            auditOrigin: controlPlaneOrigin, passwordParameters: try Argon2idParameters(memoryKiB: 8 * 1024, iterations: 1, parallelism: 1),
            throttlePolicy: try LoginThrottlePolicy(maxFailures: 3))
        plane = try await ControlPlane.open(options)
        gateway = try Gateway(configuration: GatewayConfiguration(host: "127.0.0.1", port: 0, insecureHTTP: true))
        plane.install(on: gateway.routes)
    }

    func close() async {
        await plane.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` against the router, then closes the database; the audit events written.
    @discardableResult
    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws -> [AuditEvent] {
        let app = try gateway.makeApplication()
        do {
            try await app.test(.router, body)
            let events = try await plane.auditStorage.entries(offset: 0, limit: 1000).map(\.event)
            await close()
            return events
        } catch {
            await close()
            throw error
        }
    }
}

let jsonContentType: HTTPFields = [.contentType: "application/json"]

func jsonBody(_ object: [String: String]) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
}

func jsonObject(_ buffer: ByteBuffer) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
}

func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

@Test func controlPlaneLoginWithPasswordThenTOTP() async throws {
    let fixture = try await ControlPlaneFixture()
    let user = try await fixture.plane.accounts.createUser(NewUser(username: "ada", team: "vision", roles: ["auditor"]),
                                                           password: "correct horse battery", now: Date())
    let totp = try await fixture.plane.accounts.enrollTOTP(userID: user.id, now: Date())
    let written = try await fixture.test { client in
        let pending = try await client.execute(uri: "/api/v1/login", method: .post, headers: jsonContentType,
                                               body: try jsonBody(["username": "ada", "password": "correct horse battery"])) { response in
            #expect(response.status == .accepted)
            let object = try jsonObject(response.body)
            #expect(object["mfa"] as? [String] == ["totp", "recovery"])
            return try #require(object["pendingLogin"] as? String)
        }
        let code = try totp.code(at: Date())
        let session = try await client.execute(uri: "/api/v1/login/totp", method: .post, headers: jsonContentType,
                                               body: try jsonBody(["pendingLogin": pending, "code": code])) { response in
            #expect(response.status == .ok)
            let cookie = try #require(response.headers[.setCookie])
            #expect(cookie.hasPrefix("__Host-bulwark_session=bws_"))
            for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] { #expect(cookie.contains(attribute), "\(attribute)") }
            return try #require(try jsonObject(response.body)["session"] as? String)
        }
        for headers in [bearer(session), [.cookie: "other=1; __Host-bulwark_session=\(session)"] as HTTPFields] {
            try await client.execute(uri: "/api/v1/me", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                let me = try jsonObject(response.body)
                #expect(me["id"] as? String == "ada")
                #expect(me["kind"] as? String == "user")
                #expect(me["roles"] as? [String] == ["auditor"])
                #expect(me["team"] as? String == "vision")
                #expect(me["mfaVerifiedAt"] is String)
            }
        }
        try await client.execute(uri: "/api/v1/logout", method: .post, headers: bearer(session)) { response in
            #expect(response.status == .noContent)
        }
        try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(session)) { response in
            #expect(response.status == .unauthorized)
        }
    }
    let events = written
    #expect(events.contains { $0.action == "login" && $0.actor == "ada" && $0.outcome == .succeeded && $0.details["next"] == "mfa" })
    #expect(events.contains { $0.action == "login.totp" && $0.actor == "ada" && $0.outcome == .succeeded })
    #expect(events.contains { $0.action == "POST /api/v1/logout" && $0.actor == "ada" && $0.outcome == .allowed })
}

@Test func controlPlaneWrongPasswordIsAuditedAndLocksOut() async throws {
    let fixture = try await ControlPlaneFixture()
    try await fixture.plane.accounts.createUser(NewUser(username: "bob"), password: "correct horse battery", now: Date())
    let written = try await fixture.test { client in
        let wrong = try jsonBody(["username": "bob", "password": "wrong password here"])
        for _ in 0..<3 {
            try await client.execute(uri: "/api/v1/login", method: .post, headers: jsonContentType, body: wrong) { response in
                #expect(response.status == .unauthorized)
                let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
                #expect(error["message"] as? String == LoginResult.failureMessage)
            }
        }
        // Locked: even the right password is refused before it is checked.
        try await client.execute(uri: "/api/v1/login", method: .post, headers: jsonContentType,
                                 body: try jsonBody(["username": "bob", "password": "correct horse battery"])) { response in
            #expect(response.status == .tooManyRequests)
            let retry = try #require(response.headers[.retryAfter].flatMap { Int($0) })
            #expect(retry >= 1)
        }
    }
    let events = written.filter { $0.action == "login" && $0.actor == "bob" }
    #expect(events.map(\.outcome.rawValue) == ["failed", "failed", "failed", "throttled"])
    #expect(events.allSatisfy { $0.requestID?.isEmpty == false && $0.clientAddress != nil })
}

@Test func controlPlaneAnonymousAuditReadIsDeniedAndAudited() async throws {
    let fixture = try await ControlPlaneFixture()
    let written = try await fixture.test { client in
        for uri in ["/api/v1/audit/checkpoint", "/api/v1/audit/entries"] {
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .forbidden)
                let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == "forbidden")
                #expect((error["message"] as? String)?.contains("rule default-deny") == true)
            }
        }
        try await client.execute(uri: "/api/v1/audit/checkpoint", method: .get, headers: bearer("bwk_not_a_real_token")) { response in
            #expect(response.status == .unauthorized)
        }
    }
    let denials = written.filter { $0.outcome == .denied && $0.action != "authenticate" }
    #expect(denials.map(\.action) == ["audit.verify", "audit.read"])
    #expect(written.filter { $0.action == "authenticate" }.map(\.actor) == ["anonymous"])
    #expect(denials.allSatisfy { $0.rule == "default-deny" && $0.actor == "anonymous" && $0.resource == "audit/\(controlPlaneOrigin)" })
}

@Test func controlPlaneAuditorTokenVerifiesCheckpointAndProofs() async throws {
    let fixture = try await ControlPlaneFixture()
    let accounts = fixture.plane.accounts
    let plane = fixture.plane
    let service = try await accounts.createServiceAccount(name: "witness", now: Date())
    let token = try await accounts.issueAPIToken(serviceAccountID: service.id, name: "audit", scopes: ["audit.read", "audit.verify"],
                                                 lifetimeSeconds: 3600, now: Date()).token
    let narrow = try await accounts.issueAPIToken(serviceAccountID: service.id, name: "models", scopes: ["model.read"],
                                                  lifetimeSeconds: 3600, now: Date()).token
    try await fixture.test { client in
        // A few entries: failed logins and a denial.
        for _ in 0..<3 {
            _ = try await client.execute(uri: "/api/v1/login", method: .post, headers: jsonContentType,
                                         body: try jsonBody(["username": "nobody", "password": "not the password"]))
        }
        try await client.execute(uri: "/api/v1/audit/checkpoint", method: .get, headers: bearer(narrow)) { response in
            #expect(response.status == .forbidden)
        }
        let note = try await client.execute(uri: "/api/v1/audit/checkpoint", method: .get, headers: bearer(token)) { response in
            #expect(response.status == .ok)
            return String(buffer: response.body)
        }
        let checkpoint = try Checkpoint.open(note, origin: controlPlaneOrigin, verifier: plane.auditVerifier)
        #expect(checkpoint.size == 4)
        let entries = try await client.execute(uri: "/api/v1/audit/entries?from=0&limit=10", method: .get,
                                               headers: [.authorization: "Bearer \(token)", .accept: "application/x-ndjson"]) { response in
            #expect(response.status == .ok)
            return String(buffer: response.body).split(separator: "\n").map(String.init)
        }
        #expect(entries.count == 4)
        let stored = try await plane.auditStorage.entries(offset: 0, limit: 100)
        for index in [UInt64(0), 2, 3] {
            let proof = try await client.execute(uri: "/api/v1/audit/proof/inclusion?index=\(index)&size=\(checkpoint.size)", method: .get,
                                                 headers: bearer(token)) { response in
                #expect(response.status == .ok)
                return try #require(try jsonObject(response.body)["proof"] as? [String]).compactMap { MerkleHash(hex: $0) }
            }
            let entry = stored[Int(index)]
            #expect(entries[Int(index)].contains(entry.leafHash.hex))
            #expect(MerkleTree.verifyInclusion(leafHash: entry.leafHash, index: index, size: checkpoint.size, proof: proof, root: checkpoint.rootHash))
        }
        let oldRoot = try await plane.audit.rootHash(size: 2)
        let consistency = try await client.execute(uri: "/api/v1/audit/proof/consistency?from=2&to=\(checkpoint.size)", method: .get,
                                                   headers: bearer(token)) { response in
            #expect(response.status == .ok)
            return try #require(try jsonObject(response.body)["proof"] as? [String]).compactMap { MerkleHash(hex: $0) }
        }
        #expect(MerkleTree.verifyConsistency(oldSize: 2, newSize: checkpoint.size, oldRoot: oldRoot, newRoot: checkpoint.rootHash, proof: consistency))
        try await client.execute(uri: "/api/v1/audit/proof/inclusion?index=9&size=4", method: .get, headers: bearer(token)) { response in
            #expect(response.status == .badRequest)
        }
    }
}

@Test func controlPlaneRoutesAreInTheOpenAPIDocument() async throws {
    let fixture = try await ControlPlaneFixture()
    let routed = routedOperations(fixture.gateway.routes)
    let documented = documentedOperations(fixture.gateway.routes.openAPIDocument)
    await fixture.close()
    let expected: [(String, String)] = [
        ("POST", "/api/v1/login"), ("POST", "/api/v1/login/totp"), ("POST", "/api/v1/login/recovery"), ("POST", "/api/v1/logout"),
        ("GET", "/api/v1/me"), ("GET", "/api/v1/audit/checkpoint"), ("GET", "/api/v1/audit/proof/inclusion"),
        ("GET", "/api/v1/audit/proof/consistency"), ("GET", "/api/v1/audit/entries"),
    ]
    for (method, path) in expected {
        #expect(documented.contains(Operation(method: method, path: path)), "\(method) \(path)")
    }
    #expect(routed == documented)
}

@Test func controlPlaneRecoveryCodeWorksOnce() async throws {
    let fixture = try await ControlPlaneFixture()
    let user = try await fixture.plane.accounts.createUser(NewUser(username: "cyd"), password: "correct horse battery", now: Date())
    _ = try await fixture.plane.accounts.enrollTOTP(userID: user.id, now: Date())
    let codes = try await fixture.plane.accounts.regenerateRecoveryCodes(userID: user.id)
    let written = try await fixture.test { client in
        var statuses: [HTTPResponse.Status] = []
        for _ in 0..<2 {
            let pending = try await client.execute(uri: "/api/v1/login", method: .post, headers: jsonContentType,
                                                   body: try jsonBody(["username": "cyd", "password": "correct horse battery"])) { response in
                try #require(try jsonObject(response.body)["pendingLogin"] as? String)
            }
            statuses.append(try await client.execute(uri: "/api/v1/login/recovery", method: .post, headers: jsonContentType,
                                                     body: try jsonBody(["pendingLogin": pending, "code": codes[0]])) { $0.status })
        }
        #expect(statuses == [.ok, .unauthorized])
    }
    let events = written.filter { $0.action == "login.recovery" }
    #expect(events.map(\.outcome) == [.succeeded, .failed])
}

@Test func controlPlanePolicyReloadChangesDecisions() async throws {
    let fixture = try await ControlPlaneFixture()
    let plane = fixture.plane
    try await fixture.test { client in
        try await client.execute(uri: "/api/v1/audit/checkpoint", method: .get) { response in
            #expect(response.status == .forbidden)
        }
        try Data((controlPlanePolicy.replacingOccurrences(of: "  auditor: [audit.*]", with: "  auditor: [audit.*]\n  anonymous: [audit.verify]")).utf8)
            .write(to: URL(fileURLWithPath: plane.policies.path))
        guard case .reloaded = plane.policies.reload() else {
            Issue.record("the edited policy did not reload")
            return
        }
        try await client.execute(uri: "/api/v1/audit/checkpoint", method: .get) { response in
            #expect(response.status == .ok)
            #expect(String(buffer: response.body).hasPrefix(controlPlaneOrigin + "\n"))
        }
    }
}
