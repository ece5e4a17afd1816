import BulwarkArchive
public import BulwarkModels
public import BulwarkPoisoning
public import BulwarkTensor
import Foundation

/// Where a reference's and a monitor's embeddings come from.
public enum DriftEmbeddingSource: String, Codable, Sendable, CaseIterable {
    /// The penultimate layer's activations (``Sequential/activations(_:afterLayer:batchSize:)``).
    case penultimateLayer = "penultimate-layer"
    /// The logits: models that expose no intermediate layer (ONNX models, wrapped classifiers).
    case logits
    /// No embeddings: MMD is not computed.
    case none

    /// The source available for `model`: the penultimate layer of a ``Sequential`` model with at
    /// least two layers, the logits of every other model.
    public static func available(for model: any DifferentiableClassifier) -> DriftEmbeddingSource {
        if let sequential = model as? Sequential, sequential.layers.count >= 2 { return .penultimateLayer }
        return .logits
    }

    /// The embeddings of `inputs` (`N × inputShape`) from this source, `N × d`; nil for ``none``.
    /// Serving computes them with the same source as the reference.
    /// - Throws: ``ServingError`` `.invalidRequest` when the inputs do not fit the model, or
    ///   `.invalidParameter` when the source is the penultimate layer of a model that is not
    ///   ``Sequential``.
    public func embeddings(_ inputs: Tensor, model: any DifferentiableClassifier) throws(ServingError) -> Tensor? {
        guard inputs.rank >= 1, Array(inputs.shape.dropFirst()) == model.inputShape else {
            throw ServingError(.invalidRequest, "drift embeddings: inputs of shape \(inputs.shape), the model expects N×\(model.inputShape)")
        }
        switch self {
        case .none: return nil
        case .logits: return model.logits(inputs)
        case .penultimateLayer:
            guard let sequential = model as? Sequential else {
                throw ServingError(.invalidParameter, "drift embeddings: the penultimate layer is only available for Sequential models; use logits")
            }
            do { return try sequential.activations(inputs) } catch {
                throw ServingError(.invalidRequest, "drift embeddings: \(error.message)", underlying: error)
            }
        }
    }
}

/// Where a reference's label distribution comes from.
public enum DriftLabelSource: String, Codable, Sendable, CaseIterable {
    /// The model's predictions on the reference inputs.
    case modelPredictions = "model-predictions"
    /// The true labels of a data-validation ``DatasetProfile`` (a good model predicts them).
    case datasetProfile = "dataset-profile"
}

/// How ``DriftReference/make(inputs:model:modelName:options:)`` builds a reference.
public struct DriftReferenceOptions: Sendable {
    /// Equal-width bins of each feature's histogram (default 10; PSI needs few).
    public var histogramBins: Int
    /// Reference values kept per feature for the KS test (default 1000, chosen at random).
    public var sampleSize: Int
    /// Embeddings kept for MMD (default 500, chosen at random); the monitor's cost grows with it.
    public var embeddingSampleSize: Int
    /// The feature rule (nil: ``DriftFeatureMode/automatic(exampleShape:)``).
    public var featureMode: DriftFeatureMode?
    /// Where embeddings come from (nil: ``DriftEmbeddingSource/available(for:)``).
    public var embeddingSource: DriftEmbeddingSource?
    /// The profile of the data-validation work: when set, its label distribution is the
    /// reference for prediction drift (its class count must match the model's).
    public var labelProfile: DatasetProfile?
    /// The seed of the random subsamples.
    public var seed: UInt64
    /// Examples per forward pass.
    public var batchSize: Int

    /// Options with the defaults above.
    public init(histogramBins: Int = 10, sampleSize: Int = 1000, embeddingSampleSize: Int = 500, featureMode: DriftFeatureMode? = nil,
                embeddingSource: DriftEmbeddingSource? = nil, labelProfile: DatasetProfile? = nil, seed: UInt64 = 0, batchSize: Int = 256) {
        self.histogramBins = histogramBins
        self.sampleSize = sampleSize
        self.embeddingSampleSize = embeddingSampleSize
        self.featureMode = featureMode
        self.embeddingSource = embeddingSource
        self.labelProfile = labelProfile
        self.seed = seed
        self.batchSize = batchSize
    }
}

