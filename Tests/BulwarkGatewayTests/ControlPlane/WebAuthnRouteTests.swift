import BulwarkAccess
import BulwarkGateway
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing

// The ceremonies themselves (a real authenticator's create/get) are proven in headless Chromium
// by scripts/check-webauthn; these tests cover the routes' refusals, options and audit entries.

/// A bearer session and a JSON content type.
func jsonBearer(_ token: String) -> HTTPFields {
    var fields = bearer(token)
    fields[.contentType] = "application/json"
    return fields
}

@Test func webAuthnSettingsDeriveFromTheListeningAddress() throws {
    let loopback = try WebAuthnSettings(relyingPartyID: nil, origins: [])
    #expect(loopback.relyingParty == nil)
    #expect(loopback.serverListening(at: "http://127.0.0.1:8080") == nil)
    #expect(loopback.relyingParty?.id == "localhost" && loopback.relyingParty?.allowedOrigins == ["http://localhost:8080"])

    let named = try WebAuthnSettings(relyingPartyID: nil, origins: [])
    #expect(named.serverListening(at: "https://bulwark.example:443") == nil)
    #expect(named.relyingParty?.id == "bulwark.example" && named.relyingParty?.allowedOrigins == ["https://bulwark.example"])

    let wildcard = try WebAuthnSettings(relyingPartyID: nil, origins: [])
    let warning = try #require(wildcard.serverListening(at: "https://0.0.0.0:8443"))
    #expect(warning.contains("--webauthn-rp-id") && wildcard.relyingParty == nil)
    let wildcardWithID = try WebAuthnSettings(relyingPartyID: "bulwark.example", origins: [])
    #expect(wildcardWithID.serverListening(at: "https://0.0.0.0:8443") == nil)
    #expect(wildcardWithID.relyingParty?.allowedOrigins == ["https://bulwark.example:8443"])

    let configured = try WebAuthnSettings(relyingPartyID: nil, origins: ["https://login.bulwark.example"])
    #expect(configured.relyingParty?.id == "login.bulwark.example")
    #expect(configured.serverListening(at: "http://127.0.0.1:1") == nil)
    #expect(configured.relyingParty?.allowedOrigins == ["https://login.bulwark.example"])
    #expect(throws: GatewayError.self) { try WebAuthnSettings(relyingPartyID: nil, origins: ["http://bulwark.example"]) }
    #expect(throws: GatewayError.self) { try WebAuthnSettings(relyingPartyID: "bulwark.example:8443", origins: []) }
}

