import Foundation
@testable import BulwarkCrypto
import Testing

/// End-to-end CKKS: encoding, encryption, homomorphic identities, rotations, level management,
/// typed errors and the security check. Most tests use small, explicitly insecure parameters.
@Suite struct CKKSSchemeTests {
    /// One small instance: N = 2048 (1024 slots), primes of 55, 40, 40 bits and a 55-bit special prime, Δ = 2^40.
    struct Instance {
        let context: CKKSContext
        let keys: CKKSKeyGenerator
        let encoder: CKKSEncoder
        let encryptor: CKKSEncryptor
        let decryptor: CKKSDecryptor
        let evaluator: CKKSEvaluator

        init(degree: Int = 2048, bits: [Int] = [55, 40, 40, 55], scale: Double = 0x1p40, secure: Bool = false) throws {
            let parameters = secure
                ? try CKKSParameters(polyDegree: degree, coefficientModulusBits: bits, scale: scale)
                : try CKKSParameters.insecureForTesting(polyDegree: degree, coefficientModulusBits: bits, scale: scale)
            context = try CKKSContext(parameters: parameters)
            keys = CKKSKeyGenerator(context: context)
            encoder = CKKSEncoder(context: context)
            encryptor = try CKKSEncryptor(context: context, publicKey: keys.publicKey())
            decryptor = try CKKSDecryptor(context: context, secretKey: keys.secretKey)
            evaluator = CKKSEvaluator(context: context)
        }

        func encrypt(_ values: [Double]) throws -> CKKSCiphertext {
            try encryptor.encrypt(encoder.encode(values))
        }

        func decrypt(_ ciphertext: CKKSCiphertext) throws -> [Double] {
            try encoder.decode(decryptor.decrypt(ciphertext))
        }
    }

