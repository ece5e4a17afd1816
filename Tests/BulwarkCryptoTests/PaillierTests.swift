import BulwarkCrypto
import Foundation
import Testing

/// Paillier: round trips, homomorphic identities, python-paillier's encoding, CRT decryption
/// against the textbook formula, pheutil formats and hostile inputs. Keys are 512-bit
/// (`insecureForTests`) so the suite stays fast; nothing here depends on the key size.
@Suite struct PaillierTests {
    static let keys = try! PaillierKeyPair.generate(bits: 512, insecureForTests: true)
    var pub: PaillierPublicKey { Self.keys.0 }
    var priv: PaillierPrivateKey { Self.keys.1 }

    @Test func keyGenerationGivesExactBitLengthAndDistinctPrimes() throws {
        let (p, s) = try PaillierKeyPair.generate(bits: 256, insecureForTests: true)
        #expect(p.bits == 256)
        #expect(s.p != s.q)
        #expect(s.p * s.q == p.n)
        #expect(s.p.bitWidth == 128 && s.q.bitWidth == 128)
        #expect(s.p.isProbablePrime() && s.q.isProbablePrime())
    }

    @Test func smallKeysAreRefusedWithoutTheTestFlag() {
        #expect(throws: CryptoError.self) { try PaillierKeyPair.generate(bits: 512) }
        #expect(throws: CryptoError.self) { try PaillierKeyPair.generate(bits: 511, insecureForTests: true) }
        #expect(PaillierKeyPair.defaultBits == 2048)
    }

    @Test(arguments: [0.0, 1.0, -1.0, 3.141592653589793, -2.5e-7, 123456.789, 1e20, -5e-300])
    func doublesRoundTripExactly(_ x: Double) throws {
        let decrypted = try priv.decrypt(try pub.encrypt(x))
        #expect(decrypted.doubleValue == x)
    }

    @Test func integersRoundTripExactlyUpToMaxInt() throws {
        let big = BigInt(decimal: "-98765432109876543210987654321")!
        #expect(try priv.decrypt(try pub.encrypt(big)).integerValue == big)
        #expect(try priv.decrypt(try pub.encrypt(pub.maxInt)).integerValue == pub.maxInt)
        #expect(try priv.decrypt(try pub.encrypt(-pub.maxInt)).integerValue == -pub.maxInt)
        #expect(throws: CryptoError.self) { try pub.encrypt(pub.maxInt + 1) }
        #expect(throws: CryptoError.self) { try pub.encrypt(-(pub.maxInt + 1)) }
    }

    @Test func encryptionIsRandomised() throws {
        let a = try pub.encrypt(7), b = try pub.encrypt(7)
        #expect(a.value != b.value)
        let c = try pub.rerandomized(a)
        #expect(c.value != a.value)
        #expect(try priv.decrypt(c).integerValue == BigInt(7))
    }

    @Test func homomorphicIdentities() throws {
        let a = try pub.encrypt(1.5), b = try pub.encrypt(-40)
        #expect(try priv.decrypt(try pub.add(a, b)).decimalString == "-38.5")
        #expect(try priv.decrypt(try pub.add(a, 0.25)).decimalString == "1.75")
        #expect(try priv.decrypt(try pub.multiply(a, by: -3.0)).decimalString == "-4.5")
        #expect(try priv.decrypt(try pub.multiply(b, by: BigInt(5))).decimalString == "-200")
        #expect(try priv.decrypt(try pub.multiply(b, by: 0.0)).decimalString == "0")
        let lowered = try pub.decreaseExponent(a, to: a.exponent - 3)
        #expect(lowered.exponent == a.exponent - 3)
        #expect(try priv.decrypt(lowered).decimalString == "1.5")
        #expect(throws: CryptoError.self) { try pub.decreaseExponent(a, to: a.exponent + 1) }
    }

