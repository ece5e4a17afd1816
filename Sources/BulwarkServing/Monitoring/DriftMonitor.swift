import BulwarkPoisoning
public import BulwarkTensor
import Foundation
import Synchronization

/// The window, evaluation cadence and thresholds of a ``DriftMonitor``.
public struct DriftMonitorConfiguration: Sendable, Equatable {
    /// W: the most recent examples the window holds (default 500).
    public var windowSize: Int
    /// S: the window is evaluated after every S observed examples (default 100).
    public var evaluationInterval: Int
    /// Examples the window needs before its first evaluation (nil: a full window).
    public var minimumWindow: Int?
    /// Drift when the largest feature PSI exceeds it (default 0.2).
    public var psiThreshold: Double
    /// Family-wise significance of the per-feature KS tests (default 0.01): a feature drifts when
    /// its p-value is below `ksAlpha / features` (Bonferroni).
    public var ksAlpha: Double
    /// Drift when the predicted-label PSI exceeds it (default 0.2).
    public var predictionPSIThreshold: Double
    /// The most recent embeddings MMD compares (default 200; at most half the reference sample).
    public var mmdWindowSize: Int
    /// The permutation test's significance (default 0.01): the threshold is the `1 − α` quantile.
    public var mmdAlpha: Double
    /// Permutations of the reference sample for the MMD threshold (default 500).
    public var mmdPermutations: Int
    /// The permutation test's seed.
    public var seed: UInt64

    /// A configuration with the defaults above.
    public init(windowSize: Int = 500, evaluationInterval: Int = 100, minimumWindow: Int? = nil, psiThreshold: Double = 0.2, ksAlpha: Double = 0.01,
                predictionPSIThreshold: Double = 0.2, mmdWindowSize: Int = 200, mmdAlpha: Double = 0.01, mmdPermutations: Int = 500, seed: UInt64 = 0) {
        self.windowSize = windowSize
        self.evaluationInterval = evaluationInterval
        self.minimumWindow = minimumWindow
        self.psiThreshold = psiThreshold
        self.ksAlpha = ksAlpha
        self.predictionPSIThreshold = predictionPSIThreshold
        self.mmdWindowSize = mmdWindowSize
        self.mmdAlpha = mmdAlpha
        self.mmdPermutations = mmdPermutations
        self.seed = seed
    }

    /// Refuses values outside their ranges, naming the field.
    func validate() throws(ServingError) {
        func check(_ ok: Bool, _ message: String) throws(ServingError) {
            if !ok { throw ServingError(.invalidParameter, "drift monitor: \(message)") }
        }
        try check((2...1_000_000).contains(windowSize), "windowSize must be in 2…1000000, got \(windowSize)")
        try check(evaluationInterval >= 1, "evaluationInterval must be ≥ 1, got \(evaluationInterval)")
        try check(minimumWindow.map { (2...windowSize).contains($0) } ?? true, "minimumWindow must be in 2…windowSize, got \(minimumWindow ?? 0)")
        try check(psiThreshold > 0 && psiThreshold.isFinite, "psiThreshold must be a finite number > 0, got \(psiThreshold)")
        try check(predictionPSIThreshold > 0 && predictionPSIThreshold.isFinite, "predictionPSIThreshold must be a finite number > 0, got \(predictionPSIThreshold)")
        try check(ksAlpha > 0 && ksAlpha < 1, "ksAlpha must be in (0, 1), got \(ksAlpha)")
        try check(mmdAlpha > 0 && mmdAlpha < 1, "mmdAlpha must be in (0, 1), got \(mmdAlpha)")
        try check((2...10_000).contains(mmdWindowSize), "mmdWindowSize must be in 2…10000, got \(mmdWindowSize)")
        try check((1...100_000).contains(mmdPermutations), "mmdPermutations must be in 1…100000, got \(mmdPermutations)")
    }
}

/// What one ``DriftMonitor/observe(inputs:predictions:embeddings:)`` call did.
public struct DriftObservation: Sendable {
    /// The new report when this call evaluated the window, nil otherwise.
    public var report: DriftReport?
    /// The alerts this evaluation raised (also handed to the monitor's sink).
    public var alerts: [Alert]
}

