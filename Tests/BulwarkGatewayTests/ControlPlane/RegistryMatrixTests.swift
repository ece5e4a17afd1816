import BulwarkAccess
import BulwarkGateway
import BulwarkSupplyChain
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing

/// The callers of the authorization matrix: one user per role of `examples/policy.yaml`, and no
/// credentials at all.
enum MatrixCaller: String, CaseIterable, Sendable {
    case admin, publisher, approver, consumer, auditor, anonymous
}

/// Who may call one route under the shipped policy, and the concrete request that tries.
///
/// To add a route: add one entry to ``RegistryMatrixTests/matrix`` with its method and path as
/// registered (`{model}` and all), a concrete `uri`, a body when it takes one, and who is
/// allowed. A route the gateway registers without an entry fails the matrix test.
struct MatrixEntry: Sendable {
    /// Every caller, anonymous included (no 401 or 403 for anyone).
    static let everyone = Set(MatrixCaller.allCases)
    /// Every signed-in role.
    static let signedIn = everyone.subtracting([.anonymous])

    var method: HTTPRequest.Method
    var path: String
    var uri: String
    var body: String?
    var contentType = "application/json"
    var allowed: Set<MatrixCaller>
    /// Run after every other entry (it ends the caller's session).
    var endsSession = false
    /// A web-UI route: the session goes in the cookie (the UI ignores bearer tokens), a POST is a
    /// same-origin form carrying the session's CSRF token, and a visitor without a session is
    /// redirected to the login page (a denial, like 401).
    var ui = false

    var key: String { "\(method.rawValue) \(path)" }
}

@Suite struct RegistryMatrixTests {
    /// The web UI's routes: pages read like the JSON API; forms change state like it.
    static func uiMatrix() -> [MatrixEntry] {
        let version = "/ui/models/cats/versions/1"
        let staging = "/ui/models/dogs/versions/1"
        return [
            MatrixEntry(method: .get, path: "/ui", uri: "/ui", allowed: MatrixEntry.everyone, ui: true),
            MatrixEntry(method: .get, path: "/ui/login", uri: "/ui/login", allowed: MatrixEntry.everyone, ui: true),
            MatrixEntry(method: .get, path: "/ui/static/style.css", uri: "/ui/static/style.css", allowed: MatrixEntry.everyone, ui: true),
            // the login forms are open to all (their CSRF token is keyed by a login cookie, absent here)
            MatrixEntry(method: .post, path: "/ui/login", uri: "/ui/login", body: "", allowed: MatrixEntry.everyone, ui: true),
            MatrixEntry(method: .post, path: "/ui/login/mfa", uri: "/ui/login/mfa", body: "", allowed: MatrixEntry.everyone, ui: true),
            MatrixEntry(method: .post, path: "/ui/logout", uri: "/ui/logout", body: "", allowed: MatrixEntry.everyone, endsSession: true, ui: true),
            MatrixEntry(method: .get, path: "/ui/models", uri: "/ui/models", allowed: MatrixEntry.signedIn, ui: true),
            MatrixEntry(method: .get, path: "/ui/models/{name}", uri: "/ui/models/cats", allowed: MatrixEntry.signedIn, ui: true),
            MatrixEntry(method: .get, path: "/ui/models/{name}/versions/{number}", uri: version, allowed: MatrixEntry.signedIn, ui: true),
            MatrixEntry(method: .get, path: "/ui/approvals", uri: "/ui/approvals", allowed: [.admin, .publisher, .approver, .auditor], ui: true),
            MatrixEntry(method: .get, path: "/ui/audit", uri: "/ui/audit", allowed: [.admin, .auditor], ui: true),
            MatrixEntry(method: .get, path: "/ui/audit/entries/{index}", uri: "/ui/audit/entries/0", allowed: [.admin, .auditor], ui: true),
            MatrixEntry(method: .get, path: "/ui/monitoring", uri: "/ui/monitoring", allowed: [.admin, .auditor], ui: true),
            MatrixEntry(method: .post, path: "/ui/models/{name}/versions/{number}/approve", uri: staging + "/approve", body: "",
                        allowed: [.admin, .approver], ui: true),
            MatrixEntry(method: .post, path: "/ui/models/{name}/versions/{number}/promote", uri: staging + "/promote", body: "",
                        allowed: [.admin, .approver], ui: true),
        ]
    }

