@testable import BulwarkAccess
import Foundation
import Testing

@Test func registrationAcceptsNoneAndPackedSelfFromSoftwareAuthenticator() throws {
    let party = try generatedParty(userVerification: .required)
    let none = try register(GeneratedVectors.regNone, with: party)
    #expect(none.attestationType == "none")
    #expect(none.credentialId == field(GeneratedVectors.regNone, "credentialId"))
    #expect(none.aaguid == field(GeneratedVectors.regNone, "aaguid"))
    #expect(none.userHandle == hexBytes(GeneratedVectors.userHandle))
    #expect(none.transports == ["internal"])
    #expect(none.createdAt == verifyTime)
    #expect(!none.backupEligible && !none.backupState)
    let packed = try register(GeneratedVectors.regPackedSelf, with: try generatedParty())
    #expect(packed.attestationType == "self")
    #expect(packed.backupEligible && packed.backupState && !packed.userVerifiedAtRegistration)
}

@Test func registrationRefusesWrongChallengeOriginAndRPID() throws {
    let vector = GeneratedVectors.regNone
    let wrongChallenge = accessError { _ = try register(vector, with: try generatedParty(), challenge: [UInt8](repeating: 7, count: 32)) }
    #expect(wrongChallenge?.code == .unauthenticated)
    #expect(wrongChallenge?.message.contains("challenge") == true)
    let wrongOrigin = accessError { _ = try register(vector, with: try generatedParty(origins: ["https://evil.test"])) }
    #expect(wrongOrigin?.code == .unauthenticated)
    #expect(wrongOrigin?.message.contains("origin") == true)
    let wrongRP = accessError { _ = try register(vector, with: try generatedParty(id: "other.test")) }
    #expect(wrongRP?.code == .unauthenticated)
    #expect(wrongRP?.message.contains("rpIdHash") == true)
}

@Test func registrationRefusesAssertionClientData() throws {
    // clientDataJSON of type webauthn.get offered to a registration.
    var vector = GeneratedVectors.regNone
    vector["clientDataJSON"] = GeneratedVectors.authNoneCount5["clientDataJSON"]
    vector["challenge"] = GeneratedVectors.authNoneCount5["challenge"]
    let error = accessError { _ = try register(vector, with: try generatedParty()) }
    #expect(error?.message.contains("type 'webauthn.get', expected 'webauthn.create'") == true)
}

@Test func registrationRefusesMissingUserPresenceAndUnverifiedUserWhenRequired() throws {
    let noUP = accessError { _ = try register(GeneratedVectors.regNoUserPresence, with: try generatedParty()) }
    #expect(noUP?.code == .unauthenticated)
    #expect(noUP?.message.contains("UP") == true)
    let noUV = accessError { _ = try register(GeneratedVectors.regPackedSelf, with: try generatedParty(userVerification: .required)) }
    #expect(noUV?.code == .unauthenticated)
    #expect(noUV?.message.contains("UV") == true)
}

@Test func registrationRefusesBadSelfAttestationSignature() throws {
    let error = accessError { _ = try register(GeneratedVectors.regPackedSelfWrongKey, with: try generatedParty()) }
    #expect(error?.code == .unauthenticated)
    #expect(error?.message.contains("self-attestation signature") == true)
}

@Test func registrationRefusesUnsupportedAlgorithms() throws {
    for vector in [GeneratedVectors.regES384Key, GeneratedVectors.regEd25519Key] {
        let error = accessError { _ = try register(vector, with: try generatedParty()) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message.contains("supported: ES256") == true)
    }
}

@Test func registrationRefusesOtherAttestationFormatsUnlessPolicyAllows() throws {
    let error = accessError { _ = try register(GeneratedVectors.regFidoU2F, with: try generatedParty()) }
    #expect(error?.code == .unauthenticated)
    #expect(error?.message.contains("'fido-u2f' is not accepted") == true)
    let credential = try register(GeneratedVectors.regFidoU2F, with: try generatedParty(attestation: .acceptOtherFormatsAsNone))
    #expect(credential.attestationType == "none")
}

@Test func registrationRefusesMalformedAttestationObjects() throws {
    let valid = field(GeneratedVectors.regNone, "attestationObject")
    let cases: [[UInt8]] = [
        [],                                        // empty
        Array(valid.dropLast()),                   // truncated COSE key
        valid + [0x00],                            // trailing byte
        hexBytes("a0"),                            // empty map
        hexBytes("5f42010243030405ff"),            // indefinite length
        hexBytes("a363666d74646e6f6e656761747453746d74a068617574684461746141ff"), // 1-byte authData
    ]
    for bytes in cases {
        var vector = GeneratedVectors.regNone
        vector["attestationObject"] = bytes.map { String(format: "%02x", $0) }.joined()
        #expect(accessErrorCode { _ = try register(vector, with: try generatedParty()) } == .malformed)
    }
}

