/// The authenticator data structure (WebAuthn Level 3 §6.1), parsed from untrusted bytes.
///
/// Layout: `rpIdHash` (32 bytes) ‖ `flags` (1) ‖ `signCount` (4, big-endian) ‖ attested
/// credential data (when AT is set) ‖ extensions CBOR map (when ED is set). Nothing may follow.
public struct AuthenticatorData: Sendable, Equatable {
    /// The flag bits of byte 32 (WebAuthn Level 3 §6.1).
    public struct Flags: OptionSet, Sendable, Hashable {
        /// The raw flags byte.
        public let rawValue: UInt8
        /// Wraps a raw flags byte.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// UP: the user was present.
        public static let userPresent = Flags(rawValue: 0x01)
        /// UV: the user was verified (PIN, biometric).
        public static let userVerified = Flags(rawValue: 0x04)
        /// BE: the credential may be backed up (a synced passkey).
        public static let backupEligible = Flags(rawValue: 0x08)
        /// BS: the credential is currently backed up.
        public static let backupState = Flags(rawValue: 0x10)
        /// AT: attested credential data follows.
        public static let attestedCredentialData = Flags(rawValue: 0x40)
        /// ED: an extensions map follows.
        public static let extensionData = Flags(rawValue: 0x80)
    }

    /// The credential that registration created (WebAuthn Level 3 §6.5.1).
    public struct AttestedCredential: Sendable, Equatable {
        /// The authenticator model's AAGUID (16 bytes; all zero for many "none" attestations).
        public let aaguid: [UInt8]
        /// The credential ID, 1…1023 bytes.
        public let credentialId: [UInt8]
        /// The credential public key as COSE_Key bytes, exactly as the authenticator sent them.
        public let publicKeyCOSE: [UInt8]
    }

    /// The longest credential ID accepted (WebAuthn Level 3 §6.5.1 says "at most 1023 bytes").
    public static let maximumCredentialIdLength = 1023

    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    public let rpIdHash: [UInt8]
    /// The flags byte.
    public let flags: Flags
    /// The signature counter (0 when the authenticator keeps none).
    public let signCount: UInt32
    /// The attested credential data, present when ``Flags/attestedCredentialData`` is set.
    public let attestedCredential: AttestedCredential?
    /// The decoded public key of ``attestedCredential``.
    package let credentialKey: COSEPublicKey?
    /// The whole structure as received; signatures are computed over these bytes.
    public let bytes: [UInt8]

    /// Parses `bytes`.
    ///
    /// - Throws: ``AccessError`` `.malformed` when the structure is short, a length is out of
    ///   range, the CBOR is invalid, a flag disagrees with what follows or bytes are left over;
    ///   `.invalidParameter` when the credential key is not ES256.
    public init(bytes: [UInt8]) throws(AccessError) {
        guard bytes.count >= 37 else {
            throw AccessError(.malformed, "authenticatorData: \(bytes.count) bytes, expected at least 37")
        }
        self.bytes = bytes
        rpIdHash = Array(bytes[0..<32])
        flags = Flags(rawValue: bytes[32])
        signCount = UInt32(bytes[33]) << 24 | UInt32(bytes[34]) << 16 | UInt32(bytes[35]) << 8 | UInt32(bytes[36])
        var position = 37
        if flags.contains(.attestedCredentialData) {
            guard bytes.count - position >= 18 else {
                throw AccessError(.malformed, "authenticatorData: attested credential data is truncated")
            }
            let aaguid = Array(bytes[position..<(position + 16)])
            let idLength = Int(bytes[position + 16]) << 8 | Int(bytes[position + 17])
            position += 18
            guard (1...Self.maximumCredentialIdLength).contains(idLength) else {
                throw AccessError(.malformed, "authenticatorData: credential ID length \(idLength), expected 1…\(Self.maximumCredentialIdLength)")
            }
            guard bytes.count - position >= idLength else {
                throw AccessError(.malformed, "authenticatorData: credential ID runs past the end")
            }
            let credentialId = Array(bytes[position..<(position + idLength)])
            position += idLength
            var reader = CBORReader(bytes, start: position)
            let keyValue: CBORValue
            do { keyValue = try reader.readItem() } catch {
                throw AccessError(.malformed, "authenticatorData: credential public key is not CBOR (\(error.reason) at byte \(error.offset))")
            }
            let keyBytes = Array(bytes[position..<reader.offset])
            position = reader.offset
            credentialKey = try COSEPublicKey(decoded: keyValue, bytes: keyBytes)
            attestedCredential = AttestedCredential(aaguid: aaguid, credentialId: credentialId, publicKeyCOSE: keyBytes)
        } else {
            attestedCredential = nil
            credentialKey = nil
        }
        if flags.contains(.extensionData) {
            var reader = CBORReader(bytes, start: position)
            let extensions: CBORValue
            do { extensions = try reader.readItem() } catch {
                throw AccessError(.malformed, "authenticatorData: extensions are not CBOR (\(error.reason) at byte \(error.offset))")
            }
            guard case .map = extensions else {
                throw AccessError(.malformed, "authenticatorData: extensions must be a CBOR map")
            }
            position = reader.offset
        }
        guard position == bytes.count else {
            throw AccessError(.malformed, "authenticatorData: \(bytes.count - position) unexpected trailing bytes")
        }
        if flags.contains(.backupState) && !flags.contains(.backupEligible) {
            throw AccessError(.malformed, "authenticatorData: backup state (BS) set without backup eligibility (BE)")
        }
    }
}