    /// The passkey routes: management needs a session; the login steps are open (a pending
    /// login is the credential).
    static func webAuthnMatrix() -> [MatrixEntry] {
        [
            MatrixEntry(method: .post, path: "/api/v1/webauthn/register/options", uri: "/api/v1/webauthn/register/options", body: "{}",
                        allowed: MatrixEntry.signedIn),
            MatrixEntry(method: .post, path: "/api/v1/webauthn/register", uri: "/api/v1/webauthn/register", body: "{}", allowed: MatrixEntry.signedIn),
            MatrixEntry(method: .get, path: "/api/v1/webauthn/credentials", uri: "/api/v1/webauthn/credentials", allowed: MatrixEntry.signedIn),
            MatrixEntry(method: .delete, path: "/api/v1/webauthn/credentials/{id}", uri: "/api/v1/webauthn/credentials/nope",
                        allowed: MatrixEntry.signedIn),
            MatrixEntry(method: .post, path: "/api/v1/login/webauthn/options", uri: "/api/v1/login/webauthn/options", body: "{}",
                        allowed: MatrixEntry.everyone),
            MatrixEntry(method: .post, path: "/api/v1/login/webauthn", uri: "/api/v1/login/webauthn", body: "{}", allowed: MatrixEntry.everyone),
        ]
    }

