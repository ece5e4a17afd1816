public import Foundation

/// A registered WebAuthn credential as a store keeps it: what authentication needs to verify the
/// next assertion, and what an administrator needs to recognise the authenticator.
///
/// `Codable` with byte fields as base64url strings and dates as the encoder's date strategy.
public struct StoredWebAuthnCredential: Codable, Sendable, Equatable {
    /// The credential ID (1…1023 bytes), the key a store looks the credential up by.
    public var credentialId: [UInt8]
    /// The user handle (the `user.id` of registration) this credential belongs to.
    public var userHandle: [UInt8]
    /// The credential public key as COSE_Key bytes (ES256).
    public var publicKeyCOSE: [UInt8]
    /// The last signature counter seen; 0 when the authenticator keeps none.
    public var signCount: UInt32
    /// The authenticator model's AAGUID (16 bytes).
    public var aaguid: [UInt8]
    /// The transports the browser reported (`usb`, `nfc`, `ble`, `internal`, `hybrid`, …).
    public var transports: [String]
    /// BE: whether the credential may be backed up (a synced passkey); fixed at registration.
    public var backupEligible: Bool
    /// BS: whether the credential was backed up at its last use.
    public var backupState: Bool
    /// Whether the user was verified (UV) at registration.
    public var userVerifiedAtRegistration: Bool
    /// `none` or `self`: the attestation that was verified at registration.
    public var attestationType: String
    /// When the credential was registered.
    public var createdAt: Date
    /// When an assertion with this credential last verified, if ever.
    public var lastVerifiedAt: Date?

    /// A record with every field given; registration makes these, a store decodes them.
    public init(
        credentialId: [UInt8], userHandle: [UInt8], publicKeyCOSE: [UInt8], signCount: UInt32, aaguid: [UInt8],
        transports: [String], backupEligible: Bool, backupState: Bool, userVerifiedAtRegistration: Bool,
        attestationType: String, createdAt: Date, lastVerifiedAt: Date? = nil
    ) {
        self.credentialId = credentialId
        self.userHandle = userHandle
        self.publicKeyCOSE = publicKeyCOSE
        self.signCount = signCount
        self.aaguid = aaguid
        self.transports = transports
        self.backupEligible = backupEligible
        self.backupState = backupState
        self.userVerifiedAtRegistration = userVerifiedAtRegistration
        self.attestationType = attestationType
        self.createdAt = createdAt
        self.lastVerifiedAt = lastVerifiedAt
    }

    private enum CodingKeys: String, CodingKey {
        case credentialId, userHandle, publicKeyCOSE, signCount, aaguid, transports, backupEligible, backupState
        case userVerifiedAtRegistration, attestationType, createdAt, lastVerifiedAt
    }

    /// Decodes a record whose byte fields are base64url strings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func bytes(_ key: CodingKeys) throws -> [UInt8] {
            let text = try container.decode(String.self, forKey: key)
            guard let value = Base64URL.decode(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected base64url")
            }
            return value
        }
        credentialId = try bytes(.credentialId)
        userHandle = try bytes(.userHandle)
        publicKeyCOSE = try bytes(.publicKeyCOSE)
        aaguid = try bytes(.aaguid)
        signCount = try container.decode(UInt32.self, forKey: .signCount)
        transports = try container.decode([String].self, forKey: .transports)
        backupEligible = try container.decode(Bool.self, forKey: .backupEligible)
        backupState = try container.decode(Bool.self, forKey: .backupState)
        userVerifiedAtRegistration = try container.decode(Bool.self, forKey: .userVerifiedAtRegistration)
        attestationType = try container.decode(String.self, forKey: .attestationType)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        lastVerifiedAt = try container.decodeIfPresent(Date.self, forKey: .lastVerifiedAt)
    }

    /// Encodes the record with byte fields as base64url strings.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Base64URL.encode(credentialId), forKey: .credentialId)
        try container.encode(Base64URL.encode(userHandle), forKey: .userHandle)
        try container.encode(Base64URL.encode(publicKeyCOSE), forKey: .publicKeyCOSE)
        try container.encode(Base64URL.encode(aaguid), forKey: .aaguid)
        try container.encode(signCount, forKey: .signCount)
        try container.encode(transports, forKey: .transports)
        try container.encode(backupEligible, forKey: .backupEligible)
        try container.encode(backupState, forKey: .backupState)
        try container.encode(userVerifiedAtRegistration, forKey: .userVerifiedAtRegistration)
        try container.encode(attestationType, forKey: .attestationType)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(lastVerifiedAt, forKey: .lastVerifiedAt)
    }
}