    @Test func encodingFollowsPythonPaillier() throws {
        // phe: EncodedNumber.encode(pk, 0.1).exponent == -14; encode(pk, 1).exponent == 0;
        // encode(pk, 15.5, precision=1e-3).exponent == floor(log16(1e-3)) == -3
        #expect(try PaillierEncodedNumber.encode(0.1, publicKey: pub).exponent == -14)
        #expect(try PaillierEncodedNumber.encode(BigInt(1), publicKey: pub).exponent == 0)
        let p = try PaillierEncodedNumber.encode(15.5, publicKey: pub, precision: 1e-3)
        #expect(p.exponent == -3)
        #expect(p.encoding == BigInt(63488))
        // negatives are n − |m|
        let neg = try PaillierEncodedNumber.encode(BigInt(-5), publicKey: pub)
        #expect(neg.encoding == pub.n - 5)
        // ties round half to even at precision 1 (exponent 0): 2.5 → 2, 3.5 → 4 (Python's round)
        #expect(try PaillierEncodedNumber.encode(2.5, publicKey: pub, precision: 1).encoding == BigInt(2))
        #expect(try PaillierEncodedNumber.encode(3.5, publicKey: pub, precision: 1).encoding == BigInt(4))
        #expect(try PaillierEncodedNumber.encode(-2.5, publicKey: pub, precision: 1).encoding == pub.n - 2)
        // maxExponent only caps: 2.5's own exponent (−13) is below 0
        #expect(try PaillierEncodedNumber.encode(2.5, publicKey: pub, maxExponent: 0).exponent == -13)
        #expect(try PaillierEncodedNumber.encode(2.5, publicKey: pub, maxExponent: -20).exponent == -20)
        #expect(throws: CryptoError.self) { try PaillierEncodedNumber.encode(.infinity, publicKey: pub) }
        #expect(throws: CryptoError.self) { try PaillierEncodedNumber.encode(.nan, publicKey: pub) }
    }

    @Test func decodingDetectsOverflow() throws {
        let band = PaillierEncodedNumber(encoding: pub.maxInt + 1, exponent: 0)
        #expect(throws: CryptoError.self) { try band.decode(publicKey: pub) }
        let huge = try pub.encrypt(pub.maxInt)
        #expect(throws: CryptoError.self) { try priv.decrypt(try pub.add(huge, huge)) }
        #expect(PaillierNumber(mantissa: BigInt(-3), exponent: -1).decimalString == "-0.1875")
        #expect(PaillierNumber(mantissa: BigInt(3), exponent: 2).decimalString == "768")
        #expect(PaillierNumber(mantissa: BigInt(1), exponent: -32).doubleValue == pow(2.0, -128))
    }

    @Test func crtDecryptionEqualsTheTextbookFormula() throws {
        for x in [0.0, 1.0, -77.125, 9.5e12] {
            let c = try pub.encrypt(x)
            let crt = try priv.decryptEncoded(c), plain = try priv.decryptEncodedWithoutCRT(c)
            #expect(crt == plain)
            // and (1 + m·n) · rⁿ really is the ciphertext form: c · (1 − m·n) is an n-th power
            let m = crt.encoding
            let residue = c.value.multiplied(by: (BigInt(1) - m * pub.n).modulo(pub.nSquare), modulo: pub.nSquare)
            let lambda = (priv.p - 1) * (priv.q - 1)
            #expect(residue.power(lambda, modulus: pub.nSquare) == BigInt(1))
        }
    }

    @Test func batchOperationsMatchOneByOne() throws {
        let xs = (0..<13).map { Double($0) * 1.25 - 7 }
        let ws = (0..<13).map { Double($0 % 5) - 2.5 }
        let cts = try pub.encrypt(xs)
        #expect(try priv.decrypt(cts).map(\.doubleValue) == xs)
        let sums = try pub.add(cts, cts)
        #expect(try priv.decrypt(sums).map(\.doubleValue) == xs.map { 2 * $0 })
        let products = try pub.multiply(cts, by: ws)
        #expect(try priv.decrypt(products).map(\.doubleValue) == zip(xs, ws).map { $0 * $1 })
        let score = try priv.decrypt(try pub.dot(cts, weights: ws))
        #expect(score.doubleValue == zip(xs, ws).map { $0 * $1 }.reduce(0, +))
        #expect(try priv.decrypt(try pub.sum(cts)).doubleValue == xs.reduce(0, +))
        #expect(throws: CryptoError.self) { try pub.add(cts, Array(cts.dropLast())) }
        #expect(throws: CryptoError.self) { try pub.dot([], weights: [Double]()) }
    }

    @Test func pheutilJSONRoundTrips() throws {
        let pubData = PaillierJSON.jwk(pub, kid: "test")
        let object = try #require(try JSONSerialization.jsonObject(with: pubData) as? [String: Any])
        #expect(object["kty"] as? String == "DAJ" && object["alg"] as? String == "PAI-GN1")
        #expect(object["key_ops"] as? [String] == ["encrypt"])
        #expect(!(object["n"] as? String ?? "=").contains("="))
        #expect(try PaillierJSON.publicKey(jwk: pubData) == pub)
        let privData = PaillierJSON.jwk(priv, kid: "k", publicKid: "test")
        let back = try PaillierJSON.privateKey(jwk: privData)
        #expect(back.p == priv.p && back.q == priv.q && back.publicKey == pub)
        let c = try pub.encrypt(-12.5)
        let read = try PaillierJSON.ciphertexts(PaillierJSON.ciphertext(c), key: pub)
        #expect(read == [c])
        #expect(try PaillierJSON.ciphertexts(PaillierJSON.ciphertexts([c, c]), key: pub).count == 2)
    }

