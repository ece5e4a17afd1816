public import Foundation

/// The statistics a ``DriftMonitor`` evaluates.
public enum DriftStatisticKind: String, Codable, Sendable, CaseIterable {
    /// The largest population stability index over the input features.
    case inputPSI = "input_psi"
    /// The smallest Kolmogorov–Smirnov p-value over the input features, against a
    /// Bonferroni-corrected significance level.
    case inputKS = "input_ks"
    /// The squared maximum mean discrepancy between window and reference embeddings.
    case embeddingMMD = "embedding_mmd"
    /// The population stability index of the predicted-label distribution.
    case predictionPSI = "prediction_psi"

    /// Whether drift means the value is *below* the threshold (p-values) rather than above it.
    public var driftsBelow: Bool { self == .inputKS }
}

/// One statistic of a ``DriftReport``.
public struct DriftStatisticResult: Codable, Sendable, Equatable {
    /// Which statistic.
    public var kind: DriftStatisticKind
    /// Its value over the window.
    public var value: Double
    /// The threshold it is compared with (for ``DriftStatisticKind/inputKS`` the
    /// Bonferroni-corrected level α / features; drift when the value is below it).
    public var threshold: Double
    /// Whether the statistic crosses its threshold.
    public var drifted: Bool
    /// Examples of the window the statistic was computed on.
    public var windowSize: Int
    /// When it was computed.
    public var time: Date

    /// Creates a result from its parts.
    public init(kind: DriftStatisticKind, value: Double, threshold: Double, drifted: Bool, windowSize: Int, time: Date) {
        self.kind = kind
        self.value = value
        self.threshold = threshold
        self.drifted = drifted
        self.windowSize = windowSize
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case kind, value, threshold, drifted, windowSize = "window_size", time
    }
}

/// One input feature's statistics in a ``DriftReport``.
public struct FeatureDrift: Codable, Sendable, Equatable {
    /// The feature's name (`c0.mean`, `f3`).
    public var name: String
    /// Its population stability index.
    public var psi: Double
    /// Its Kolmogorov–Smirnov statistic.
    public var ksStatistic: Double
    /// Its asymptotic KS p-value (uncorrected).
    public var ksPValue: Double

    /// Creates a feature result from its parts.
    public init(name: String, psi: Double, ksStatistic: Double, ksPValue: Double) {
        self.name = name
        self.psi = psi
        self.ksStatistic = ksStatistic
        self.ksPValue = ksPValue
    }

    enum CodingKeys: String, CodingKey {
        case name, psi, ksStatistic = "ks_statistic", ksPValue = "ks_p_value"
    }
}

/// What a ``DriftMonitor`` found in its latest evaluation of the sliding window.
public struct DriftReport: Codable, Sendable, Equatable {
    /// The monitored model.
    public var model: String
    /// When the window was evaluated (nil: not yet, the window is still filling).
    public var time: Date?
    /// Examples observed since the monitor started.
    public var examplesSeen: Int
    /// Examples in the window when it was evaluated.
    public var windowSize: Int
    /// One entry per evaluated statistic (MMD only when embeddings are monitored).
    public var statistics: [DriftStatisticResult]
    /// Per-feature PSI and KS values.
    public var features: [FeatureDrift]
    /// Drift alerts raised since the monitor started.
    public var alertsRaised: Int

    /// Creates a report from its parts.
    public init(model: String, time: Date?, examplesSeen: Int, windowSize: Int, statistics: [DriftStatisticResult], features: [FeatureDrift], alertsRaised: Int) {
        self.model = model
        self.time = time
        self.examplesSeen = examplesSeen
        self.windowSize = windowSize
        self.statistics = statistics
        self.features = features
        self.alertsRaised = alertsRaised
    }

    /// Whether any statistic drifted.
    public var drifted: Bool { statistics.contains(where: \.drifted) }

    /// The result of `kind`, when it was evaluated.
    public func statistic(_ kind: DriftStatisticKind) -> DriftStatisticResult? { statistics.first { $0.kind == kind } }

    enum CodingKeys: String, CodingKey {
        case model, time, examplesSeen = "examples_seen", windowSize = "window_size", statistics, features, alertsRaised = "alerts_raised", drifted
    }

    /// Decodes a report (the `drifted` key is derived and ignored).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        time = try c.decodeIfPresent(Date.self, forKey: .time)
        examplesSeen = try c.decode(Int.self, forKey: .examplesSeen)
        windowSize = try c.decode(Int.self, forKey: .windowSize)
        statistics = try c.decode([DriftStatisticResult].self, forKey: .statistics)
        features = try c.decode([FeatureDrift].self, forKey: .features)
        alertsRaised = try c.decode(Int.self, forKey: .alertsRaised)
    }

    /// Encodes the report with a derived `drifted` key.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encodeIfPresent(time, forKey: .time)
        try c.encode(examplesSeen, forKey: .examplesSeen)
        try c.encode(windowSize, forKey: .windowSize)
        try c.encode(statistics, forKey: .statistics)
        try c.encode(features, forKey: .features)
        try c.encode(alertsRaised, forKey: .alertsRaised)
        try c.encode(drifted, forKey: .drifted)
    }
}
