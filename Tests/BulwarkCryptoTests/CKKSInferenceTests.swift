import Foundation
@testable import BulwarkCrypto
import Testing

/// Encrypted linear algebra and square-activation MLP inference on CKKS: baby-step giant-step
/// diagonal products against plaintext W·x, the plain diagonal method, SIMD packing of several
/// vectors per ciphertext, and the client/server split. Small, explicitly insecure parameters
/// (N = 1024; one 40-bit scaling prime for single products, three for the MLP) keep the tests
/// to seconds in debug: key generation, quadratic in the number of primes, dominates.
@Suite struct CKKSInferenceTests {
    /// Three levels of rescaling, as the MLP needs.
    static func parameters() throws -> CKKSParameters {
        try CKKSParameters.insecureForTesting(polyDegree: 1024, coefficientModulusBits: [55, 40, 40, 40, 55], scale: 0x1p40)
    }

    /// One level: enough for one matrix product.
    static func productContext() throws -> CKKSContext {
        try CKKSContext(parameters: .insecureForTesting(polyDegree: 1024, coefficientModulusBits: [55, 40, 55], scale: 0x1p40))
    }

    static func random(_ count: Int, seed: UInt8, range: Double = 1) throws -> [Double] {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: seed, count: 32))
        return (0..<count).map { _ in Double.random(in: -range...range, using: &generator) }
    }

    static func matrix(_ rows: Int, _ columns: Int, seed: UInt8, range: Double = 1) throws -> [[Double]] {
        let flat = try random(rows * columns, seed: seed, range: range)
        return (0..<rows).map { Array(flat[$0 * columns..<($0 + 1) * columns]) }
    }

    static func product(_ w: [[Double]], _ x: [Double]) -> [Double] {
        w.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    static func maxError(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    static func code(_ body: () throws -> Void) -> CryptoError.Code? {
        do { try body(); return nil } catch let error as CryptoError { return error.code } catch { return nil }
    }

    /// W·x for several packed vectors, each block against the plaintext product.
    /// Galois keys are made once for several products (the union of their steps).
    func encryptedProducts(_ w: [[Double]], _ xs: [[Double]], context: CKKSContext, keys: CKKSKeyGenerator, galois: CKKSGaloisKeys,
                           layout: CKKSBlockLayout, babyStepCount: Int? = nil) throws -> [[Double]] {
        let shape = try CKKSMatrixShape(outputCount: w.count, inputCount: w[0].count, layout: layout, babyStepCount: babyStepCount)
        let encoded = try CKKSEncodedMatrix(weights: w, shape: shape, context: context, level: context.maximumLevel)
        let encoder = CKKSEncoder(context: context)
        let x = try CKKSEncryptor(context: context, secretKey: keys.secretKey).encrypt(encoder.encode(layout.pack(xs)))
        #expect(galois.missingRotations(shape.galoisSteps, context: context).isEmpty)
        let y = try CKKSEvaluator(context: context).multiply(encoded, x, keys: galois)
        #expect(y.level == context.maximumLevel - 1)
        #expect(abs(y.scale / x.scale - 1) < 1e-12)
        let slots = try encoder.decode(CKKSDecryptor(context: context, secretKey: keys.secretKey).decrypt(y))
        return layout.unpack(slots, count: xs.count, width: w.count)
    }

    @Test func shapePlansTheDiagonalsSpanAndRotations() throws {
        let layout = try CKKSBlockLayout(slotCount: 4096, blockSize: 1024)
        let shape = try CKKSMatrixShape(outputCount: 32, inputCount: 784, layout: layout)
        #expect(shape.diagonalCount == 32 && shape.span == 1024 && shape.babyStepCount == 8 && shape.giantStepCount == 4)
        #expect(shape.babySteps == [-1, -2, -3, -4, -5, -6, -7])
        #expect(shape.giantSteps == [-8, -16, -24])
        #expect(shape.foldSteps == [512, 256, 128, 64, 32])
        #expect(shape.galoisSteps == [-24, -16, -8, -7, -6, -5, -4, -3, -2, -1, 32, 64, 128, 256, 512])
        // The plain diagonal method: every rotation is a baby step.
        let naive = try CKKSMatrixShape(outputCount: 32, inputCount: 784, layout: layout, babyStepCount: 32)
        #expect(naive.giantSteps.isEmpty && naive.babySteps.count == 31)
        // 784 inputs + 31 do not fit a block of 512.
        let small = try CKKSBlockLayout(slotCount: 4096, blockSize: 512)
        #expect(Self.code { _ = try CKKSMatrixShape(outputCount: 32, inputCount: 784, layout: small) } == .invalidParameter)
        #expect(Self.code { _ = try CKKSMatrixShape(outputCount: 32, inputCount: 784, layout: layout, babyStepCount: 3) } == .invalidParameter)
        #expect(Self.code { _ = try CKKSBlockLayout(slotCount: 4096, blockSize: 1000) } == .invalidParameter)
        #expect(Self.code { _ = try layout.pack([[Double]](repeating: [1], count: 5)) } == .invalidParameter)
        #expect(Self.code { _ = try layout.pack([[Double.nan]]) } == .invalidParameter)
        // The inference plan of a 784-32-10 model at N = 8192: four images per ciphertext.
        let plan = try CKKSInferencePlan(parameters: .n8192Depth3, inputCount: 784, hiddenCount: 32, outputCount: 10)
        #expect(plan.layout.blockSize == 1024 && plan.imagesPerCiphertext == 4)
        #expect(Set(plan.galoisSteps) == Set(plan.hiddenShape.galoisSteps + plan.outputShape.galoisSteps))
        #expect(CKKSParameters.n8192Depth3.securityDescription.hasPrefix("128-bit"))
        // TenSEAL's depth-2 set cannot rescale three times.
        #expect(Self.code { _ = try CKKSInferencePlan(parameters: .n8192Depth2, inputCount: 784, hiddenCount: 32, outputCount: 10) } == .invalidParameter)
    }

    @Test func matrixVectorProductMatchesPlaintext() throws {
        let context = try Self.productContext()
        let keys = CKKSKeyGenerator(context: context)
        let layout = try CKKSBlockLayout(slotCount: 512, blockSize: 256)
        let shapes = try [(64, 128), (10, 4), (1, 100)].map { try CKKSMatrixShape(outputCount: $0.0, inputCount: $0.1, layout: layout) }
        let galois = keys.galoisKeys(rotations: shapes.flatMap(\.galoisSteps))
        let w = try Self.matrix(64, 128, seed: 3)
        let xs = try (0..<2).map { try Self.random(128, seed: UInt8(10 + $0)) }
        let ys = try encryptedProducts(w, xs, context: context, keys: keys, galois: galois, layout: layout)
        for (x, y) in zip(xs, ys) { #expect(Self.maxError(y, Self.product(w, x)) < 1e-3) }
        // Rectangular the other way (more outputs than inputs) and a single row.
        let tall = try Self.matrix(10, 4, seed: 4)
        let tallYs = try encryptedProducts(tall, [Array(xs[0].prefix(4))], context: context, keys: keys, galois: galois, layout: layout)
        #expect(Self.maxError(tallYs[0], Self.product(tall, Array(xs[0].prefix(4)))) < 1e-3)
        let row = try Self.matrix(1, 100, seed: 5)
        let rowYs = try encryptedProducts(row, [Array(xs[1].prefix(100))], context: context, keys: keys, galois: galois, layout: layout)
        #expect(Self.maxError(rowYs[0], Self.product(row, Array(xs[1].prefix(100)))) < 1e-3)
    }

    @Test func babyStepGiantStepMatchesThePlainDiagonalMethod() throws {
        let context = try Self.productContext()
        let keys = CKKSKeyGenerator(context: context)
        let layout = try CKKSBlockLayout(slotCount: 512, blockSize: 128)
        // The giant-only plan (g = 1) rotates by −1 … −15, the naive one's baby steps; BSGS
        // (g = 4) by a subset, plus the folds all three share.
        let galois = try keys.galoisKeys(rotations: CKKSMatrixShape(outputCount: 16, inputCount: 100, layout: layout, babyStepCount: 1).galoisSteps)
        let w = try Self.matrix(16, 100, seed: 6)
        let x = try Self.random(100, seed: 7)
        let expected = Self.product(w, x)
        let naive = try encryptedProducts(w, [x], context: context, keys: keys, galois: galois, layout: layout, babyStepCount: 16)[0]
        let bsgs = try encryptedProducts(w, [x], context: context, keys: keys, galois: galois, layout: layout)[0]
        let giantOnly = try encryptedProducts(w, [x], context: context, keys: keys, galois: galois, layout: layout, babyStepCount: 1)[0]
        #expect(Self.maxError(naive, expected) < 1e-3)
        #expect(Self.maxError(bsgs, naive) < 1e-5)
        #expect(Self.maxError(giantOnly, naive) < 1e-5)
    }

    static func model(inputs: Int, hidden: Int, outputs: Int) throws -> CKKSSquareMLP {
        // Weights of the scale of a trained layer (about 1/√fan-in), so hidden units stay O(1).
        try CKKSSquareMLP(hiddenWeights: matrix(hidden, inputs, seed: 20, range: 2 / Double(inputs).squareRoot()),
                          hiddenBias: random(hidden, seed: 21, range: 0.1),
                          outputWeights: matrix(outputs, hidden, seed: 22, range: 2 / Double(hidden).squareRoot()),
                          outputBias: random(outputs, seed: 23, range: 0.1))
    }

    @Test func squareMLPLogitsMatchPlaintextAndPackingMatchesSingleImages() throws {
        let model = try Self.model(inputs: 64, hidden: 16, outputs: 10)
        let plan = try CKKSInferencePlan(parameters: Self.parameters(), model: model)
        #expect(plan.layout.blockSize == 128 && plan.imagesPerCiphertext == 4)
        let client = try CKKSInferenceClient(plan: plan)
        let server = try CKKSInferenceServer(model: model, plan: plan, context: client.context, keys: client.evaluationKeys())
        // Pixel-like inputs in [0, 1]; ten images: two full ciphertexts of four and one of two.
        let images = try (0..<10).map { try Self.random(64, seed: UInt8(30 + $0)).map { ($0 + 1) / 2 } }
        let batches = try client.encrypt(images: images)
        #expect(batches.map(\.imageCount) == [4, 4, 2])
        let logits = try client.decrypt(batches.map { try server.evaluate($0) })
        #expect(logits.count == 10)
        for (image, encrypted) in zip(images, logits) {
            let expected = model.logits(image)
            #expect(encrypted.count == 10)
            #expect(Self.maxError(encrypted, expected) < 1e-2)
            #expect(encrypted.indices.max { encrypted[$0] < encrypted[$1] } == expected.indices.max { expected[$0] < expected[$1] })
        }
        // One image per ciphertext gives the same logits as the packed path.
        for i in [0, 7, 9] {
            let single = try client.decrypt(client.encrypt(images: [images[i]]).map { try server.evaluate($0) })
            #expect(single.count == 1)
            #expect(Self.maxError(single[0], logits[i]) < 1e-4)
        }
        // The two-process path: the server sees only serialised evaluation keys and ciphertexts
        // (its own context from the plan), and its serialised logits decrypt to the same values.
        let keys = client.evaluationKeys()
        let serverContext = try CKKSContext(parameters: plan.parameters)
        let remoteKeys = try CKKSEvaluationKeys(
            relinearization: CKKSRelinearizationKey(serializedData: keys.relinearization.serializedData(), context: serverContext),
            galois: CKKSGaloisKeys(serializedData: keys.galois.serializedData(), context: serverContext))
        let remote = try CKKSInferenceServer(model: model, plan: plan, context: serverContext, keys: remoteKeys)
        let received = try CKKSCiphertext(serializedData: batches[0].ciphertext.serializedData(), context: serverContext)
        let answer = try remote.evaluate(CKKSEncryptedImages(ciphertext: received, imageCount: batches[0].imageCount))
        let returned = try CKKSCiphertext(serializedData: answer.ciphertext.serializedData(), context: client.context)
        let remoteLogits = try client.decrypt([CKKSEncryptedLogits(ciphertext: returned, imageCount: answer.imageCount)])
        #expect(remoteLogits.count == 4)
        for i in 0..<4 { #expect(Self.maxError(remoteLogits[i], logits[i]) < 1e-4) }
        // Float weights and images take the same path.
        let floatModel = try CKKSSquareMLP(hiddenWeights: model.hiddenWeights.map { $0.map(Float.init) }, hiddenBias: model.hiddenBias.map(Float.init),
                                           outputWeights: model.outputWeights.map { $0.map(Float.init) }, outputBias: model.outputBias.map(Float.init))
        #expect(Self.maxError(floatModel.logits(images[0].map(Float.init)), logits[0]) < 1e-2)
    }

    @Test func missingGaloisKeysAndMismatchesAreTypedErrors() throws {
        let model = try Self.model(inputs: 64, hidden: 16, outputs: 10)
        let plan = try CKKSInferencePlan(parameters: Self.parameters(), model: model)
        let client = try CKKSInferenceClient(plan: plan)
        let context = client.context
        // Galois keys without one of the plan's rotations: the server refuses them up front.
        let dropped = plan.galoisSteps[plan.galoisSteps.count / 2]
        let partial = CKKSEvaluationKeys(relinearization: client.generator.relinearizationKey(),
                                         galois: client.generator.galoisKeys(rotations: plan.galoisSteps.filter { $0 != dropped }))
        #expect(partial.galois.missingRotations(plan.galoisSteps, context: context) == [dropped])
        var message = ""
        do throws(CryptoError) {
            _ = try CKKSInferenceServer(model: model, plan: plan, context: context, keys: partial)
        } catch {
            #expect(error.code == .operandMismatch)
            message = error.message
        }
        #expect(message.contains("\(dropped)"))
        // The matrix product itself checks too.
        let shape = plan.hiddenShape
        let encoded = try CKKSEncodedMatrix(weights: model.hiddenWeights, shape: shape, context: context, level: context.maximumLevel)
        let x = try client.encrypt(images: [[Double](repeating: 0.5, count: 64)])[0].ciphertext
        let evaluator = CKKSEvaluator(context: context)
        #expect(Self.code { _ = try evaluator.multiply(encoded, x, keys: client.generator.galoisKeys(rotations: [1])) } == .operandMismatch)
        // A server with another client's keys cannot evaluate this client's images.
        let other = try CKKSInferenceClient(plan: plan, context: context)
        let server = try CKKSInferenceServer(model: model, plan: plan, context: context, keys: other.evaluationKeys())
        #expect(Self.code { _ = try server.evaluate(CKKSEncryptedImages(ciphertext: x, imageCount: 1)) } == .operandMismatch)
        // A model of another shape, an image of the wrong length.
        let wrong = try Self.model(inputs: 32, hidden: 16, outputs: 10)
        #expect(Self.code { _ = try CKKSInferenceServer(model: wrong, plan: plan, context: context, keys: partial) } == .invalidParameter)
        #expect(Self.code { _ = try client.encrypt(images: [[1.0, 2.0]]) } == .invalidParameter)
        // A level too low for a product.
        #expect(Self.code { _ = try CKKSEncodedMatrix(weights: model.hiddenWeights, shape: shape, context: context, level: 1) } == .invalidParameter)
    }
}
