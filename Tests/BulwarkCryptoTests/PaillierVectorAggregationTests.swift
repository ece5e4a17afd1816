import BulwarkCrypto
import Foundation
import Testing

/// Packed Paillier aggregation: sums and means equal the plaintext ones within the quantiser's
/// bound, slots never carry at the contributor limit, and every inconsistent input is refused.
@Suite struct PaillierVectorAggregationTests {
    static let keys = try! PaillierKeyPair.generate(bits: 512, insecureForTests: true)
    var pub: PaillierPublicKey { Self.keys.0 }
    var priv: PaillierPrivateKey { Self.keys.1 }

    /// A deterministic vector in [−1.2, 1.2] (some values beyond the clip range of 1).
    func vector(_ seed: Int, _ length: Int) -> [Float] {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        return (0..<length).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Double(state >> 11) / Double(1 << 53) * 2.4 - 1.2)
        }
    }

    @Test func sumOfManyContributionsMatchesThePlaintextSumOfClippedValues() throws {
        let scheme = try PaillierVectorAggregation(publicKey: pub, clipRange: 1, bitWidth: 32, maxSummands: 8)
        #expect(scheme.slotsPerCiphertext == 511 / 32)
        let length = 40  // three ciphertexts, the last one partly filled
        let inputs = (0..<8).map { vector($0, length) }
        let total = try scheme.sum(inputs.map { try scheme.encrypt($0) })
        #expect(total.ciphertexts.count == 3 && total.summands == 8)
        let decrypted = try scheme.decryptSum(total, privateKey: priv)
        let bound = 8 * 1 / (2 * Double(scheme.quantizer.levels)) + 1e-6
        for i in 0..<length {
            let expected = inputs.reduce(0.0) { $0 + Double(min(max($1[i], -1), 1)) }
            #expect(abs(Double(decrypted[i]) - expected) <= bound, "coordinate \(i)")
        }
        let mean = try scheme.decryptMean(total, privateKey: priv)
        #expect(abs(Double(mean[0]) - Double(decrypted[0]) / 8) < 1e-6)
    }

    @Test func extremeValuesAtTheContributorLimitDoNotCarryIntoNeighbouringSlots() throws {
        // 4-bit slots, 3 contributors: M = 2, offset values in [0, 4], sums up to 12 < 16.
        let scheme = try PaillierVectorAggregation(publicKey: pub, clipRange: 1, bitWidth: 4, maxSummands: 3)
        let up = [Float](repeating: 1, count: 300), down = [Float](repeating: -1, count: 300)
        var alternating = up
        for i in stride(from: 1, to: 300, by: 2) { alternating[i] = -1 }
        for inputs in [[up, up, up], [down, down, down], [alternating, alternating, alternating]] {
            let decrypted = try scheme.decryptSum(try scheme.sum(inputs.map { try scheme.encrypt($0) }), privateKey: priv)
            #expect(decrypted == inputs[0].map { $0 * 3 })
        }
        // a fourth contributor would overflow the slots: refused before any ciphertext is added
        let three = try scheme.sum([up, up, up].map { try scheme.encrypt($0) })
        #expect(throws: CryptoError.self) { try scheme.add(three, try scheme.encrypt(up)) }
    }

    @Test func theContributorCountIsCheckedAgainstTheDecryptedSlots() throws {
        let scheme = try PaillierVectorAggregation(publicKey: pub, clipRange: 1, bitWidth: 16, maxSummands: 4)
        let total = try scheme.sum([vector(1, 10), vector(2, 10), [Float](repeating: 1, count: 10)].map { try scheme.encrypt($0) })
        // An aggregator that claims fewer contributors than it added: slots beyond 2·n·M.
        let understated = EncryptedVectorSum(ciphertexts: total.ciphertexts, length: 10, summands: 1)
        #expect(throws: CryptoError.self) { try scheme.decryptSum(understated, privateKey: priv) }
        let wrongLength = EncryptedVectorSum(ciphertexts: total.ciphertexts, length: 100, summands: 3)
        #expect(throws: CryptoError.self) { try scheme.decryptSum(wrongLength, privateKey: priv) }
        #expect(throws: CryptoError.self) { try scheme.add(total, try scheme.encrypt(vector(3, 11))) }
        #expect(throws: CryptoError.self) { try scheme.encrypt([]) }
        #expect(throws: CryptoError.self) { try scheme.encrypt([0, .nan]) }
    }

    @Test func anotherKeyIsRefused() throws {
        let (otherPub, otherPriv) = try PaillierKeyPair.generate(bits: 512, insecureForTests: true)
        let scheme = try PaillierVectorAggregation(publicKey: pub, clipRange: 1, maxSummands: 2)
        let sum = try scheme.encrypt([0.5])
        #expect(throws: CryptoError.self) { try scheme.decryptSum(sum, privateKey: otherPriv) }
        let other = try PaillierVectorAggregation(publicKey: otherPub, clipRange: 1, maxSummands: 2)
        #expect(throws: CryptoError.self) { try other.decode(scheme.encode(sum)) }
    }

    @Test func jsonRoundTripsAndRefusesAnotherPackingOrGarbage() throws {
        let scheme = try PaillierVectorAggregation(publicKey: pub, clipRange: 0.5, bitWidth: 24, maxSummands: 5)
        let sum = try scheme.sum([vector(4, 30), vector(5, 30)].map { try scheme.encrypt($0) })
        let data = scheme.encode(sum)
        #expect(try scheme.decode(data) == sum)
        let wider = try PaillierVectorAggregation(publicKey: pub, clipRange: 0.5, bitWidth: 32, maxSummands: 5)
        #expect(throws: CryptoError.self) { try wider.decode(data) }
        #expect(throws: CryptoError.self) { try scheme.decode(Data("{}".utf8)) }
        #expect(throws: CryptoError.self) { try scheme.decode(Data("not json".utf8)) }
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object["ciphertexts"] = ["0", "1"]
        #expect(throws: CryptoError.self) { try scheme.decode(JSONSerialization.data(withJSONObject: object)) }
        // hostile counts: refused, never an arithmetic trap
        for (length, summands) in [(Int.max, 2), (30, Int.max), (30, 6), (-1, 2), (30, 0)] {
            var hostile = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            hostile["length"] = length
            hostile["summands"] = summands
            #expect(throws: CryptoError.self) { try scheme.decode(JSONSerialization.data(withJSONObject: hostile)) }
        }
        let overCount = EncryptedVectorSum(ciphertexts: sum.ciphertexts, length: 30, summands: Int.max)
        #expect(throws: CryptoError.self) { try scheme.add(overCount, overCount) }
    }

    @Test func aSlotWiderThanTheKeyIsRefused() throws {
        let tiny = try PaillierPublicKey(n: BigInt(decimal: "65539")!)  // 17 bits: no 32-bit slot fits
        #expect(throws: CryptoError.self) { try PaillierVectorAggregation(publicKey: tiny, clipRange: 1, bitWidth: 32, maxSummands: 2) }
    }
}
