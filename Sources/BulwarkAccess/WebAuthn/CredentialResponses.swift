internal import Foundation

/// A browser's answer to `navigator.credentials.create`: the bytes registration verifies.
public struct RegistrationResponse: Sendable, Equatable {
    /// The credential ID the browser reports (`rawId`).
    public var credentialId: [UInt8]
    /// `response.clientDataJSON`, exactly as received.
    public var clientDataJSON: [UInt8]
    /// `response.attestationObject`, exactly as received.
    public var attestationObject: [UInt8]
    /// `response.getTransports()`, kept as hints for later `allowCredentials`.
    public var transports: [String]

    /// A response from its parts.
    public init(credentialId: [UInt8], clientDataJSON: [UInt8], attestationObject: [UInt8], transports: [String] = []) {
        self.credentialId = credentialId
        self.clientDataJSON = clientDataJSON
        self.attestationObject = attestationObject
        self.transports = transports
    }

    /// Reads `RegistrationResponseJSON` (what `PublicKeyCredential.toJSON()` returns), at most 64 KiB.
    ///
    /// - Throws: ``AccessError`` `.malformed` when the JSON lacks a field or a field is not base64url.
    public init(json: [UInt8]) throws(AccessError) {
        struct Wire: Decodable {
            struct Inner: Decodable { var clientDataJSON: String; var attestationObject: String; var transports: [String]? }
            var rawId: String; var type: String; var response: Inner
        }
        let wire: Wire = try decodeResponse(json, what: "registration response")
        guard wire.type == "public-key" else { throw AccessError(.malformed, "registration response: type must be public-key") }
        self.init(
            credentialId: try base64URLField(wire.rawId, "rawId"),
            clientDataJSON: try base64URLField(wire.response.clientDataJSON, "response.clientDataJSON"),
            attestationObject: try base64URLField(wire.response.attestationObject, "response.attestationObject"),
            transports: Array((wire.response.transports ?? []).prefix(8))
        )
    }
}

/// A browser's answer to `navigator.credentials.get`: the bytes authentication verifies.
public struct AuthenticationResponse: Sendable, Equatable {
    /// The credential ID the browser reports (`rawId`).
    public var credentialId: [UInt8]
    /// `response.clientDataJSON`, exactly as received.
    public var clientDataJSON: [UInt8]
    /// `response.authenticatorData`, exactly as received.
    public var authenticatorData: [UInt8]
    /// `response.signature`: a DER ECDSA signature for ES256.
    public var signature: [UInt8]
    /// `response.userHandle`, when the authenticator returned one (always for passkeys).
    public var userHandle: [UInt8]?

    /// A response from its parts.
    public init(credentialId: [UInt8], clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8], userHandle: [UInt8]? = nil) {
        self.credentialId = credentialId
        self.clientDataJSON = clientDataJSON
        self.authenticatorData = authenticatorData
        self.signature = signature
        self.userHandle = userHandle
    }

    /// Reads `AuthenticationResponseJSON` (what `PublicKeyCredential.toJSON()` returns), at most 64 KiB.
    ///
    /// - Throws: ``AccessError`` `.malformed` when the JSON lacks a field or a field is not base64url.
    public init(json: [UInt8]) throws(AccessError) {
        struct Wire: Decodable {
            struct Inner: Decodable { var clientDataJSON: String; var authenticatorData: String; var signature: String; var userHandle: String? }
            var rawId: String; var type: String; var response: Inner
        }
        let wire: Wire = try decodeResponse(json, what: "authentication response")
        guard wire.type == "public-key" else { throw AccessError(.malformed, "authentication response: type must be public-key") }
        var handle: [UInt8]?
        if let text = wire.response.userHandle, !text.isEmpty { handle = try base64URLField(text, "response.userHandle") }
        self.init(
            credentialId: try base64URLField(wire.rawId, "rawId"),
            clientDataJSON: try base64URLField(wire.response.clientDataJSON, "response.clientDataJSON"),
            authenticatorData: try base64URLField(wire.response.authenticatorData, "response.authenticatorData"),
            signature: try base64URLField(wire.response.signature, "response.signature"),
            userHandle: handle
        )
    }
}

private func decodeResponse<T: Decodable>(_ json: [UInt8], what: String) throws(AccessError) -> T {
    guard json.count <= 64 * 1024 else { throw AccessError(.malformed, "\(what): \(json.count) bytes, at most 65536 accepted") }
    do { return try JSONDecoder().decode(T.self, from: Data(json)) } catch {
        throw AccessError(.malformed, "\(what): not the JSON that PublicKeyCredential.toJSON() returns")
    }
}

private func base64URLField(_ text: String, _ field: String) throws(AccessError) -> [UInt8] {
    guard let bytes = Base64URL.decode(text) else { throw AccessError(.malformed, "WebAuthn response: \(field) is not base64url") }
    return bytes
}
