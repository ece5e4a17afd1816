public import BulwarkExtraction
public import Foundation

/// What a defence does when it fires on a request.
public enum DefenceAction: String, Codable, Sendable, Comparable, CaseIterable {
    /// Record the detection (logs, metrics); the client sees a normal answer.
    case log
    /// Answer, and mark the answer as flagged (e.g. a response parameter the client can read).
    case flag
    /// Refuse the example (the gateway answers with ``ServingErrorDomain``'s `refused`).
    case reject

    /// `log < flag < reject`: the stronger action wins when several detectors fire.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .log: 0
        case .flag: 1
        case .reject: 2
        }
    }
}

/// The in-line defences of one served model: adversarial-input detectors, output hardening,
/// per-client extraction detection with escalation, and STRIP screening.
///
/// Every field has a default, so `{}` is a valid configuration (no detectors, no hardening,
/// PRADA and coverage extraction detection on, STRIP off). Unknown keys are refused, so a
/// misspelt setting cannot silently leave a defence off. Decode it with ``decode(json:source:)``
/// (or with any `Decoder`, e.g. a YAML one in the layer that has it, then call ``validate()``).
///
/// ```json
/// {"detectors": [{"kind": "mahalanobis", "falsePositiveRate": 0.01, "action": "reject"},
///                {"kind": "featureSqueezing", "bitDepth": 1, "medianSize": 2, "action": "flag"}],
///  "hardening": "top-k=3",
///  "extraction": {"prada": true, "coverage": true,
///                 "escalation": {"alertAfter": 1, "throttleAfter": 2, "blockAfter": 4, "alarmSpacing": 50}},
///  "strip": {"falseRejectionRate": 0.01, "sampleRate": 0.1, "action": "flag"}}
/// ```
public struct DefenceConfiguration: Codable, Sendable, Equatable {
    /// Adversarial-input detectors, run on every request (in order).
    public var detectors: [DetectorSettings]
    /// Output hardening as a spec of ``OutputHardening/init(parsing:)`` (`labels`, `top-k=K`,
    /// `round=D`, `reverse-sigmoid=BETA[,GAMMA]`, `noise=SIGMA`) or `none`.
    public var hardening: String
    /// Per-client extraction detection; `nil` switches it off.
    public var extraction: ExtractionSettings?
    /// STRIP backdoor screening; `nil` switches it off.
    public var strip: StripSettings?

    /// A configuration; the defaults are those of an empty JSON object.
    public init(detectors: [DetectorSettings] = [], hardening: String = "none", extraction: ExtractionSettings? = ExtractionSettings(),
                strip: StripSettings? = nil) {
        self.detectors = detectors
        self.hardening = hardening
        self.extraction = extraction
        self.strip = strip
    }

    /// Every defence off: a pipeline built from it only passes requests through.
    public static let off = DefenceConfiguration(extraction: nil)

    /// Decodes a JSON configuration and validates it.
    /// - Parameter source: names the configuration in errors (a file name, `model 'fashion'`).
    /// - Throws: ``ServingError`` (`invalidParameter`), one line naming `source`, the key and what was expected.
    public static func decode(json: Data, source: String) throws(ServingError) -> DefenceConfiguration {
        let value: DefenceConfiguration
        do { value = try JSONDecoder().decode(DefenceConfiguration.self, from: json) } catch {
            throw ServingError(.invalidParameter, "\(source): \(ConfigurationKeys.describe(error))", underlying: error)
        }
        do { try value.validate() } catch {
            throw ServingError(error.code, "\(source): \(error.message)", underlying: error)
        }
        return value
    }

    /// The parsed hardening, `nil` for `none`.
    /// - Throws: ``ServingError`` (`invalidParameter`) for a spec ``OutputHardening`` refuses.
    public func parsedHardening() throws(ServingError) -> OutputHardening? {
        let spec = hardening.trimmingCharacters(in: .whitespaces)
        if spec.lowercased() == "none" || spec.isEmpty { return nil }
        do { return try OutputHardening(parsing: spec) } catch {
            throw ServingError(.invalidParameter, "hardening: \(error.message) (or 'none')", underlying: error)
        }
    }

