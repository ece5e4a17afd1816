import Foundation

extension CKKSParameters {
    /// The set for encrypted square-activation MLPs: N = 8192, data primes of 52, 38, 38, 38 bits
    /// and a 52-bit special prime, Δ = 2^38 (218 bits: exactly the 128-bit bound for N = 8192;
    /// three multiplicative levels).
    ///
    /// W₂·(W₁·x + b₁)² + b₂ rescales three times (two plaintext matrix products and the square),
    /// so it needs four data primes; ``n8192Depth2`` (60, 40, 40 | 60) has three and cannot run
    /// it. Four primes of 40 bits or more would exceed 218 bits at N = 8192 and force N = 16384
    /// (twice the work per operation); 38-bit scaling primes keep N = 8192, with q₀ = 52 bits
    /// leaving 14 bits of headroom: decrypted values (and the partial sums of
    /// ``CKKSMatrixShape``) must stay below 2^13 in magnitude. Precision: Δ = 2^38 puts encoding and
    /// rescaling errors near 2^−25, far below the 10^−3 a classifier's logits need.
    ///
    /// ```swift
    /// let parameters = CKKSParameters.n8192Depth3
    /// print(parameters.maximumLevel, parameters.coefficientModulusBits.reduce(0, +))  // 4 218
    /// ```
    public static var n8192Depth3: CKKSParameters {
        // 218 bits, within the bound of 218 for N = 8192: cannot throw.
        try! CKKSParameters(polyDegree: 8192, coefficientModulusBits: [52, 38, 38, 38, 52], scale: 0x1p38)
    }
}

/// A two-layer perceptron with the square activation, y = W₂·(W₁·x + b₁)² + b₂, in plaintext: the
/// model a ``CKKSInferenceServer`` evaluates on encrypted inputs (the square is the one
/// nonlinearity CKKS computes exactly, with one multiplication).
///
/// ```swift
/// let model = try CKKSSquareMLP(hiddenWeights: [[1, 0], [0, 2]], hiddenBias: [0, 1],
///                               outputWeights: [[1, 1]], outputBias: [-1])
/// print(model.logits([3, 1]))  // [17.0]
/// ```
public struct CKKSSquareMLP: Sendable {
    /// W₁: `hiddenCount` rows of `inputCount` weights.
    public let hiddenWeights: [[Double]]
    /// b₁, `hiddenCount` values.
    public let hiddenBias: [Double]
    /// W₂: `outputCount` rows of `hiddenCount` weights.
    public let outputWeights: [[Double]]
    /// b₂, `outputCount` values.
    public let outputBias: [Double]

    /// The model from its weights (Float or Double); throws `invalidParameter` when the shapes do
    /// not chain or a weight is not finite.
    public init<Scalar: BinaryFloatingPoint>(hiddenWeights: [[Scalar]], hiddenBias: [Scalar],
                                             outputWeights: [[Scalar]], outputBias: [Scalar]) throws(CryptoError) {
        let w1 = Self.widened(hiddenWeights), b1 = Self.widened([hiddenBias])[0]
        let w2 = Self.widened(outputWeights), b2 = Self.widened([outputBias])[0]
        guard let inputs = w1.first?.count, inputs > 0, w1.allSatisfy({ $0.count == inputs }) else {
            throw CryptoError(.invalidParameter, "the hidden weights are not a non-empty matrix of equal rows")
        }
        guard b1.count == w1.count else {
            throw CryptoError(.invalidParameter, "the hidden bias has \(b1.count) values for \(w1.count) hidden units")
        }
        guard !w2.isEmpty, w2.allSatisfy({ $0.count == w1.count }) else {
            throw CryptoError(.invalidParameter, "the output weights are not rows of \(w1.count) values (one per hidden unit)")
        }
        guard b2.count == w2.count else {
            throw CryptoError(.invalidParameter, "the output bias has \(b2.count) values for \(w2.count) outputs")
        }
        for (name, values) in [("hidden weights", w1.flatMap(\.self)), ("hidden bias", b1), ("output weights", w2.flatMap(\.self)), ("output bias", b2)]
            where !values.allSatisfy(\.isFinite) {
            throw CryptoError(.invalidParameter, "the \(name) hold a non-finite value")
        }
        self.hiddenWeights = w1
        self.hiddenBias = b1
        self.outputWeights = w2
        self.outputBias = b2
    }