/// The reference profile a served model's traffic is compared with, built once from reference
/// (training or validation) data and the model, saved as versioned JSON.
///
/// It holds, per input feature (``DriftFeatureMode``: per feature for small examples, per-example
/// summary statistics per channel for images), a histogram and a sorted sample; the predicted-label
/// distribution on the reference data (or the label distribution of a data-validation
/// ``DatasetProfile``); and a random sample of embeddings — the penultimate layer's activations,
/// or the logits when the model exposes nothing else (``embeddingSource`` says which) — with the
/// RBF bandwidth from the median heuristic.
///
/// ```swift
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)
/// let validation = Tensor.zeros([64, 1, 28, 28])
/// let reference = try DriftReference.make(inputs: validation, model: model, modelName: "mnist")
/// try reference.write(to: "drift-reference.json")
/// let monitor = try DriftMonitor(reference: try DriftReference.read(from: "drift-reference.json"))
/// ```
public struct DriftReference: Codable, Sendable, Equatable {
    /// The version of this JSON layout; readers refuse versions they do not know.
    public static let currentVersion = 1

    /// The layout version (``currentVersion`` when written).
    public var version: Int
    /// The Bulwark version that made the reference.
    public var toolVersion: String
    /// The served model's name.
    public var model: String
    /// Reference examples the profile was made from.
    public var count: Int
    /// The shape of one example.
    public var exampleShape: [Int]
    /// How examples become features.
    public var featureMode: DriftFeatureMode
    /// One entry per feature.
    public var features: [DriftFeatureReference]
    /// The reference label distribution over the model's classes.
    public var labels: LabelDistribution
    /// Where ``labels`` comes from.
    public var labelSource: DriftLabelSource
    /// Where ``embeddings`` come from.
    public var embeddingSource: DriftEmbeddingSource
    /// The width of one embedding (0 without embeddings).
    public var embeddingDimension: Int
    /// The embedding sample, row-major `rows × embeddingDimension`.
    public var embeddings: [Float]
    /// The RBF kernel's σ: the median pairwise distance of the embedding sample.
    public var embeddingBandwidth: Double

    enum CodingKeys: String, CodingKey {
        case version, toolVersion = "tool_version", model, count, exampleShape = "example_shape", featureMode = "feature_mode", features, labels
        case labelSource = "label_source", embeddingSource = "embedding_source", embeddingDimension = "embedding_dimension", embeddings
        case embeddingBandwidth = "embedding_bandwidth"
    }

    /// The number of classes.
    public var classCount: Int { labels.counts.count }

    /// The number of embedding rows.
    public var embeddingCount: Int { embeddingDimension > 0 ? embeddings.count / embeddingDimension : 0 }

    /// Profiles `inputs` (`N × model.inputShape`) through `model`: features, predictions and
    /// embeddings. Cost: one forward pass over the inputs, one more to the penultimate layer over
    /// the embedding sample, and O(s²·d) for the bandwidth of `s` embeddings of width `d`.
    /// - Throws: ``ServingError`` `.invalidParameter` for options out of range or a label profile
    ///   whose class count differs; `.invalidRequest` when the inputs do not fit the model.
    public static func make(inputs: Tensor, model: any DifferentiableClassifier, modelName: String,
                            options: DriftReferenceOptions = DriftReferenceOptions()) throws(ServingError) -> DriftReference {
        guard inputs.rank >= 1, Array(inputs.shape.dropFirst()) == model.inputShape, inputs.shape[0] > 0 else {
            throw ServingError(.invalidRequest, "drift reference: inputs of shape \(inputs.shape), the model '\(modelName)' expects N×\(model.inputShape) with N > 0")
        }
        guard options.batchSize > 0 else { throw ServingError(.invalidParameter, "drift reference: batch size must be > 0, got \(options.batchSize)") }
        let predictions = model.predictions(inputs, batchSize: options.batchSize)
        let source = options.embeddingSource ?? .available(for: model)
        let n = inputs.shape[0]
        let chosen = sampleIndices(n, keep: options.embeddingSampleSize, seed: options.seed &+ 1)
        var embeddings: Tensor?
        if source != .none, !chosen.isEmpty {
            let size = inputs.scalars.count / n
            let picked = inputs.scalars.withUnsafeBufferPointer { x in
                chosen.flatMap { x[($0 * size)..<(($0 + 1) * size)] }
            }
            embeddings = try source.embeddings(Tensor(shape: [chosen.count] + model.inputShape, scalars: picked), model: model)
        }
        return try make(modelName: modelName, inputs: inputs, predictions: predictions, classCount: model.classCount,
                        embeddings: embeddings, embeddingSource: source, options: options)
    }

