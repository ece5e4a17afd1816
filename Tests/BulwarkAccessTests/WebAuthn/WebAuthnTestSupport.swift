@testable import BulwarkAccess
import Foundation

/// Bytes from a hex string; the fixtures are generated, so a bad digit is a fixture bug.
func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return out
}

/// The field `key` of a fixture vector as bytes (empty when absent).
func field(_ vector: [String: String], _ key: String) -> [UInt8] { hexBytes(vector[key] ?? "") }

let issueTime = Date(timeIntervalSince1970: 1_800_000_000)
let verifyTime = issueTime.addingTimeInterval(10)

func testUser() throws -> WebAuthnUser {
    try WebAuthnUser(handle: hexBytes(GeneratedVectors.userHandle), name: "alice@bulwark.test", displayName: "Alice")
}

/// The relying party of the generated vectors, with policy overrides.
func generatedParty(
    id: String = GeneratedVectors.rpId, origins: [String] = [GeneratedVectors.origin],
    userVerification: UserVerificationRequirement = .preferred, attestation: AttestationPolicy = .noneOrSelf
) throws -> WebAuthnRelyingParty {
    try WebAuthnRelyingParty(id: id, name: "Bulwark test", origins: origins, userVerification: userVerification, attestation: attestation)
}

/// Registers `vector` with `party`, issuing the vector's own challenge (or `challenge`).
func register(
    _ vector: [String: String], with party: WebAuthnRelyingParty, challenge: [UInt8]? = nil,
    exclude: [StoredWebAuthnCredential] = [], now: Date = verifyTime
) throws -> StoredWebAuthnCredential {
    let pending = try party.beginRegistration(user: try testUser(), excludeCredentials: exclude, now: issueTime,
                                              challenge: challenge ?? field(vector, "challenge"))
    let response = RegistrationResponse(
        credentialId: field(vector, "credentialId").isEmpty ? field(vector, "credential_id") : field(vector, "credentialId"),
        clientDataJSON: field(vector, "clientDataJSON"),
        attestationObject: field(vector, "attestationObject"),
        transports: ["internal"]
    )
    return try party.finishRegistration(response, challenge: pending, now: now)
}

/// Verifies assertion `vector` against `credential`, issuing the vector's own challenge.
func authenticate(
    _ vector: [String: String], credential: StoredWebAuthnCredential, with party: WebAuthnRelyingParty,
    allow: [StoredWebAuthnCredential]? = nil, signature: [UInt8]? = nil, userHandle: [UInt8]?? = nil
) throws -> AuthenticationResult {
    let pending = try party.beginAuthentication(allowCredentials: allow ?? [credential], now: issueTime,
                                                challenge: field(vector, "challenge"))
    let handle = field(vector, "userHandle")
    let response = AuthenticationResponse(
        credentialId: credential.credentialId,
        clientDataJSON: field(vector, "clientDataJSON"),
        authenticatorData: field(vector, "authenticatorData"),
        signature: signature ?? field(vector, "signature"),
        userHandle: userHandle ?? (handle.isEmpty ? nil : handle)
    )
    return try party.finishAuthentication(response, challenge: pending, credential: credential, now: verifyTime)
}

/// The code of the `AccessError` that `body` throws, or `nil` when it does not throw one.
func accessErrorCode(_ body: () throws -> Void) -> AccessError.Code? {
    do { try body() } catch let error as AccessError { return error.code } catch { return nil }
    return nil
}

/// The `AccessError` that `body` throws, or `nil`.
func accessError(_ body: () throws -> Void) -> AccessError? {
    do { try body() } catch let error as AccessError { return error } catch { return nil }
    return nil
}