    /// Checks every value against its range.
    /// - Throws: ``ServingError`` (`invalidParameter`), one line naming the key and the accepted range.
    public func validate() throws(ServingError) {
        for (i, d) in detectors.enumerated() { try d.validate(key: "detectors[\(i)]") }
        _ = try parsedHardening()
        try extraction?.validate()
        try strip?.validate()
    }

    /// Keys accepted in JSON.
    enum CodingKeys: String, CodingKey, CaseIterable { case detectors, hardening, extraction, strip }

    /// Decodes with defaults for missing keys; unknown keys are an error.
    public init(from decoder: any Decoder) throws {
        let c = try ConfigurationKeys.strictContainer(decoder, CodingKeys.self, section: "configuration")
        let defaults = DefenceConfiguration()
        detectors = try c.decodeIfPresent([DetectorSettings].self, forKey: .detectors) ?? defaults.detectors
        hardening = try c.decodeIfPresent(String.self, forKey: .hardening) ?? defaults.hardening
        // `"extraction": null` switches it off; a missing key keeps the default (on).
        if c.contains(.extraction) { extraction = try c.decodeIfPresent(ExtractionSettings.self, forKey: .extraction) } else { extraction = defaults.extraction }
        strip = try c.decodeIfPresent(StripSettings.self, forKey: .strip)
    }

    /// Encodes every key, `null` for a defence that is off (a missing key would mean the default).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(detectors, forKey: .detectors)
        try c.encode(hardening, forKey: .hardening)
        try c.encode(extraction, forKey: .extraction)
        try c.encode(strip, forKey: .strip)
    }
}

/// One adversarial-input detector of ``DefenceConfiguration``.
public struct DetectorSettings: Codable, Sendable, Equatable {
    /// The detectors the evasion module provides.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// ``BulwarkEvasion/FeatureSqueezingDetector``: one extra forward pass per squeezer, plus one.
        case featureSqueezing
        /// ``BulwarkEvasion/MahalanobisDetector``: one forward pass up to ``DetectorSettings/layer``
        /// and `O(classes · d²)` per example; needs a `Sequential` model.
        case mahalanobis
    }

    /// Which detector.
    public var kind: Kind
    /// The threshold is calibrated on the clean reference data to flag at most this fraction of it, in [0, 0.5].
    public var falsePositiveRate: Double
    /// What happens when it fires.
    public var action: DefenceAction
    /// Feature squeezing: bits of the bit-depth squeezer (1…16), `nil` for none. The default, 3,
    /// separated PGD/FGSM examples at ε = 0.1 best on Fashion-MNIST; the paper's MNIST choice is
    /// 1 bit with a 2 × 2 median.
    public var bitDepth: Int?
    /// Feature squeezing: window of the median squeezer (2…7), `nil` for none (the default); needs
    /// image inputs (`C × H × W`). Each squeezer costs one more forward pass.
    public var medianSize: Int?
    /// Mahalanobis: the layer whose activations are the features; `nil` takes the layer before the last one.
    public var layer: Int?

    /// A detector; defaults: 5 % false positives, action `flag`, one squeezer of 3 bits.
    public init(kind: Kind, falsePositiveRate: Double = 0.05, action: DefenceAction = .flag, bitDepth: Int? = 3, medianSize: Int? = nil, layer: Int? = nil) {
        self.kind = kind
        self.falsePositiveRate = falsePositiveRate
        self.action = action
        self.bitDepth = bitDepth
        self.medianSize = medianSize
        self.layer = layer
    }

    /// Checks ranges; `key` names this entry in the message.
    /// - Throws: ``ServingError`` (`invalidParameter`).
    public func validate(key: String) throws(ServingError) {
        guard falsePositiveRate.isFinite, (0...0.5).contains(falsePositiveRate) else {
            throw ServingError(.invalidParameter, "\(key).falsePositiveRate: expected a value in [0, 0.5], got \(falsePositiveRate)")
        }
        switch kind {
        case .featureSqueezing:
            guard bitDepth != nil || medianSize != nil else {
                throw ServingError(.invalidParameter, "\(key): feature squeezing needs bitDepth or medianSize")
            }
            if let b = bitDepth, !(1...16).contains(b) { throw ServingError(.invalidParameter, "\(key).bitDepth: expected 1...16, got \(b)") }
            if let m = medianSize, !(2...7).contains(m) { throw ServingError(.invalidParameter, "\(key).medianSize: expected 2...7, got \(m)") }
        case .mahalanobis:
            if let l = layer, l < 0 { throw ServingError(.invalidParameter, "\(key).layer: expected a layer index ≥ 0, got \(l)") }
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case kind, falsePositiveRate, action, bitDepth, medianSize, layer }

    /// Decodes with defaults for missing keys (`kind` is required); unknown keys are an error.
    public init(from decoder: any Decoder) throws {
        let c = try ConfigurationKeys.strictContainer(decoder, CodingKeys.self, section: "detector")
        let d = DetectorSettings(kind: try c.decode(Kind.self, forKey: .kind))
        kind = d.kind
        falsePositiveRate = try c.decodeIfPresent(Double.self, forKey: .falsePositiveRate) ?? d.falsePositiveRate
        action = try c.decodeIfPresent(DefenceAction.self, forKey: .action) ?? d.action
        bitDepth = c.contains(.bitDepth) ? try c.decodeIfPresent(Int.self, forKey: .bitDepth) : d.bitDepth
        medianSize = c.contains(.medianSize) ? try c.decodeIfPresent(Int.self, forKey: .medianSize) : d.medianSize
        layer = try c.decodeIfPresent(Int.self, forKey: .layer)
    }

    /// Encodes every key, `null` for a squeezer that is off (a missing key would mean the default).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(falsePositiveRate, forKey: .falsePositiveRate)
        try c.encode(action, forKey: .action)
        try c.encode(bitDepth, forKey: .bitDepth)
        try c.encode(medianSize, forKey: .medianSize)
        try c.encodeIfPresent(layer, forKey: .layer)
    }
}

