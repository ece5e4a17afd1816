import BulwarkArchive
import Foundation

/// Thresholds of ``DataCheck``.
public struct DataCheckOptions: Sendable, Equatable {
    /// How the checked data itself is profiled (valid range, near-duplicate threshold, bins
    /// when there is no reference).
    public var profile: ProfileOptions
    /// Population stability index at which a feature's shift is `medium` (default 0.1) …
    public var psiMedium: Double
    /// … and `high` (default 0.25) — the customary credit-scoring bands (below 0.1: stable).
    public var psiHigh: Double
    /// Total-variation distance between label distributions at which skew is `medium`
    /// (default 0.1) …
    public var labelSkewMedium: Double
    /// … and `high` (default 0.25).
    public var labelSkewHigh: Double
    /// Slack around the reference's per-feature min…max, as a fraction of that range (default
    /// 0.05), before a value counts as out of range: a fresh sample of a continuous feature
    /// almost always lands a little past the extremes of the reference's sample.
    public var rangeMargin: Double

    /// Creates options with the defaults above.
    public init(profile: ProfileOptions = ProfileOptions(), psiMedium: Double = 0.1, psiHigh: Double = 0.25,
                labelSkewMedium: Double = 0.1, labelSkewHigh: Double = 0.25, rangeMargin: Double = 0.05) {
        self.profile = profile
        self.psiMedium = psiMedium
        self.psiHigh = psiHigh
        self.labelSkewMedium = labelSkewMedium
        self.labelSkewHigh = labelSkewHigh
        self.rangeMargin = rangeMargin
    }
}

/// The spread of one detector's scores: count, min, median, mean, max (zeros when empty).
public struct ScoreSummary: Codable, Sendable, Equatable {
    /// Scores summarised.
    public var count: Int
    /// Smallest score.
    public var min: Double
    /// Median score.
    public var median: Double
    /// Mean score.
    public var mean: Double
    /// Largest score.
    public var max: Double

    /// Summarises `scores` (non-finite scores are left out).
    public init(_ scores: [Double]) {
        let s = scores.filter(\.isFinite).sorted()
        count = s.count
        min = s.first ?? 0
        max = s.last ?? 0
        mean = s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count)
        median = s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
}

/// What one poison detector run by a data check found: a summary of its scores and the indices
/// it flagged (examples, or classes when ``unit`` is `class`).
public struct MethodScores: Codable, Sendable, Equatable {
    /// The method's name (e.g. `spectral`).
    public var method: String
    /// What the scores and flagged indices index: `example` or `class`.
    public var unit: String
    /// The spread of its scores.
    public var summary: ScoreSummary
    /// The threshold it flagged at, when it has one.
    public var threshold: Double?
    /// The indices the method flagged, sorted.
    public var flagged: [Int]

    /// Creates a method's entry.
    public init(method: String, unit: String = "example", summary: ScoreSummary, threshold: Double? = nil, flagged: [Int]) {
        self.method = method
        self.unit = unit
        self.summary = summary
        self.threshold = threshold
        self.flagged = flagged.sorted()
    }
}

/// What ``DataCheck/run(_:reference:options:)`` found.
public struct DataCheckReport: Codable, Sendable, Equatable {
    /// The examples checked.
    public var count: Int
    /// Every finding, most serious first.
    public var findings: [ValidationFinding]
    /// The union of the indices of all findings at `low` or above and of the examples every
    /// detector flagged, sorted.
    public var flaggedIndices: [Int]
    /// Summary measures by name: `max_psi`, `label_total_variation`, `non_finite`,
    /// `invalid_value`, `out_of_reference_range`, `exact_duplicates`, `near_duplicate_pairs`.
    public var scores: [String: Double]
    /// The poison detectors run, with their score summaries and flagged indices (empty when
    /// none ran: no detector vouches for the data then).
    public var methods: [MethodScores]
    /// Whether a reference profile was compared.
    public var comparedWithReference: Bool

    enum CodingKeys: String, CodingKey {
        case count, findings, flaggedIndices = "flagged_indices", scores, methods, comparedWithReference = "compared_with_reference"
    }

    /// The most serious severity found (nil: no findings).
    public var worstSeverity: ValidationFinding.Severity? { findings.map(\.severity).max() }
}

