import BulwarkArchive
import Foundation

/// What ``DatasetProfile/make(_:test:options:)`` measures and how.
public struct ProfileOptions: Sendable, Equatable {
    /// Bins of every histogram (default 20).
    public var histogramBins: Int
    /// The range valid values lie in (the zoo models and attacks use [0, 1]); values outside it
    /// make a record corrupt and it fixes the histograms' range. Nil: no range check, and each
    /// histogram spans its feature's own min…max.
    public var validRange: ClosedRange<Double>?
    /// Near-duplicate threshold on the root-mean-square difference `‖a − b‖₂ / √D` (default
    /// 0.02: two [0, 1] images differing by 2 % of the range per value on average).
    public var nearDuplicateRMS: Double
    /// Pairs kept in the JSON for each duplicate list (all are counted).
    public var maxListedPairs: Int

    /// Creates options with the defaults above.
    public init(histogramBins: Int = 20, validRange: ClosedRange<Double>? = 0...1, nearDuplicateRMS: Double = 0.02, maxListedPairs: Int = 1_000) {
        self.histogramBins = histogramBins
        self.validRange = validRange
        self.nearDuplicateRMS = nearDuplicateRMS
        self.maxListedPairs = maxListedPairs
    }
}

/// How many examples each class has.
public struct LabelDistribution: Codable, Sendable, Equatable {
    /// Examples per class, indexed by label.
    public var counts: [Int]

    /// Creates a distribution from counts.
    public init(counts: [Int]) { self.counts = counts }

    /// The counts of `labels` over `classCount` classes.
    public init(labels: [Int], classCount: Int) {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels where label >= 0 && label < classCount { counts[label] += 1 }
        self.counts = counts
    }

    /// The fraction of examples in each class.
    public var proportions: [Double] {
        let n = Double(max(1, counts.reduce(0, +)))
        return counts.map { Double($0) / n }
    }
}

/// Duplicates found in a dataset and between it and its test set.
public struct DuplicateReport: Codable, Sendable, Equatable {
    /// Groups of bit-identical examples (indices sorted; groups by first index).
    public var exactGroups: [[Int]]
    /// Exact-duplicate groups whose labels differ (a sign of label noise or flipping).
    public var conflictingLabelGroups: [[Int]]
    /// How many near-duplicate pairs were found (within the threshold, not identical).
    public var nearPairCount: Int
    /// The first ``ProfileOptions/maxListedPairs`` near-duplicate pairs.
    public var nearPairs: [NearDuplicatePair]
    /// Identical (train, test) pairs, when a test set was given.
    public var crossSplitExactCount: Int
    /// Near-duplicate (train, test) pairs that are not identical.
    public var crossSplitNearCount: Int
    /// The first listed cross-split pairs (exact first, then near); `second` indexes the test set.
    public var crossSplitPairs: [NearDuplicatePair]
    /// Locality-sensitive-hash buckets cut to their first 2000 rows (0: no pair was skipped by the cut).
    public var truncatedBuckets: Int

    enum CodingKeys: String, CodingKey {
        case exactGroups = "exact_groups", conflictingLabelGroups = "conflicting_label_groups", nearPairCount = "near_pair_count"
        case nearPairs = "near_pairs", crossSplitExactCount = "cross_split_exact_count", crossSplitNearCount = "cross_split_near_count"
        case crossSplitPairs = "cross_split_pairs", truncatedBuckets = "truncated_buckets"
    }
}

/// Records that cannot be trusted as they are.
public struct CorruptRecords: Codable, Sendable, Equatable {
    /// Examples holding NaN or an infinity.
    public var nonFinite: [Int]
    /// Examples holding a finite value outside ``ProfileOptions/validRange``.
    public var outOfRange: [Int]

    enum CodingKeys: String, CodingKey {
        case nonFinite = "non_finite", outOfRange = "out_of_range"
    }
}

/// A profile of a labelled dataset, saved as versioned JSON and used as the reference that
/// ``DataCheck`` compares new data with.
///
/// It records the example count and shape; per-feature statistics — or **per-channel** for
/// image examples of shape C×H×W, pooled over the pixels of each channel (``StatisticsAxis``)
/// — with min, max, mean, standard deviation and a fixed-bin histogram; the label distribution;
/// exact duplicates (content hash, confirmed), near-duplicates (root-mean-square difference
/// within ``ProfileOptions/nearDuplicateRMS``, found through locality-sensitive hashing, see
/// ``DuplicateFinder``), duplicates between the training and test sets; and corrupt records
/// (NaN/∞, values outside the valid range).
///
/// Cost: O(N·D) for the statistics and hashing, one N×D·160 matrix product for the
/// near-duplicate keys, and comparisons only inside hash buckets.
///
/// ```swift
/// let train = try ValidationExamples.load(.arrays(data: "x.npy", labels: "y.npy"))
/// let profile = try DatasetProfile.make(train)
/// try profile.write(to: "profile.json")
/// ```
public struct DatasetProfile: Codable, Sendable, Equatable {
    /// The version of this JSON layout; readers refuse versions they do not know.
    public static let currentVersion = 1

