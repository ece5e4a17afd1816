internal import Foundation

/// The fields of `clientDataJSON` (WebAuthn Level 3 §5.8.1) the relying party checks.
package struct CollectedClientData: Decodable, Sendable {
    /// `webauthn.create` or `webauthn.get`.
    package var type: String
    /// The challenge, base64url without padding.
    package var challenge: String
    /// The origin of the page that ran the ceremony.
    package var origin: String
    /// Whether the ceremony ran in a cross-origin iframe.
    package var crossOrigin: Bool?
    /// The top-level origin when the ceremony ran in an iframe.
    package var topOrigin: String?

    /// The longest `clientDataJSON` accepted, in bytes.
    package static let maximumLength = 16 * 1024

    /// Parses `json` and checks it against `expectedType`, `challenge` and the relying party's
    /// origin policy (steps 5–10 of §7.1 and 10–14 of §7.2).
    package static func verify(
        _ json: [UInt8], expectedType: String, challenge: [UInt8], relyingParty: WebAuthnRelyingParty
    ) throws(AccessError) {
        guard json.count <= maximumLength else {
            throw AccessError(.malformed, "clientDataJSON: \(json.count) bytes, at most \(maximumLength) accepted")
        }
        let data: CollectedClientData
        do {
            data = try JSONDecoder().decode(CollectedClientData.self, from: Data(json))
        } catch {
            throw AccessError(.malformed, "clientDataJSON: not a JSON object with string type, challenge and origin")
        }
        guard data.type == expectedType else {
            throw AccessError(.unauthenticated, "clientDataJSON: type '\(data.type.prefix(40))', expected '\(expectedType)'")
        }
        guard let received = Base64URL.decode(data.challenge), SecretBytes.constantTimeEquals(received, challenge) else {
            throw AccessError(.unauthenticated, "clientDataJSON: challenge does not match the one issued")
        }
        guard relyingParty.allowedOrigins.contains(data.origin) else {
            throw AccessError(.unauthenticated, "clientDataJSON: origin '\(data.origin.prefix(100))' is not one of the relying party's origins")
        }
        if data.crossOrigin == true {
            guard relyingParty.allowCrossOrigin else {
                throw AccessError(.unauthenticated, "clientDataJSON: crossOrigin is true but the relying party accepts same-origin ceremonies only")
            }
        }
        if let top = data.topOrigin {
            guard relyingParty.allowCrossOrigin, relyingParty.allowedTopOrigins.contains(top) else {
                throw AccessError(.unauthenticated, "clientDataJSON: topOrigin '\(top.prefix(100))' is not an accepted top-level origin")
            }
        }
    }
}
