import Foundation

/// Where a trained model came from: architecture, data, seed, training settings, defence,
/// differential-privacy parameters and the tool version.
///
/// The one record of a model's provenance. ``ModelFile`` writes it into a safetensors file's
/// `__metadata__` and reads it back, through ``metadata`` and ``init(metadata:)`` — the only
/// code that knows the `bulwark.*` key names. Files written by earlier versions (the same keys,
/// without `tool_version`, `data_sha256` and the newer defence keys) read back unchanged.
///
/// ```swift
/// let url = URL(fileURLWithPath: "mlp.safetensors")
/// let provenance = try ModelProvenance(metadata: SafeTensors.read(from: url).metadata)
/// if let dp = provenance?.differentialPrivacy, dp.supportsPrivacyClaim { print(dp.epsilon) }
/// ```
public struct ModelProvenance: Codable, Sendable, Equatable {
    /// The zoo architecture.
    public var architecture: ZooArchitecture
    /// The example shape (without the batch axis) the model was built for; recorded for the
    /// architectures sized from the data (``ZooArchitecture/isSizedFromData``), `nil` otherwise.
    public var inputShape: [Int]?
    /// The number of classes the model was built for; recorded with ``inputShape``.
    public var classCount: Int?
    /// The hidden sizes and activation of an `mlp` built as a ``ZooVariant`` other than
    /// ``ZooVariant/standard`` (`nil`: the standard architecture); ``ModelFile`` rebuilds it.
    public var variant: ZooVariant?
    /// Name of the training dataset (`fashion-mnist`).
    public var dataset: String?
    /// SHA-256 (hex) of the training data as trained on; see ``ModelTraining/dataSHA256(inputs:labels:)``.
    public var dataSHA256: String?
    /// Training examples.
    public var trainImages: Int?
    /// Seed of initialisation, shuffling and any training randomness.
    public var seed: UInt64?
    /// Passes over the training set (each of teacher and student for distillation).
    public var epochs: Int?
    /// Examples per step (the expected batch for Poisson-sampled DP-SGD is not recorded here).
    public var batchSize: Int?
    /// The optimiser's learning rate.
    public var learningRate: Float?
    /// The optimiser (`adam`, `sgd`).
    public var optimizer: String?
    /// Accuracy on the whole test set right after training, rounded to 4 decimals when stored.
    public var testAccuracy: Double?
    /// Wall seconds of training, rounded to 0.1 s when stored.
    public var trainingSeconds: Double?
    /// The training-time defence, if any.
    public var defence: Defence?
    /// The differential-privacy guarantee claimed for the training, if any.
    public var differentialPrivacy: DifferentialPrivacy?
    /// The Bulwark version that trained the model (`nil` for files from before it was recorded).
    public var toolVersion: String?
    /// The feature standardisation (JSON of BulwarkData's `FeatureStandardisation`) applied to
    /// CSV inputs before the model sees them; every command that feeds the model CSV data applies it.
    public var featureStandardisation: String?

    /// A record that knows only the architecture; the trainer fills in the rest.
    public init(architecture: ZooArchitecture, dataset: String? = nil, seed: UInt64? = nil) {
        self.architecture = architecture
        self.dataset = dataset
        self.seed = seed
    }

    /// A training-time defence and its parameters.
    public struct Defence: Codable, Sendable, Equatable {
        /// Its short name (`pgd-at`, `trades`, `fast-at`, `noise`, `distillation`).
        public var name: String
        /// L∞ budget ε of adversarial training (and of the robustness check).
        public var epsilon: Float?
        /// Attack steps per example (PGD-AT, TRADES).
        public var steps: Int?
        /// TRADES weight β.
        public var beta: Float?
        /// Noise standard deviation σ (Gaussian augmentation).
        public var sigma: Float?
        /// Softmax temperature (distillation).
        public var temperature: Float?
        /// Epochs over which ε ramps up from 0.
        public var warmupEpochs: Int?

        /// A defence record.
        public init(name: String, epsilon: Float? = nil, steps: Int? = nil, beta: Float? = nil, sigma: Float? = nil,
                    temperature: Float? = nil, warmupEpochs: Int? = nil) {
            self.name = name
            self.epsilon = epsilon
            self.steps = steps
            self.beta = beta
            self.sigma = sigma
            self.temperature = temperature
            self.warmupEpochs = warmupEpochs
        }
    }

