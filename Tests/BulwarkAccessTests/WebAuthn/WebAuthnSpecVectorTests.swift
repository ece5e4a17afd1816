@testable import BulwarkAccess
import Testing

// The relying party checked against W3C WebAuthn Level 3 §16 (see Fixtures/SpecVectors.swift).

func specParty(allowCrossOrigin: Bool = false, userVerification: UserVerificationRequirement = .preferred,
               attestation: AttestationPolicy = .noneOrSelf) throws -> WebAuthnRelyingParty {
    try WebAuthnRelyingParty(id: SpecVectors.rpId, name: "Example", origins: [SpecVectors.origin],
                             allowCrossOrigin: allowCrossOrigin, userVerification: userVerification, attestation: attestation)
}

@Test func specNoneES256RegistersAndAuthenticates() throws {
    let party = try specParty()
    let credential = try register(SpecVectors.noneES256Registration, with: party)
    #expect(credential.credentialId == hexBytes("f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4"))
    #expect(credential.aaguid == hexBytes("8446ccb9ab1db374750b2367ff6f3a1f"))
    #expect(credential.publicKeyCOSE == specNoneCOSEKey)
    #expect(credential.attestationType == "none")
    #expect(credential.backupEligible && credential.backupState && !credential.userVerifiedAtRegistration)
    #expect(credential.signCount == 0)
    let result = try authenticate(SpecVectors.noneES256Authentication, credential: credential, with: party)
    #expect(result.newSignCount == 0)
    #expect(result.verifiedAt == verifyTime)
    #expect(result.updatedCredential.lastVerifiedAt == verifyTime)
}

@Test func specPackedSelfES256RegistersAndAuthenticates() throws {
    let party = try specParty(userVerification: .required)
    let credential = try register(SpecVectors.packedSelfES256Registration, with: party)
    #expect(credential.attestationType == "self")
    #expect(credential.userVerifiedAtRegistration)
    // The assertion (flags 0x09) has no UV: accepted when UV is preferred, refused when required.
    #expect(accessErrorCode { _ = try authenticate(SpecVectors.packedSelfES256Authentication, credential: credential, with: party) } == .unauthenticated)
    let result = try authenticate(SpecVectors.packedSelfES256Authentication, credential: credential, with: try specParty())
    #expect(!result.userVerified)
}

@Test func specCrossOriginIsRefusedUnlessAllowed() throws {
    let error = accessError { _ = try register(SpecVectors.crossOriginES256Registration, with: try specParty()) }
    #expect(error?.code == .unauthenticated)
    #expect(error?.message.contains("crossOrigin") == true)
    let party = try specParty(allowCrossOrigin: true)
    let credential = try register(SpecVectors.crossOriginES256Registration, with: party)
    let result = try authenticate(SpecVectors.crossOriginES256Authentication, credential: credential, with: party)
    #expect(result.userVerified)
}

@Test func specLongCredentialIdOf1023BytesIsAccepted() throws {
    let party = try specParty()
    let credential = try register(SpecVectors.longCredentialIdES256Registration, with: party)
    #expect(credential.credentialId.count == 1023)
    _ = try authenticate(SpecVectors.longCredentialIdES256Authentication, credential: credential, with: party)
}

@Test func specPackedFullAttestationFollowsThePolicy() throws {
    let error = accessError { _ = try register(SpecVectors.packedFullES256Registration, with: try specParty()) }
    #expect(error?.code == .unauthenticated)
    #expect(error?.message.contains("x5c") == true)
    let lenient = try specParty(attestation: .acceptOtherFormatsAsNone)
    let credential = try register(SpecVectors.packedFullES256Registration, with: lenient)
    #expect(credential.attestationType == "none")
    _ = try authenticate(SpecVectors.packedFullES256Authentication, credential: credential, with: lenient)
}

@Test func specES384CredentialIsRefusedAsUnsupported() throws {
    let error = accessError {
        _ = try register(SpecVectors.packedES384Registration, with: try specParty(attestation: .acceptOtherFormatsAsNone))
    }
    #expect(error?.code == .invalidParameter)
    #expect(error?.message.contains("algorithm -35 is not supported; supported: ES256") == true)
}