    /// The layout version (``currentVersion`` when written).
    public var version: Int
    /// The Bulwark version that made the profile.
    public var toolVersion: String
    /// The number of examples.
    public var count: Int
    /// The shape of one example.
    public var exampleShape: [Int]
    /// Whether ``features`` are per feature or per channel.
    public var axis: StatisticsAxis
    /// One entry per feature or channel.
    public var features: [FeatureStatistics]
    /// The label distribution.
    public var labels: LabelDistribution
    /// Duplicates within the data and across the train/test split.
    public var duplicates: DuplicateReport
    /// NaN/∞ and out-of-range records.
    public var corrupt: CorruptRecords
    /// The valid range the profile was made with, as `[lower, upper]` (nil: none).
    public var validRange: [Double]?
    /// The near-duplicate threshold used.
    public var nearDuplicateRMS: Double
    /// The test set's example count, when one was given.
    public var testCount: Int?

    enum CodingKeys: String, CodingKey {
        case version, toolVersion = "tool_version", count, exampleShape = "example_shape", axis, features, labels, duplicates, corrupt
        case validRange = "valid_range", nearDuplicateRMS = "near_duplicate_rms", testCount = "test_count"
    }

    /// Profiles `examples` (and their overlap with `test`, when given).
    /// - Throws: ``PoisoningError`` `.invalidParameter` for bins outside 1…1000 or a negative
    ///   threshold; `.shapeMismatch` when `test` examples have another shape.
    public static func make(_ examples: ValidationExamples, test: ValidationExamples? = nil,
                            options: ProfileOptions = ProfileOptions()) throws(PoisoningError) -> DatasetProfile {
        guard (1...1000).contains(options.histogramBins) else {
            throw PoisoningError(.invalidParameter, "histogram bins must be in 1…1000, got \(options.histogramBins)")
        }
        guard options.nearDuplicateRMS >= 0, options.nearDuplicateRMS.isFinite else {
            throw PoisoningError(.invalidParameter, "near-duplicate threshold must be a finite number ≥ 0, got \(options.nearDuplicateRMS)")
        }
        if let test, test.exampleShape != examples.exampleShape {
            throw PoisoningError(.shapeMismatch, "test examples are \(test.exampleShape), training examples \(examples.exampleShape)")
        }
        let axis = StatisticsAxis.for(exampleShape: examples.exampleShape)
        let groups = axis.groupCount(examples.exampleShape)
        let ranges = options.validRange.map { r in Array(repeating: (r.lowerBound, r.upperBound), count: groups) }
        let features = StatisticsComputation.compute(examples, axis: axis, bins: options.histogramBins, ranges: ranges)

        let exact = DuplicateFinder.exactGroups(examples)
        let conflicting = exact.filter { group in Set(group.map { examples.labels[$0] }).count > 1 }
        let finder = DuplicateFinder(threshold: options.nearDuplicateRMS)
        let near = finder.nearPairs(examples, test: test)
        let crossExact = test.map { DuplicateFinder.exactCross(examples, $0) } ?? []
        let crossNear = near.cross.filter { $0.rmsDistance > 0 }
        let duplicates = DuplicateReport(
            exactGroups: exact, conflictingLabelGroups: conflicting, nearPairCount: near.within.count,
            nearPairs: Array(near.within.prefix(options.maxListedPairs)), crossSplitExactCount: crossExact.count,
            crossSplitNearCount: crossNear.count, crossSplitPairs: Array((crossExact + crossNear).prefix(options.maxListedPairs)),
            truncatedBuckets: near.truncated)
        return DatasetProfile(
            version: currentVersion, toolVersion: BulwarkVersion.current, count: examples.count, exampleShape: examples.exampleShape,
            axis: axis, features: features, labels: LabelDistribution(labels: examples.labels, classCount: examples.classCount),
            duplicates: duplicates, corrupt: corruptRecords(examples, validRange: options.validRange),
            validRange: options.validRange.map { [$0.lowerBound, $0.upperBound] }, nearDuplicateRMS: options.nearDuplicateRMS,
            testCount: test?.count)
    }