/// Watches a served model's traffic for drift against a ``DriftReference`` over a sliding window.
///
/// Each ``observe(inputs:predictions:embeddings:)`` extracts the examples' features (O(example
/// size)) and appends them, the predictions and the embeddings to count-based ring buffers under
/// a lock (held, for each new embedding, while its w kernel values against the window are
/// computed, when the kernel is kept). After every ``DriftMonitorConfiguration/evaluationInterval`` examples, once the
/// window holds ``DriftMonitorConfiguration/minimumWindow`` examples, the call that crosses the
/// interval evaluates the window outside the lock (one evaluation at a time; others keep
/// serving): per-feature PSI and KS (Bonferroni-corrected), PSI of the predicted labels, and the
/// unbiased MMD² of the latest embeddings against the reference sample with the median-heuristic
/// RBF kernel, compared with a permutation threshold computed once at creation.
///
/// A statistic that turns drifted raises one ``Alert`` (kind `drift`, severity warning) to the
/// sink; it raises another only after an evaluation finds it recovered and a later one finds it
/// drifted again.
///
/// Cost, with W examples, F features, w embeddings of width d and R reference embeddings: an
/// embedding costs its R + w kernel values once, when it enters the window (the window's
/// pairwise values are kept for windows up to ``kernelCacheLimit`` embeddings; a larger window
/// recomputes its w² / 2 at each evaluation instead); an evaluation costs O(F·W log W + w²);
/// creation costs O(R²·d + permutations·w²).
///
/// ```swift
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)
/// let reference = try DriftReference.make(inputs: Tensor.zeros([64, 1, 28, 28]), model: model, modelName: "mnist")
/// let monitor = try DriftMonitor(reference: reference)          // sink: a WebhookAlertSink in the gateway
/// let batch = Tensor.zeros([8, 1, 28, 28])
/// let embeddings = try reference.embeddingSource.embeddings(batch, model: model)
/// try monitor.observe(inputs: batch, predictions: model.predictions(batch), embeddings: embeddings)
/// print(monitor.snapshot().drifted)
/// ```
public final class DriftMonitor: Sendable {
    /// The reference the window is compared with.
    public let reference: DriftReference
    /// The window and thresholds.
    public let configuration: DriftMonitorConfiguration
    /// The MMD² threshold from the permutation test (nil without reference embeddings).
    public let mmdThreshold: Double?

    private let sink: (any AlertSink)?
    private let featureCount: Int
    private let embeddingWindow: Int
    /// γ = 1 / (2σ²) of the RBF kernel, σ the reference's embedding bandwidth.
    private let gamma: Double
    /// Whether the window's pairwise kernel values are kept (a window of up to
    /// ``kernelCacheLimit`` embeddings): each embedding then costs its w kernel values once, when
    /// it enters, instead of every evaluation recomputing all w² / 2.
    private let cachesKernel: Bool
    /// The largest embedding window whose kernel values are kept (1024: 8 MiB of Doubles).
    public static let kernelCacheLimit = 1024
    /// `Σ_{i≠j} k(xᵢ, xⱼ) / (R(R−1))` over the reference embeddings, fixed for the monitor's life.
    private let referenceKernelMean: Double
    private let state: Mutex<State>

    private struct State {
        var features: [Double]
        var predictions: [Int]
        var head = 0, filled = 0
        var embeddings: [Float]
        /// Per embedding slot, `Σᵢ k(rᵢ, e)` of its embedding e against every reference embedding
        /// rᵢ: computed once when the embedding enters the window, so an evaluation adds W sums
        /// instead of computing W·R kernel values.
        var embeddingCross: [Double]
        /// `k(e_s, e_t)` for embedding slots s ≠ t (`w × w`, symmetric; empty unless the monitor
        /// caches the kernel): a row and a column are rewritten when an embedding enters.
        var kernel: [Double]
        var embeddingHead = 0, embeddingFilled = 0
        var seen = 0, sinceEvaluation = 0
        var evaluating = false
        var report: DriftReport
        var drifted: Set<DriftStatisticKind> = []
        var alertsRaised = 0
    }

    /// A monitor of traffic against `reference`; alerts go to `sink` when given.
    ///
    /// Computes the MMD threshold here, once (see
    /// ``DriftStatistics/maximumMeanDiscrepancyThreshold(reference:dimension:bandwidth:windowSize:permutations:alpha:seed:)``).
    /// - Throws: ``ServingError`` `.invalidParameter` for a configuration out of range or a
    ///   reference whose fields disagree.
    public convenience init(reference: DriftReference, configuration: DriftMonitorConfiguration = DriftMonitorConfiguration(),
                            sink: (any AlertSink)? = nil) throws(ServingError) {
        try self.init(reference: reference, configuration: configuration, sink: sink, kernelCacheLimit: Self.kernelCacheLimit)
    }