    /// A small artifact; `pem` is a fresh publisher key, so each key registration is new.
    static func matrix(pem: String) -> [MatrixEntry] {
        let model = "/api/v1/models/cats"
        let staging = "/api/v1/models/dogs/versions/1"
        let draft = "/api/v1/models/dogs/versions/2"
        let pemJSON = String(decoding: (try? JSONEncoder().encode(["publisher": "team:matrix", "pem": pem])) ?? Data(), as: UTF8.self)
        return [
            // built-in
            MatrixEntry(method: .get, path: "/healthz", uri: "/healthz", allowed: MatrixEntry.everyone),
            MatrixEntry(method: .get, path: "/readyz", uri: "/readyz", allowed: MatrixEntry.everyone),
            MatrixEntry(method: .get, path: "/openapi.json", uri: "/openapi.json", allowed: MatrixEntry.everyone),
            // accounts (bodies that fail validation: only the authorization outcome matters)
            MatrixEntry(method: .post, path: "/api/v1/login", uri: "/api/v1/login", body: "{}", allowed: MatrixEntry.everyone),
            MatrixEntry(method: .post, path: "/api/v1/login/totp", uri: "/api/v1/login/totp", body: "{}", allowed: MatrixEntry.everyone),
            MatrixEntry(method: .post, path: "/api/v1/login/recovery", uri: "/api/v1/login/recovery", body: "{}", allowed: MatrixEntry.everyone),
            MatrixEntry(method: .post, path: "/api/v1/logout", uri: "/api/v1/logout", allowed: MatrixEntry.signedIn, endsSession: true),
            MatrixEntry(method: .get, path: "/api/v1/me", uri: "/api/v1/me", allowed: MatrixEntry.everyone),
            // audit
            MatrixEntry(method: .get, path: "/api/v1/audit/checkpoint", uri: "/api/v1/audit/checkpoint", allowed: [.admin, .auditor]),
            MatrixEntry(method: .get, path: "/api/v1/monitoring", uri: "/api/v1/monitoring", allowed: [.admin, .auditor]),
            MatrixEntry(method: .get, path: "/api/v1/audit/proof/inclusion", uri: "/api/v1/audit/proof/inclusion?index=0&size=1", allowed: [.admin, .auditor]),
            MatrixEntry(method: .get, path: "/api/v1/audit/proof/consistency", uri: "/api/v1/audit/proof/consistency?from=0&to=1", allowed: [.admin, .auditor]),
            MatrixEntry(method: .get, path: "/api/v1/audit/entries", uri: "/api/v1/audit/entries?limit=5", allowed: [.admin, .auditor]),
            // registry: models
            MatrixEntry(method: .post, path: "/api/v1/models", uri: "/api/v1/models",
                        body: #"{"name":"matrix-new","team":"vision","riskTier":"low","dataClassification":"public"}"#, allowed: [.admin, .publisher]),
            MatrixEntry(method: .get, path: "/api/v1/models", uri: "/api/v1/models", allowed: MatrixEntry.signedIn),
            MatrixEntry(method: .get, path: "/api/v1/models/{model}", uri: model, allowed: MatrixEntry.signedIn),
            MatrixEntry(method: .post, path: "/api/v1/publishers/keys", uri: "/api/v1/publishers/keys", body: pemJSON, allowed: [.admin]),
            // registry: versions (cats/1 is in production and never changes; dogs/1 staging, dogs/2 draft, both uploaded by the publisher)
            MatrixEntry(method: .post, path: "/api/v1/models/{model}/versions", uri: "/api/v1/models/dogs/versions?filename=m.safetensors",
                        body: "not a model, but bytes", contentType: "application/octet-stream", allowed: [.admin, .publisher]),
            MatrixEntry(method: .get, path: "/api/v1/models/{model}/versions/{version}", uri: model + "/versions/1", allowed: MatrixEntry.signedIn),
            MatrixEntry(method: .get, path: "/api/v1/models/{model}/versions/{version}/artifact", uri: model + "/versions/1/artifact",
                        allowed: [.admin, .publisher, .approver, .consumer]),
            MatrixEntry(method: .get, path: "/api/v1/models/{model}/versions/{version}/bom", uri: model + "/versions/1/bom", allowed: MatrixEntry.signedIn),
            MatrixEntry(method: .get, path: "/api/v1/models/{model}/versions/{version}/history", uri: model + "/versions/1/history", allowed: MatrixEntry.signedIn),
            MatrixEntry(method: .post, path: "/api/v1/models/{model}/versions/{version}/submit", uri: draft + "/submit", allowed: [.admin, .publisher]),
            MatrixEntry(method: .post, path: "/api/v1/models/{model}/versions/{version}/approve", uri: staging + "/approve", allowed: [.admin, .approver]),
            MatrixEntry(method: .post, path: "/api/v1/models/{model}/versions/{version}/promote", uri: staging + "/promote",
                        body: #"{"stage":"production","reason":"matrix"}"#, allowed: [.admin, .approver]),
            MatrixEntry(method: .post, path: "/api/v1/models/{model}/versions/{version}/revoke", uri: staging + "/revoke",
                        body: #"{"reason":"matrix"}"#, allowed: [.admin, .approver]),
        ]
    }

    @Test func everyRouteTimesEveryRoleMatchesTheShippedPolicy() async throws {
        let fixture = try await RegistryHTTPFixture()
        let cast = try await RegistryCast.make(fixture)
        #expect(fixture.plane.webAuthn.serverListening(at: "http://127.0.0.1:1") == nil)  // as `serve` does once listening
        let tokens: [MatrixCaller: String] = [.admin: cast.admin, .publisher: cast.publisher, .approver: cast.approver,
                                              .consumer: cast.consumer, .auditor: cast.auditor]
        let entries = Self.matrix(pem: ModelSigningPrivateKey.generateP256().publicKey.pemRepresentation) + Self.webAuthnMatrix() + Self.uiMatrix()
        let byKey = Dictionary(entries.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let routes = fixture.gateway.routes.descriptions.map { "\($0.method.rawValue) \($0.path)" }
        for route in routes where byKey[route] == nil {
            Issue.record("no authorization-matrix entry for \(route): add one to RegistryMatrixTests.matrix")
        }
        for entry in entries where !routes.contains(entry.key) {
            Issue.record("matrix entry \(entry.key) names no registered route")
        }
        #expect(entries.count == Set(entries.map(\.key)).count, "one entry per route")

        let artifact = RegistryHTTPArtifacts.safetensors(count: 8)
        let signature = try await RegistryHTTPArtifacts.signature(of: artifact, key: cast.key)
        let other = RegistryHTTPArtifacts.safetensors(count: 8, offset: 1)
        let otherSignature = try await RegistryHTTPArtifacts.signature(of: other, key: cast.key)
        let ordered = entries.filter { !$0.endsSession } + entries.filter(\.endsSession)
        let cells = ordered.count * MatrixCaller.allCases.count
        try await fixture.test { client in
            // cats/1 in production; dogs/1 in staging; dogs/2 a draft.
            try await cast.prepare(client, model: "cats")
            #expect(try await client.send(.post, "/api/v1/models", token: cast.publisher, body: try anyJSONBody(
                ["name": "dogs", "team": "vision", "riskTier": "medium", "dataClassification": "internal"])).0 == .created)
            #expect(try await client.upload(artifact, model: "cats", token: cast.publisher, signature: signature).0 == .created)
            #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/submit", token: cast.publisher).0 == .ok)
            #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/approve", token: cast.approver).0 == .ok)
            #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/promote", token: cast.approver,
                                          body: try anyJSONBody(["stage": "production"])).0 == .ok)
            #expect(try await client.upload(other, model: "dogs", token: cast.publisher, signature: otherSignature).0 == .created)
            #expect(try await client.send(.post, "/api/v1/models/dogs/versions/1/submit", token: cast.publisher).0 == .ok)
            #expect(try await client.upload(artifact, model: "dogs", token: cast.publisher).0 == .created)

            for entry in ordered {
                for caller in MatrixCaller.allCases {
                    var headers: HTTPFields = [:]
                    var body = entry.body
                    if entry.ui {
                        if let token = tokens[caller] { headers[.cookie] = "\(AuthenticationMiddleware.sessionCookieName)=\(token)" }
                        if entry.method == .post {
                            headers[.origin] = "http://localhost"
                            headers[.contentType] = "application/x-www-form-urlencoded"
                            let csrf = tokens[caller].map { WebUISecurity.token(secret: $0, purpose: "session") } ?? "none"
                            body = "\(WebUISecurity.tokenField)=\(csrf)"
                        }
                    } else {
                        if let token = tokens[caller] { headers[.authorization] = "Bearer \(token)" }
                        if entry.body != nil { headers[.contentType] = entry.contentType }
                    }
                    let (status, text, location) = try await client.execute(uri: entry.uri, method: entry.method, headers: headers,
                                                                            body: body.map { ByteBuffer(string: $0) }) { response in
                        (response.status, String(buffer: response.body), response.headers[.location])
                    }
                    let cell = "\(entry.key) as \(caller.rawValue): \(status.code) \(text.prefix(200))"
                    // A policy denial is 401, or 403 naming the rule; a 403 from the registry's own rules
                    // (no approval yet) is the policy's allow followed by a refusal.
                    let denied = status == .unauthorized || (status == .forbidden && text.contains("denied by rule"))
                        || (entry.ui && status == .seeOther && location == "/ui/login" && !["/ui", "/ui/logout"].contains(entry.path))
                    #expect(status.code < 500, "\(cell)")
                    if entry.allowed.contains(caller) {
                        #expect(!denied, "expected allowed: \(cell)")
                    } else {
                        #expect(denied, "expected denied: \(cell)")
                        if caller != .anonymous && entry.path.hasPrefix("/api/v1/models") {
                            #expect(status == .forbidden, "a signed-in caller is refused with 403: \(cell)")
                        }
                    }
                }
            }
        }
        print("authorization matrix: \(cells) cells (\(ordered.count) routes x \(MatrixCaller.allCases.count) callers)")
    }
}