    /// Examples with non-finite values, and examples with values outside `validRange`.
    static func corruptRecords(_ x: ValidationExamples, validRange: ClosedRange<Double>?) -> CorruptRecords {
        var nonFinite: [Int] = [], outOfRange: [Int] = []
        let d = x.exampleSize
        x.values.withUnsafeBufferPointer { v in
            for i in 0..<x.count {
                var bad = false, outside = false
                var k = i * d
                let end = k + d, low = validRange?.lowerBound ?? -.infinity, high = validRange?.upperBound ?? .infinity
                while k < end {
                    let value = Double(v[k])
                    if !value.isFinite { bad = true } else if value < low || value > high { outside = true }
                    k += 1
                }
                if bad { nonFinite.append(i) }
                if outside { outOfRange.append(i) }
            }
        }
        return CorruptRecords(nonFinite: nonFinite, outOfRange: outOfRange)
    }

    /// The profile as JSON (keys sorted, pretty-printed).
    public func jsonBytes() throws(PoisoningError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do { return Array(try encoder.encode(self)) } catch {
            throw PoisoningError(.invalidParameter, "profile cannot be encoded as JSON: \(error)", underlying: error)
        }
    }

    /// Reads a profile from JSON, refusing an unknown version or inconsistent fields.
    /// - Throws: ``PoisoningError`` `.shapeMismatch` naming `label` and the field.
    public static func decode(_ bytes: [UInt8], label: String = "profile.json") throws(PoisoningError) -> DatasetProfile {
        struct Version: Decodable { var version: Int? }
        if let found = (try? JSONDecoder().decode(Version.self, from: Data(bytes)))?.version, found != currentVersion {
            throw PoisoningError(.shapeMismatch, "\(label): profile version \(found) is not supported (this build reads version \(currentVersion))")
        }
        let profile: DatasetProfile
        do { profile = try JSONDecoder().decode(DatasetProfile.self, from: Data(bytes)) } catch {
            throw PoisoningError(.shapeMismatch, "\(label): not a Bulwark dataset profile (\(JSONErrorText.describe(error)))", underlying: error)
        }
        guard profile.version == currentVersion else {
            throw PoisoningError(.shapeMismatch, "\(label): profile version \(profile.version) is not supported (this build reads version \(currentVersion))")
        }
        guard profile.exampleShape.allSatisfy({ $0 > 0 }), !profile.exampleShape.isEmpty,
              profile.features.count == profile.axis.groupCount(profile.exampleShape) else {
            throw PoisoningError(.shapeMismatch, "\(label): field 'features' has \(profile.features.count) entries, example shape \(profile.exampleShape) needs \(profile.exampleShape.isEmpty ? 0 : profile.axis.groupCount(profile.exampleShape))")
        }
        return profile
    }

    /// Reads the profile at `path`.
    public static func read(from path: String) throws(PoisoningError) -> DatasetProfile {
        try decode(try FileBytes.read(path, maxBytes: 256 << 20), label: path)
    }

    /// Writes the profile to `path`.
    public func write(to path: String) throws(PoisoningError) {
        try FileBytes.write(try jsonBytes() + [0x0A], to: path)
    }
}

/// One-line descriptions of JSON decoding errors.
enum JSONErrorText {
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "invalid JSON" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field '\((path(context).isEmpty ? "" : path(context) + ".") + key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "field '\(path(context))' has the wrong type"
        case .dataCorrupted(let context): return path(context).isEmpty ? "invalid JSON" : "field '\(path(context))' is invalid"
        @unknown default: return "invalid JSON"
        }
    }
}

/// Whole-file reads (bounded, regular files only) and atomic writes.
enum FileBytes {
    static func read(_ path: String, maxBytes: Int) throws(PoisoningError) -> [UInt8] {
        do {
            let source = try FileSource(path: path)
            guard source.size <= maxBytes else {
                throw PoisoningError(.io, "\(path): file of \(source.size) bytes exceeds the limit of \(maxBytes) bytes")
            }
            return try source.read(offset: 0, count: source.size)
        } catch let error as PoisoningError {
            throw error
        } catch {
            throw PoisoningError(.io, (error as? ArchiveError)?.message ?? "\(path): cannot read (\(error))", underlying: error)
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws(PoisoningError) {
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw PoisoningError(.io, "\(path): cannot write (\(error.localizedDescription))", underlying: error)
        }
    }
}