    /// The monitor with another limit on the cached kernel (tests compare both paths).
    init(reference: DriftReference, configuration: DriftMonitorConfiguration, sink: (any AlertSink)?, kernelCacheLimit: Int) throws(ServingError) {
        try configuration.validate()
        try reference.validate(label: "drift reference of model '\(reference.model)'")
        self.reference = reference
        self.configuration = configuration
        self.sink = sink
        featureCount = reference.features.count
        gamma = 1 / (2 * reference.embeddingBandwidth * reference.embeddingBandwidth)
        let d = reference.embeddingDimension, r = reference.embeddingCount
        if d > 0, r >= 4 {
            embeddingWindow = min(configuration.mmdWindowSize, r / 2)
            mmdThreshold = DriftStatistics.maximumMeanDiscrepancyThreshold(
                reference: reference.embeddings, dimension: d, bandwidth: reference.embeddingBandwidth, windowSize: embeddingWindow,
                permutations: configuration.mmdPermutations, alpha: configuration.mmdAlpha, seed: configuration.seed)
            referenceKernelMean = DriftStatistics.kernelSumOffDiagonal(reference.embeddings, dimension: d, gamma: gamma) / Double(r * (r - 1))
        } else {
            embeddingWindow = 0
            mmdThreshold = nil
            referenceKernelMean = 0
        }
        let empty = DriftReport(model: reference.model, time: nil, examplesSeen: 0, windowSize: 0, statistics: [], features: [], alertsRaised: 0)
        cachesKernel = embeddingWindow > 0 && embeddingWindow <= kernelCacheLimit
        state = Mutex(State(features: [Double](repeating: 0, count: configuration.windowSize * reference.features.count),
                            predictions: [Int](repeating: 0, count: configuration.windowSize),
                            embeddings: [Float](repeating: 0, count: embeddingWindow * d),
                            embeddingCross: [Double](repeating: 0, count: embeddingWindow),
                            kernel: [Double](repeating: 0, count: cachesKernel ? embeddingWindow * embeddingWindow : 0), report: empty))
    }