/// Validates a dataset before training: against itself (corrupt records, duplicates, labels
/// that disagree on identical inputs) and, given a reference ``DatasetProfile``, against it:
///
/// - **Distribution shift** per feature or channel: the population stability index
///   `PSI = Σ (pᵢ − qᵢ)·ln(pᵢ/qᵢ)` over the reference's histogram bins plus a below-range and an
///   above-range cell, proportions floored at 10⁻⁴. `medium` at 0.1, `high` at 0.25. Because
///   PSI of two finite samples of one distribution is about `(cells − 1)·(1/n + 1/m)` (a χ²
///   approximation), the threshold used is the larger of the band and three times that noise,
///   so small iid samples are not flagged.
/// - **Label skew**: total-variation distance `½ Σ |pₖ − qₖ|` between the label proportions,
///   `medium` at 0.1 and `high` at 0.25; a label the reference never had is `high`.
/// - **Out of range**: examples with a finite value outside the reference's min…max for its
///   feature or channel, widened by ``DataCheckOptions/rangeMargin`` of that range (`medium`).
///
/// ```swift
/// let reference = try DatasetProfile.read(from: "profile.json")
/// let report = try DataCheck.run(try ValidationExamples.load(.arrays(data: "new.npy", labels: "y.npy")), reference: reference)
/// for finding in report.findings { print(finding.severity, finding.message) }
/// ```
public enum DataCheck {
    /// Checks `examples`, against `reference` when given.
    /// - Throws: ``PoisoningError`` `.invalidParameter` for thresholds that are not finite and
    ///   positive, or for profile options ``DatasetProfile/make(_:test:options:)`` refuses.
    public static func run(_ examples: ValidationExamples, reference: DatasetProfile? = nil,
                           options: DataCheckOptions = DataCheckOptions()) throws(PoisoningError) -> DataCheckReport {
        for (name, value) in [("PSI medium", options.psiMedium), ("PSI high", options.psiHigh),
                              ("label skew medium", options.labelSkewMedium), ("label skew high", options.labelSkewHigh)]
        where !(value.isFinite && value > 0) {
            throw PoisoningError(.invalidParameter, "\(name) threshold must be a positive number, got \(value)")
        }
        let own = try DatasetProfile.make(examples, options: options.profile)
        var findings: [ValidationFinding] = []
        var scores: [String: Double] = [
            "non_finite": Double(own.corrupt.nonFinite.count), "invalid_value": Double(own.corrupt.outOfRange.count),
            "exact_duplicates": Double(own.duplicates.exactGroups.reduce(0) { $0 + $1.count - 1 }),
            "near_duplicate_pairs": Double(own.duplicates.nearPairCount),
        ]
        findings += selfFindings(own, options: options.profile)
        if let reference {
            findings += compare(examples, with: reference, options: options, scores: &scores)
        }
        findings.sort { ($0.severity, $1.kind.rawValue) > ($1.severity, $0.kind.rawValue) }
        let flagged = Set(findings.filter { $0.severity >= .low }.flatMap(\.indices)).sorted()
        return DataCheckReport(count: examples.count, findings: findings, flaggedIndices: flagged, scores: scores, methods: [],
                               comparedWithReference: reference != nil)
    }

    static func list(_ indices: [Int], max: Int = 5) -> String {
        indices.prefix(max).map(String.init).joined(separator: ", ") + (indices.count > max ? ", …" : "")
    }

    /// Findings from the data's own profile: corrupt records and duplicates.
    static func selfFindings(_ own: DatasetProfile, options: ProfileOptions) -> [ValidationFinding] {
        var findings: [ValidationFinding] = []
        let c = own.corrupt
        if !c.nonFinite.isEmpty {
            findings.append(ValidationFinding(kind: .nonFinite, severity: .high, indices: c.nonFinite, score: Double(c.nonFinite.count),
                                              message: "\(c.nonFinite.count) example(s) hold NaN or infinity (examples \(list(c.nonFinite)))"))
        }
        if !c.outOfRange.isEmpty, let r = options.validRange {
            findings.append(ValidationFinding(kind: .invalidValue, severity: .high, indices: c.outOfRange, score: Double(c.outOfRange.count),
                                              message: "\(c.outOfRange.count) example(s) hold values outside the valid range [\(r.lowerBound), \(r.upperBound)] (examples \(list(c.outOfRange)))"))
        }
        let d = own.duplicates
        if !d.conflictingLabelGroups.isEmpty {
            let indices = d.conflictingLabelGroups.flatMap { $0 }.sorted()
            findings.append(ValidationFinding(kind: .conflictingLabels, severity: .medium, indices: indices, score: Double(d.conflictingLabelGroups.count),
                                              message: "\(d.conflictingLabelGroups.count) group(s) of identical examples carry different labels (examples \(list(indices)))"))
        }
        if !d.exactGroups.isEmpty {
            let copies = d.exactGroups.flatMap { $0.dropFirst() }.sorted()
            findings.append(ValidationFinding(kind: .exactDuplicate, severity: .low, indices: copies, score: Double(copies.count),
                                              message: "\(copies.count) example(s) duplicate an earlier one exactly, in \(d.exactGroups.count) group(s) (copies \(list(copies)))"))
        }
        if d.nearPairCount > 0 {
            let seconds = Set(d.nearPairs.map(\.second)).sorted()
            findings.append(ValidationFinding(kind: .nearDuplicate, severity: .low, indices: seconds, score: Double(d.nearPairCount),
                                              message: "\(d.nearPairCount) near-duplicate pair(s) within RMS \(options.nearDuplicateRMS) (e.g. \(d.nearPairs.prefix(3).map { "\($0.first)~\($0.second)" }.joined(separator: ", ")))"))
        }
        return findings
    }

