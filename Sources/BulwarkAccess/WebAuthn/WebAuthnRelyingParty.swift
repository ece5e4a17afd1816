/// Whether a ceremony asks for user verification (WebAuthn Level 3 §5.8.6); the relying party
/// refuses a response without the UV flag only when this is ``required``.
public enum UserVerificationRequirement: String, Codable, Sendable, CaseIterable {
    /// The UV flag must be set; a response without it is refused.
    case required
    /// The browser asks for verification when it can; a response without UV is accepted.
    case preferred
    /// The browser should not ask for verification; a response without UV is accepted.
    case discouraged
}

/// Which attestation statements registration accepts.
///
/// Bulwark keeps no attestation trust anchors (no FIDO metadata service), so it cannot judge a
/// certificate chain. The default, ``noneOrSelf``, therefore accepts only statements it can check
/// completely; ``acceptOtherFormatsAsNone`` is the documented escape hatch for deployments that
/// must enrol authenticators which always send full attestation.
public enum AttestationPolicy: String, Codable, Sendable, CaseIterable {
    /// Accept fmt `"none"` (empty statement) and fmt `"packed"` self attestation (no `x5c`),
    /// whose signature is verified with the credential key. Refuse every other statement:
    /// `"packed"` with a certificate chain, `"tpm"`, `"android-key"`, `"fido-u2f"`, `"apple"`, ….
    case noneOrSelf
    /// As ``noneOrSelf``, but a statement of another kind is accepted *without verifying it* and
    /// recorded as attestation type `"none"`: the credential is trusted exactly as much as one
    /// registered with no attestation, no more.
    case acceptOtherFormatsAsNone
}

/// A WebAuthn relying party: its RP ID, the origins it serves, and its verification policy.
///
/// Registration and authentication are methods of this type (``beginRegistration(user:excludeCredentials:now:challenge:)``,
/// ``finishRegistration(_:challenge:now:)``, ``beginAuthentication(allowCredentials:now:challenge:)``,
/// ``finishAuthentication(_:challenge:credential:now:)``). Secure by default: same-origin only,
/// ES256 only, attestation `none` or self only, challenges of 32 random bytes valid for 5 minutes.
///
/// ```swift
/// let rp = try WebAuthnRelyingParty(id: "example.org", name: "Example", origins: ["https://example.org"])
/// let user = try WebAuthnUser(handle: Array("user-7f3a".utf8), name: "alice@example.org", displayName: "Alice")
/// let pending = try rp.beginRegistration(user: user, excludeCredentials: [], now: Date())
/// let optionsJSON = try pending.optionsJSON()  // to the browser; the store keeps `pending`
/// func finish(_ browserJSON: [UInt8]) throws -> StoredWebAuthnCredential {
///     try rp.finishRegistration(RegistrationResponse(json: browserJSON), challenge: pending, now: Date())
/// }
/// print(optionsJSON.count)
/// ```
public struct WebAuthnRelyingParty: Codable, Sendable, Equatable {
    /// The RP ID: a registrable domain suffix of the origins' hosts, such as `example.org`.
    public var id: String
    /// The name browsers show for the relying party.
    public var name: String
    /// The origins accepted in `clientDataJSON.origin`, compared exactly (`https://example.org`).
    public var allowedOrigins: [String]
    /// Whether a ceremony run inside a cross-origin iframe (`crossOrigin: true`) is accepted.
    public var allowCrossOrigin: Bool
    /// The top-level origins accepted in `topOrigin` when ``allowCrossOrigin`` is set.
    public var allowedTopOrigins: [String]
    /// Whether user verification is required, preferred or discouraged.
    public var userVerification: UserVerificationRequirement
    /// Which attestation statements registration accepts.
    public var attestation: AttestationPolicy
    /// How long a challenge stays valid after it was issued, in seconds.
    public var timeoutSeconds: Int

    /// The shortest challenge accepted, in bytes (WebAuthn Level 3 §13.4.3 asks for at least 16).
    public static let minimumChallengeLength = 16

    /// A relying party for `id` serving `origins`.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` when `id` or `origins` is empty, an origin is
    ///   not `https://…` (or `http://localhost…` for development), or the timeout is not 1…3600 s.
    public init(
        id: String,
        name: String,
        origins: [String],
        allowCrossOrigin: Bool = false,
        allowedTopOrigins: [String] = [],
        userVerification: UserVerificationRequirement = .preferred,
        attestation: AttestationPolicy = .noneOrSelf,
        timeoutSeconds: Int = 300
    ) throws(AccessError) {
        guard !id.isEmpty, !id.contains("/"), !id.contains(":") else {
            throw AccessError(.invalidParameter, "WebAuthn rp id '\(id)': expected a domain such as example.org")
        }
        guard !origins.isEmpty else {
            throw AccessError(.invalidParameter, "WebAuthn origins: expected at least one origin such as https://\(id)")
        }
        for origin in origins + allowedTopOrigins {
            guard origin.hasPrefix("https://") || origin.hasPrefix("http://localhost") else {
                throw AccessError(.invalidParameter, "WebAuthn origin '\(origin)': expected https://host[:port] (or http://localhost for development)")
            }
        }
        guard (1...3600).contains(timeoutSeconds) else {
            throw AccessError(.invalidParameter, "WebAuthn timeout \(timeoutSeconds) s: expected 1…3600")
        }
        self.id = id
        self.name = name
        self.allowedOrigins = origins
        self.allowCrossOrigin = allowCrossOrigin
        self.allowedTopOrigins = allowedTopOrigins
        self.userVerification = userVerification
        self.attestation = attestation
        self.timeoutSeconds = timeoutSeconds
    }
}
