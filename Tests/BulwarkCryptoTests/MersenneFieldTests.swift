import BulwarkCrypto
import Testing

@Suite struct MersenneFieldTests {
    let p = MersenneField.modulus

    @Test func knownInverses() throws {
        #expect(p == 2_305_843_009_213_693_951)
        #expect(try MersenneField(2).inverse().value == 1 << 60)  // 2 · 2⁶⁰ = 2⁶¹ ≡ 1
        #expect(try MersenneField(3).inverse().value == 1_537_228_672_809_129_301)  // (2⁶² − 1) / 3
        #expect(try MersenneField(p - 1).inverse().value == p - 1)  // −1 is its own inverse
        #expect(try MersenneField.one.inverse() == .one)
    }

    @Test func zeroHasNoInverseAndOutOfRangeValuesAreRefused() {
        #expect(throws: CryptoError.self) { try MersenneField.zero.inverse() }
        #expect(throws: CryptoError.self) { try MersenneField(exactly: self.p) }
        #expect(throws: CryptoError.self) { try MersenneField(exactly: .max) }
        #expect(MersenneField(p).value == 0)
        #expect(MersenneField(.max).value == UInt64.max % p)
    }

    /// Arithmetic against 128-bit reference arithmetic on seeded random elements.
    @Test func arithmeticMatchesWideIntegerReference() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 3, count: 32))
        let edge: [UInt64] = [0, 1, 2, p - 1, p - 2, 1 << 60, (1 << 61) - 2]
        var pairs = edge.flatMap { a in edge.map { (a, $0) } }
        for _ in 0..<2000 { pairs.append((MersenneField.random(using: &generator).value, MersenneField.random(using: &generator).value)) }
        for (a, b) in pairs {
            let x = MersenneField(a), y = MersenneField(b)
            #expect((x + y).value == UInt64((UInt128(a) + UInt128(b)) % UInt128(p)))
            #expect((x - y).value == UInt64((UInt128(a) + UInt128(p) - UInt128(b)) % UInt128(p)))
            #expect((x * y).value == UInt64((UInt128(a) * UInt128(b)) % UInt128(p)))
            if a != 0 { #expect(x * (try x.inverse()) == .one) }
        }
    }

    @Test func decodingRefusesNonCanonicalElements() throws {
        let decoder = JSONDecoderShim()
        #expect(try decoder.decodeField("12") == MersenneField(12))
        #expect(throws: (any Error).self) { try decoder.decodeField("\(self.p)") }
    }
}

/// JSON decoding without importing Foundation into the assertions above.
import Foundation
struct JSONDecoderShim {
    func decodeField(_ json: String) throws -> MersenneField {
        try JSONDecoder().decode(MersenneField.self, from: Data(json.utf8))
    }
}
