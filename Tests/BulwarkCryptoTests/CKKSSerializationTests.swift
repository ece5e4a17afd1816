import BulwarkCrypto
import Testing

/// The protobuf wire format of CKKS values: round trips that still compute, the seeded form's
/// size, and malformed or foreign input refused with typed errors.
@Suite struct CKKSSerializationTests {
    let context: CKKSContext
    let keys: CKKSKeyGenerator
    let encoder: CKKSEncoder

    init() throws {
        context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 256, coefficientModulusBits: [50, 40, 50], scale: 0x1p40))
        keys = CKKSKeyGenerator(context: context)
        encoder = CKKSEncoder(context: context)
    }

    func code(_ body: () throws -> Void) -> CryptoError.Code? {
        do { try body(); return nil } catch let error as CryptoError { return error.code } catch { return nil }
    }

    @Test func parametersRoundTripAndInsecureOnesNeedConsent() throws {
        let secure = CKKSParameters.n8192Depth2
        #expect(try CKKSParameters(serializedData: secure.serializedData()) == secure)
        let insecure = context.parameters.serializedData()
        #expect(code { _ = try CKKSParameters(serializedData: insecure) } == .insecureParameters)
        #expect(try CKKSParameters(serializedData: insecure, allowInsecure: true) == context.parameters)
    }

    @Test func seededCiphertextIsHalfTheSizeAndDecrypts() throws {
        let values: [Double] = [1.5, -2.25, 3, 0.125]
        let symmetric = try CKKSEncryptor(context: context, secretKey: keys.secretKey)
        let ciphertext = try symmetric.encrypt(encoder.encode(values))
        #expect(ciphertext.isSeeded)
        let seeded = ciphertext.serializedData()
        let full = ciphertext.serializedData(seeded: false)
        #expect(Double(seeded.count) < 0.52 * Double(full.count))
        let decryptor = try CKKSDecryptor(context: context, secretKey: keys.secretKey)
        for bytes in [seeded, full] {
            let decoded = try encoder.decode(decryptor.decrypt(CKKSCiphertext(serializedData: bytes, context: context)))
            for (d, v) in zip(decoded, values) { #expect(abs(d - v) < 1e-6) }
        }
        // A computed-on ciphertext is no longer seeded and serialises in full.
        let sum = try CKKSEvaluator(context: context).add(ciphertext, ciphertext)
        #expect(!sum.isSeeded)
        #expect(sum.serializedData().count == full.count)
    }

    @Test func keysRoundTripAndStillWork() throws {
        let publicKey = try CKKSPublicKey(serializedData: keys.publicKey().serializedData(), context: context)
        let relin = try CKKSRelinearizationKey(serializedData: keys.relinearizationKey().serializedData(), context: context)
        let galois = try CKKSGaloisKeys(serializedData: keys.galoisKeys(rotations: [1], conjugation: true).serializedData(), context: context)
        #expect(galois.galoisElements.count == 2)
        let x: [Double] = (0..<128).map { Double($0) / 64 - 1 }
        let encryptor = try CKKSEncryptor(context: context, publicKey: publicKey)
        let evaluator = CKKSEvaluator(context: context)
        let c = try CKKSCiphertext(serializedData: encryptor.encrypt(encoder.encode(x)).serializedData(), context: context)
        let squared = try evaluator.rotate(evaluator.multiplyRelinearizeRescale(c, c, key: relin), by: 1, keys: galois)
        let decoded = try encoder.decode(CKKSDecryptor(context: context, secretKey: keys.secretKey).decrypt(squared))
        for j in 0..<128 {
            let k = (j + 1) % 128
            #expect(abs(decoded[j] - x[k] * x[k]) < 1e-5)
        }
    }

    @Test func secretKeyRoundTripsAndDecrypts() throws {
        let ciphertext = try CKKSEncryptor(context: context, publicKey: keys.publicKey()).encrypt(encoder.encode([4.5, -1]))
        let bytes = try keys.secretKey.serializedData(context: context)
        let restored = try CKKSSecretKey(serializedData: bytes, context: context)
        #expect(restored.keyIdentifier == keys.secretKey.keyIdentifier)
        let decoded = try encoder.decode(CKKSDecryptor(context: context, secretKey: restored).decrypt(ciphertext))
        #expect(abs(decoded[0] - 4.5) < 1e-6 && abs(decoded[1] + 1) < 1e-6)
        // A coefficient outside {−1, 0, 1}, a short key, another context.
        var bad = bytes
        bad[bad.count - 1] = 2
        #expect(code { _ = try CKKSSecretKey(serializedData: bad, context: self.context) } == .malformed)
        #expect(code { _ = try CKKSSecretKey(serializedData: Array(bytes.dropLast()), context: self.context) } == .malformed)
        let other = try CKKSContext(parameters: .insecureForTesting(polyDegree: 256, coefficientModulusBits: [50, 30, 50], scale: 0x1p30))
        #expect(code { _ = try CKKSSecretKey(serializedData: bytes, context: other) } == .operandMismatch)
        #expect(code { _ = try self.keys.secretKey.serializedData(context: other) } == .operandMismatch)
    }

    @Test func malformedAndForeignBytesAreTypedErrors() throws {
        let ciphertext = try CKKSEncryptor(context: context, publicKey: keys.publicKey()).encrypt(encoder.encode([1, 2]))
        let bytes = ciphertext.serializedData()
        // Truncations anywhere and flipped bytes: a typed error or a valid value, never a crash.
        for cut in stride(from: 0, to: bytes.count, by: 97) {
            let truncated = Array(bytes.prefix(cut))
            #expect(code { _ = try CKKSCiphertext(serializedData: truncated, context: context) } != nil)
        }
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 9, count: 32))
        for _ in 0..<200 {
            var flipped = bytes
            let position = Int(generator.next() % UInt64(min(bytes.count, 64)))
            flipped[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            _ = try? CKKSCiphertext(serializedData: flipped, context: context)
        }
        // A residue out of range: the last word of c1 set to all ones.
        var outOfRange = bytes
        for i in (bytes.count - 8)..<bytes.count { outOfRange[i] = 0xFF }
        #expect(code { _ = try CKKSCiphertext(serializedData: outOfRange, context: context) } == .malformed)
        // Another context.
        let other = try CKKSContext(parameters: .insecureForTesting(polyDegree: 256, coefficientModulusBits: [50, 30, 50], scale: 0x1p30))
        #expect(code { _ = try CKKSCiphertext(serializedData: bytes, context: other) } == .operandMismatch)
        #expect(code { _ = try CKKSPublicKey(serializedData: self.keys.publicKey().serializedData(), context: other) } == .operandMismatch)
        #expect(code { _ = try CKKSGaloisKeys(serializedData: [0x1A, 0xFF], context: self.context) } == .malformed)
        #expect(code { _ = try CKKSRelinearizationKey(serializedData: [0x09, 1, 2], context: self.context) } == .malformed)
    }
}
