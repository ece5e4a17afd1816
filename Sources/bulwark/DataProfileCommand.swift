import ArgumentParser
import BulwarkData
import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Foundation

/// `bulwark data profile`: profile a dataset and save the profile as JSON.
struct DataProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Profile a dataset: statistics, histograms, labels, duplicates, corrupt records; save it as JSON.",
        discussion: """
        Statistics are per feature, or per channel for image examples (C×H×W). Near-duplicates are \
        pairs within --near-duplicate-rms root-mean-square difference, found by locality-sensitive \
        hashing; with --test-data the duplicates between training and test sets are counted too.
        """
    )

    @OptionGroup var data: LabelledDataOptions
    @OptionGroup var profile: ProfileArguments

    @Option(name: .customLong("test-data"), help: "A test set (.npy or .npz) to look for train/test duplicates in.")
    var testData: String?

    @Option(name: .customLong("test-labels"), help: "Labels of --test-data (.npy), unless its .npz holds them.")
    var testLabels: String?

    @Option(help: "Where to write the profile (JSON).")
    var out: String

    @Flag(help: "Print one JSON object (a summary) on stdout instead of text.")
    var json = false

    func validate() throws {
        if testLabels != nil, testData == nil { throw ValidationError("--test-labels goes with --test-data") }
        if let testData, testLabels == nil, !testData.lowercased().hasSuffix(".npz") {
            throw ValidationError("--test-data \(testData) needs --test-labels Y.npy (only an .npz can hold its own labels)")
        }
    }

    func run() throws {
        try refuseOverwrite(out, inputs: data.paths + [testData, testLabels], trees: [data.source.imageFolder].compactMap { $0 }, role: "--out")
        let started = Date()
        let examples = try validationExamples(data)
        let test = try testData.map { try ValidationExamples.load(.arrays(data: $0, labels: testLabels)) }
        let result = try DatasetProfile.make(examples, test: test, options: try profile.options(isCSV: data.source.isCSV))
        try result.write(to: out)
        let seconds = Date().timeIntervalSince(started)
        let d = result.duplicates
        let summary = ProfileSummary(out: out, count: result.count, exampleShape: result.exampleShape, axis: result.axis.rawValue,
                                     labelCounts: result.labels.counts, exactDuplicates: d.exactGroups.reduce(0) { $0 + $1.count - 1 },
                                     conflictingLabelGroups: d.conflictingLabelGroups.count, nearDuplicatePairs: d.nearPairCount,
                                     crossSplitExact: test == nil ? nil : d.crossSplitExactCount, crossSplitNear: test == nil ? nil : d.crossSplitNearCount,
                                     nonFinite: result.corrupt.nonFinite.count, outOfRange: result.corrupt.outOfRange.count, seconds: seconds)
        if json { try printJSON(summary); return }
        let stats = result.features.count == 1 ? result.features[0] : nil
        print("Profiled \(result.count) examples of \(result.exampleShape.map(String.init).joined(separator: "×")) (\(result.features.count) \(result.axis.rawValue)(s)) in \(String(format: "%.2f", seconds)) s")
        if let stats {
            print("  values: min \(fmt(stats.min)), max \(fmt(stats.max)), mean \(fmt(stats.mean)), std \(fmt(stats.std))")
        }
        print("  labels: \(result.labels.counts.count) classes, counts \(result.labels.counts.map(String.init).joined(separator: " "))")
        print("  duplicates: \(summary.exactDuplicates) exact copies (\(summary.conflictingLabelGroups) group(s) with conflicting labels), \(d.nearPairCount) near pair(s) within RMS \(profile.nearDuplicateRMS)")
        if let test {
            print("  train/test: \(d.crossSplitExactCount) identical and \(d.crossSplitNearCount) near pair(s) with the \(test.count) test examples")
        }
        print("  corrupt: \(result.corrupt.nonFinite.count) with NaN/∞, \(result.corrupt.outOfRange.count) outside the valid range")
        print("Profile: \(out)")
    }
}

/// What `data profile --json` prints.
struct ProfileSummary: Encodable {
    var out: String, count: Int, exampleShape: [Int], axis: String, labelCounts: [Int], exactDuplicates: Int, conflictingLabelGroups: Int
    var nearDuplicatePairs: Int, crossSplitExact: Int?, crossSplitNear: Int?, nonFinite: Int, outOfRange: Int, seconds: Double

    enum CodingKeys: String, CodingKey {
        case out, count, exampleShape = "example_shape", axis, labelCounts = "label_counts", exactDuplicates = "exact_duplicates"
        case conflictingLabelGroups = "conflicting_label_groups", nearDuplicatePairs = "near_duplicate_pairs"
        case crossSplitExact = "cross_split_exact", crossSplitNear = "cross_split_near", nonFinite = "non_finite", outOfRange = "out_of_range", seconds
    }
}