    private static func widened<Scalar: BinaryFloatingPoint>(_ rows: [[Scalar]]) -> [[Double]] {
        var result: [[Double]] = []
        for row in rows {
            var widened: [Double] = []
            widened.reserveCapacity(row.count)
            for value in row { widened.append(Double(value)) }
            result.append(widened)
        }
        return result
    }

    /// The number of inputs (columns of W₁).
    public var inputCount: Int { hiddenWeights[0].count }
    /// The number of hidden units (rows of W₁).
    public var hiddenCount: Int { hiddenWeights.count }
    /// The number of outputs (rows of W₂).
    public var outputCount: Int { outputWeights.count }

    /// The plaintext logits W₂·(W₁·x + b₁)² + b₂ in Double (the reference encrypted inference is
    /// compared with); missing inputs read as zero, extra ones are ignored.
    public func logits<Scalar: BinaryFloatingPoint>(_ x: [Scalar]) -> [Double] {
        let hidden = hiddenWeights.enumerated().map { r, row in
            var sum = hiddenBias[r]
            for (c, w) in row.enumerated() where c < x.count { sum += w * Double(x[c]) }
            return sum * sum
        }
        return outputWeights.enumerated().map { r, row in
            var sum = outputBias[r]
            for (c, w) in row.enumerated() { sum += w * hidden[c] }
            return sum
        }
    }
}

extension CKKSSquareMLP {
    /// An upper bound on the magnitude of every value the output product W₂·h + b₂ puts in a
    /// slot when ``CKKSInferenceServer`` evaluates `images` on `plan` — the logits and the partial
    /// sums the diagonal product leaves in the other slots of each block (``CKKSMatrixShape``).
    ///
    /// Per image and output r the bound is Σ_c |W₂[r][c]|·(W₁x + b₁)_c² + |b₂[r]|, computed in
    /// Double from the plaintext. When the product's fold can read past its own block
    /// (3·span/2 > block size), the images sharing a ciphertext are summed as well. Compare it
    /// with ``CKKSInferencePlan/valueLimit`` before encrypting: above it, decryption would wrap
    /// around q₀ and return garbage. Images are packed as ``CKKSInferenceClient/encrypt(images:)``
    /// packs them (``CKKSInferencePlan/imagesPerCiphertext`` at a time, in order); a non-finite
    /// input gives infinity.
    ///
    /// ```swift
    /// let model = try CKKSSquareMLP(hiddenWeights: [[1, 0], [0, 2]], hiddenBias: [0, 1],
    ///                               outputWeights: [[1, -1]], outputBias: [-1])
    /// let plan = try CKKSInferencePlan(parameters: .n8192Depth3, model: model)
    /// print(model.outputMagnitudeBound(images: [[3.0, 1.0]], plan: plan))  // 19.0
    /// ```
    public func outputMagnitudeBound<Scalar: BinaryFloatingPoint>(images: [[Scalar]], plan: CKKSInferencePlan) -> Double {
        let perImage = images.map { x -> [Double] in
            let hidden = hiddenWeights.enumerated().map { r, row -> Double in
                var sum = hiddenBias[r]
                for (c, w) in row.enumerated() where c < x.count { sum += w * Double(x[c]) }
                return sum * sum
            }
            return outputWeights.enumerated().map { r, row -> Double in
                var sum = 0.0
                for (c, w) in row.enumerated() { sum += abs(w) * hidden[c] }
                return sum
            }
        }
        let crossesBlocks = 3 * plan.outputShape.span / 2 > plan.layout.blockSize
        var bound = 0.0
        let group = crossesBlocks ? max(1, plan.imagesPerCiphertext) : 1
        for start in stride(from: 0, to: perImage.count, by: group) {
            let members = perImage[start..<min(start + group, perImage.count)]
            for r in 0..<outputCount {
                let sum = members.reduce(0.0) { $0 + $1[r] } + abs(outputBias[r])
                if !(sum <= bound) { bound = sum.isNaN ? .infinity : sum }
            }
        }
        return bound
    }
}

