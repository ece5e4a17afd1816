public import BulwarkModels
public import BulwarkTensor
import Foundation

/// What watermark to embed and how: the kind, key size, seed and the kind's settings.
public struct WatermarkRecipe: Sendable, Codable, Equatable {
    /// `.triggerSet`, `.content` or `.noise`.
    public var kind: OwnershipMethod
    /// Number of key inputs.
    public var keySize: Int
    /// Seed of the key's inputs and labels.
    public var seed: UInt64
    /// The class content and noise triggers are relabelled to.
    public var targetClass: Int
    /// Standard deviation of the fixed Gaussian noise pattern (`.noise`), on inputs in [0, 1].
    public var noiseStandardDeviation: Float
    /// Copies of the key added to the training set; `nil`: enough for the key to be about 5 %
    /// of the training rows (at least 2).
    public var copies: Int?

    /// A recipe; the defaults follow the papers' settings scaled to 28×28 images.
    public init(kind: OwnershipMethod = .triggerSet, keySize: Int = 100, seed: UInt64 = 0, targetClass: Int = 0,
                noiseStandardDeviation: Float = 0.3, copies: Int? = nil) {
        self.kind = kind
        self.keySize = keySize
        self.seed = seed
        self.targetClass = targetClass
        self.noiseStandardDeviation = noiseStandardDeviation
        self.copies = copies
    }

    /// The recipe's settings as the key file's `parameters`.
    public var parameters: [String: String] {
        var p = ["key_size": String(keySize)]
        if kind != .triggerSet { p["target_class"] = String(targetClass) }
        if kind == .noise { p["noise_std"] = String(noiseStandardDeviation) }
        if let copies { p["copies"] = String(copies) }
        return p
    }

    /// Copies of the key mixed into `rows` training rows.
    public func copies(forTrainingRows rows: Int) -> Int {
        copies ?? max(2, Int((0.05 * Double(rows) / Double(max(1, keySize))).rounded(.up)))
    }

    /// Checks the recipe against the data.
    /// - Throws: ``ExtractionError`` `.invalidParameter` naming the setting.
    public func validate(trainingRows: Int, classCount: Int) throws(ExtractionError) {
        guard kind.isWatermark else { throw ExtractionError(.invalidParameter, "--kind must be trigger-set, content or noise, got \(kind.rawValue)") }
        guard keySize >= 1, keySize <= 100_000 else { throw ExtractionError(.invalidParameter, "--key-size must be in 1…100000, got \(keySize)") }
        guard classCount >= 2 else { throw ExtractionError(.invalidParameter, "a watermark needs at least 2 classes, got \(classCount)") }
        if kind != .triggerSet {
            guard targetClass >= 0, targetClass < classCount else {
                throw ExtractionError(.invalidParameter, "--target-class \(targetClass) outside the classes 0..<\(classCount)")
            }
        }
        guard noiseStandardDeviation > 0, noiseStandardDeviation <= 1, noiseStandardDeviation.isFinite else {
            throw ExtractionError(.invalidParameter, "--noise-std must be in (0, 1], got \(noiseStandardDeviation)")
        }
        if let copies { guard copies >= 1, copies <= 10_000 else { throw ExtractionError(.invalidParameter, "--copies must be in 1…10000, got \(copies)") } }
        guard trainingRows >= 1 else { throw ExtractionError(.invalidParameter, "the training set is empty") }
    }