    /// Made with phe 1.5 (gmpy2): p = next_prime(2^255 + 12345), q = next_prime(2^255 + 2^200 + 999),
    /// `pub.encrypt(v, r_value=7)` and `EncodedNumber.encode(pub, v)` for each v, `int_to_base64(n)`.
    static let kat: [(value: Double, ciphertext: String, exponent: Int, encoding: String)] = [
        (5, "5329280932618229099085639345471785875033763030814019046514350286003075506190704881181907611871172116028431673358233245544203916086658800353874844152781963754161627738319124527401503771081004808494161923498280751947789019342794943038627114679557196459106016500961866006559319679580269716425564570651469688738", 0, "5"),
        (-2.5, "4170266506810145177099690053943082583733161369769081901056932823693969607768662233387791521465964565672202808941332919009958487924244120709737407351212520002602012142801373831413187402285678016601064710675099928792050531170992484036492248909943451968962161757814399124821521414005417982525678430795570109937", -13, "3351951982485649367928862959389143522183288864812678741696984528907152724326444534372401092882014008425130671629734763782337727810041941238706725527215777"),
        (0.1, "2439450043262150983465533809488216087627674744555685659623209574378091163831960149331201619039639747933789372592131474725948758346085093914045642577150715277437234941325106550756794226840417674856908833705607574817985181483630860571382560601318099344607689773933746471739119110998669555091092897553318842288", -14, "7205759403792794"),
        (123456.789, "667489641947285503223593380824004586227138291515130588867066477914236942492140502977573665525773072490644785881399365561525876075114330250945836793678356219334896129090179385889635079858418794657275020047352664088855066410592812635486054521629897525969717693416151921665834774381633805800144121635232053685", -9, "8483885939586761"),
    ]

    @Test func pythonPaillierKnownAnswers() throws {
        let p = BigInt(decimal: "57896044618658097711785492504343953926634992332820282019728792003956564832381")!
        let q = BigInt(decimal: "57896044618658099318723536763334229468597084673982884541931785786749400122357")!
        let key = try PaillierPublicKey(n: p * q)
        let priv = try PaillierPrivateKey(publicKey: key, p: q, q: p)
        #expect(PaillierJSON.base64url(key.n) == "QAAAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAGjkAAAAAADB9AAAAAAAAAAAAAAAAAAAAAAAAAAAAAL_eoQ")
        for (value, ciphertext, exponent, encoding) in Self.kat {
            // phe encoded 5 as a Python int (exponent 0), the others as floats
            let encoded = exponent == 0 ? try PaillierEncodedNumber.encode(BigInt(Int(value)), publicKey: key)
                                        : try PaillierEncodedNumber.encode(value, publicKey: key)
            #expect(encoded.exponent == exponent && encoded.encoding.decimalString == encoding, "encoding of \(value)")
            // phe's ciphertext is (1 + m·n) · 7ⁿ mod n² of that encoding
            let c = try key.ciphertext(value: BigInt(decimal: ciphertext)!, exponent: exponent)
            let seven = BigInt(7).power(key.n, modulus: key.nSquare)
            #expect((encoded.encoding * key.n + 1).multiplied(by: seven, modulo: key.nSquare) == c.value)
            #expect(try priv.decrypt(c).doubleValue == value)
        }
        #expect(PaillierJSON.base64url(BigInt(65537)) == "AQAB")
        #expect(PaillierJSON.integer(base64url: "AQAB") == BigInt(65537))
    }