/// Per-client extraction detection of ``DefenceConfiguration``: PRADA and/or the coverage
/// detector, and the escalation from their alarms to a ``ClientStanding``.
public struct ExtractionSettings: Codable, Sendable, Equatable {
    /// Run ``BulwarkExtraction/PRADADetector`` per client.
    public var prada: Bool
    /// PRADA's δ: an alarm when the Shapiro–Wilk W of a client's distances is below it, in (0, 1].
    /// `nil` (the default) calibrates it on the reference data as the paper does per victim:
    /// the lowest W that 32 simulated benign clients reach, each sending up to 400 reference inputs
    /// in its own random order, less 0.02, at most 0.95
    /// (``BulwarkExtraction/PRADADetector/calibratedDelta(reference:probabilities:streams:queriesPerStream:margin:seed:minimumDistances:minimumClassDistances:testInterval:)``).
    public var pradaDelta: Double?
    /// Run ``BulwarkExtraction/CoverageDetector`` per client (calibrated on the reference data).
    public var coverage: Bool
    /// Coverage window in queries (≥ 10); the reference data must hold two windows. The default,
    /// 50, lets two independent coverage alarms (a throttle) come within 100 queries.
    public var coverageWindow: Int
    /// Coverage cell bits (1…20).
    public var coverageBits: Int
    /// Coverage band half-width in benign standard deviations (> 0).
    public var coverageTolerance: Double
    /// From alarms to standing.
    public var escalation: EscalationPolicy
    /// Clients tracked at once (≥ 1); beyond it the least recently seen unblocked client is forgotten.
    public var maxClients: Int
    /// A client idle this long (seconds, > 0) is forgotten (unless blocked).
    public var idleSeconds: Double
    /// PRADA's state of a client restarts after this many of its queries (≥ 200), bounding its memory.
    public var historyLimit: Int

    /// Settings; defaults: both detectors, δ calibrated, window 50, 10 bits, tolerance 5, 10 000 clients,
    /// one hour idle, PRADA history of 5000 queries.
    public init(prada: Bool = true, pradaDelta: Double? = nil, coverage: Bool = true, coverageWindow: Int = 50,
                coverageBits: Int = 10, coverageTolerance: Double = 5, escalation: EscalationPolicy = EscalationPolicy(),
                maxClients: Int = 10_000, idleSeconds: Double = 3600, historyLimit: Int = 5000) {
        self.prada = prada
        self.pradaDelta = pradaDelta
        self.coverage = coverage
        self.coverageWindow = coverageWindow
        self.coverageBits = coverageBits
        self.coverageTolerance = coverageTolerance
        self.escalation = escalation
        self.maxClients = maxClients
        self.idleSeconds = idleSeconds
        self.historyLimit = historyLimit
    }