    /// Builds a reference from values computed elsewhere: `inputs` (`N × example shape`), the
    /// model's `predictions` for them, and `embeddings` (`M × d`, any M ≤ N rows, from `embeddingSource`;
    /// nil for none). Embeddings beyond ``DriftReferenceOptions/embeddingSampleSize`` are subsampled.
    /// - Throws: ``ServingError`` `.invalidParameter` for inconsistent counts or options out of range.
    public static func make(modelName: String, inputs: Tensor, predictions: [Int], classCount: Int, embeddings: Tensor?,
                            embeddingSource: DriftEmbeddingSource, options: DriftReferenceOptions = DriftReferenceOptions()) throws(ServingError) -> DriftReference {
        guard (1...1000).contains(options.histogramBins) else {
            throw ServingError(.invalidParameter, "drift reference: histogram bins must be in 1…1000, got \(options.histogramBins)")
        }
        guard options.sampleSize >= 1, options.embeddingSampleSize >= 0 else {
            throw ServingError(.invalidParameter, "drift reference: sample sizes must be ≥ 1 (features) and ≥ 0 (embeddings), got \(options.sampleSize) and \(options.embeddingSampleSize)")
        }
        guard inputs.rank >= 2, inputs.shape[0] > 0, predictions.count == inputs.shape[0] else {
            throw ServingError(.invalidParameter, "drift reference: \(predictions.count) predictions for inputs of shape \(inputs.shape); expected one per example, N > 0")
        }
        guard classCount >= 1, predictions.allSatisfy({ (0..<classCount).contains($0) }) else {
            throw ServingError(.invalidParameter, "drift reference: predictions must lie in 0..<\(classCount)")
        }
        let n = inputs.shape[0], shape = Array(inputs.shape.dropFirst())
        let mode = options.featureMode ?? .automatic(exampleShape: shape)
        let names = mode.featureNames(exampleShape: shape)
        let values = inputs.scalars.withUnsafeBufferPointer { mode.extract($0, count: n, exampleShape: shape) }
        let f = names.count
        let kept = sampleIndices(n, keep: options.sampleSize, seed: options.seed)
        var features: [DriftFeatureReference] = []
        for (k, name) in names.enumerated() {
            var low = Double.infinity, high = -Double.infinity
            for row in 0..<n {
                let v = values[row * f + k]
                low = min(low, v); high = max(high, v)
            }
            var histogram = Histogram(lower: low, upper: high, bins: options.histogramBins)
            var cells = [Int](repeating: 0, count: options.histogramBins + 2)
            for row in 0..<n { cells[histogram.cell(of: values[row * f + k])] += 1 }
            histogram.below = cells[0]; histogram.above = cells[cells.count - 1]
            histogram.counts = Array(cells[1...options.histogramBins])
            features.append(DriftFeatureReference(name: name, histogram: histogram, sample: kept.map { values[$0 * f + k] }.sorted()))
        }
        var labels = LabelDistribution(labels: predictions, classCount: classCount)
        var labelSource = DriftLabelSource.modelPredictions
        if let profile = options.labelProfile {
            guard profile.labels.counts.count == classCount else {
                throw ServingError(.invalidParameter, "drift reference: the dataset profile has \(profile.labels.counts.count) classes, the model \(classCount)")
            }
            labels = profile.labels
            labelSource = .datasetProfile
        }
        var dimension = 0, sample: [Float] = [], bandwidth = 1.0
        if embeddingSource != .none, let embeddings, embeddings.rank == 2, embeddings.shape[0] > 0, embeddings.shape[1] > 0 {
            dimension = embeddings.shape[1]
            let rows = sampleIndices(embeddings.shape[0], keep: options.embeddingSampleSize, seed: options.seed &+ 2)
            sample = embeddings.scalars.withUnsafeBufferPointer { e in rows.flatMap { e[($0 * dimension)..<(($0 + 1) * dimension)] } }
            guard sample.allSatisfy(\.isFinite) else {
                throw ServingError(.invalidParameter, "drift reference: the embeddings hold NaN or infinite values")
            }
            bandwidth = DriftStatistics.medianPairwiseDistance(sample, dimension: dimension)
        } else if embeddingSource != .none, embeddings != nil {
            throw ServingError(.invalidParameter, "drift reference: embeddings must be a non-empty N×d matrix")
        }
        return DriftReference(
            version: currentVersion, toolVersion: BulwarkVersion.current, model: modelName, count: n, exampleShape: shape, featureMode: mode,
            features: features, labels: labels, labelSource: labelSource, embeddingSource: sample.isEmpty ? .none : embeddingSource,
            embeddingDimension: sample.isEmpty ? 0 : dimension, embeddings: sample, embeddingBandwidth: bandwidth)
    }

