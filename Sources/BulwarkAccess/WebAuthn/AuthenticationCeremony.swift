public import Foundation
internal import Crypto

/// What a verified assertion establishes: the user behind the credential passed MFA at
/// ``verifiedAt``; store ``updatedCredential`` in place of the old record.
public struct AuthenticationResult: Sendable, Equatable {
    /// The credential that signed.
    public var credentialId: [UInt8]
    /// The user handle the credential belongs to.
    public var userHandle: [UInt8]
    /// The authenticator's new signature counter.
    public var newSignCount: UInt32
    /// Whether the user was verified (UV) in this ceremony.
    public var userVerified: Bool
    /// When the assertion verified: the time MFA was satisfied.
    public var verifiedAt: Date
    /// The stored record with the new counter, backup state and ``verifiedAt``.
    public var updatedCredential: StoredWebAuthnCredential
}

extension WebAuthnRelyingParty {
    /// Starts an authentication: makes a challenge and the request options for the browser.
    ///
    /// - Parameters:
    ///   - allowCredentials: the user's credentials when the user is already known (a second
    ///     factor after a password); empty for a passkey sign-in with a discoverable credential.
    ///   - now: the issue time, against which ``timeoutSeconds`` is measured.
    ///   - challenge: `nil` for 32 random bytes (production); fixed bytes only for tests.
    /// - Throws: ``AccessError`` `.invalidParameter` when a given challenge is shorter than 16 bytes.
    public func beginAuthentication(
        allowCredentials: [StoredWebAuthnCredential], now: Date, challenge: [UInt8]? = nil
    ) throws(AccessError) -> AuthenticationChallenge {
        let bytes = try makeChallenge(challenge)
        let options = RequestOptionsJSON(
            challenge: Base64URL.encode(bytes),
            timeout: timeoutSeconds * 1000,
            rpId: id,
            allowCredentials: allowCredentials.map {
                CredentialDescriptorJSON(type: "public-key", id: Base64URL.encode($0.credentialId), transports: $0.transports.isEmpty ? nil : $0.transports)
            },
            userVerification: userVerification.rawValue
        )
        return AuthenticationChallenge(options: options, challenge: bytes, allowedCredentialIds: allowCredentials.map(\.credentialId), issuedAt: now)
    }

    /// Verifies an assertion (WebAuthn Level 3 §7.2) made with `credential`, the stored record
    /// the caller looked up by `response.credentialId`.
    ///
    /// Checks, in order: the challenge is fresh; the credential is one of `allowCredentials` (when
    /// the challenge named any) and is the record given; the user handle, when returned, is the
    /// credential's (and is required for a discoverable sign-in); `clientDataJSON` has type
    /// `webauthn.get`, the issued challenge, an allowed origin; `rpIdHash`, UP, UV when required;
    /// BE unchanged since registration; the ES256 signature over authenticatorData ‖
    /// SHA-256(clientDataJSON); and the counter: when the stored or the new count is non-zero,
    /// the new one must be greater, else the authenticator may be cloned and the assertion is refused.
    ///
    /// - Throws: ``AccessError`` `.expired`, `.malformed`, `.invalidParameter` or `.unauthenticated`
    ///   (see ``finishRegistration(_:challenge:now:)``).
    public func finishAuthentication(
        _ response: AuthenticationResponse, challenge pending: AuthenticationChallenge,
        credential: StoredWebAuthnCredential, now: Date
    ) throws(AccessError) -> AuthenticationResult {
        try checkFresh(issuedAt: pending.issuedAt, now: now)
        if !pending.allowedCredentialIds.isEmpty,
           !pending.allowedCredentialIds.contains(where: { SecretBytes.constantTimeEquals($0, response.credentialId) }) {
            throw AccessError(.unauthenticated, "authentication: the credential is not one of allowCredentials")
        }
        guard SecretBytes.constantTimeEquals(response.credentialId, credential.credentialId) else {
            throw AccessError(.unauthenticated, "authentication: the response's credential ID is not the stored credential's")
        }
        if let handle = response.userHandle {
            guard SecretBytes.constantTimeEquals(handle, credential.userHandle) else {
                throw AccessError(.unauthenticated, "authentication: userHandle does not belong to the credential's user")
            }
        } else if pending.allowedCredentialIds.isEmpty {
            throw AccessError(.unauthenticated, "authentication: a discoverable-credential sign-in must return userHandle")
        }
        let key = try COSEPublicKey(coseKey: credential.publicKeyCOSE)
        try CollectedClientData.verify(response.clientDataJSON, expectedType: "webauthn.get", challenge: pending.challenge, relyingParty: self)
        let authData = try AuthenticatorData(bytes: response.authenticatorData)
        try checkCommonFlags(authData, ceremony: "authentication")
        guard authData.flags.contains(.backupEligible) == credential.backupEligible else {
            throw AccessError(.unauthenticated, "authentication authenticatorData: backup eligibility (BE) changed since registration")
        }
        let clientDataHash = Array(SHA256.hash(data: response.clientDataJSON))
        guard key.isValidSignature(response.signature, for: response.authenticatorData + clientDataHash) else {
            throw AccessError(.unauthenticated, "authentication: the ES256 signature does not verify with the stored credential key")
        }
        let newCount = authData.signCount
        if newCount != 0 || credential.signCount != 0, newCount <= credential.signCount {
            throw AccessError(.unauthenticated, "authentication: signature counter \(newCount) is not above the stored \(credential.signCount); the authenticator may be cloned")
        }
        var updated = credential
        updated.signCount = newCount
        updated.backupState = authData.flags.contains(.backupState)
        updated.lastVerifiedAt = now
        return AuthenticationResult(
            credentialId: credential.credentialId,
            userHandle: credential.userHandle,
            newSignCount: newCount,
            userVerified: authData.flags.contains(.userVerified),
            verifiedAt: now,
            updatedCredential: updated
        )
    }
}