    /// Checks ranges.
    /// - Throws: ``ServingError`` (`invalidParameter`) naming the key.
    public func validate() throws(ServingError) {
        func bad(_ key: String, _ expected: String, _ got: Any) -> ServingError {
            ServingError(.invalidParameter, "extraction.\(key): expected \(expected), got \(got)")
        }
        guard prada || coverage else { throw ServingError(.invalidParameter, "extraction: enable prada or coverage, or set extraction to null") }
        if let delta = pradaDelta, !(delta.isFinite && delta > 0 && delta <= 1) { throw bad("pradaDelta", "a value in (0, 1] or null", delta) }
        guard coverageWindow >= 10 else { throw bad("coverageWindow", "at least 10", coverageWindow) }
        guard (1...20).contains(coverageBits) else { throw bad("coverageBits", "1...20", coverageBits) }
        guard coverageTolerance.isFinite, coverageTolerance > 0 else { throw bad("coverageTolerance", "a value > 0", coverageTolerance) }
        guard maxClients >= 1 else { throw bad("maxClients", "at least 1", maxClients) }
        guard idleSeconds.isFinite, idleSeconds > 0 else { throw bad("idleSeconds", "a value > 0", idleSeconds) }
        guard historyLimit >= 200 else { throw bad("historyLimit", "at least 200", historyLimit) }
        try escalation.validate()
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case prada, pradaDelta, coverage, coverageWindow, coverageBits, coverageTolerance, escalation, maxClients, idleSeconds, historyLimit
    }

    /// Decodes with defaults for missing keys; unknown keys are an error.
    public init(from decoder: any Decoder) throws {
        let c = try ConfigurationKeys.strictContainer(decoder, CodingKeys.self, section: "extraction")
        let d = ExtractionSettings()
        prada = try c.decodeIfPresent(Bool.self, forKey: .prada) ?? d.prada
        pradaDelta = try c.decodeIfPresent(Double.self, forKey: .pradaDelta)
        coverage = try c.decodeIfPresent(Bool.self, forKey: .coverage) ?? d.coverage
        coverageWindow = try c.decodeIfPresent(Int.self, forKey: .coverageWindow) ?? d.coverageWindow
        coverageBits = try c.decodeIfPresent(Int.self, forKey: .coverageBits) ?? d.coverageBits
        coverageTolerance = try c.decodeIfPresent(Double.self, forKey: .coverageTolerance) ?? d.coverageTolerance
        escalation = try c.decodeIfPresent(EscalationPolicy.self, forKey: .escalation) ?? d.escalation
        maxClients = try c.decodeIfPresent(Int.self, forKey: .maxClients) ?? d.maxClients
        idleSeconds = try c.decodeIfPresent(Double.self, forKey: .idleSeconds) ?? d.idleSeconds
        historyLimit = try c.decodeIfPresent(Int.self, forKey: .historyLimit) ?? d.historyLimit
    }
}

/// How alarms escalate a client: by the number of consecutive, independent alarms of one
/// detector, and optionally by PRADA's score.
///
/// An *alarm* is a PRADA test with `W < δ` (one every `testInterval` = 10 queries once the test
/// has enough distances) or a coverage window outside its benign band (the detector re-arms
/// after each alarm, so at most one per ``ExtractionSettings/coverageWindow`` queries). An alarm
/// counts toward escalation only when at least ``alarmSpacing`` of the client's queries came
/// since the last alarm of that detector that counted: consecutive PRADA tests share all but ten
/// of their ≥ 100 distances, so four of them in a row are one piece of evidence seen four times,
/// and counting them as four let a single low W block a benign client 30 queries after its
/// first test. Alarms in between hold the count; a PRADA test that passes, or a coverage window
/// back in band, resets it. The client's level is the highest any count or score reaches;
/// `alerted` and `throttled` fall back when the evidence clears, `blocked` stays until
/// ``DefencePipeline/release(client:)``.
///
/// With the defaults (1 / 2 / 4 alarms, spacing 50, coverage window 50) a client is throttled
/// 50 queries after its first alarm at the earliest and blocked 150 queries after it.
public struct EscalationPolicy: Codable, Sendable, Equatable {
    /// Consecutive alarms that make a client `alerted` (≥ 1).
    public var alertAfter: Int
    /// Consecutive alarms that make it `throttled` (≥ alertAfter).
    public var throttleAfter: Int
    /// Consecutive alarms that block it (≥ throttleAfter).
    public var blockAfter: Int
    /// Queries of the client (≥ 1) that must separate two alarms of one detector for both to
    /// count; 1 counts every alarm (every PRADA test), as before this setting existed.
    public var alarmSpacing: Int
    /// Throttle as soon as a PRADA W falls below this (in (0, 1]), whatever the count.
    public var pradaThrottleBelow: Double?
    /// Block as soon as a PRADA W falls below this (in (0, 1]), whatever the count.
    public var pradaBlockBelow: Double?