    /// A DP training run's parameters and the ε it spent.
    public struct DifferentialPrivacy: Codable, Sendable, Equatable {
        /// The mechanism (`dp-sgd`).
        public var mechanism: String
        /// ε spent, for ``delta``.
        public var epsilon: Double
        /// δ of (ε, δ).
        public var delta: Double
        /// σ: noise standard deviation over the clipping norm.
        public var noiseMultiplier: Double
        /// C: the per-example clipping norm.
        public var maxGradientNorm: Double
        /// q: the sampling rate.
        public var samplingRate: Double
        /// How batches were sampled (`poisson`).
        public var sampler: String
        /// Steps the accountant composed.
        public var steps: Int
        /// The accountant that computed ε.
        public var accountant: String
        /// Where noise and batches came from; starts with `secure` only for the CSPRNG.
        public var randomness: String

        /// A DP record.
        public init(mechanism: String, epsilon: Double, delta: Double, noiseMultiplier: Double, maxGradientNorm: Double,
                    samplingRate: Double, sampler: String, steps: Int, accountant: String, randomness: String) {
            self.mechanism = mechanism
            self.epsilon = epsilon
            self.delta = delta
            self.noiseMultiplier = noiseMultiplier
            self.maxGradientNorm = maxGradientNorm
            self.samplingRate = samplingRate
            self.sampler = sampler
            self.steps = steps
            self.accountant = accountant
            self.randomness = randomness
        }

        /// Whether ε is a claim at all: only noise from the CSPRNG supports one.
        public var supportsPrivacyClaim: Bool { randomness.hasPrefix("secure") }
    }
}

extension ModelProvenance {
    /// The safetensors `__metadata__` entries of this record (all keys start with `bulwark.`).
    ///
    /// Numbers are written as before this type existed: integers in decimal, `Float`/`Double`
    /// by their shortest round-tripping description, test accuracy with 4 decimals and training
    /// time with 1.
    public var metadata: [String: String] {
        var m: [String: String] = [Key.architecture: architecture.rawValue]
        m[Key.inputShape] = inputShape.map { $0.map(String.init).joined(separator: ",") }
        m[Key.classCount] = classCount.map { String($0) }
        if let variant, !variant.isStandard {
            m[Key.hiddenSizes] = variant.hiddenSizesText
            m[Key.activation] = variant.activation.rawValue
        }
        m[Key.dataset] = dataset
        m[Key.dataSHA256] = dataSHA256
        m[Key.trainImages] = trainImages.map { String($0) }
        m[Key.seed] = seed.map { String($0) }
        m[Key.epochs] = epochs.map { String($0) }
        m[Key.batchSize] = batchSize.map { String($0) }
        m[Key.learningRate] = learningRate.map { String($0) }
        m[Key.optimizer] = optimizer
        m[Key.testAccuracy] = testAccuracy.map { String(format: "%.4f", $0) }
        m[Key.trainingSeconds] = trainingSeconds.map { String(format: "%.1f", $0) }
        m[Key.toolVersion] = toolVersion
        m[Key.featureStandardisation] = featureStandardisation
        if let d = defence {
            m[Key.defence] = d.name
            m[Key.defenceEpsilon] = d.epsilon.map { String($0) }
            m[Key.defenceSteps] = d.steps.map { String($0) }
            m[Key.defenceBeta] = d.beta.map { String($0) }
            m[Key.defenceSigma] = d.sigma.map { String($0) }
            m[Key.defenceTemperature] = d.temperature.map { String($0) }
            m[Key.defenceWarmupEpochs] = d.warmupEpochs.map { String($0) }
        }
        if let p = differentialPrivacy {
            m[Key.dp] = p.mechanism
            m[Key.dpEpsilon] = String(p.epsilon)
            m[Key.dpDelta] = String(p.delta)
            m[Key.dpNoiseMultiplier] = String(p.noiseMultiplier)
            m[Key.dpMaxGradientNorm] = String(p.maxGradientNorm)
            m[Key.dpSamplingRate] = String(p.samplingRate)
            m[Key.dpSampler] = p.sampler
            m[Key.dpSteps] = String(p.steps)
            m[Key.dpAccountant] = p.accountant
            m[Key.dpRandomness] = p.randomness
        }
        return m
    }