/// The public plan shared by the client and the server of encrypted inference: the parameters,
/// the slot layout (one image per block, ``CKKSBlockLayout``) and the two matrix products'
/// shapes, hence the rotations the client must make Galois keys for.
///
/// The block size is the smallest power of two that holds both products' spans, so a ciphertext
/// carries ``imagesPerCiphertext`` images: 4 for a 784-32-10 model at N = 8192.
///
/// ```swift
/// let plan = try CKKSInferencePlan(parameters: .n8192Depth3, inputCount: 784, hiddenCount: 32, outputCount: 10)
/// print(plan.layout.blockSize, plan.imagesPerCiphertext, plan.galoisSteps.count)  // 1024 4 17
/// ```
public struct CKKSInferencePlan: Sendable, Hashable {
    /// The CKKS parameters (at least four data primes).
    public let parameters: CKKSParameters
    /// The slot layout: one image per block.
    public let layout: CKKSBlockLayout
    /// W₁ (hidden × input) on the layout.
    public let hiddenShape: CKKSMatrixShape
    /// W₂ (output × hidden) on the layout.
    public let outputShape: CKKSMatrixShape

    /// Plans an input–hidden–output square MLP on `parameters`. Throws `invalidParameter` when the
    /// parameters have fewer than four data primes (the evaluation rescales three times and
    /// decrypts at level 1) or an image does not fit in the slots.
    public init(parameters: CKKSParameters, inputCount: Int, hiddenCount: Int, outputCount: Int) throws(CryptoError) {
        guard parameters.maximumLevel >= 4 else {
            throw CryptoError(.invalidParameter,
                              "square-MLP inference rescales three times and needs four data primes; these parameters have \(parameters.maximumLevel) (use CKKSParameters.n8192Depth3)")
        }
        let slots = parameters.slotCount
        let full = try CKKSBlockLayout(slotCount: slots, blockSize: slots)
        let hiddenSpan = try CKKSMatrixShape(outputCount: hiddenCount, inputCount: inputCount, layout: full).span
        let outputSpan = try CKKSMatrixShape(outputCount: outputCount, inputCount: hiddenCount, layout: full).span
        let layout = try CKKSBlockLayout(slotCount: slots, blockSize: max(hiddenSpan, outputSpan))
        self.parameters = parameters
        self.layout = layout
        hiddenShape = try CKKSMatrixShape(outputCount: hiddenCount, inputCount: inputCount, layout: layout)
        outputShape = try CKKSMatrixShape(outputCount: outputCount, inputCount: hiddenCount, layout: layout)
    }

    /// The plan of `model`'s shape on `parameters`.
    public init(parameters: CKKSParameters, model: CKKSSquareMLP) throws(CryptoError) {
        try self.init(parameters: parameters, inputCount: model.inputCount, hiddenCount: model.hiddenCount, outputCount: model.outputCount)
    }

    /// The inputs per image.
    public var inputCount: Int { hiddenShape.inputCount }
    /// The logits per image.
    public var outputCount: Int { outputShape.outputCount }
    /// Images packed in one ciphertext (the number of blocks).
    public var imagesPerCiphertext: Int { layout.blockCount }
    /// The largest magnitude a value may reach in the last two levels and still decrypt
    /// correctly: 2^(b₀ − 2) / Δ for a first prime of b₀ bits (q₀ ≥ 2^(b₀−1), and decryption
    /// centres values in (−q₀/2, q₀/2)); the output product runs at scale ≈ Δ² over q₀·q₁,
    /// which leaves the same room when q₁ ≈ Δ. 4096 for ``CKKSParameters/n8192Depth3``.
    /// ``CKKSSquareMLP/outputMagnitudeBound(images:plan:)`` must stay below it.
    public var valueLimit: Double {
        Double(sign: .plus, exponent: parameters.coefficientModulusBits[0] - 2, significand: 1) / parameters.scale
    }