    /// `keep` distinct indices of `0..<n` chosen at random (all, in order, when `keep ≥ n`), sorted.
    static func sampleIndices(_ n: Int, keep: Int, seed: UInt64) -> [Int] {
        guard keep < n else { return Array(0..<n) }
        var generator = SeededGenerator(seed: seed)
        var all = Array(0..<n)
        all.shuffle(using: &generator)
        return all.prefix(max(0, keep)).sorted()
    }

    /// The reference as JSON (keys sorted).
    public func jsonBytes() throws(ServingError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return Array(try encoder.encode(self)) } catch {
            throw ServingError(.invalidParameter, "drift reference cannot be encoded as JSON (\(error))", underlying: error)
        }
    }

    /// Reads a reference from JSON, refusing an unknown version or inconsistent fields.
    /// - Throws: ``ServingError`` `.invalidParameter` naming `label` and the field.
    public static func decode(_ bytes: [UInt8], label: String = "drift-reference.json") throws(ServingError) -> DriftReference {
        struct Version: Decodable { var version: Int? }
        if let found = (try? JSONDecoder().decode(Version.self, from: Data(bytes)))?.version, found != currentVersion {
            throw ServingError(.invalidParameter, "\(label): drift reference version \(found) is not supported (this build reads version \(currentVersion))")
        }
        let reference: DriftReference
        do { reference = try JSONDecoder().decode(DriftReference.self, from: Data(bytes)) } catch {
            throw ServingError(.invalidParameter, "\(label): not a Bulwark drift reference (invalid or missing field)", underlying: error)
        }
        try reference.validate(label: label)
        return reference
    }

    /// Checks the fields agree with each other.
    func validate(label: String) throws(ServingError) {
        guard version == Self.currentVersion else {
            throw ServingError(.invalidParameter, "\(label): drift reference version \(version) is not supported (this build reads version \(Self.currentVersion))")
        }
        guard !exampleShape.isEmpty, exampleShape.allSatisfy({ $0 > 0 }),
              features.count == featureMode.featureNames(exampleShape: exampleShape).count else {
            throw ServingError(.invalidParameter, "\(label): field 'features' has \(features.count) entries, which example shape \(exampleShape) and mode \(featureMode.rawValue) do not give")
        }
        for feature in features {
            guard !feature.sample.isEmpty, feature.sample.allSatisfy(\.isFinite), zip(feature.sample, feature.sample.dropFirst()).allSatisfy({ $0 <= $1 }),
                  !feature.histogram.counts.isEmpty, feature.histogram.lower.isFinite, feature.histogram.upper > feature.histogram.lower,
                  feature.histogram.upper.isFinite else {
                throw ServingError(.invalidParameter, "\(label): feature '\(feature.name)' needs a sorted finite sample and a histogram with a finite range")
            }
        }
        guard !labels.counts.isEmpty, labels.counts.allSatisfy({ $0 >= 0 }) else {
            throw ServingError(.invalidParameter, "\(label): field 'labels' needs one non-negative count per class")
        }
        guard embeddingDimension >= 0, embeddingDimension == 0 ? embeddings.isEmpty : embeddings.count % embeddingDimension == 0,
              embeddings.allSatisfy(\.isFinite), embeddingBandwidth.isFinite, embeddingBandwidth > 0 else {
            throw ServingError(.invalidParameter, "\(label): field 'embeddings' must hold rows of 'embedding_dimension' finite values and a positive bandwidth")
        }
    }

    /// Reads the reference at `path` (at most 256 MiB).
    public static func read(from path: String) throws(ServingError) -> DriftReference {
        let data: [UInt8]
        do {
            data = try FileChecks.readRegularFile(path, maxBytes: 256 << 20)
        } catch {
            throw ServingError(.storage, "\(path): cannot read the drift reference: \(error.message)", underlying: error)
        }
        return try decode(data, label: path)
    }

    /// Writes the reference to `path` atomically.
    public func write(to path: String) throws(ServingError) {
        let bytes = try jsonBytes() + [0x0A]
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw ServingError(.storage, "\(path): cannot write the drift reference", underlying: error)
        }
    }
}