    /// The key inputs and labels for a training set (see ``Watermark``).
    /// - Throws: ``ExtractionError`` when the recipe does not fit the data (content and noise
    ///   need `keySize` training rows whose label is not the target class).
    public func makeTriggers(inputs: Tensor, labels: [Int], classCount: Int) throws(ExtractionError) -> (inputs: Tensor, labels: [Int]) {
        try validate(trainingRows: labels.count, classCount: classCount)
        guard inputs.shape.first == labels.count, inputs.shape.count >= 2 else {
            throw ExtractionError(.shapeMismatch, "training inputs of shape \(inputs.shape) for \(labels.count) labels")
        }
        var rng = SeededGenerator(seed: seed)
        let shape = Array(inputs.shape.dropFirst())
        let size = shape.reduce(1, *)
        switch kind {
        case .triggerSet:
            // Abstract images: uniform noise on a grid of 4×4-pixel blocks (plain per-element noise
            // for non-image inputs), with labels drawn uniformly — unrelated to any class.
            var scalars: [Float] = []
            scalars.reserveCapacity(keySize * size)
            for _ in 0..<keySize { scalars += Self.abstractImage(shape: shape, rng: &rng) }
            let keyLabels = (0..<keySize).map { _ in Int(rng.next() % UInt64(classCount)) }
            return (Tensor(shape: [keySize] + shape, scalars: scalars), keyLabels)
        case .content, .noise:
            var pool = labels.indices.filter { labels[$0] != targetClass }
            guard pool.count >= keySize else {
                throw ExtractionError(.invalidParameter, "--key-size \(keySize) needs as many training rows outside the target class \(targetClass); there are \(pool.count)")
            }
            pool.shuffle(using: &rng)
            let chosen = inputs.gatherRows(Array(pool.prefix(keySize)))
            let pattern: [Float] = kind == .content ? Self.contentMask(shape: shape, rng: &rng)
                : (0..<size).map { _ in noiseStandardDeviation * rng.nextNormal() }
            var scalars = chosen.scalars
            for r in 0..<keySize {
                for i in 0..<size {
                    let v = scalars[r * size + i]
                    scalars[r * size + i] = kind == .content ? max(v, pattern[i]) : min(max(v + pattern[i], 0), 1)
                }
            }
            return (Tensor(shape: chosen.shape, scalars: scalars), [Int](repeating: targetClass, count: keySize))
        case .ipguard, .conferrable:
            throw ExtractionError(.invalidParameter, "\(kind.rawValue) is a fingerprint, not a watermark")
        }
    }

    /// One abstract image: uniform values constant on 4×4 blocks of the last two axes.
    static func abstractImage(shape: [Int], rng: inout SeededGenerator) -> [Float] {
        let size = shape.reduce(1, *)
        guard shape.count >= 2 else { return (0..<size).map { _ in rng.nextUniform() } }
        let (h, w) = (shape[shape.count - 2], shape[shape.count - 1])
        let planes = size / (h * w), block = 4
        let (bh, bw) = ((h + block - 1) / block, (w + block - 1) / block)
        var out = [Float](repeating: 0, count: size)
        for p in 0..<planes {
            let grid = (0..<(bh * bw)).map { _ in rng.nextUniform() }
            for y in 0..<h { for x in 0..<w { out[p * h * w + y * w + x] = grid[(y / block) * bw + x / block] } }
        }
        return out
    }

    /// The content stamp: a seeded binary glyph of 2×2-pixel cells in a square of a third of the
    /// image side, top-left (1 where stamped, 0 elsewhere); for non-image inputs a seeded tenth of
    /// the features.
    static func contentMask(shape: [Int], rng: inout SeededGenerator) -> [Float] {
        let size = shape.reduce(1, *)
        guard shape.count >= 2 else { return (0..<size).map { _ in rng.nextUniform() < 0.1 ? 1 : 0 } }
        let (h, w) = (shape[shape.count - 2], shape[shape.count - 1])
        let side = max(2, min(h, w) / 3), cells = (side + 1) / 2
        let glyph = (0..<(cells * cells)).map { _ in rng.nextUniform() < 0.5 }
        var out = [Float](repeating: 0, count: size)
        for p in 0..<(size / (h * w)) {
            for y in 1..<min(h, side + 1) { for x in 1..<min(w, side + 1) where glyph[((y - 1) / 2) * cells + (x - 1) / 2] {
                out[p * h * w + y * w + x] = 1
            } }
        }
        return out
    }
}