    /// The rotation steps of both products: exactly the Galois keys the client generates.
    public var galoisSteps: [Int] {
        CKKSMatrixShape.normalisedSteps(hiddenShape.galoisSteps + outputShape.galoisSteps, slotCount: layout.slotCount)
    }
}

/// The keys a server needs to evaluate on a client's ciphertexts: relinearisation and Galois
/// keys. They let the server compute but not decrypt, and no secret key can be put in one.
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let generator = CKKSKeyGenerator(context: context)
/// let keys = CKKSEvaluationKeys(relinearization: generator.relinearizationKey(), galois: generator.galoisKeys(rotations: [1]))
/// print(keys.galois.galoisElements.count)  // 1
/// ```
public struct CKKSEvaluationKeys: Sendable {
    /// The relinearisation key.
    public let relinearization: CKKSRelinearizationKey
    /// The Galois keys of the plan's rotations.
    public let galois: CKKSGaloisKeys

    /// Bundles the two keys.
    public init(relinearization: CKKSRelinearizationKey, galois: CKKSGaloisKeys) {
        self.relinearization = relinearization
        self.galois = galois
    }
}

/// Encrypted images on their way to the server: one ciphertext holding `imageCount` images, one
/// per block of the plan's layout.
public struct CKKSEncryptedImages: Sendable {
    /// The ciphertext.
    public let ciphertext: CKKSCiphertext
    /// How many blocks hold an image (the first `imageCount`).
    public let imageCount: Int

    /// Wraps a ciphertext (for example a deserialised one) holding `imageCount` images.
    public init(ciphertext: CKKSCiphertext, imageCount: Int) {
        self.ciphertext = ciphertext
        self.imageCount = imageCount
    }
}

/// Encrypted logits on their way back to the client: logits r of image b in slot
/// b·blockSize + r.
public struct CKKSEncryptedLogits: Sendable {
    /// The ciphertext (at level 1).
    public let ciphertext: CKKSCiphertext
    /// How many blocks hold an image's logits.
    public let imageCount: Int

    /// Wraps a ciphertext holding the logits of `imageCount` images.
    public init(ciphertext: CKKSCiphertext, imageCount: Int) {
        self.ciphertext = ciphertext
        self.imageCount = imageCount
    }
}

/// The data owner's side of encrypted inference: holds the secret key, makes the evaluation keys
/// for the server, encrypts batches of images and decrypts the logits.
///
/// ```swift
/// let model = try CKKSSquareMLP(hiddenWeights: [[0.5, -0.25], [1, 1]], hiddenBias: [0, 0.5],
///                               outputWeights: [[1, -1], [0.5, 0.5]], outputBias: [0, 1])
/// let parameters = try CKKSParameters.insecureForTesting(polyDegree: 64, coefficientModulusBits: [50, 36, 36, 36, 50], scale: 0x1p36)
/// let plan = try CKKSInferencePlan(parameters: parameters, model: model)
/// let client = try CKKSInferenceClient(plan: plan)
/// let server = try CKKSInferenceServer(model: model, plan: plan, keys: client.evaluationKeys())
/// let encrypted = try client.encrypt(images: [[1, 2], [0, -1]])
/// let logits = try client.decrypt(encrypted.map { batch throws(CryptoError) in try server.evaluate(batch) })
/// print(logits.count, abs(logits[0][0] - model.logits([1.0, 2.0])[0]) < 1e-3)  // 2 true
/// ```
public struct CKKSInferenceClient: Sendable {
    /// The plan.
    public let plan: CKKSInferencePlan
    /// The context of the plan's parameters.
    public let context: CKKSContext
    let generator: CKKSKeyGenerator
    let encoder: CKKSEncoder
    let encryptor: CKKSEncryptor
    let decryptor: CKKSDecryptor

