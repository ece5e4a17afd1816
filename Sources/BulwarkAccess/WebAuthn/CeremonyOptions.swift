public import Foundation

/// The account a credential is registered for (`PublicKeyCredentialUserEntity`, §5.4.3).
public struct WebAuthnUser: Codable, Sendable, Equatable {
    /// The user handle: 1…64 opaque bytes that carry no personal data (a random ID).
    public var handle: [UInt8]
    /// The account name browsers show, such as `alice@example.org`.
    public var name: String
    /// The display name browsers show, such as `Alice`.
    public var displayName: String

    /// A user; the handle must be 1…64 bytes (§5.4.3).
    public init(handle: [UInt8], name: String, displayName: String) throws(AccessError) {
        guard (1...64).contains(handle.count) else {
            throw AccessError(.invalidParameter, "WebAuthn user handle: \(handle.count) bytes, expected 1…64")
        }
        self.handle = handle
        self.name = name
        self.displayName = displayName
    }
}

/// A credential descriptor of `excludeCredentials` / `allowCredentials`, in JSON form.
public struct CredentialDescriptorJSON: Codable, Sendable, Equatable {
    /// Always `public-key`.
    public var type: String
    /// The credential ID, base64url.
    public var id: String
    /// The transports the credential was registered with, if known.
    public var transports: [String]?
}

/// `PublicKeyCredentialCreationOptionsJSON` (WebAuthn Level 3 §5.1.1): what the browser's
/// `PublicKeyCredential.parseCreationOptionsFromJSON` takes, byte fields as base64url, for
/// `navigator.credentials.create({ publicKey })`.
public struct CreationOptionsJSON: Codable, Sendable, Equatable {
    /// The relying party entity.
    public struct RelyingParty: Codable, Sendable, Equatable {
        /// The RP ID.
        public var id: String
        /// The RP's display name.
        public var name: String
    }
    /// The user entity, `id` base64url.
    public struct User: Codable, Sendable, Equatable {
        /// The user handle, base64url.
        public var id: String
        /// The account name.
        public var name: String
        /// The display name.
        public var displayName: String
    }
    /// One acceptable credential algorithm.
    public struct Parameter: Codable, Sendable, Equatable {
        /// Always `public-key`.
        public var type: String
        /// A COSE algorithm identifier; -7 (ES256).
        public var alg: Int
    }
    /// Authenticator selection criteria.
    public struct Selection: Codable, Sendable, Equatable {
        /// `preferred`: a passkey (discoverable credential) when the authenticator can make one.
        public var residentKey: String
        /// The user-verification requirement.
        public var userVerification: String
    }

    /// The relying party.
    public var rp: RelyingParty
    /// The user.
    public var user: User
    /// The challenge, base64url.
    public var challenge: String
    /// The acceptable algorithms: ES256 only.
    public var pubKeyCredParams: [Parameter]
    /// The ceremony's timeout in milliseconds.
    public var timeout: Int
    /// Credentials the user already has, so the authenticator does not register twice.
    public var excludeCredentials: [CredentialDescriptorJSON]
    /// Authenticator selection criteria.
    public var authenticatorSelection: Selection
    /// The attestation conveyance preference: `none`.
    public var attestation: String
}

/// `PublicKeyCredentialRequestOptionsJSON` (WebAuthn Level 3 §5.1.2), for
/// `PublicKeyCredential.parseRequestOptionsFromJSON` and `navigator.credentials.get`.
public struct RequestOptionsJSON: Codable, Sendable, Equatable {
    /// The challenge, base64url.
    public var challenge: String
    /// The ceremony's timeout in milliseconds.
    public var timeout: Int
    /// The RP ID.
    public var rpId: String
    /// The credentials that may answer; empty for a discoverable-credential (passkey) sign-in.
    public var allowCredentials: [CredentialDescriptorJSON]
    /// The user-verification requirement.
    public var userVerification: String
}

/// A registration the relying party has started: the options sent to the browser and when they
/// were issued. A store keeps it (it is `Codable`) until the response arrives, then discards it,
/// so each challenge verifies at most once.
public struct RegistrationChallenge: Codable, Sendable, Equatable {
    /// The options, as sent to the browser.
    public var options: CreationOptionsJSON
    /// The challenge bytes.
    public var challenge: [UInt8]
    /// The user the credential is for.
    public var user: WebAuthnUser
    /// When the challenge was issued.
    public var issuedAt: Date

    /// The options as JSON text (sorted keys) for `PublicKeyCredential.parseCreationOptionsFromJSON`.
    public func optionsJSON() throws(AccessError) -> String {
        try encodeSorted(options, what: "creation options")
    }
}

/// An authentication the relying party has started: the options sent to the browser and when
/// they were issued. Keep it until the response arrives, then discard it.
public struct AuthenticationChallenge: Codable, Sendable, Equatable {
    /// The options, as sent to the browser.
    public var options: RequestOptionsJSON
    /// The challenge bytes.
    public var challenge: [UInt8]
    /// The credential IDs that may answer; empty when any discoverable credential may.
    public var allowedCredentialIds: [[UInt8]]
    /// When the challenge was issued.
    public var issuedAt: Date

    /// The options as JSON text (sorted keys) for `PublicKeyCredential.parseRequestOptionsFromJSON`.
    public func optionsJSON() throws(AccessError) -> String {
        try encodeSorted(options, what: "request options")
    }
}

func encodeSorted<T: Encodable>(_ value: T, what: String) throws(AccessError) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    } catch {
        throw AccessError(.malformed, "WebAuthn \(what): cannot encode as JSON", underlying: error)
    }
}

/// A fresh challenge from the system's cryptographic generator, or `given` after checking its length.
func makeChallenge(_ given: [UInt8]?) throws(AccessError) -> [UInt8] {
    if let given {
        guard given.count >= WebAuthnRelyingParty.minimumChallengeLength else {
            throw AccessError(.invalidParameter, "WebAuthn challenge: \(given.count) bytes, expected at least \(WebAuthnRelyingParty.minimumChallengeLength)")
        }
        return given
    }
    var generator = SystemRandomNumberGenerator()
    return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}

extension WebAuthnRelyingParty {
    func checkFresh(issuedAt: Date, now: Date) throws(AccessError) {
        let age = now.timeIntervalSince(issuedAt)
        guard age >= 0, age <= Double(timeoutSeconds) else {
            throw AccessError(.expired, "WebAuthn challenge issued \(Int(age)) s ago; it is valid for \(timeoutSeconds) s")
        }
    }
}