@Test func registrationRefusesMismatchedRawIdExcludedCredentialAndStaleChallenge() throws {
    let party = try generatedParty()
    var vector = GeneratedVectors.regNone
    vector["credentialId"] = String(repeating: "ab", count: 32)
    #expect(accessErrorCode { _ = try register(vector, with: party) } == .unauthenticated)
    let first = try register(GeneratedVectors.regNone, with: party)
    let again = accessError { _ = try register(GeneratedVectors.regNone, with: party, exclude: [first]) }
    #expect(again?.message.contains("excludeCredentials") == true)
    let late = issueTime.addingTimeInterval(Double(party.timeoutSeconds) + 1)
    #expect(accessErrorCode { _ = try register(GeneratedVectors.regNone, with: party, now: late) } == .expired)
}

@Test func registrationOptionsAreBrowserJSON() throws {
    let party = try generatedParty(userVerification: .required)
    let existing = try register(GeneratedVectors.regNone, with: party)
    let pending = try party.beginRegistration(user: try testUser(), excludeCredentials: [existing], now: issueTime)
    #expect(pending.challenge.count == 32)
    let other = try party.beginRegistration(user: try testUser(), excludeCredentials: [], now: issueTime)
    #expect(other.challenge != pending.challenge)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(pending.optionsJSON().utf8)) as? [String: Any])
    #expect((object["rp"] as? [String: String])?["id"] == "bulwark.test")
    #expect((object["user"] as? [String: String])?["id"] == Base64URL.encode(hexBytes(GeneratedVectors.userHandle)))
    #expect(object["challenge"] as? String == Base64URL.encode(pending.challenge))
    let params = try #require(object["pubKeyCredParams"] as? [[String: Any]])
    #expect(params.count == 1 && params[0]["alg"] as? Int == -7 && params[0]["type"] as? String == "public-key")
    let excluded = try #require(object["excludeCredentials"] as? [[String: Any]])
    #expect(excluded.first?["id"] as? String == Base64URL.encode(existing.credentialId))
    #expect((object["authenticatorSelection"] as? [String: String])?["userVerification"] == "required")
    #expect(object["timeout"] as? Int == 300_000)
    #expect(accessErrorCode { _ = try party.beginRegistration(user: try testUser(), excludeCredentials: [], now: issueTime, challenge: [1, 2, 3]) } == .invalidParameter)
}

@Test func registrationResponseReadsToJSONForm() throws {
    let vector = GeneratedVectors.regNone
    let json = """
    {"id":"\(Base64URL.encode(field(vector, "credentialId")))","rawId":"\(Base64URL.encode(field(vector, "credentialId")))",
     "type":"public-key","clientExtensionResults":{},"authenticatorAttachment":"platform",
     "response":{"clientDataJSON":"\(Base64URL.encode(field(vector, "clientDataJSON")))",
                 "attestationObject":"\(Base64URL.encode(field(vector, "attestationObject")))","transports":["internal","hybrid"]}}
    """
    let response = try RegistrationResponse(json: Array(json.utf8))
    #expect(response.attestationObject == field(vector, "attestationObject"))
    #expect(response.transports == ["internal", "hybrid"])
    #expect(accessErrorCode { _ = try RegistrationResponse(json: Array("{\"rawId\":\"a+b\"}".utf8)) } == .malformed)
}

@Test func storedCredentialRoundTripsThroughJSON() throws {
    let credential = try register(GeneratedVectors.regPackedSelf, with: try generatedParty())
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let data = try encoder.encode(credential)
    #expect(String(decoding: data, as: UTF8.self).contains("\"credentialId\":\"\(Base64URL.encode(credential.credentialId))\""))
    #expect(try JSONDecoder().decode(StoredWebAuthnCredential.self, from: data) == credential)
}

@Test func relyingPartyRefusesBadConfiguration() {
    #expect(accessErrorCode { _ = try WebAuthnRelyingParty(id: "", name: "x", origins: ["https://a.test"]) } == .invalidParameter)
    #expect(accessErrorCode { _ = try WebAuthnRelyingParty(id: "a.test", name: "x", origins: []) } == .invalidParameter)
    #expect(accessErrorCode { _ = try WebAuthnRelyingParty(id: "a.test", name: "x", origins: ["http://a.test"]) } == .invalidParameter)
    #expect(accessErrorCode { _ = try WebAuthnRelyingParty(id: "a.test", name: "x", origins: ["https://a.test"], timeoutSeconds: 0) } == .invalidParameter)
    #expect(accessErrorCode { _ = try WebAuthnUser(handle: [], name: "a", displayName: "A") } == .invalidParameter)
}