    /// A client with a fresh secret key (system CSPRNG) for `plan`; throws when the primes of the
    /// parameters cannot be generated.
    public init(plan: CKKSInferencePlan) throws(CryptoError) {
        try self.init(plan: plan, context: CKKSContext(parameters: plan.parameters))
    }

    /// A client on an existing context (of the plan's parameters); throws `invalidParameter`
    /// otherwise.
    public init(plan: CKKSInferencePlan, context: CKKSContext) throws(CryptoError) {
        guard context.parameters == plan.parameters else {
            throw CryptoError(.invalidParameter, "the context's parameters are not the plan's")
        }
        self.plan = plan
        self.context = context
        generator = CKKSKeyGenerator(context: context)
        encoder = CKKSEncoder(context: context)
        // The client holds the secret key: secret-key encryption has less noise and seeded
        // ciphertexts (half the size on the wire).
        encryptor = try CKKSEncryptor(context: context, secretKey: generator.secretKey)
        decryptor = try CKKSDecryptor(context: context, secretKey: generator.secretKey)
    }

    /// The relinearisation key and Galois keys for exactly ``CKKSInferencePlan/galoisSteps``.
    /// Cost: one key-switching key (L·(L+1)·N words, twice) per step plus one.
    public func evaluationKeys() -> CKKSEvaluationKeys {
        CKKSEvaluationKeys(relinearization: generator.relinearizationKey(), galois: generator.galoisKeys(rotations: plan.galoisSteps))
    }

    /// Encrypts `images` (each `plan.inputCount` values, Float or Double), packing
    /// `plan.imagesPerCiphertext` per ciphertext in order. Throws `invalidParameter` for an image
    /// of another length or with a non-finite value.
    public func encrypt<Scalar: BinaryFloatingPoint>(images: [[Scalar]]) throws(CryptoError) -> [CKKSEncryptedImages] {
        for (i, image) in images.enumerated() where image.count != plan.inputCount {
            throw CryptoError(.invalidParameter, "image \(i) has \(image.count) values; the model takes \(plan.inputCount)")
        }
        var batches: [CKKSEncryptedImages] = []
        let perCiphertext = plan.imagesPerCiphertext
        for start in stride(from: 0, to: images.count, by: perCiphertext) {
            let chunk = Array(images[start..<min(start + perCiphertext, images.count)])
            let slots = try plan.layout.pack(chunk)
            let ciphertext = try encryptor.encrypt(encoder.encode(slots))
            batches.append(CKKSEncryptedImages(ciphertext: ciphertext, imageCount: chunk.count))
        }
        return batches
    }

    /// Decrypts and decodes the logits of every batch, in order: one array of
    /// `plan.outputCount` logits per image. Throws `operandMismatch` for a ciphertext under another
    /// key or context.
    public func decrypt(_ logits: [CKKSEncryptedLogits]) throws(CryptoError) -> [[Double]] {
        var result: [[Double]] = []
        for batch in logits {
            let slots = try encoder.decode(decryptor.decrypt(batch.ciphertext))
            result += plan.layout.unpack(slots, count: batch.imageCount, width: plan.outputCount)
        }
        return result
    }
}

/// The server's side of encrypted inference: the plaintext model, its matrices encoded once, and
/// the client's evaluation keys. It holds no secret key (its inputs are ``CKKSEvaluationKeys``),
/// so it computes logits it cannot read.
///
/// Per ciphertext of images: W₁·x by ``CKKSEvaluator/multiply(_:_:keys:)`` at the top level,
/// + b₁, square, relinearise and rescale, W₂·h two levels lower, + b₂; the logits come back at
/// level 1. See ``CKKSInferenceClient`` for an example.
public struct CKKSInferenceServer: Sendable {
    /// The plan.
    public let plan: CKKSInferencePlan
    /// The context.
    public let context: CKKSContext
    let model: CKKSSquareMLP
    let keys: CKKSEvaluationKeys
    let hidden: CKKSEncodedMatrix
    let output: CKKSEncodedMatrix
    let hiddenBiasSlots: [Double]
    let outputBiasSlots: [Double]
    let encoder: CKKSEncoder
    let evaluator: CKKSEvaluator