    /// A policy; defaults 1 / 2 / 4 alarms at least 50 queries apart, no score shortcuts.
    public init(alertAfter: Int = 1, throttleAfter: Int = 2, blockAfter: Int = 4, alarmSpacing: Int = 50, pradaThrottleBelow: Double? = nil,
                pradaBlockBelow: Double? = nil) {
        self.alertAfter = alertAfter
        self.throttleAfter = throttleAfter
        self.blockAfter = blockAfter
        self.alarmSpacing = alarmSpacing
        self.pradaThrottleBelow = pradaThrottleBelow
        self.pradaBlockBelow = pradaBlockBelow
    }

    /// Checks `1 ≤ alertAfter ≤ throttleAfter ≤ blockAfter` and the score bounds.
    /// - Throws: ``ServingError`` (`invalidParameter`).
    public func validate() throws(ServingError) {
        guard alertAfter >= 1, throttleAfter >= alertAfter, blockAfter >= throttleAfter else {
            throw ServingError(.invalidParameter, "extraction.escalation: expected 1 ≤ alertAfter ≤ throttleAfter ≤ blockAfter, got \(alertAfter), \(throttleAfter), \(blockAfter)")
        }
        guard alarmSpacing >= 1 else { throw ServingError(.invalidParameter, "extraction.escalation.alarmSpacing: expected at least 1, got \(alarmSpacing)") }
        for (key, value) in [("pradaThrottleBelow", pradaThrottleBelow), ("pradaBlockBelow", pradaBlockBelow)] {
            if let v = value, !(v.isFinite && v > 0 && v <= 1) {
                throw ServingError(.invalidParameter, "extraction.escalation.\(key): expected a value in (0, 1], got \(v)")
            }
        }
    }

    /// The level `alarms` consecutive alarms give.
    public func level(alarms: Int) -> ClientStanding.Level {
        if alarms >= blockAfter { return .blocked }
        if alarms >= throttleAfter { return .throttled }
        if alarms >= alertAfter { return .alerted }
        return .normal
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case alertAfter, throttleAfter, blockAfter, alarmSpacing, pradaThrottleBelow, pradaBlockBelow }

    /// Decodes with defaults for missing keys; unknown keys are an error.
    public init(from decoder: any Decoder) throws {
        let c = try ConfigurationKeys.strictContainer(decoder, CodingKeys.self, section: "escalation")
        let d = EscalationPolicy()
        alertAfter = try c.decodeIfPresent(Int.self, forKey: .alertAfter) ?? d.alertAfter
        throttleAfter = try c.decodeIfPresent(Int.self, forKey: .throttleAfter) ?? d.throttleAfter
        blockAfter = try c.decodeIfPresent(Int.self, forKey: .blockAfter) ?? d.blockAfter
        alarmSpacing = try c.decodeIfPresent(Int.self, forKey: .alarmSpacing) ?? d.alarmSpacing
        pradaThrottleBelow = try c.decodeIfPresent(Double.self, forKey: .pradaThrottleBelow)
        pradaBlockBelow = try c.decodeIfPresent(Double.self, forKey: .pradaBlockBelow)
    }
}

