public import Foundation
internal import Crypto

extension WebAuthnRelyingParty {
    /// The longest attestation object accepted, in bytes.
    public static let maximumAttestationObjectLength = 64 * 1024

    /// Starts a registration: makes a challenge and the creation options for the browser.
    ///
    /// - Parameters:
    ///   - user: the account the credential is for.
    ///   - excludeCredentials: credentials the user already has; the browser refuses to register
    ///     the same authenticator twice and registration refuses their IDs.
    ///   - now: the issue time, against which ``timeoutSeconds`` is measured.
    ///   - challenge: `nil` for 32 bytes from the system's cryptographic generator (production);
    ///     fixed bytes (at least 16) only for tests and known-answer vectors.
    /// - Throws: ``AccessError`` `.invalidParameter` when a given challenge is shorter than 16 bytes.
    public func beginRegistration(
        user: WebAuthnUser, excludeCredentials: [StoredWebAuthnCredential], now: Date, challenge: [UInt8]? = nil
    ) throws(AccessError) -> RegistrationChallenge {
        let bytes = try makeChallenge(challenge)
        let options = CreationOptionsJSON(
            rp: .init(id: id, name: name),
            user: .init(id: Base64URL.encode(user.handle), name: user.name, displayName: user.displayName),
            challenge: Base64URL.encode(bytes),
            pubKeyCredParams: [.init(type: "public-key", alg: COSEPublicKey.es256)],
            timeout: timeoutSeconds * 1000,
            excludeCredentials: excludeCredentials.map {
                CredentialDescriptorJSON(type: "public-key", id: Base64URL.encode($0.credentialId), transports: $0.transports.isEmpty ? nil : $0.transports)
            },
            authenticatorSelection: .init(residentKey: "preferred", userVerification: userVerification.rawValue),
            attestation: "none"
        )
        return RegistrationChallenge(options: options, challenge: bytes, user: user, issuedAt: now)
    }

    /// Verifies a registration response (WebAuthn Level 3 §7.1) and returns the credential to store.
    ///
    /// Checks, in order: the challenge is fresh; `clientDataJSON` has type `webauthn.create`, the
    /// issued challenge, an allowed origin and no cross-origin use unless allowed; the attestation
    /// object is a CBOR map of `fmt`, `attStmt`, `authData`; `rpIdHash` is SHA-256 of the RP ID;
    /// UP is set, UV when required, AT is set; the credential ID matches `rawId`, is 1…1023 bytes
    /// and not excluded; the key is ES256; the attestation statement is acceptable under
    /// ``attestation`` (see ``AttestationPolicy``).
    ///
    /// - Throws: ``AccessError`` `.expired` (stale challenge), `.malformed` (unparseable bytes),
    ///   `.invalidParameter` (an algorithm other than ES256), `.unauthenticated` (a check failed).
    ///   Messages name the failed check for logs; show remote callers only that registration failed.
    public func finishRegistration(
        _ response: RegistrationResponse, challenge pending: RegistrationChallenge, now: Date
    ) throws(AccessError) -> StoredWebAuthnCredential {
        try checkFresh(issuedAt: pending.issuedAt, now: now)
        try CollectedClientData.verify(response.clientDataJSON, expectedType: "webauthn.create", challenge: pending.challenge, relyingParty: self)
        let clientDataHash = Array(SHA256.hash(data: response.clientDataJSON))

        guard response.attestationObject.count <= Self.maximumAttestationObjectLength else {
            throw AccessError(.malformed, "attestationObject: \(response.attestationObject.count) bytes, at most \(Self.maximumAttestationObjectLength) accepted")
        }
        let object: CBORValue
        do { object = try CBORReader.decodeWhole(response.attestationObject) } catch {
            throw AccessError(.malformed, "attestationObject: not CBOR (\(error.reason) at byte \(error.offset))")
        }
        guard case .text(let format) = object[textKey: "fmt"],
              case .bytes(let authDataBytes) = object[textKey: "authData"],
              let statement = object[textKey: "attStmt"], case .map(let statementEntries) = statement
        else {
            throw AccessError(.malformed, "attestationObject: expected a map with text fmt, byte-string authData and map attStmt")
        }
        let authData = try AuthenticatorData(bytes: authDataBytes)
        try checkCommonFlags(authData, ceremony: "registration")
        guard let attested = authData.attestedCredential, let key = authData.credentialKey else {
            throw AccessError(.malformed, "registration authenticatorData: the AT flag is not set; no credential was attested")
        }
        guard SecretBytes.constantTimeEquals(attested.credentialId, response.credentialId) else {
            throw AccessError(.unauthenticated, "registration: rawId differs from the credential ID in authenticatorData")
        }
        if pending.options.excludeCredentials.contains(where: { $0.id == Base64URL.encode(attested.credentialId) }) {
            throw AccessError(.unauthenticated, "registration: the credential is already registered (it is in excludeCredentials)")
        }

        let attestationType: String
        switch format {
        case "none":
            guard statementEntries.isEmpty else {
                throw AccessError(.malformed, "attestationObject: fmt none requires an empty attStmt")
            }
            attestationType = "none"
        case "packed" where statement[textKey: "x5c"] == nil:
            guard let alg = statement[textKey: "alg"]?.integer, case .bytes(let signature) = statement[textKey: "sig"] else {
                throw AccessError(.malformed, "attestationObject: packed attStmt needs integer alg and byte-string sig")
            }
            guard alg == Int64(COSEPublicKey.es256) else {
                throw AccessError(.unauthenticated, "attestationObject: packed self attestation alg \(alg) differs from the credential's ES256 (-7)")
            }
            guard key.isValidSignature(signature, for: authDataBytes + clientDataHash) else {
                throw AccessError(.unauthenticated, "attestationObject: packed self-attestation signature does not verify with the credential key")
            }
            attestationType = "self"
        default:
            guard attestation == .acceptOtherFormatsAsNone else {
                let kind = format == "packed" ? "packed with a certificate chain (x5c)" : "'\(format.prefix(32))'"
                throw AccessError(.unauthenticated, "attestationObject: attestation \(kind) is not accepted; accepted: none, packed self attestation (policy noneOrSelf)")
            }
            attestationType = "none"
        }

        return StoredWebAuthnCredential(
            credentialId: attested.credentialId,
            userHandle: pending.user.handle,
            publicKeyCOSE: attested.publicKeyCOSE,
            signCount: authData.signCount,
            aaguid: attested.aaguid,
            transports: response.transports,
            backupEligible: authData.flags.contains(.backupEligible),
            backupState: authData.flags.contains(.backupState),
            userVerifiedAtRegistration: authData.flags.contains(.userVerified),
            attestationType: attestationType,
            createdAt: now
        )
    }

    /// The checks registration and authentication share: RP ID hash, UP, and UV when required.
    func checkCommonFlags(_ authData: AuthenticatorData, ceremony: String) throws(AccessError) {
        let expected = Array(SHA256.hash(data: Array(id.utf8)))
        guard SecretBytes.constantTimeEquals(authData.rpIdHash, expected) else {
            throw AccessError(.unauthenticated, "\(ceremony) authenticatorData: rpIdHash is not SHA-256 of the RP ID '\(id)'")
        }
        guard authData.flags.contains(.userPresent) else {
            throw AccessError(.unauthenticated, "\(ceremony) authenticatorData: the user-present (UP) flag is not set")
        }
        if userVerification == .required, !authData.flags.contains(.userVerified) {
            throw AccessError(.unauthenticated, "\(ceremony) authenticatorData: user verification is required but the UV flag is not set")
        }
    }
}