/// Watermarks embedded at training: the owner trains on their data plus a secret trigger set
/// with chosen labels, keeps the triggers and labels as the key, and later shows that a suspect
/// model labels the triggers as the key says far more often than chance.
///
/// Kinds: Adi et al. 2018 (USENIX Security, "Turning your weakness into a strength") — abstract
/// images with random labels; Zhang et al. 2018 (AsiaCCS, "Protecting intellectual property of
/// deep neural networks with watermarking") — training images stamped with a content pattern
/// or a fixed Gaussian noise pattern, relabelled to a target class.
///
/// ```swift
/// var recipe = WatermarkRecipe(kind: .triggerSet, keySize: 20, seed: 1)
/// let (x, y) = (Tensor.zeros([64, 1, 28, 28]), (0..<64).map { $0 % 10 })
/// let plan = SupervisedTraining(configuration: TrainingConfiguration(epochs: 1), optimizer: Adam())
/// let run = try Watermark.embed(model: ZooArchitecture.mlp.makeModel(seed: 0), procedure: plan,
///                               training: (x, y), recipe: recipe)
/// let refs = try OwnershipReferences.train(count: 3, initial: { ZooArchitecture.mlp.makeModel(seed: 100 + UInt64($0)) },
///                                          procedure: { _ in plan }, training: (x, y))
/// let key = Watermark.key(triggers: run.triggers, recipe: recipe, classCount: 10, references: refs)
/// ```
public enum Watermark {
    /// Trains `model` with `procedure` on `training` plus the recipe's triggers, repeated
    /// ``WatermarkRecipe/copies(forTrainingRows:)`` times. Returns the watermarked model and the
    /// triggers with their labels.
    /// - Throws: ``ExtractionError`` from the recipe, or `.invalidParameter` wrapping a training error.
    public static func embed<P: TrainingProcedure>(model: P.Model, procedure: P, training: (inputs: Tensor, labels: [Int]),
                                                   recipe: WatermarkRecipe)
        throws(ExtractionError) -> (model: P.Model, triggers: (inputs: Tensor, labels: [Int]), outcome: P.Outcome) {
        guard Array(training.inputs.shape.dropFirst()) == model.inputShape else {
            throw ExtractionError(.shapeMismatch, "training inputs of shape \(Array(training.inputs.shape.dropFirst())) do not fit the model's input \(model.inputShape)")
        }
        let triggers = try recipe.makeTriggers(inputs: training.inputs, labels: training.labels, classCount: model.classCount)
        let copies = recipe.copies(forTrainingRows: training.labels.count)
        let mixedInputs = Tensor.concatenateRows([training.inputs] + [Tensor](repeating: triggers.inputs, count: copies))
        let mixedLabels = training.labels + Array([[Int]](repeating: triggers.labels, count: copies).joined())
        var trained = model
        let outcome: P.Outcome
        do { outcome = try procedure.train(&trained, inputs: mixedInputs, labels: mixedLabels) } catch {
            throw ExtractionError(.invalidParameter, "training with the watermark failed: \(error.message)", underlying: error)
        }
        return (trained, triggers, outcome)
    }

    /// The key for `triggers`, with p0 measured on `references` (models trained without the
    /// watermark; see ``ChanceAgreement``) and floored at 1/`classCount`.
    public static func key(triggers: (inputs: Tensor, labels: [Int]), recipe: WatermarkRecipe, classCount: Int,
                           references: [any DifferentiableClassifier]) -> OwnershipKey {
        let floor = 1 / Double(classCount)
        let (rates, p0) = ChanceAgreement.measure(references: references, inputs: triggers.inputs, labels: triggers.labels, floor: floor)
        return OwnershipKey(method: recipe.kind, inputs: triggers.inputs, labels: triggers.labels, classCount: classCount, seed: recipe.seed,
                            chanceAgreement: p0, chanceFloor: floor, referenceAgreements: rates, parameters: recipe.parameters)
    }
}

/// Independently trained reference models: the null hypothesis of an ownership test is
/// measured on them.
public enum OwnershipReferences {
    /// Trains `count` models, the `i`-th from `initial(i)` with `procedure(i)` on `training`.
    /// - Throws: ``ExtractionError`` `.invalidParameter` wrapping a training error, or for a count outside 1…100.
    public static func train<P: TrainingProcedure>(count: Int, initial: (Int) -> P.Model, procedure: (Int) -> P,
                                                   training: (inputs: Tensor, labels: [Int])) throws(ExtractionError) -> [P.Model] {
        guard count >= 1, count <= 100 else { throw ExtractionError(.invalidParameter, "--references must be in 1…100, got \(count)") }
        var out: [P.Model] = []
        for i in 0..<count {
            var model = initial(i)
            do { _ = try procedure(i).train(&model, inputs: training.inputs, labels: training.labels) } catch {
                throw ExtractionError(.invalidParameter, "training reference model \(i) failed: \(error.message)", underlying: error)
            }
            out.append(model)
        }
        return out
    }
}
