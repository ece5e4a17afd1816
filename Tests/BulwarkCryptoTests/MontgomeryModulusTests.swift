@testable import BulwarkCrypto
import Testing

/// libcrypto's Montgomery exponentiation (``MontgomeryModulus``) against GMP's `mpz_powm` on
/// random operands of Paillier's sizes and on edge cases; values cross the GMP/libcrypto boundary
/// both ways, so the limb conversions are checked too.
@Suite struct MontgomeryModulusTests {
    @Test func agreesWithGMPOnRandomOperands() throws {
        for bits in [64, 128, 1000, 2048, 4096] {
            let modulus = BigInt.randomBits(bits) + BigInt(1).shifted(left: bits - 1) // exactly `bits` bits
            let odd = modulus.isOdd ? modulus : modulus + 1
            let prepared = try MontgomeryModulus(odd, secret: false), secret = try MontgomeryModulus(odd, secret: true)
            for exponentBits in [1, 7, 64, bits] {
                let base = BigInt.randomBits(bits + 10)   // above the modulus: reduced first
                let exponent = BigInt.randomBits(exponentBits) + 1
                let expected = base.power(exponent, modulus: odd)
                #expect(try prepared.power(base, exponent) == expected, "\(bits)-bit modulus, \(exponentBits)-bit exponent")
                #expect(try secret.powerSecure(base, exponent) == expected, "\(bits)-bit modulus, \(exponentBits)-bit exponent (constant time)")
            }
        }
    }

    @Test func edgeCases() throws {
        let m = try MontgomeryModulus(BigInt(1_000_000_007), secret: false)
        #expect(try m.power(BigInt(3), BigInt(1_000_000_006)).intValue == 1)      // Fermat
        #expect(try m.power(BigInt(-2), BigInt(3)).intValue == 1_000_000_007 - 8)  // negative base reduced
        #expect(try m.power(BigInt(0), BigInt(5)).intValue == 0)
        #expect(try m.power(BigInt(5), BigInt(0)).intValue == 1)
        #expect(try m.power(BigInt(1_000_000_007), BigInt(2)).intValue == 0)        // base = modulus
        #expect(throws: CryptoError.self) { try m.power(BigInt(2), BigInt(-1)) }
        #expect(throws: CryptoError.self) { try m.powerSecure(BigInt(2), BigInt(0)) }
        #expect(throws: CryptoError.self) { try MontgomeryModulus(BigInt(10), secret: false) }
        #expect(throws: CryptoError.self) { try MontgomeryModulus(BigInt(1), secret: false) }
        #expect(throws: CryptoError.self) { try MontgomeryModulus(BigInt(-7), secret: false) }
    }

    @Test func limbConversionsRoundTrip() {
        for value in [BigInt(0), BigInt(1), BigInt(1).shifted(left: 64), BigInt(1).shifted(left: 64) - 1, BigInt.randomBits(4099)] {
            let bignum = value.makeBIGNUM()!
            defer { freeBIGNUM(bignum) }
            #expect(BigInt(bignum: bignum) == value)
        }
    }
}