@Test func webAuthnRoutesNeedASessionAndMFAAndAuditRefusals() async throws {
    let fixture = try await ControlPlaneFixture()
    let password = "correct horse battery"
    let grace = try await fixture.plane.accounts.createUser(NewUser(username: "grace"), password: password, now: Date())
    let carol = try await fixture.plane.accounts.createUser(NewUser(username: "carol"), password: password, now: Date())
    let ada = try await fixture.plane.accounts.createUser(NewUser(username: "ada"), password: password, now: Date())
    _ = try await fixture.plane.accounts.enrollTOTP(userID: ada.id, now: Date())
    let webAuthn = fixture.plane.webAuthn
    let accounts = fixture.plane.accounts
    let events = try await fixture.test { client in
        func login(_ username: String) async throws -> [String: Any] {
            try await client.execute(uri: "/api/v1/login", method: .post, headers: jsonContentType,
                                     body: try jsonBody(["username": username, "password": password])) { try jsonObject($0.body) }
        }
        // Before the server listens nothing says which origin to trust.
        try await client.execute(uri: "/api/v1/webauthn/register/options", method: .post) { response in
            #expect(response.status == .serviceUnavailable)
            #expect(String(buffer: response.body).contains("--webauthn-rp-id"))
        }
        webAuthn.serverListening(at: "http://127.0.0.1:8080")

        try await client.execute(uri: "/api/v1/webauthn/register/options", method: .post) { #expect($0.status == .unauthorized) }
        try await client.execute(uri: "/api/v1/webauthn/credentials", method: .get) { #expect($0.status == .unauthorized) }

        let session = try #require(try await login("grace")["session"] as? String)
        try await client.execute(uri: "/api/v1/webauthn/register/options", method: .post, headers: bearer(session)) { response in
            #expect(response.status == .ok)
            let options = try jsonObject(response.body)
            #expect((options["rp"] as? [String: Any])?["id"] as? String == "localhost")
            let user = try #require(options["user"] as? [String: Any])
            #expect(user["name"] as? String == "grace" && user["id"] as? String == Data(grace.id.utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: ""))
            #expect((options["challenge"] as? String)?.count == 43)  // 32 random bytes, base64url
            #expect((options["pubKeyCredParams"] as? [[String: Any]])?.first?["alg"] as? Int == -7)
            #expect(options["attestation"] as? String == "none")
        }
        let garbage = ByteBuffer(string: #"{"name":"key","credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}}"#)
        try await client.execute(uri: "/api/v1/webauthn/register", method: .post, headers: jsonBearer(session), body: garbage) { response in
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body).contains("did not verify"))
        }
        try await client.execute(uri: "/api/v1/webauthn/credentials", method: .get, headers: bearer(session)) { response in
            #expect(response.status == .ok)
            let list = try jsonObject(response.body)
            #expect((list["credentials"] as? [Any])?.isEmpty == true)
        }
        try await client.execute(uri: "/api/v1/webauthn/credentials/AAAA", method: .delete, headers: bearer(session)) { #expect($0.status == .notFound) }

        // carol's password-only session may not change factors once she has one.
        let carolSession = try #require(try await login("carol")["session"] as? String)
        _ = try await accounts.enrollTOTP(userID: carol.id, now: Date())
        try await client.execute(uri: "/api/v1/webauthn/register/options", method: .post, headers: bearer(carolSession)) { response in
            #expect(response.status == .forbidden)
        }

        // Login: a TOTP user without credentials is not offered webauthn and gets no options.
        let pending = try await login("ada")
        #expect(pending["mfa"] as? [String] == ["totp", "recovery"])
        let token = try #require(pending["pendingLogin"] as? String)
        try await client.execute(uri: "/api/v1/login/webauthn/options", method: .post, headers: jsonContentType,
                                 body: try jsonBody(["pendingLogin": token])) { #expect($0.status == .unauthorized) }
        try await client.execute(uri: "/api/v1/login/webauthn/options", method: .post, headers: jsonContentType,
                                 body: try jsonBody(["pendingLogin": "bwp_nonsense"])) { #expect($0.status == .unauthorized) }
        let assertion = ByteBuffer(string: #"{"pendingLogin":"\#(token)","credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}}"#)
        try await client.execute(uri: "/api/v1/login/webauthn", method: .post, headers: jsonContentType, body: assertion) { response in
            #expect(response.status == .unauthorized)
            #expect(!String(buffer: response.body).contains("challenge"))  // coarse toward the client
        }
    }
    #expect(events.contains { $0.action == "webauthn.manage" && $0.actor == "carol" && $0.outcome == .denied })
    #expect(events.filter { $0.action == "login.webauthn.options" && $0.outcome == .failed }.count == 2)
    let refused = try #require(events.first { $0.action == "login.webauthn" })
    #expect(refused.outcome == .failed && refused.details["credentialId"] == "AA" && refused.details["reason"]?.isEmpty == false)
    #expect(events.contains { $0.action == "POST /api/v1/webauthn/register" && $0.outcome == .failed })
}

@Test func webAuthnRoutesAreInTheOpenAPIDocument() async throws {
    let fixture = try await ControlPlaneFixture()
    let document = fixture.gateway.routes.openAPIDocument.encoded(pretty: false)
    await fixture.close()
    let paths = try #require(try JSONSerialization.jsonObject(with: Data(document)) as? [String: Any])["paths"] as? [String: [String: Any]]
    for (method, path) in [("post", "/api/v1/webauthn/register/options"), ("post", "/api/v1/webauthn/register"),
                           ("get", "/api/v1/webauthn/credentials"), ("delete", "/api/v1/webauthn/credentials/{id}"),
                           ("post", "/api/v1/login/webauthn/options"), ("post", "/api/v1/login/webauthn")] {
        #expect(paths?[path]?[method] != nil, "\(method) \(path)")
    }
}