    /// The population stability index of `current` against `reference` (same bins).
    public static func populationStabilityIndex(_ current: Histogram, _ reference: Histogram) -> Double {
        let p = current.proportions(), q = reference.proportions()
        guard p.count == q.count, current.total > 0, reference.total > 0 else { return 0 }
        return zip(p, q).reduce(0) { $0 + ($1.0 - $1.1) * log($1.0 / $1.1) }
    }

    /// Total-variation distance between two label distributions (the shorter padded with zeros).
    public static func totalVariation(_ a: LabelDistribution, _ b: LabelDistribution) -> Double {
        let k = max(a.counts.count, b.counts.count)
        let p = a.proportions + Array(repeating: 0, count: k - a.counts.count)
        let q = b.proportions + Array(repeating: 0, count: k - b.counts.count)
        return 0.5 * zip(p, q).reduce(0) { $0 + abs($1.0 - $1.1) }
    }

    static func compare(_ examples: ValidationExamples, with reference: DatasetProfile, options: DataCheckOptions,
                        scores: inout [String: Double]) -> [ValidationFinding] {
        guard examples.exampleShape == reference.exampleShape else {
            return [ValidationFinding(kind: .shapeMismatch, severity: .high,
                                      message: "examples are \(examples.exampleShape), the reference profile's are \(reference.exampleShape); nothing compared")]
        }
        var findings: [ValidationFinding] = []
        let ranges = reference.features.map { ($0.histogram.lower, $0.histogram.upper) }
        let bins = reference.features.first?.histogram.counts.count ?? 20
        let current = StatisticsComputation.compute(examples, axis: reference.axis, bins: bins, ranges: ranges)
        let psi = zip(current, reference.features).map { populationStabilityIndex($0.histogram, $1.histogram) }
        let cells = Double(bins + 2 - 1)
        let noise = 3 * cells * (1 / Double(max(1, examples.count * reference.axis.groupWidth(reference.exampleShape)))
                                 + 1 / Double(max(1, reference.count * reference.axis.groupWidth(reference.exampleShape))))
        let mediumLine = max(options.psiMedium, noise), highLine = max(options.psiHigh, noise)
        let maxPSI = psi.max() ?? 0
        scores["max_psi"] = maxPSI
        let shifted = psi.indices.filter { psi[$0] >= mediumLine }.sorted { psi[$0] > psi[$1] }
        if !shifted.isEmpty {
            let name = reference.axis == .channel ? "channel" : "feature"
            let top = shifted.prefix(5).map { "\(name) \($0) PSI \(String(format: "%.3f", psi[$0]))" }.joined(separator: ", ")
            findings.append(ValidationFinding(kind: .distributionShift, severity: maxPSI >= highLine ? .high : .medium, features: shifted.sorted(),
                                              score: maxPSI, message: "distribution shift in \(shifted.count) \(name)(s) (PSI ≥ \(String(format: "%.3f", mediumLine))): \(top)\(shifted.count > 5 ? ", …" : "")"))
        }

        let tv = totalVariation(LabelDistribution(labels: examples.labels, classCount: examples.classCount), reference.labels)
        scores["label_total_variation"] = tv
        let own = LabelDistribution(labels: examples.labels, classCount: examples.classCount)
        let newClasses = own.counts.indices.filter { own.counts[$0] > 0 && ($0 >= reference.labels.counts.count || reference.labels.counts[$0] == 0) }
        if !newClasses.isEmpty {
            let indices = examples.labels.indices.filter { newClasses.contains(examples.labels[$0]) }
            findings.append(ValidationFinding(kind: .labelSkew, severity: .high, indices: indices, score: tv,
                                              message: "\(indices.count) example(s) carry label(s) \(list(newClasses)) that the reference never had"))
        } else if tv >= options.labelSkewMedium {
            findings.append(ValidationFinding(kind: .labelSkew, severity: tv >= options.labelSkewHigh ? .high : .medium, score: tv,
                                              message: "label distribution differs from the reference: total variation \(String(format: "%.3f", tv)) (≥ \(options.labelSkewMedium))"))
        }

        let width = reference.axis.groupWidth(reference.exampleShape), d = examples.exampleSize
        let margins = reference.features.map { max(1e-9, options.rangeMargin * ($0.max - $0.min)) }
        let lows = zip(reference.features, margins).map { $0.min - $1 }, highs = zip(reference.features, margins).map { $0.max + $1 }
        var outside: [Int] = []
        examples.values.withUnsafeBufferPointer { v in
            var i = 0
            while i < examples.count {
                var k = 0
                while k < d {
                    let x = Double(v[i * d + k]), g = k / width
                    if x.isFinite, x < lows[g] || x > highs[g] { outside.append(i); break }
                    k += 1
                }
                i += 1
            }
        }
        scores["out_of_reference_range"] = Double(outside.count)
        if !outside.isEmpty {
            findings.append(ValidationFinding(kind: .outOfRange, severity: .medium, indices: outside, score: Double(outside.count),
                                              message: "\(outside.count) example(s) hold values outside the reference's per-\(reference.axis.rawValue) min…max (examples \(list(outside)))"))
        }
        return findings
    }
}