    /// Records a batch the model served: `inputs` (`N × example shape`), the predicted classes,
    /// and optionally the embeddings (`N × d`, from the reference's ``DriftReference/embeddingSource``).
    /// Evaluates the window when an evaluation is due (see the type's description).
    /// - Throws: ``ServingError`` `.invalidRequest` when the shapes or classes do not match the reference.
    @discardableResult
    public func observe(inputs: Tensor, predictions: [Int], embeddings: Tensor? = nil) throws(ServingError) -> DriftObservation {
        let shape = reference.exampleShape
        guard inputs.rank == shape.count + 1, Array(inputs.shape.dropFirst()) == shape else {
            throw ServingError(.invalidRequest, "drift monitor '\(reference.model)': inputs of shape \(inputs.shape), expected N×\(shape)")
        }
        let n = inputs.shape[0]
        guard predictions.count == n else {
            throw ServingError(.invalidRequest, "drift monitor '\(reference.model)': \(predictions.count) predictions for \(n) inputs")
        }
        let classes = reference.classCount
        guard predictions.allSatisfy({ $0 >= 0 && $0 < classes }) else {
            throw ServingError(.invalidRequest, "drift monitor '\(reference.model)': predictions must lie in 0..<\(classes)")
        }
        let d = reference.embeddingDimension
        if let embeddings {
            guard embeddings.shape == [n, d], d > 0 else {
                throw ServingError(.invalidRequest, "drift monitor '\(reference.model)': embeddings of shape \(embeddings.shape), expected \([n, d])")
            }
        }
        guard n > 0 else { return DriftObservation(report: nil, alerts: []) }
        let values = inputs.scalars.withUnsafeBufferPointer { reference.featureMode.extract($0, count: n, exampleShape: shape) }
        let f = featureCount, w = configuration.windowSize, ew = embeddingWindow
        let minimum = configuration.minimumWindow ?? w
        // The kept embeddings' kernel sums against the reference, outside the lock.
        var crossSums: [Double] = []
        if let embeddings, ew > 0 {
            crossSums = (max(0, n - ew)..<n).map { row in
                DriftStatistics.kernelSumCross(reference.embeddings, Array(embeddings.scalars[(row * d)..<((row + 1) * d)]),
                                               dimension: d, gamma: gamma)
            }
        }
        let due: Window? = state.withLock { s in
            for row in 0..<n {
                let base = s.head * f
                for k in 0..<f { s.features[base + k] = values[row * f + k] }
                s.predictions[s.head] = predictions[row]
                s.head = (s.head + 1) % w
                s.filled = min(w, s.filled + 1)
            }
            if let embeddings, ew > 0 {
                embeddings.scalars.withUnsafeBufferPointer { e in
                    for (index, row) in (max(0, n - ew)..<n).enumerated() {
                        let base = s.embeddingHead * d
                        for k in 0..<d { s.embeddings[base + k] = e[row * d + k] }
                        s.embeddingCross[s.embeddingHead] = crossSums[index]
                        if cachesKernel { Self.updateKernel(&s, slot: s.embeddingHead, window: ew, dimension: d, gamma: gamma) }
                        s.embeddingHead = (s.embeddingHead + 1) % ew
                        s.embeddingFilled = min(ew, s.embeddingFilled + 1)
                    }
                }
            }
            s.seen += n
            s.sinceEvaluation += n
            guard s.sinceEvaluation >= configuration.evaluationInterval, s.filled >= minimum, !s.evaluating else { return nil }
            s.sinceEvaluation = 0
            s.evaluating = true
            let full = s.embeddingFilled == ew && ew > 0
            return Window(features: Array(s.features[0..<(s.filled * f)]), predictions: Array(s.predictions[0..<s.filled]),
                          embeddingCount: full ? ew : 0, embeddings: full && !cachesKernel ? s.embeddings : [],
                          kernelSum: full && cachesKernel ? Self.offDiagonalSum(s.kernel, window: ew) : nil,
                          crossSum: s.embeddingCross.reduce(0, +), seen: s.seen)
        }
        guard let due else { return DriftObservation(report: nil, alerts: []) }
        let results = evaluate(due)
        let (report, alerts) = state.withLock { s in
            var alerts: [Alert] = []
            for result in results.statistics {
                if result.drifted, !s.drifted.contains(result.kind) {
                    s.drifted.insert(result.kind)
                    alerts.append(alert(for: result))
                } else if !result.drifted {
                    s.drifted.remove(result.kind)
                }
            }
            s.alertsRaised += alerts.count
            s.evaluating = false
            var report = results
            report.alertsRaised = s.alertsRaised
            report.examplesSeen = s.seen
            s.report = report
            return (report, alerts)
        }
        if let sink, !alerts.isEmpty {
            Task { for alert in alerts { await sink.send(alert) } }
        }
        return DriftObservation(report: report, alerts: alerts)
    }

    /// The latest evaluation (with the current count of examples seen); its `time` is nil until
    /// the first evaluation.
    public func snapshot() -> DriftReport {
        state.withLock { s in
            var report = s.report
            report.examplesSeen = s.seen
            report.alertsRaised = s.alertsRaised
            return report
        }
    }

    /// A copy of the window taken under the lock.
    private struct Window {
        var features: [Double]
        var predictions: [Int]
        /// w when the embedding window is full, 0 otherwise (no MMD then).
        var embeddingCount: Int
        /// The embeddings, when the kernel is not cached.
        var embeddings: [Float]
        /// `Σ_{s≠t} k(e_s, e_t)` from the cached kernel, when it is cached.
        var kernelSum: Double?
        /// `Σ_{i,j} k(rᵢ, eⱼ)` over the reference and the window's embeddings.
        var crossSum: Double
        var seen: Int
    }

