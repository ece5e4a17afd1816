import BulwarkCrypto
import Testing

/// Known answers for the primitives Flower's SecAgg+ builds on, produced by the reference
/// implementations (numpy 2.4.6, PyCryptodome 3.24.1, cryptography 50.0.2, Flower 1.42) with
/// `Benchmarks/federated/flower_secaggplus_kats.py` in the Flower venv.
@Suite struct FlowerCompatibilityKATTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    // MARK: numpy's legacy RandomState

    @Test(arguments: [
        (UInt32(5489), Int64(4_294_967_295), [Int64(3_499_211_612), 581_869_302, 3_890_346_734, 3_586_334_585, 545_404_204, 4_161_255_391]),
        (12345, 4_294_967_295, [3_992_670_690, 3_823_185_381, 1_358_822_685, 561_383_553]),
        (7, 1000, [175, 196, 537, 502, 579, 211, 919, 615]),
        // ranges above 32 bits: 64-bit draws, high word first
        (42, 1_099_511_627_776, [441_507_790_259, 395_924_837_646, 458_615_280_711, 810_017_303_572]),
        (42, 4_611_686_018_427_387_907, [4_279_532_810_384_561_223, 1_819_927_849_474_927_636, 2_878_035_897_379_592_313]),
        (3, 4_294_967_301, [303_761_048, 521_102_280, 2_445_173_525, 80_522_091]),
    ])
    func randintMatchesNumpy(seed: UInt32, high: Int64, expected: [Int64]) throws {
        var generator = NumpyLegacyRandomState(seed: seed)
        #expect(try generator.randomIntegers(low: 0, high: high, count: expected.count) == expected)
    }

    @Test func scalarDrawIsOneElementDraw() throws {
        // np.random.RandomState(99): randint(0, 2**32-1) then randint(0, 2**32-1, (2,), dtype=np.int64)
        var generator = NumpyLegacyRandomState(seed: 99)
        #expect(try generator.randomIntegers(low: 0, high: 4_294_967_295, count: 1) == [2_887_414_401])
        #expect(try generator.randomIntegers(low: 0, high: 4_294_967_295, count: 2) == [3_103_284_259, 2_096_280_761])
    }

    @Test func rawWordsMatchMT19937() {
        var generator = NumpyLegacyRandomState(seed: 1)
        #expect([generator.nextUInt32(), generator.nextUInt32(), generator.nextUInt32()] == [1_791_095_845, 4_282_876_139, 3_093_770_124])
    }

    @Test func emptyRangesAreRefused() throws {
        var generator = NumpyLegacyRandomState(seed: 1)
        #expect(throws: CryptoError.self) { try generator.randomIntegers(low: 5, high: 5, count: 1) }
        #expect(throws: CryptoError.self) { try generator.randomIntegers(low: 0, high: 10, count: -1) }
        #expect(try generator.randomIntegers(low: 9, high: 10, count: 3) == [9, 9, 9])
    }

    // MARK: GF(2^128) and PyCryptodome's Shamir

    @Test func fieldArithmeticMatchesPyCryptodome() throws {
        let a = try GF128Element(bytes: Array(1...16)), b = try GF128Element(bytes: Array(17...32))
        #expect((a * b).bytes == Self.bytes("29ffc3f82b46c86320ddcada2264e347"))
        #expect(try a.inverse().bytes == Self.bytes("aeee439ca1a418f6184318715ef7656c"))
        #expect(try a * a.inverse() == .one)
        #expect((GF128Element(3) * GF128Element(5)).bytes == Self.bytes("0000000000000000000000000000000f"))
        #expect((GF128Element(high: 1 << 63, low: 0) * GF128Element(2)).bytes == Self.bytes("00000000000000000000000000000087"))
        #expect(throws: CryptoError.self) { try GF128Element.zero.inverse() }
        #expect(throws: CryptoError.self) { try GF128Element(bytes: [1, 2, 3]) }
    }

    /// A generator that replays fixed words, to pin the random coefficients.
    struct Replay: RandomNumberGenerator {
        var words: [UInt64]
        mutating func next() -> UInt64 { words.removeFirst() }
    }

    @Test func chunkSharesMatchPyCryptodomeForFixedCoefficients() throws {
        // coefficients 0xa0…a0 (x²) and 0xa1…a1 (x), secret "0123456789abcdef", k = 3, n = 4
        var replay = Replay(words: [0xA0A0_A0A0_A0A0_A0A0, 0xA0A0_A0A0_A0A0_A0A0, 0xA1A1_A1A1_A1A1_A1A1, 0xA1A1_A1A1_A1A1_A1A1])
        let shares = try GF128SecretSharing.split(chunk: Array("0123456789abcdef".utf8), threshold: 3, count: 4, using: &replay)
        #expect(shares.map(\.index) == [1, 2, 3, 4])
        #expect(shares.map(\.share) == [
            Self.bytes("31303332353437363938606362656467"), Self.bytes("f1f0f3f2f5f4f7f6f9f8a0a3a2a5a52d"),
            Self.bytes("f0f1f2f3f4f5f6f7f8f9a1a2a3a4a42c"), Self.bytes("bcbdbebfb8b9babbb4b5edeeefe8edda"),
        ])
        #expect(try GF128SecretSharing.combine(chunkShares: [shares[3], shares[1], shares[0]]) == Array("0123456789abcdef".utf8))
    }

    @Test func combinesFlowerMadeShares() throws {
        // flwr create_shares(bytes(range(0x11, 0x31)), threshold 2, num 3)
        let shares = [
            "010000009ef2745abedfc0877aeadcb7918f8c4c8e082bd9607b7562a3ec8533026893889fb04216b0b4669e30d416300eef055a",
            "020000000ed2dd894285b826defb944b043d397f7f7632deaf9c83bd3ca7771273a356c70f50b41d5158fd0c51981c502dee3a03",
            "030000008132bac7e94c6fb9bd0b53e088acaa13d05c3a23eac1d1f7b661d90d5ce5ea7f80f0e61bf1fc8b82715c1a7033112f49",
        ].map(Self.bytes)
        let secret = (0x11..<0x31).map { UInt8($0) }
        #expect(try GF128SecretSharing.combine([shares[2], shares[0]]) == secret)
        #expect(try GF128SecretSharing.combine(shares) == secret)
        #expect(try GF128SecretSharing.combine([shares[1], shares[2]]) == secret)
        // one share of a 2-of-3 sharing is not enough: the padding does not check out
        #expect(throws: CryptoError.self) { try GF128SecretSharing.combine([shares[1]]) }
    }

    @Test func flowerFramingRoundTrips() throws {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 15, 16, 32, 241] {
            let secret = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let shares = try GF128SecretSharing.split(bytes: secret, threshold: 3, count: 5, using: &generator)
            #expect(shares.count == 5)
            #expect(shares.allSatisfy { $0.count == 4 + 16 * (length / 16 + 1) })
            #expect(Array(shares[3].prefix(4)) == [4, 0, 0, 0])
            #expect(try GF128SecretSharing.combine([shares[4], shares[1], shares[2]]) == secret)
        }
        // fresh randomness: two splits of one secret differ
        let one = try GF128SecretSharing.split(bytes: [1, 2, 3], threshold: 2, count: 3, using: &generator)
        let two = try GF128SecretSharing.split(bytes: [1, 2, 3], threshold: 2, count: 3, using: &generator)
        #expect(one != two)
    }

    @Test func hostileSharesAreErrors() throws {
        var generator = SystemRandomNumberGenerator()
        #expect(throws: CryptoError.self) { try GF128SecretSharing.split(bytes: [1], threshold: 4, count: 3, using: &generator) }
        #expect(throws: CryptoError.self) { try GF128SecretSharing.split(bytes: [1], threshold: 0, count: 3, using: &generator) }
        #expect(throws: CryptoError.self) { try GF128SecretSharing.split(bytes: [1], threshold: 1, count: 1_000_000, using: &generator) }
        let shares = try GF128SecretSharing.split(bytes: [1, 2], threshold: 2, count: 3, using: &generator)
        #expect(throws: CryptoError.self) { try GF128SecretSharing.combine([]) }
        #expect(throws: CryptoError.self) { try GF128SecretSharing.combine([shares[0], shares[0]]) }
        #expect(throws: CryptoError.self) { try GF128SecretSharing.combine([shares[0], Array(shares[1].dropLast())]) }
        #expect(throws: CryptoError.self) { try GF128SecretSharing.combine([[0, 0, 0, 0] + Array(shares[1].dropFirst(4)), shares[0]]) }
        #expect(throws: CryptoError.self) { try GF128SecretSharing.combine([[1, 2, 3]]) }
    }

    // MARK: Fernet

    static let fernetKey = Array("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".utf8)
    static let fernetToken = Array("gAAAAABlU_EAyMnKy8zNzs_Q0dLT1NXW19VlVJuj8A2eur1dQvhNWVLpRbGbiAcSMKsfdJVRZ_4LLewFKyCsjpgC1dQ8ymtsX55-vUvuTF8nJppHjx8i_xk=".utf8)

    @Test func fernetMatchesPythonCryptography() throws {
        let fernet = try Fernet(base64URLKey: Self.fernetKey)
        let plaintext = Array("Bulwark SecAgg+ plaintext".utf8)
        // cryptography's Fernet._encrypt_from_parts(plaintext, 1700000000, bytes(range(200, 216)))
        #expect(try fernet.encrypt(plaintext, timestamp: 1_700_000_000, iv: Array(200..<216)) == Self.fernetToken)
        #expect(try fernet.decrypt(Self.fernetToken) == plaintext)
        let fresh = try fernet.encrypt(plaintext)
        #expect(fresh != Self.fernetToken)
        #expect(try fernet.decrypt(fresh) == plaintext)
    }

    @Test func tamperedFernetTokensFailCoarsely() throws {
        let fernet = try Fernet(base64URLKey: Self.fernetKey)
        var tampered = Self.fernetToken
        tampered[40] = tampered[40] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        for token in [tampered, Array(Self.fernetToken.dropLast(8)), Array("not base64!".utf8), []] {
            #expect(throws: CryptoError.self) { try fernet.decrypt(token) }
        }
        let other = try Fernet(key: [UInt8](repeating: 9, count: 32))
        #expect(throws: CryptoError.self) { try other.decrypt(Self.fernetToken) }
        #expect(throws: CryptoError.self) { try Fernet(key: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try Fernet(base64URLKey: Array("AAEC".utf8)) }
    }
}