    @Test func hostileInputsAreRefused() throws {
        let other = try PaillierKeyPair.generate(bits: 512, insecureForTests: true)
        // A key too large to be anything but an attack on the reader's time.
        #expect(throws: CryptoError.self) { try PaillierPublicKey(n: BigInt(1).shifted(left: PaillierPublicKey.maximumBits) + 1) }
        #expect(try PaillierPublicKey(n: BigInt(1).shifted(left: PaillierPublicKey.maximumBits - 1) + 1).bits == PaillierPublicKey.maximumBits)
        // ≥ n², zero, negative, a multiple of p
        #expect(throws: CryptoError.self) { try pub.ciphertext(value: pub.nSquare, exponent: 0) }
        #expect(throws: CryptoError.self) { try pub.ciphertext(value: BigInt(0), exponent: 0) }
        #expect(throws: CryptoError.self) { try pub.ciphertext(value: BigInt(-5), exponent: 0) }
        #expect(throws: CryptoError.self) { try pub.ciphertext(value: priv.p * 3, exponent: 0) }
        // mismatched keys
        #expect(throws: CryptoError.self) { try PaillierPrivateKey(publicKey: other.0, p: priv.p, q: priv.q) }
        #expect(throws: CryptoError.self) { try PaillierPrivateKey(publicKey: pub, p: pub.n, q: BigInt(1)) }
        // a ciphertext of another key fails (out of range, or an overflow once decrypted) or, at
        // worst, decrypts to garbage — never crashes
        for _ in 0..<5 {
            let foreign = try other.0.encrypt(1)
            _ = try? priv.decrypt(foreign)
        }
        // malformed JSON
        for text in ["", "{", "[1,2]", "{\"v\": 5, \"e\": 0}", "{\"v\": \"12a\", \"e\": 0}", "{\"v\": \"5\", \"e\": 0.5}", "{\"v\": \"5\"}"] {
            #expect(throws: CryptoError.self) { try PaillierJSON.ciphertexts(Data(text.utf8), key: pub) }
        }
        for text in ["{}", "{\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"n\": \"!!\"}", "{\"kty\": \"RSA\", \"n\": \"AQAB\"}",
                     "{\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"n\": \"AAE\"}"] {
            #expect(throws: CryptoError.self) { try PaillierJSON.publicKey(jwk: Data(text.utf8)) }
        }
        #expect(throws: CryptoError.self) { try PaillierJSON.privateKey(jwk: PaillierJSON.jwk(pub, kid: "x")) }
        #expect(throws: CryptoError.self) { try PaillierJSON.publicKey(jwk: PaillierJSON.jwk(priv, kid: "x", publicKid: "y")) }
    }
}

/// The GMP wrapper.
@Suite struct BigIntTests {
    @Test func conversions() throws {
        let x = try #require(BigInt(decimal: "-123456789012345678901234567890"))
        #expect(x.decimalString == "-123456789012345678901234567890")
        #expect(BigInt(hex: "ff")?.intValue == 255)
        #expect(BigInt(decimal: "12a") == nil && BigInt(decimal: "") == nil && BigInt(decimal: "-") == nil && BigInt(hex: "0x1") == nil)
        #expect(BigInt(magnitudeBytes: [1, 0, 1]).intValue == 65537)
        #expect(BigInt(65537).magnitudeBytes == [1, 0, 1])
        #expect(BigInt(0).magnitudeBytes == [])
        #expect(BigInt(0).bitWidth == 0 && BigInt(255).bitWidth == 8)
    }

    @Test func arithmeticAndModularOperations() throws {
        let m = BigInt(1_000_000_007)
        #expect((BigInt(7) * BigInt(6) - 2).intValue == 40)
        #expect(BigInt(-7).modulo(BigInt(3)).intValue == 2)
        #expect(BigInt(3).power(BigInt(1_000_000_006), modulus: m).intValue == 1)   // Fermat
        #expect(try BigInt(3).powerSecure(BigInt(1_000_000_006), modulus: m).intValue == 1)
        #expect(throws: CryptoError.self) { try BigInt(3).powerSecure(BigInt(0), modulus: m) }
        #expect(throws: CryptoError.self) { try BigInt(3).powerSecure(BigInt(5), modulus: BigInt(10)) }
        let inv = try #require(BigInt(3).inverse(modulo: m))
        #expect(inv.multiplied(by: BigInt(3), modulo: m).intValue == 1)
        #expect(BigInt(6).inverse(modulo: BigInt(9)) == nil)
        #expect(BigInt(84).gcd(BigInt(-36)).intValue == 12)
        #expect(BigInt(-7).floorDivided(by: BigInt(2))!.quotient.intValue == -4)
        #expect(BigInt(5).floorDivided(by: BigInt(0)) == nil)
        #expect(BigInt(1).shifted(left: 100).shifted(left: -99).intValue == 2)
    }

    @Test func primesAndRandomness() throws {
        #expect(m61.isProbablePrime())
        #expect(!(m61 + 2).isProbablePrime())
        #expect(BigInt(14).nextPrime().intValue == 17)
        let bound = BigInt(1000)
        for _ in 0..<200 {
            let r = try BigInt.random(below: bound)
            #expect(r.signum >= 0 && r < bound)
        }
        #expect(Set((0..<20).map { _ in BigInt.randomBits(128) }).count == 20)
        let p = try BigInt.randomPrime(bits: 64)
        #expect(p.bitWidth == 64 && p.isProbablePrime())
        #expect(throws: CryptoError.self) { try BigInt.random(below: BigInt(0)) }
    }

    var m61: BigInt { BigInt(1).shifted(left: 61) - 1 }
}