    private func evaluate(_ window: Window) -> DriftReport {
        let now = Date()
        let f = featureCount, n = window.predictions.count
        var features: [FeatureDrift] = []
        features.reserveCapacity(f)
        for (k, feature) in reference.features.enumerated() {
            var column = [Double](repeating: 0, count: n)
            var cells = [Int](repeating: 0, count: feature.histogram.counts.count + 2)
            for row in 0..<n {
                let v = window.features[row * f + k]
                column[row] = v
                cells[feature.histogram.cell(of: v)] += 1
            }
            column.sort()
            let psi = DriftStatistics.populationStabilityIndex(reference: feature.histogram.cells, current: cells)
            let ks = DriftStatistics.kolmogorovSmirnov(sortedFirst: feature.sample, sortedSecond: column)
            features.append(FeatureDrift(name: feature.name, psi: psi, ksStatistic: ks.statistic, ksPValue: ks.pValue))
        }
        var statistics: [DriftStatisticResult] = []
        if !features.isEmpty {
            let psi = features.map(\.psi).max() ?? 0
            statistics.append(DriftStatisticResult(kind: .inputPSI, value: psi, threshold: configuration.psiThreshold,
                                                   drifted: psi > configuration.psiThreshold, windowSize: n, time: now))
            let p = features.map(\.ksPValue).min() ?? 1
            let level = configuration.ksAlpha / Double(features.count)
            statistics.append(DriftStatisticResult(kind: .inputKS, value: p, threshold: level, drifted: p < level, windowSize: n, time: now))
        }
        if let threshold = mmdThreshold, window.embeddingCount > 0 {
            let d = reference.embeddingDimension, m = reference.embeddingCount, w = window.embeddingCount
            let pairs = window.kernelSum ?? DriftStatistics.kernelSumOffDiagonal(window.embeddings, dimension: d, gamma: gamma)
            let yy = pairs / Double(w * (w - 1))
            let xy = window.crossSum / Double(m * w)
            let mmd = referenceKernelMean + yy - 2 * xy
            statistics.append(DriftStatisticResult(kind: .embeddingMMD, value: mmd, threshold: threshold, drifted: mmd > threshold, windowSize: w, time: now))
        }
        var counts = [Int](repeating: 0, count: reference.classCount)
        for label in window.predictions { counts[label] += 1 }
        let predictionPSI = DriftStatistics.populationStabilityIndex(reference: reference.labels.counts, current: counts)
        statistics.append(DriftStatisticResult(kind: .predictionPSI, value: predictionPSI, threshold: configuration.predictionPSIThreshold,
                                               drifted: predictionPSI > configuration.predictionPSIThreshold, windowSize: n, time: now))
        return DriftReport(model: reference.model, time: now, examplesSeen: window.seen, windowSize: n, statistics: statistics,
                           features: features, alertsRaised: 0)
    }

    /// Rewrites slot `slot`'s row and column of the cached kernel against the other filled
    /// slots: `exp(−γ‖e_slot − e_t‖²)`, the value ``DriftStatistics/kernelSumOffDiagonal(_:dimension:gamma:)``
    /// computes for that pair (the squared distance is symmetric to the bit).
    private static func updateKernel(_ s: inout State, slot: Int, window w: Int, dimension d: Int, gamma: Double) {
        let filled = max(s.embeddingFilled, slot + 1)   // slots 0..<filled hold embeddings (the ring fills in order)
        s.embeddings.withUnsafeBufferPointer { e in
            s.kernel.withUnsafeMutableBufferPointer { k in
                for t in 0..<filled where t != slot {
                    let value = exp(-gamma * DriftStatistics.squaredDistance(e, slot, e, t, d))
                    k[slot * w + t] = value
                    k[t * w + slot] = value
                }
            }
        }
    }

    /// `2 Σ_{s<t} K[s][t]`, summed in the order ``DriftStatistics/kernelSumOffDiagonal(_:dimension:gamma:)``
    /// sums the same pairs, so the two give the same value.
    private static func offDiagonalSum(_ kernel: [Double], window w: Int) -> Double {
        var sum = 0.0
        kernel.withUnsafeBufferPointer { k in
            for i in 0..<w {
                for j in (i + 1)..<w { sum += k[i * w + j] }
            }
        }
        return 2 * sum
    }

    private func alert(for result: DriftStatisticResult) -> Alert {
        let relation = result.kind.driftsBelow ? "below" : "above"
        let value = String(format: "%.4g", result.value), threshold = String(format: "%.4g", result.threshold)
        return Alert(kind: .drift, model: reference.model, severity: .warning,
                     message: "drift: \(result.kind.rawValue) \(value) \(relation) \(threshold) over \(result.windowSize) examples",
                     details: ["statistic": result.kind.rawValue, "value": "\(result.value)", "threshold": "\(result.threshold)",
                               "window_size": "\(result.windowSize)"],
                     time: result.time)
    }
}
