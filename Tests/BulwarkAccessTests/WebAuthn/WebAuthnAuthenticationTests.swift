@testable import BulwarkAccess
import Foundation
import Testing

private func registeredNone(_ party: WebAuthnRelyingParty) throws -> StoredWebAuthnCredential {
    try register(GeneratedVectors.regNone, with: party)
}

@Test func authenticationVerifiesAndAdvancesTheCounter() throws {
    let party = try generatedParty(userVerification: .required)
    let credential = try registeredNone(party)
    let first = try authenticate(GeneratedVectors.authNoneCount5, credential: credential, with: party)
    #expect(first.newSignCount == 5)
    #expect(first.userVerified)
    #expect(first.userHandle == credential.userHandle)
    #expect(first.updatedCredential.signCount == 5)
    let second = try authenticate(GeneratedVectors.authNoneCount6Extensions, credential: first.updatedCredential, with: party)
    #expect(second.newSignCount == 6)
    // Replaying the first assertion against the updated record is a counter regression.
    let replay = accessError { _ = try authenticate(GeneratedVectors.authNoneCount5, credential: second.updatedCredential, with: party) }
    #expect(replay?.code == .unauthenticated)
    #expect(replay?.message.contains("may be cloned") == true)
}

@Test func authenticationAppliesTheSignCountRule() throws {
    let party = try generatedParty()
    var credential = try registeredNone(party)
    credential.signCount = 5 // equal to the new count: refused
    #expect(accessErrorCode { _ = try authenticate(GeneratedVectors.authNoneCount5, credential: credential, with: party) } == .unauthenticated)
    credential.signCount = 4
    #expect(try authenticate(GeneratedVectors.authNoneCount5, credential: credential, with: party).newSignCount == 5)
    // An authenticator without a counter (0 before and after) is accepted.
    let packed = try register(GeneratedVectors.regPackedSelf, with: party)
    #expect(try authenticate(GeneratedVectors.authPackedSelfCount0, credential: packed, with: party).newSignCount == 0)
    // A counter that falls back to 0 after being non-zero is refused (§7.2 step 22).
    var used = packed
    used.signCount = 3
    #expect(accessErrorCode { _ = try authenticate(GeneratedVectors.authPackedSelfCount0, credential: used, with: party) } == .unauthenticated)
}

@Test func authenticationRefusesBadSignatures() throws {
    let party = try generatedParty()
    let credential = try registeredNone(party)
    var flipped = field(GeneratedVectors.authNoneCount5, "signature")
    flipped[flipped.count - 1] ^= 0x01
    for signature in [flipped, [], [0x30, 0x00], field(GeneratedVectors.authNoneCount6Extensions, "signature")] {
        let error = accessError { _ = try authenticate(GeneratedVectors.authNoneCount5, credential: credential, with: party, signature: signature) }
        #expect(error?.code == .unauthenticated)
        #expect(error?.message.contains("signature does not verify") == true)
    }
    // The right signature under another credential's key.
    var otherKey = credential
    otherKey.publicKeyCOSE = specNoneCOSEKey
    #expect(accessErrorCode { _ = try authenticate(GeneratedVectors.authNoneCount5, credential: otherKey, with: party) } == .unauthenticated)
}

@Test func authenticationRefusesWrongChallengeOriginRPIDAndType() throws {
    let party = try generatedParty()
    let credential = try registeredNone(party)
    var wrongChallenge = GeneratedVectors.authNoneCount5
    wrongChallenge["challenge"] = GeneratedVectors.authNoneCount6Extensions["challenge"]
    #expect(accessError { _ = try authenticate(wrongChallenge, credential: credential, with: party) }?.message.contains("challenge") == true)
    let elsewhere = try generatedParty(origins: ["https://evil.test"])
    #expect(accessError { _ = try authenticate(GeneratedVectors.authNoneCount5, credential: credential, with: elsewhere) }?.message.contains("origin") == true)
    let otherRP = try generatedParty(id: "evil.test")
    #expect(accessError { _ = try authenticate(GeneratedVectors.authNoneCount5, credential: credential, with: otherRP) }?.message.contains("rpIdHash") == true)
    // A registration's clientDataJSON (type webauthn.create) offered as an assertion.
    var wrongType = GeneratedVectors.authNoneCount5
    wrongType["clientDataJSON"] = GeneratedVectors.regNone["clientDataJSON"]
    wrongType["challenge"] = GeneratedVectors.regNone["challenge"]
    #expect(accessError { _ = try authenticate(wrongType, credential: credential, with: party) }?.message.contains("expected 'webauthn.get'") == true)
}