    /// The stored entries as (name, value) pairs in a fixed reading order — architecture and
    /// data first, then training, defence, DP — each name its metadata key without `bulwark.`.
    /// For tables in reports.
    public var fields: [(name: String, value: String)] {
        let m = metadata
        return Key.readingOrder.compactMap { key in m[key].map { (String(key.dropFirst(Key.prefix.count)), $0) } }
    }

    /// Reads the record from safetensors metadata; `nil` when it names no architecture (a file
    /// not written by Bulwark). Keys it does not know are ignored.
    ///
    /// - Throws: ``ModelError`` (`.malformed`) naming the key whose value is not what it should
    ///   be, or (`.unknownArchitecture`) for an architecture outside the zoo.
    public init?(metadata m: [String: String]) throws(ModelError) {
        guard let arch = try Self.architecture(in: m) else { return nil }
        let r = MetadataReader(m)
        self.init(architecture: arch, dataset: m[Key.dataset], seed: try r.value(Key.seed))
        inputShape = try r.shape(Key.inputShape)
        classCount = try r.value(Key.classCount)
        let recorded = try Self.variant(in: m)
        variant = recorded.isStandard ? nil : recorded
        dataSHA256 = m[Key.dataSHA256]
        trainImages = try r.value(Key.trainImages)
        epochs = try r.value(Key.epochs)
        batchSize = try r.value(Key.batchSize)
        learningRate = try r.value(Key.learningRate)
        optimizer = m[Key.optimizer]
        testAccuracy = try r.value(Key.testAccuracy)
        trainingSeconds = try r.value(Key.trainingSeconds)
        toolVersion = m[Key.toolVersion]
        featureStandardisation = m[Key.featureStandardisation]
        if let name = m[Key.defence] {
            defence = Defence(name: name, epsilon: try r.value(Key.defenceEpsilon), steps: try r.value(Key.defenceSteps),
                              beta: try r.value(Key.defenceBeta), sigma: try r.value(Key.defenceSigma),
                              temperature: try r.value(Key.defenceTemperature), warmupEpochs: try r.value(Key.defenceWarmupEpochs))
        }
        if let mechanism = m[Key.dp] {
            differentialPrivacy = DifferentialPrivacy(
                mechanism: mechanism, epsilon: try r.required(Key.dpEpsilon), delta: try r.required(Key.dpDelta),
                noiseMultiplier: try r.required(Key.dpNoiseMultiplier), maxGradientNorm: try r.required(Key.dpMaxGradientNorm),
                samplingRate: try r.required(Key.dpSamplingRate), sampler: try r.required(Key.dpSampler),
                steps: try r.required(Key.dpSteps), accountant: try r.required(Key.dpAccountant),
                randomness: try r.required(Key.dpRandomness))
        }
    }