    /// Encodes `model`'s matrices for `plan` and checks the keys: throws `invalidParameter` when
    /// the model's shape is not the plan's, `operandMismatch` when the keys belong to another
    /// context or lack a rotation of the plan (naming the missing steps).
    public init(model: CKKSSquareMLP, plan: CKKSInferencePlan, keys: CKKSEvaluationKeys) throws(CryptoError) {
        try self.init(model: model, plan: plan, context: CKKSContext(parameters: plan.parameters), keys: keys)
    }

    /// As ``init(model:plan:keys:)`` on an existing context of the plan's parameters.
    public init(model: CKKSSquareMLP, plan: CKKSInferencePlan, context: CKKSContext, keys: CKKSEvaluationKeys) throws(CryptoError) {
        guard context.parameters == plan.parameters else {
            throw CryptoError(.invalidParameter, "the context's parameters are not the plan's")
        }
        guard model.inputCount == plan.inputCount, model.hiddenCount == plan.hiddenShape.outputCount,
              model.outputCount == plan.outputCount else {
            throw CryptoError(.invalidParameter,
                              "the model is \(model.inputCount)-\(model.hiddenCount)-\(model.outputCount), the plan \(plan.inputCount)-\(plan.hiddenShape.outputCount)-\(plan.outputCount)")
        }
        try context.checkSame(keys.relinearization.contextIdentifier, "the relinearisation key")
        try context.checkSame(keys.galois.contextIdentifier, "the Galois keys")
        guard keys.relinearization.keyIdentifier == keys.galois.keyIdentifier else {
            throw CryptoError(.operandMismatch, "the relinearisation and Galois keys belong to different secret keys")
        }
        let missing = keys.galois.missingRotations(plan.galoisSteps, context: context)
        guard missing.isEmpty else {
            throw CryptoError(.operandMismatch, "the Galois keys lack rotations \(missing) of the plan; generate keys for CKKSInferencePlan.galoisSteps")
        }
        let top = context.maximumLevel
        self.plan = plan
        self.context = context
        self.model = model
        self.keys = keys
        hidden = try CKKSEncodedMatrix(weights: model.hiddenWeights, shape: plan.hiddenShape, context: context, level: top)
        output = try CKKSEncodedMatrix(weights: model.outputWeights, shape: plan.outputShape, context: context, level: top - 2)
        hiddenBiasSlots = try plan.layout.replicate(model.hiddenBias)
        outputBiasSlots = try plan.layout.replicate(model.outputBias)
        encoder = CKKSEncoder(context: context)
        evaluator = CKKSEvaluator(context: context)
    }

    /// The encrypted logits of `images`. Throws `operandMismatch` when the ciphertext is under
    /// another key than the evaluation keys, of another context, or below the top level.
    public func evaluate(_ images: CKKSEncryptedImages) throws(CryptoError) -> CKKSEncryptedLogits {
        let x = images.ciphertext
        guard x.keyIdentifier == keys.galois.keyIdentifier else {
            throw CryptoError(.operandMismatch, "the images were encrypted under another key than the evaluation keys")
        }
        var h = try evaluator.multiply(hidden, x, keys: keys.galois)
        h = try evaluator.add(h, encoder.encode(hiddenBiasSlots, scale: h.scale, level: h.level))
        h = try evaluator.rescale(evaluator.relinearize(evaluator.square(h), key: keys.relinearization))
        var y = try evaluator.multiply(output, h, keys: keys.galois)
        y = try evaluator.add(y, encoder.encode(outputBiasSlots, scale: y.scale, level: y.level))
        return CKKSEncryptedLogits(ciphertext: y, imageCount: images.imageCount)
    }
}