    static func randomValues(_ count: Int, seed: UInt8, range: Double = 1) throws -> [Double] {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: seed, count: 32))
        return (0..<count).map { _ in Double.random(in: -range...range, using: &generator) }
    }

    static func maxError(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test func encodeDecodeRoundTripsWithinRoundingError() throws {
        let instance = try Instance()
        let slots = instance.context.parameters.slotCount
        let re = try Self.randomValues(slots, seed: 1, range: 10)
        let im = try Self.randomValues(slots, seed: 2, range: 10)
        let plaintext = try instance.encoder.encode(real: re, imaginary: im)
        let decoded = try instance.encoder.decodeComplex(plaintext)
        // Rounding error ≤ 1/2 per coefficient, so at most N/(2Δ) per slot.
        #expect(Self.maxError(decoded.real, re) < 2048 / 0x1p41)
        #expect(Self.maxError(decoded.imaginary, im) < 2048 / 0x1p41)
        // Real input decodes to (almost) zero imaginary parts; short input pads with zeros.
        let short = try instance.encoder.decodeComplex(instance.encoder.encode([3, -4]))
        #expect(abs(short.real[0] - 3) < 1e-9 && abs(short.real[1] + 4) < 1e-9)
        #expect(short.real[2...].allSatisfy { abs($0) < 1e-9 })
        #expect(short.imaginary.allSatisfy { abs($0) < 1e-9 })
        // Coefficients above q₀/2 (2^54 here; a mean of 50 000 puts 2^55.6 in the constant
        // coefficient): decoding composes all three primes by the CRT.
        let large = try Self.randomValues(slots, seed: 14, range: 1000).map { $0 + 50_000 }
        let decodedLarge = try instance.encoder.decode(instance.encoder.encode(large))
        #expect(Self.maxError(decodedLarge, large) < 1e-6)
        let encryptedLarge = try instance.decrypt(instance.encrypt(large))
        #expect(Self.maxError(encryptedLarge, large) < 1e-5)
    }

    /// The slots are the canonical embedding: encoding z gives integer coefficients m_i with
    /// Σ m_i ζ^(5^j · i) = Δ·z_j (ζ = e^(iπ/N)), evaluated naively here, and decoding a plaintext
    /// made from known coefficients gives the same sums.
    @Test func encodingIsTheCanonicalEmbedding() throws {
        let n = 32
        let instance = try Instance(degree: n, bits: [50, 50], scale: 0x1p30)
        let context = instance.context
        func embedding(_ coefficients: [Double]) -> (re: [Double], im: [Double]) {
            var re: [Double] = [], im: [Double] = []
            var power = 1
            for _ in 0..<(n / 2) {
                var sumRe = 0.0, sumIm = 0.0
                for (i, c) in coefficients.enumerated() {
                    let angle = Double.pi * Double((power * i) % (2 * n)) / Double(n)
                    sumRe += c * cos(angle)
                    sumIm += c * sin(angle)
                }
                re.append(sumRe)
                im.append(sumIm)
                power = power * 5 % (2 * n)
            }
            return (re, im)
        }
        let zRe = try Self.randomValues(n / 2, seed: 20, range: 4), zIm = try Self.randomValues(n / 2, seed: 21, range: 4)
        let plaintext = try instance.encoder.encode(real: zRe, imaginary: zIm)
        let coefficients = context.signedCoefficients(plaintext.values, level: 1)
        #expect(coefficients.allSatisfy { $0 == $0.rounded() })
        let evaluated = embedding(coefficients)
        #expect(Self.maxError(evaluated.re.map { $0 / 0x1p30 }, zRe) < 1e-7)
        #expect(Self.maxError(evaluated.im.map { $0 / 0x1p30 }, zIm) < 1e-7)
        // Decoding a plaintext built from chosen coefficients.
        let chosen: [Int64] = (0..<n).map { Int64($0 * 37 % 11) - 5 }
        let modulus = CKKSModulus(prime: context.dataModuli[0])
        var residues = chosen.map { modulus.residue(ofSigned: $0) }
        context.transforms[0].forward(&residues)
        let decoded = try instance.encoder.decodeComplex(CKKSPlaintext(values: residues, level: 1, scale: 1, contextIdentifier: context.identifier))
        let expected = embedding(chosen.map(Double.init))
        #expect(Self.maxError(decoded.real, expected.re) < 1e-9)
        #expect(Self.maxError(decoded.imaginary, expected.im) < 1e-9)
    }

    @Test func encryptionDecryptsWithinRelativeErrorBound() throws {
        let instance = try Instance()
        let values = try Self.randomValues(1024, seed: 3, range: 100)
        let viaPublic = try instance.decrypt(instance.encrypt(values))
        let symmetric = try CKKSEncryptor(context: instance.context, secretKey: instance.keys.secretKey)
        let viaSecret = try instance.encoder.decode(instance.decryptor.decrypt(symmetric.encrypt(instance.encoder.encode(values))))
        for decoded in [viaPublic, viaSecret] {
            for (d, v) in zip(decoded, values) {
                #expect(abs(d - v) <= 1e-5 * max(abs(v), 1))
            }
        }
        // Two encryptions of the same plaintext carry different noise (fresh randomness).
        let plaintext = try instance.encoder.encode(values)
        #expect(try instance.decrypt(instance.encryptor.encrypt(plaintext)) != instance.decrypt(instance.encryptor.encrypt(plaintext)))
    }

    @Test func additionAndPlaintextOperationsAreSlotWise() throws {
        let instance = try Instance()
        let x = try Self.randomValues(1024, seed: 4, range: 5), y = try Self.randomValues(1024, seed: 5, range: 5)
        let cx = try instance.encrypt(x), cy = try instance.encrypt(y)
        let sum = try instance.decrypt(instance.evaluator.add(cx, cy))
        #expect(Self.maxError(sum, zip(x, y).map(+)) < 1e-6)
        let difference = try instance.decrypt(instance.evaluator.subtract(cx, cy))
        #expect(Self.maxError(difference, zip(x, y).map(-)) < 1e-6)
        let plainSum = try instance.decrypt(instance.evaluator.add(cx, instance.encoder.encode(y)))
        #expect(Self.maxError(plainSum, zip(x, y).map(+)) < 1e-6)
        let plainProduct = try instance.evaluator.rescale(instance.evaluator.multiply(cx, instance.encoder.encode(y)))
        #expect(plainProduct.level == 2)
        #expect(Self.maxError(try instance.decrypt(plainProduct), zip(x, y).map(*)) < 1e-5)
    }

    @Test func multiplicationRelinearisationAndRescaleOverTwoLevels() throws {
        let instance = try Instance()
        let relin = instance.keys.relinearizationKey()
        let x = try Self.randomValues(1024, seed: 6, range: 2)
        let y = try Self.randomValues(1024, seed: 7, range: 2)
        let z = try Self.randomValues(1024, seed: 8, range: 2)
        let cx = try instance.encrypt(x), cy = try instance.encrypt(y), cz = try instance.encrypt(z)
        let tensor = try instance.evaluator.multiply(cx, cy)
        #expect(tensor.size == 3)
        // The unrelinearised product decrypts too (under 1, s, s²).
        let rawProduct = try instance.encoder.decode(instance.decryptor.decrypt(tensor))
        #expect(Self.maxError(rawProduct, zip(x, y).map(*)) < 1e-5)
        let xy = try instance.evaluator.multiplyRelinearizeRescale(cx, cy, key: relin)
        #expect(xy.size == 2 && xy.level == 2)
        #expect(abs(xy.scale / 0x1p40 - 1) < 1e-3)
        #expect(Self.maxError(try instance.decrypt(xy), zip(x, y).map(*)) < 1e-5)
        // Two levels: (x·y)·z with z brought down to xy's level.
        let zDown = try instance.evaluator.modSwitch(cz, toLevel: 2)
        let xyz = try instance.evaluator.multiplyRelinearizeRescale(xy, zDown, key: relin)
        #expect(xyz.level == 1)
        let expected = (0..<1024).map { x[$0] * y[$0] * z[$0] }
        #expect(Self.maxError(try instance.decrypt(xyz), expected) < 1e-4)
        // No prime left below level 1.
        let error = #expect(throws: CryptoError.self) { try instance.evaluator.rescale(xyz) }
        #expect(error?.code == .operandMismatch)
    }

    @Test(arguments: [1, 2, 5, -1, -3, 511, 1023])
    func rotationShiftsSlots(steps: Int) throws {
        let instance = try Instance(degree: 2048, bits: [55, 40, 55])
        let galois = instance.keys.galoisKeys(rotations: [steps])
        let x = try Self.randomValues(1024, seed: 9, range: 3)
        let rotated = try instance.decrypt(instance.evaluator.rotate(instance.encrypt(x), by: steps, keys: galois))
        let expected = (0..<1024).map { x[(($0 + steps) % 1024 + 1024) % 1024] }
        #expect(Self.maxError(rotated, expected) < 1e-5)
    }

    @Test func hoistedRotationsEqualSlotShifts() throws {
        let instance = try Instance()
        let steps = [0, 1, 2, 3, -1, 17, 511]
        let galois = instance.keys.galoisKeys(rotations: steps)
        let x = try Self.randomValues(1024, seed: 15, range: 2)
        // At the top level and, after a product, one level down.
        let fresh = try instance.encrypt(x)
        let squared = try instance.evaluator.multiplyRelinearizeRescale(fresh, fresh, key: instance.keys.relinearizationKey())
        for (ciphertext, values) in [(fresh, x), (squared, x.map { $0 * $0 })] {
            let rotated = try instance.evaluator.rotations(ciphertext, by: steps, keys: galois)
            #expect(rotated.count == steps.count)
            for (step, result) in zip(steps, rotated) {
                let expected = (0..<1024).map { values[(($0 + step) % 1024 + 1024) % 1024] }
                #expect(Self.maxError(try instance.decrypt(result), expected) < 1e-5)
            }
        }
        let error = #expect(throws: CryptoError.self) { try instance.evaluator.rotations(fresh, by: [1, 5], keys: galois) }
        #expect(error?.code == .operandMismatch)
    }

    @Test func rotationAfterMultiplicationAndConjugation() throws {
        let instance = try Instance()
        let galois = instance.keys.galoisKeys(rotations: [3], conjugation: true)
        let re = try Self.randomValues(1024, seed: 10), im = try Self.randomValues(1024, seed: 11)
        let c = try instance.encryptor.encrypt(instance.encoder.encode(real: re, imaginary: im))
        let conjugated = try instance.encoder.decodeComplex(instance.decryptor.decrypt(instance.evaluator.conjugate(c, keys: galois)))
        #expect(Self.maxError(conjugated.real, re) < 1e-5)
        #expect(Self.maxError(conjugated.imaginary, im.map { -$0 }) < 1e-5)
        // Rotation at a lower level, after a product.
        let squared = try instance.evaluator.multiplyRelinearizeRescale(c, c, key: instance.keys.relinearizationKey())
        let rotated = try instance.encoder.decodeComplex(instance.decryptor.decrypt(instance.evaluator.rotate(squared, by: 3, keys: galois)))
        for j in 0..<1024 {
            let k = (j + 3) % 1024
            #expect(abs(rotated.real[j] - (re[k] * re[k] - im[k] * im[k])) < 1e-4)
            #expect(abs(rotated.imaginary[j] - 2 * re[k] * im[k]) < 1e-4)
        }
    }

    @Test func mismatchedOperandsAreTypedErrors() throws {
        let instance = try Instance(degree: 1024, bits: [50, 30, 50], scale: 0x1p30)
        let other = try Instance(degree: 1024, bits: [50, 30, 50], scale: 0x1p30)
        let x = try instance.encrypt([1, 2])
        let relin = instance.keys.relinearizationKey()
        func code(_ body: () throws -> Void) -> CryptoError.Code? {
            do { try body(); return nil } catch let error as CryptoError { return error.code } catch { return nil }
        }
        // Wrong secret key.
        #expect(code { _ = try other.decryptor.decrypt(x) } == .operandMismatch)
        // Keys and ciphertexts of another key.
        let y = try other.encrypt([1, 2])
        #expect(code { _ = try instance.evaluator.add(x, y) } == .operandMismatch)
        #expect(code { _ = try instance.evaluator.relinearize(other.evaluator.multiply(y, y), key: relin) } == .operandMismatch)
        // Level and scale mismatches.
        let product = try instance.evaluator.rescale(instance.evaluator.relinearize(instance.evaluator.multiply(x, x), key: relin))
        #expect(code { _ = try instance.evaluator.add(product, x) } == .operandMismatch)
        #expect(code { _ = try instance.evaluator.multiply(product, instance.encoder.encode([1])) } == .operandMismatch)
        let down = try instance.evaluator.modSwitch(x, toLevel: 1)
        #expect(code { _ = try instance.evaluator.add(product, down) } == .operandMismatch)  // scales 2^30·2^30/q vs 2^30 differ slightly
        #expect(code { _ = try instance.evaluator.add(x, instance.encoder.encode([1], scale: 0x1p20)) } == .operandMismatch)
        #expect(code { _ = try instance.evaluator.modSwitch(down, toLevel: 2) } == .operandMismatch)
        // Missing Galois key; a 3-polynomial ciphertext cannot be rotated.
        let galois = instance.keys.galoisKeys(rotations: [1])
        #expect(code { _ = try instance.evaluator.rotate(x, by: 2, keys: galois) } == .operandMismatch)
        #expect(code { _ = try instance.evaluator.conjugate(x, keys: galois) } == .operandMismatch)
        #expect(code { _ = try instance.evaluator.rotate(instance.evaluator.multiply(x, x), by: 1, keys: galois) } == .operandMismatch)
        // Another context entirely.
        let small = try Instance(degree: 16, bits: [40, 30, 40], scale: 0x1p20)
        #expect(code { _ = try instance.decryptor.decrypt(small.encrypt([1])) } == .operandMismatch)
        #expect(code { _ = try CKKSEncryptor(context: instance.context, publicKey: small.keys.publicKey()) } == .operandMismatch)
        // Bad encoder input.
        #expect(code { _ = try instance.encoder.encode([Double](repeating: 1, count: 513)) } == .invalidParameter)
        #expect(code { _ = try instance.encoder.encode([.nan]) } == .invalidParameter)
        #expect(code { _ = try instance.encoder.encode([Double](repeating: 1e12, count: 512), scale: 0x1p30) } == .invalidParameter)
        #expect(code { _ = try instance.encoder.encode([1], level: 3) } == .invalidParameter)
    }

    @Test func parametersAboveTheStandardBoundAreRefused() throws {
        let tenseal = try CKKSParameters(polyDegree: 8192, coefficientModulusBits: [60, 40, 40, 60], scale: 0x1p40)
        #expect(!tenseal.isInsecureForTesting)
        #expect(tenseal == .n8192Depth2)
        #expect(try CKKSParameters(polyDegree: 4096, coefficientModulusBits: [40, 20, 40], scale: 0x1p20).maximumLevel == 2)
        func code(_ body: () throws -> Void) -> CryptoError.Code? {
            do { try body(); return nil } catch let error as CryptoError { return error.code } catch { return nil }
        }
        #expect(code { _ = try CKKSParameters(polyDegree: 8192, coefficientModulusBits: [60, 60, 60, 60], scale: 0x1p40) } == .insecureParameters)
        #expect(code { _ = try CKKSParameters(polyDegree: 4096, coefficientModulusBits: [60, 30, 60], scale: 0x1p20) } == .insecureParameters)
        #expect(code { _ = try CKKSParameters(polyDegree: 2048, coefficientModulusBits: [55, 40, 40, 55], scale: 0x1p40) } == .insecureParameters)
        #expect(code { _ = try CKKSParameters(polyDegree: 512, coefficientModulusBits: [20, 20], scale: 0x1p10) } == .insecureParameters)
        #expect(code { _ = try CKKSParameters(polyDegree: 8192, coefficientModulusBits: [60], scale: 0x1p40) } == .invalidParameter)
        #expect(code { _ = try CKKSParameters(polyDegree: 8000, coefficientModulusBits: [60, 60], scale: 0x1p40) } == .invalidParameter)
        #expect(code { _ = try CKKSParameters(polyDegree: 8192, coefficientModulusBits: [40, 60], scale: 0x1p45) } == .invalidParameter)
        #expect(code { _ = try CKKSParameters(polyDegree: 8192, coefficientModulusBits: [60, 40, 40, 50], scale: 0x1p40) } == .invalidParameter)
        let insecure = try CKKSParameters.insecureForTesting(polyDegree: 2048, coefficientModulusBits: [55, 40, 40, 55], scale: 0x1p40)
        #expect(insecure.isInsecureForTesting)
        #expect(insecure.securityDescription.contains("INSECURE"))
        for (n, bound) in [(1024, 27), (2048, 54), (4096, 109), (8192, 218), (16384, 438), (32768, 881)] {
            #expect(CKKSSecurity.maximumModulusBits(polyDegree: n) == bound)
        }
    }

    /// The benchmarked parameter set (TenSEAL's tutorial set) end to end.
    @Test func tensealParameterSetComputesADepthTwoProduct() throws {
        let instance = try Instance(degree: 8192, bits: [60, 40, 40, 60], scale: 0x1p40, secure: true)
        let x = try Self.randomValues(4096, seed: 12, range: 1), y = try Self.randomValues(4096, seed: 13, range: 1)
        let relin = instance.keys.relinearizationKey()
        let galois = instance.keys.galoisKeys(rotations: [1])
        let cx = try instance.encrypt(x), cy = try instance.encrypt(y)
        #expect(Self.maxError(try instance.decrypt(cx), x) < 1e-6)
        let xy = try instance.evaluator.multiplyRelinearizeRescale(cx, cy, key: relin)
        let rotated = try instance.evaluator.rotate(xy, by: 1, keys: galois)
        let square = try instance.evaluator.multiplyRelinearizeRescale(rotated, rotated, key: relin)
        #expect(square.level == 1)
        let expected = (0..<4096).map { j in
            let k = (j + 1) % 4096
            return (x[k] * y[k]) * (x[k] * y[k])
        }
        #expect(Self.maxError(try instance.decrypt(square), expected) < 1e-4)
    }
}
