import BulwarkCrypto
import Testing

/// Known-answer tests from RFC 8439 (§2.3.2, §2.4.2, Appendix A.1) and stream properties.
@Suite struct ChaCha20Tests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    let sequentialKey = (0..<32).map { UInt8($0) }

    @Test func blockFunctionMatchesRFC8439Section232() throws {
        let block = try ChaCha20.block(key: sequentialKey, nonce: Self.bytes("000000090000004a00000000"), counter: 1)
        #expect(block == Self.bytes("""
            10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e
            d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e
            """))
    }

    @Test func blockFunctionMatchesRFC8439AppendixA1() throws {
        let zeros32 = [UInt8](repeating: 0, count: 32), zeros12 = [UInt8](repeating: 0, count: 12)
        #expect(try ChaCha20.block(key: zeros32, nonce: zeros12, counter: 0) == Self.bytes("""
            76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7
            da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586
            """))
        #expect(try ChaCha20.block(key: zeros32, nonce: zeros12, counter: 1) == Self.bytes("""
            9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed
            29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f
            """))
    }

    @Test func encryptionMatchesRFC8439Section242() throws {
        let plaintext = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        var cipher = try ChaCha20(key: sequentialKey, nonce: Self.bytes("000000000000004a00000000"), counter: 1)
        let ciphertext = cipher.xor(plaintext)
        #expect(ciphertext == Self.bytes("""
            6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b
            f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8
            07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736
            5af90bbf74a35be6b40b8eedf2785e42874d
            """))
        var decrypt = try ChaCha20(key: sequentialKey, nonce: Self.bytes("000000000000004a00000000"), counter: 1)
        #expect(decrypt.xor(ciphertext) == plaintext)
    }

    /// The stream is one sequence however it is cut into calls (odd sizes cross the 256-byte batches).
    @Test func streamDoesNotDependOnHowItIsRead() throws {
        let key = (0..<32).map { UInt8(($0 * 7 + 3) % 256) }
        var whole = try ChaCha20(key: key)
        let reference = whole.keystream(count: 3000)
        var pieces = try ChaCha20(key: key)
        var joined: [UInt8] = []
        var size = 1
        while joined.count < reference.count {
            joined += pieces.keystream(count: min(size, reference.count - joined.count))
            size = size * 3 % 301 + 1
        }
        #expect(joined == reference)
        // Block by block with the counter gives the same bytes.
        for block in 0..<4 {
            let single = try ChaCha20.block(key: key, nonce: [UInt8](repeating: 0, count: 12), counter: UInt32(block))
            #expect(Array(reference[(64 * block)..<(64 * block + 64)]) == single)
        }
        // Words are the keystream read little-endian.
        var words = [UInt64](repeating: 0, count: 5)
        var wordStream = try ChaCha20(key: key)
        wordStream.fill(&words)
        let first = reference[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(words[0] == first)
    }

    /// Past 2³² blocks the counter carries into the first nonce word instead of repeating block 0.
    @Test func counterCarriesIntoTheNonce() throws {
        let key = [UInt8](repeating: 7, count: 32)
        var stream = try ChaCha20(key: key, counter: .max)
        let bytes = stream.keystream(count: 128)
        #expect(Array(bytes[0..<64]) == (try ChaCha20.block(key: key, nonce: [UInt8](repeating: 0, count: 12), counter: .max)))
        #expect(Array(bytes[64..<128]) == (try ChaCha20.block(key: key, nonce: [1] + [UInt8](repeating: 0, count: 11), counter: 0)))
        #expect(Array(bytes[0..<8]) == Self.bytes("90769cdc0b165851"))
    }

    @Test func refusesKeysAndNoncesOfTheWrongLength() {
        #expect(throws: CryptoError.self) { try ChaCha20(key: [UInt8](repeating: 0, count: 31)) }
        #expect(throws: CryptoError.self) { try ChaCha20(key: [UInt8](repeating: 0, count: 32), nonce: [UInt8](repeating: 0, count: 8)) }
        #expect(throws: CryptoError.self) { try ChaCha20Generator(seed: [1, 2, 3]) }
    }

    @Test func generatorIsDeterministicPerSeed() throws {
        var a = try ChaCha20Generator(seed: [UInt8](repeating: 9, count: 32))
        var b = try ChaCha20Generator(seed: [UInt8](repeating: 9, count: 32))
        var c = try ChaCha20Generator(seed: [UInt8](repeating: 8, count: 32))
        let fromA = (0..<100).map { _ in a.next() }
        #expect(fromA == (0..<100).map { _ in b.next() })
        #expect(fromA != (0..<100).map { _ in c.next() })
        var stream = try ChaCha20(key: [UInt8](repeating: 9, count: 32))
        var words = [UInt64](repeating: 0, count: 100)
        stream.fill(&words)
        #expect(fromA == words)
    }
}