/// STRIP screening of ``DefenceConfiguration`` (``BulwarkPoisoning/STRIP``).
///
/// Cost: ``overlays`` forward passes per screened example, so it runs on a sample of them.
public struct StripSettings: Codable, Sendable, Equatable {
    /// The entropy threshold rejects at most this fraction of the clean reference data, in [0, 0.5].
    public var falseRejectionRate: Double
    /// Blends per screened example (1…200).
    public var overlays: Int
    /// Fraction of examples screened, in [0, 1] (chosen evenly by a counter, not at random).
    public var sampleRate: Double
    /// What happens when it fires.
    public var action: DefenceAction
    /// Reference examples kept as blending backgrounds (≥ 1); the rest calibrate the threshold.
    public var backgroundCount: Int

    /// Settings; defaults 5 % false rejections, 20 overlays, 10 % of examples, `flag`, 100 backgrounds.
    public init(falseRejectionRate: Double = 0.05, overlays: Int = 20, sampleRate: Double = 0.1, action: DefenceAction = .flag, backgroundCount: Int = 100) {
        self.falseRejectionRate = falseRejectionRate
        self.overlays = overlays
        self.sampleRate = sampleRate
        self.action = action
        self.backgroundCount = backgroundCount
    }

    /// Checks ranges.
    /// - Throws: ``ServingError`` (`invalidParameter`) naming the key.
    public func validate() throws(ServingError) {
        guard falseRejectionRate.isFinite, (0...0.5).contains(falseRejectionRate) else {
            throw ServingError(.invalidParameter, "strip.falseRejectionRate: expected a value in [0, 0.5], got \(falseRejectionRate)")
        }
        guard (1...200).contains(overlays) else { throw ServingError(.invalidParameter, "strip.overlays: expected 1...200, got \(overlays)") }
        guard sampleRate.isFinite, (0...1).contains(sampleRate) else {
            throw ServingError(.invalidParameter, "strip.sampleRate: expected a value in [0, 1], got \(sampleRate)")
        }
        guard backgroundCount >= 1 else { throw ServingError(.invalidParameter, "strip.backgroundCount: expected at least 1, got \(backgroundCount)") }
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case falseRejectionRate, overlays, sampleRate, action, backgroundCount }

    /// Decodes with defaults for missing keys; unknown keys are an error.
    public init(from decoder: any Decoder) throws {
        let c = try ConfigurationKeys.strictContainer(decoder, CodingKeys.self, section: "strip")
        let d = StripSettings()
        falseRejectionRate = try c.decodeIfPresent(Double.self, forKey: .falseRejectionRate) ?? d.falseRejectionRate
        overlays = try c.decodeIfPresent(Int.self, forKey: .overlays) ?? d.overlays
        sampleRate = try c.decodeIfPresent(Double.self, forKey: .sampleRate) ?? d.sampleRate
        action = try c.decodeIfPresent(DefenceAction.self, forKey: .action) ?? d.action
        backgroundCount = try c.decodeIfPresent(Int.self, forKey: .backgroundCount) ?? d.backgroundCount
    }
}

/// Strict keyed decoding and one-line descriptions of decoding errors.
enum ConfigurationKeys {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Raised for a key the section does not know.
    struct UnknownKey: Error {
        var section: String
        var key: String
        var allowed: [String]
    }

    /// A keyed container that refuses keys outside `Keys`.
    static func strictContainer<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, _ keys: Keys.Type, section: String) throws -> KeyedDecodingContainer<Keys> {
        let all = try decoder.container(keyedBy: AnyKey.self)
        let allowed = Set(Keys.allCases.map(\.stringValue))
        if let unknown = all.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw UnknownKey(section: section, key: unknown, allowed: allowed.sorted())
        }
        return try decoder.container(keyedBy: Keys.self)
    }

    /// A one-line description of a decoding failure: the key path and what was wrong.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "top level" : text)
        }
        if let unknown = error as? UnknownKey {
            return "unknown key '\(unknown.key.prefix(40))' in \(unknown.section) (expected one of \(unknown.allowed.joined(separator: ", ")))"
        }
        switch error as? DecodingError {
        case .typeMismatch(let type, let context)?: return "\(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context)?: return "\(path(context.codingPath)): expected \(type), got null"
        case .keyNotFound(let key, let context)?: return "\(path(context.codingPath + [key])): required key is missing"
        case .dataCorrupted(let context)?:
            if let unknown = context.underlyingError as? UnknownKey { return describe(unknown) }
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        default: return "cannot read the configuration (\(String(describing: error).prefix(80)))"
        }
    }
}