    /// Only the architecture recorded in `metadata` (`nil` when none is).
    /// - Throws: ``ModelError`` (`.unknownArchitecture`) for a name outside the zoo.
    public static func architecture(in metadata: [String: String]) throws(ModelError) -> ZooArchitecture? {
        guard let name = metadata[Key.architecture] else { return nil }
        guard let arch = ZooArchitecture(rawValue: name) else {
            throw ModelError(.unknownArchitecture, "unknown architecture '\(name)' in metadata (known: \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return arch
    }

    /// Only the input shape and class count recorded in `metadata` (each `nil` when absent).
    /// - Throws: ``ModelError`` (`.malformed`) naming the key whose value does not parse.
    public static func shape(in metadata: [String: String]) throws(ModelError) -> (inputShape: [Int]?, classCount: Int?) {
        let r = MetadataReader(metadata)
        return (try r.shape(Key.inputShape), try r.value(Key.classCount))
    }

    /// Only the ``ZooVariant`` recorded in `metadata` (``ZooVariant/standard`` when none is).
    /// - Throws: ``ModelError`` (`.malformed`) naming the key whose value does not parse.
    public static func variant(in metadata: [String: String]) throws(ModelError) -> ZooVariant {
        let hidden: [Int]?
        if let text = metadata[Key.hiddenSizes] {
            do { hidden = try ZooVariant.parseHiddenSizes(text) } catch {
                throw ModelError(.malformed, "metadata \(Key.hiddenSizes) = '\(text)': \(error.message)")
            }
        } else {
            hidden = nil
        }
        var activation = ZooActivation.relu
        if let text = metadata[Key.activation] {
            guard let a = ZooActivation(rawValue: text) else {
                throw ModelError(.malformed, "metadata \(Key.activation) = '\(text)' is not one of \(ZooActivation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            activation = a
        }
        do { return try ZooVariant(hiddenSizes: hidden, activation: activation) } catch {
            throw ModelError(.malformed, "metadata \(Key.hiddenSizes): \(error.message)")
        }
    }

    /// The metadata keys, here and nowhere else.
    enum Key {
        static let architecture = "bulwark.architecture"
        static let inputShape = "bulwark.input_shape"
        static let classCount = "bulwark.class_count"
        static let hiddenSizes = "bulwark.hidden_sizes"
        static let activation = "bulwark.activation"
        static let dataset = "bulwark.dataset"
        static let dataSHA256 = "bulwark.data_sha256"
        static let trainImages = "bulwark.train_images"
        static let seed = "bulwark.seed"
        static let epochs = "bulwark.epochs"
        static let batchSize = "bulwark.batch_size"
        static let learningRate = "bulwark.learning_rate"
        static let optimizer = "bulwark.optimizer"
        static let testAccuracy = "bulwark.test_accuracy"
        static let trainingSeconds = "bulwark.training_seconds"
        static let toolVersion = "bulwark.tool_version"
        static let featureStandardisation = "bulwark.standardisation"
        // The defence keys kept their first names (`bulwark.epsilon`, …) so older files read back.
        static let defence = "bulwark.defense"
        static let defenceEpsilon = "bulwark.epsilon"
        static let defenceSigma = "bulwark.sigma"
        static let defenceTemperature = "bulwark.temperature"
        static let defenceSteps = "bulwark.defense.steps"
        static let defenceBeta = "bulwark.defense.beta"
        static let defenceWarmupEpochs = "bulwark.defense.warmup_epochs"
        static let dp = "bulwark.dp"
        static let dpEpsilon = "bulwark.dp.epsilon"
        static let dpDelta = "bulwark.dp.delta"
        static let dpNoiseMultiplier = "bulwark.dp.noise_multiplier"
        static let dpMaxGradientNorm = "bulwark.dp.max_grad_norm"
        static let dpSamplingRate = "bulwark.dp.sampling_rate"
        static let dpSampler = "bulwark.dp.sampler"
        static let dpSteps = "bulwark.dp.steps"
        static let dpAccountant = "bulwark.dp.accountant"
        static let dpRandomness = "bulwark.dp.randomness"
        static let prefix = "bulwark."
        static let readingOrder = [
            architecture, inputShape, classCount, hiddenSizes, activation, dataset, dataSHA256, trainImages, seed, epochs, batchSize, optimizer, learningRate, testAccuracy,
            trainingSeconds, toolVersion, defence, defenceEpsilon, defenceSteps, defenceBeta, defenceSigma, defenceTemperature,
            defenceWarmupEpochs, dp, dpEpsilon, dpDelta, dpNoiseMultiplier, dpMaxGradientNorm, dpSamplingRate, dpSampler, dpSteps,
            dpAccountant, dpRandomness,
        ]
    }
}

/// Typed reads of metadata strings, with errors that name the key.
private struct MetadataReader {
    let metadata: [String: String]
    init(_ metadata: [String: String]) { self.metadata = metadata }

    func value<T: LosslessStringConvertible>(_ key: String) throws(ModelError) -> T? {
        guard let text = metadata[key] else { return nil }
        guard let v = T(text) else { throw ModelError(.malformed, "metadata \(key) = '\(text)' is not a valid \(T.self)") }
        return v
    }

    /// A shape written as positive decimal sizes separated by commas (`3,32,32`).
    func shape(_ key: String) throws(ModelError) -> [Int]? {
        guard let text = metadata[key] else { return nil }
        let sizes = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard !sizes.isEmpty, sizes.count <= 8, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ModelError(.malformed, "metadata \(key) = '\(text)' is not a list of positive sizes such as 3,32,32")
        }
        return sizes.compactMap { $0 }
    }

    func required<T: LosslessStringConvertible>(_ key: String) throws(ModelError) -> T {
        guard let v: T = try value(key) else { throw ModelError(.malformed, "metadata has \(ModelProvenance.Key.dp) but no \(key)") }
        return v
    }
}