@Test func authenticationRefusesMissingUserPresence() throws {
    let party = try generatedParty()
    let credential = try registeredNone(party)
    let error = accessError { _ = try authenticate(GeneratedVectors.authNoneNoUserPresence, credential: credential, with: party) }
    #expect(error?.code == .unauthenticated)
    #expect(error?.message.contains("user-present (UP)") == true)
}

@Test func authenticationChecksUserHandleAllowListAndBackupEligibility() throws {
    let party = try generatedParty()
    let credential = try registeredNone(party)
    #expect(accessError { _ = try authenticate(GeneratedVectors.authNoneCount5, credential: credential, with: party, userHandle: .some([9, 9])) }?.message.contains("userHandle") == true)
    // Discoverable sign-in (empty allow list) without a user handle.
    #expect(accessErrorCode { _ = try authenticate(GeneratedVectors.authNoneCount5, credential: credential, with: party, allow: [], userHandle: .some(nil)) } == .unauthenticated)
    #expect(try authenticate(GeneratedVectors.authNoneCount5, credential: credential, with: party, allow: []).newSignCount == 5)
    // A credential outside allowCredentials.
    let packed = try register(GeneratedVectors.regPackedSelf, with: party)
    #expect(accessError { _ = try authenticate(GeneratedVectors.authNoneCount5, credential: credential, with: party, allow: [packed]) }?.message.contains("allowCredentials") == true)
    var flipped = credential
    flipped.backupEligible = true
    #expect(accessError { _ = try authenticate(GeneratedVectors.authNoneCount5, credential: flipped, with: party) }?.message.contains("BE") == true)
}

@Test func authenticationRefusesStaleChallengeAndMalformedAuthenticatorData() throws {
    let party = try generatedParty()
    let credential = try registeredNone(party)
    let pending = try party.beginAuthentication(allowCredentials: [credential], now: issueTime, challenge: field(GeneratedVectors.authNoneCount5, "challenge"))
    let response = AuthenticationResponse(
        credentialId: credential.credentialId,
        clientDataJSON: field(GeneratedVectors.authNoneCount5, "clientDataJSON"),
        authenticatorData: field(GeneratedVectors.authNoneCount5, "authenticatorData"),
        signature: field(GeneratedVectors.authNoneCount5, "signature"))
    #expect(accessErrorCode { _ = try party.finishAuthentication(response, challenge: pending, credential: credential, now: issueTime.addingTimeInterval(301)) } == .expired)
    #expect(accessErrorCode { _ = try party.finishAuthentication(response, challenge: pending, credential: credential, now: issueTime.addingTimeInterval(-1)) } == .expired)
    for bytes in [Array(response.authenticatorData.prefix(36)), response.authenticatorData + [0], Array(response.authenticatorData.dropLast())] {
        var bad = response
        bad.authenticatorData = bytes
        #expect(accessErrorCode { _ = try party.finishAuthentication(bad, challenge: pending, credential: credential, now: verifyTime) } == .malformed)
    }
    var badJSON = response
    badJSON.clientDataJSON = Array("{\"type\":1}".utf8)
    #expect(accessErrorCode { _ = try party.finishAuthentication(badJSON, challenge: pending, credential: credential, now: verifyTime) } == .malformed)
}

@Test func authenticationOptionsAndResponseJSON() throws {
    let party = try generatedParty()
    let credential = try registeredNone(party)
    let pending = try party.beginAuthentication(allowCredentials: [credential], now: issueTime)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(pending.optionsJSON().utf8)) as? [String: Any])
    #expect(object["rpId"] as? String == "bulwark.test")
    #expect(object["userVerification"] as? String == "preferred")
    #expect((object["allowCredentials"] as? [[String: Any]])?.first?["id"] as? String == Base64URL.encode(credential.credentialId))
    let vector = GeneratedVectors.authNoneCount5
    let json = """
    {"id":"x","rawId":"\(Base64URL.encode(credential.credentialId))","type":"public-key","clientExtensionResults":{},
     "response":{"clientDataJSON":"\(Base64URL.encode(field(vector, "clientDataJSON")))","authenticatorData":"\(Base64URL.encode(field(vector, "authenticatorData")))",
                 "signature":"\(Base64URL.encode(field(vector, "signature")))","userHandle":"\(Base64URL.encode(field(vector, "userHandle")))"}}
    """
    let response = try AuthenticationResponse(json: Array(json.utf8))
    #expect(response.userHandle == credential.userHandle)
    #expect(response.signature == field(vector, "signature"))
}
