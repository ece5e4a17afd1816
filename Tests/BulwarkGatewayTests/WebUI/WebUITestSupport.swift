import BulwarkAccess
import BulwarkGateway
import BulwarkRegistry
import BulwarkSupplyChain
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing

/// The repository's example policy (the one the README serves), so the UI is tested under the
/// rules a deployment starts from.
let examplePolicyPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/policy.yaml").path

/// The password every web UI test user has.
let webUIPassword = "correct horse battery"

/// A control plane under the example policy with three users — `alice` (publisher, team
/// vision, TOTP), `bob` (approver, TOTP) and `carl` (consumer, no second factor) — and a model
/// `cats` of team vision.
struct WebUIFixture {
    let directory: URL
    let plane: ControlPlane
    let gateway: Gateway
    let totp: [String: TOTP]

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-ui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let keyPath = directory.appendingPathComponent("audit.key").path
        try Data(try NoteSigner.generate(name: controlPlaneOrigin).signerKey.utf8).write(to: URL(fileURLWithPath: keyPath))
        plane = try await ControlPlane.open(ControlPlaneOptions(
            database: directory.appendingPathComponent("bulwark.db").path, policyFile: examplePolicyPath, auditKeyFile: keyPath,
            auditOrigin: controlPlaneOrigin, passwordParameters: try Argon2idParameters(memoryKiB: 8 * 1024, iterations: 1, parallelism: 1)))
        gateway = try Gateway(configuration: GatewayConfiguration(host: "127.0.0.1", port: 0, insecureHTTP: true))
        plane.install(on: gateway.routes)
        var totp: [String: TOTP] = [:]
        for (name, roles, team, mfa) in [("alice", ["publisher"], "vision", true), ("bob", ["approver"], "risk", true), ("carl", ["consumer"], "apps", false)] {
            let user = try await plane.accounts.createUser(NewUser(username: name, team: team, roles: roles), password: webUIPassword, now: Date())
            if mfa { totp[name] = try await plane.accounts.enrollTOTP(userID: user.id, now: Date()) }
        }
        self.totp = totp
        let alice = Principal(id: "alice", roles: ["publisher"], team: "vision", mfaVerifiedAt: Date())
        try await plane.registry.createModel(name: "cats", team: "vision", riskTier: .high, dataClassification: .internal, by: alice)
    }

    /// Uploads a clean safetensors file as alice, signed with a key registered to her, and
    /// submits it: a staging version.
    func stagedVersion() async throws -> ModelVersion {
        let alice = Principal(id: "alice", roles: ["publisher"], team: "vision", mfaVerifiedAt: Date())
        let admin = Principal(id: "root", roles: ["admin"], mfaVerifiedAt: Date())
        let key = ModelSigningPrivateKey.generateP256()
        try await plane.registry.registerPublisherKey(Array(key.publicKey.pemRepresentation.utf8), for: .user("alice"), by: admin)
        var bytes = Array(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        bytes = withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Array($0) } + bytes + [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]
        let path = directory.appendingPathComponent("model.safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let bundle = try await ModelSigner.sign(modelAt: path, identity: .key(key)).bundle
        let chunks = AsyncStream<[UInt8]> { $0.yield(bytes); $0.finish() }
        let version = try await plane.registry.upload(chunks, model: "cats", filename: "model.safetensors", by: alice,
                                                      lineage: Lineage(trainingCommand: "bulwark train --seed 1"), signatureBundle: bundle)
        let report = try await plane.registry.submit(model: "cats", version: version.number, by: alice)
        #expect(report.passed, "\(report.failures)")
        return try await plane.registry.version(model: "cats", number: version.number)
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

    func close() async {
        await plane.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The origin HummingbirdTesting's router client speaks for (`http`, authority `localhost`).
let sameOrigin = "http://localhost"

/// A URL-encoded form body.
func formBody(_ fields: [(String, String)]) -> ByteBuffer {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return ByteBuffer(string: fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&"))
}

/// Headers of a form POST from `origin` with `cookies`.
func formHeaders(origin: String? = sameOrigin, cookies: [String]) -> HTTPFields {
    var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
    if let origin { headers[.origin] = origin }
    if !cookies.isEmpty { headers[.cookie] = cookies.joined(separator: "; ") }
    return headers
}

/// The value of hidden field `name` in `html` (the first one).
func hiddenField(_ name: String, in html: String) -> String? {
    guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
    let rest = html[range.upperBound...]
    guard let end = rest.firstIndex(of: "\"") else { return nil }
    return String(rest[..<end])
}

/// `name=value` of cookie `name` among a response's `Set-Cookie` headers.
func setCookie(_ name: String, in response: TestResponse) -> String? {
    for value in response.headers[values: .setCookie] where value.hasPrefix(name + "=") {
        return String(value.prefix { $0 != ";" })
    }
    return nil
}

/// Logs `username` in through the forms (password, then a TOTP code when `totp` is given);
/// returns the session cookie (`__Host-bulwark_session=…`) and the CSRF token of its pages.
func uiLogin(_ client: any TestClientProtocol, _ username: String, totp: TOTP?) async throws -> (cookie: String, csrf: String) {
    let (loginCookie, loginToken) = try await client.execute(uri: "/ui/login", method: .get) { response in
        #expect(response.status == .ok)
        let html = String(buffer: response.body)
        #expect(html.contains("<h1>Sign in</h1>"))
        return (try #require(setCookie("__Host-bulwark_login", in: response)), try #require(hiddenField("csrf", in: html)))
    }
    let afterPassword = try await client.execute(uri: "/ui/login", method: .post, headers: formHeaders(cookies: [loginCookie]),
                                                 body: formBody([("csrf", loginToken), ("username", username), ("password", webUIPassword)])) { $0 }
    var final = afterPassword
    if let totp {
        #expect(afterPassword.status == .ok)
        let html = String(buffer: afterPassword.body)
        #expect(html.contains("<h1>Second factor</h1>"))
        let pending = try #require(hiddenField("pending", in: html))
        final = try await client.execute(uri: "/ui/login/mfa", method: .post, headers: formHeaders(cookies: [loginCookie]),
                                         body: formBody([("csrf", loginToken), ("pending", pending), ("method", "totp"),
                                                         ("code", try totp.code(at: Date()))])) { $0 }
    }
    #expect(final.status == .seeOther)
    #expect(final.headers[.location] == "/ui/models")
    let cookie = try #require(setCookie("__Host-bulwark_session", in: final))
    let csrf = try await client.execute(uri: "/ui/models", method: .get, headers: [.cookie: cookie]) { response in
        #expect(response.status == .ok)
        return try #require(hiddenField("csrf", in: String(buffer: response.body)))
    }
    return (cookie, csrf)
}
