import BulwarkAccess
import Foundation
import Testing

@Test func recoveryCodesAreSingleUseAndNormalised() throws {
    let (codes, stored) = try RecoveryCodes.generate()
    #expect(codes.count == 10 && stored.entries.count == 10 && stored.remaining == 10)
    #expect(Set(codes).count == 10)
    for code in codes {
        #expect(code.count == 19 && code.split(separator: "-").count == 4)
        #expect(!stored.entries.contains { $0.digest.contains(code.replacingOccurrences(of: "-", with: "")) })
    }
    // The stored digest is SHA-256 over the domain label, a zero byte and the canonical code;
    // peer value from Python:
    //   hashlib.sha256(b"bulwark recovery code v1\x00" + b"0123456789abcdef").hexdigest()
    let peer = #"{"entries":[{"digest":"b3908fc822d0039630fb588883b98882b84b79273ef3647019630ebe09d6b9a3"}]}"#
    let fromPeer = try JSONDecoder().decode(RecoveryCodes.self, from: Data(peer.utf8))
    #expect(try fromPeer.redeeming("0123-4567-89AB-CDEF", at: Date(timeIntervalSince1970: 0)).remaining == 0)

    let now = Date(timeIntervalSince1970: 1_800_000_000)
    // Upper case, spaces instead of dashes: still the code.
    let typed = codes[3].uppercased().replacingOccurrences(of: "-", with: " ")
    let afterOne = try stored.redeeming(typed, at: now)
    #expect(afterOne.remaining == 9 && afterOne.entries[3].usedAt == now)
    #expect { try afterOne.redeeming(codes[3], at: now) } throws: { error in
        (error as? AccessError)?.message == "recovery code was already used"
    }
    #expect { try afterOne.redeeming("0000-0000-0000-0000", at: now) } throws: { error in
        let error = error as? AccessError
        return error?.code == .unauthenticated && error?.message.contains("0000") == false
    }
    #expect(throws: AccessError.self) { try afterOne.redeeming("", at: now) }
    #expect(throws: AccessError.self) { try afterOne.redeeming(codes[4] + "0", at: now) }
    let decoded = try JSONDecoder().decode(RecoveryCodes.self, from: JSONEncoder().encode(afterOne))
    #expect(decoded == afterOne)
}

@Test func recoveryCodeNormalisationMapsLookAlikes() {
    #expect(RecoveryCodes.normalized("ABCD-EFGH-JKMN-PQRS") == "abcdefghjkmnpqrs")
    #expect(RecoveryCodes.normalized("o0Il 1234 5678 9abc") == "0011123456789abc")
    #expect(RecoveryCodes.normalized("uuuu-0000-0000-0000") == nil, "u is not in Crockford's alphabet")
    #expect(RecoveryCodes.normalized("0000-0000-0000") == nil)
    #expect(RecoveryCodes.normalized("0000-0000-0000-0000-0") == nil)
}
