public import ArgumentParser
import BulwarkData
import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Foundation

/// `bulwark data`: validate training data and record its provenance before training.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Validate training data (profile, check), find poison in it (detect) and record its provenance (manifest).",
        subcommands: [DataProfileCommand.self, DataCheckCommand.self, DataDetectCommand.self, DataManifestCommand.self]
    )
}

extension DataCheckMethod: ExpressibleByArgument {}
extension ValidationFinding.Severity: ExpressibleByArgument {}

/// Options shared by `data profile` and `data check`: the valid range, histogram bins, the
/// near-duplicate threshold.
struct ProfileArguments: ParsableArguments {
    @Option(name: .customLong("valid-range"),
            help: "LO:HI values must lie in (corrupt otherwise), or 'none'. Default: 0:1 for arrays and images, none for CSV.")
    var validRange: String?

    @Option(parsing: .unconditional, help: "Bins of each histogram.")
    var bins: Int = 20

    @Option(name: .customLong("near-duplicate-rms"), parsing: .unconditional,
            help: "Near-duplicate threshold on the root-mean-square difference of two examples.")
    var nearDuplicateRMS: Double = 0.02

    func validate() throws {
        try Bounds.check(bins, in: 1...1000, "--bins")
        guard nearDuplicateRMS >= 0, nearDuplicateRMS.isFinite else { throw ValidationError("--near-duplicate-rms must be a number ≥ 0") }
        _ = try range(isCSV: false)
    }

    /// The valid range (nil: none).
    func range(isCSV: Bool) throws -> ClosedRange<Double>? {
        guard let validRange else { return isCSV ? nil : 0...1 }
        if validRange.lowercased() == "none" { return nil }
        let parts = validRange.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let lo = Double(parts[0]), let hi = Double(parts[1]), lo.isFinite, hi.isFinite, lo <= hi else {
            throw ValidationError("--valid-range must be LO:HI with LO ≤ HI (e.g. 0:1) or 'none', got '\(validRange)'")
        }
        return lo...hi
    }

    func options(isCSV: Bool) throws -> ProfileOptions {
        ProfileOptions(histogramBins: bins, validRange: try range(isCSV: isCSV), nearDuplicateRMS: nearDuplicateRMS)
    }
}

/// Reads the examples of `data` for validation (NaN kept), cut to `--limit`.
private func validationExamples(_ data: LabelledDataOptions) throws -> ValidationExamples {
    guard let source = try data.source.dataset() else { throw CLIError("give the examples: --data X.npy --labels Y.npy, --image-folder DIR, or --csv FILE --label-column NAME") }
    let examples = try ValidationExamples.load(source)
    return data.limit.map { examples.prefix($0) } ?? examples
}

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

private func fmt(_ x: Double) -> String { String(format: "%.4g", x) }

/// `bulwark data check`: validate a dataset against a reference profile and its manifest.
struct DataCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a dataset before training: corrupt records, duplicates, shift and label skew against a profile, digests against a manifest.",
        discussion: """
        Shift: population stability index per feature/channel on the reference's histogram bins \
        (medium ≥ 0.1, high ≥ 0.25). Label skew: total-variation distance (medium ≥ 0.1, high ≥ 0.25). \
        Exit status: 0 no finding at or above --fail-on; 1 findings at or above it, or the data no \
        longer matches --manifest (one line naming the file); 2 an input is missing or malformed; \
        64 a bad option (e.g. --method strip without --clean). \
        With --model M --method, the detectors' flagged examples join flagged_indices and each \
        method's score summary is listed under methods (neural-cleanse flags classes, which stay \
        out of flagged_indices); detector flags do not change the exit status (spectral signatures \
        always remove 1.5 × --expected-rate of each class), so read them. A method that did not run \
        is not listed.
        """
    )

    @OptionGroup var data: LabelledDataOptions
    @OptionGroup var profileOptions: ProfileArguments

    @Option(help: "A reference profile (from `bulwark data profile`) to compare with.")
    var profile: String?

    @Option(help: "A manifest (from `bulwark data manifest`): the data must match its digests and be listed in it.")
    var manifest: String?

    @Option(help: "With --method: the model trained on this data.")
    var model: String?

    @Option(help: "With --model: its architecture, when the safetensors file does not record it.")
    var arch: ZooArchitecture?

    @Option(help: "Poison detectors to run with --model: activation-clustering, spectral, loss, strip, neural-cleanse, all (strip, neural-cleanse and all need --clean).")
    var method: DataCheckMethod?

    @OptionGroup(title: "Detector settings (with --method)") var detector: DetectorOptions

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding is at least this severe (info, low, medium, high).")
    var failOn: ValidationFinding.Severity = .medium

    @Flag(help: "Print one JSON object on stdout instead of text.")
    var json = false

    func validate() throws {
        if method != nil, model == nil { throw ValidationError("--method needs --model M (the model trained on this data)") }
        if model != nil, method == nil { throw ValidationError("--model goes with --method") }
        if let method, method.needsCleanImages, detector.clean == nil {
            throw ValidationError("--method \(method.rawValue) needs --clean CLEAN.npy (held-out clean images for strip and neural-cleanse)")
        }
        if method == nil, detector.clean != nil { throw ValidationError("--clean goes with --method") }
    }

    func run() throws {
        let started = Date()
        var manifestSummary: ManifestCheck?
        if let manifest {
            let recorded = try DataManifest.read(from: manifest)
            do {
                try recorded.verify(label: manifest)
                let files = [data.source.data, data.source.labels, data.source.csv].compactMap { $0 }
                if let uncovered = files.first(where: { !recorded.covers($0) }) {
                    throw PoisoningError(.dataChanged, "\(manifest): '\(uncovered)' is not listed in the manifest")
                }
                if let folder = data.source.imageFolder, !recorded.isManifest(ofDirectory: folder) {
                    throw PoisoningError(.dataChanged, "\(manifest): the image folder '\(folder)' is not the manifest's directory")
                }
            } catch let error as PoisoningError where error.code == .dataChanged {
                Terminal.note("error: \(error.message)")
                throw ExitCode(ExitStatus.findings)
            }
            manifestSummary = ManifestCheck(path: manifest, root: recorded.root, files: recorded.files.count, verified: true)
        }
        let examples = try validationExamples(data)
        let reference = try profile.map { try DatasetProfile.read(from: $0) }
        var report = try DataCheck.run(examples, reference: reference,
                                       options: DataCheckOptions(profile: try profileOptions.options(isCSV: data.source.isCSV)))
        if let method, let model {
            configureNumerics()
            let classifier = try ModelLoader.classifier(path: model, architecture: arch)
            let inputs = try data.load(for: classifier, modelPath: model)
            let clean = try detector.clean.map { path throws -> Tensor in try ArrayFiles.inputs(path: path, exampleShape: classifier.inputShape) }
            report.add(detections: try PoisonDetectorJob.runAll([method], model: classifier, inputs: inputs.inputs, labels: inputs.labels,
                                                                clean: clean, settings: detector.settings))
        }
        let seconds = Date().timeIntervalSince(started)
        let failed = (report.worstSeverity.map { $0 >= failOn }) ?? false
        if json {
            try printJSON(CheckOutput(data: data.data, count: report.count, findings: report.findings, flaggedIndices: report.flaggedIndices,
                                      scores: report.scores, methods: report.methods, profile: profile, manifest: manifestSummary,
                                      failOn: failOn.rawValue, passed: !failed, seconds: seconds))
        } else {
            if let manifestSummary {
                print("Manifest: \(manifestSummary.files) file(s) match \(manifest ?? "") (root \(manifestSummary.root.prefix(16))…)")
            }
            print("Checked \(report.count) examples\(profile.map { " against \($0)" } ?? "") in \(String(format: "%.2f", seconds)) s: \(report.findings.count) finding(s), \(report.flaggedIndices.count) example(s) flagged")
            for finding in report.findings { print("  [\(finding.severity.rawValue)] \(finding.kind.rawValue): \(finding.message)") }
            if let psi = report.scores["max_psi"], let tv = report.scores["label_total_variation"] {
                print("  max PSI \(String(format: "%.4f", psi)), label total variation \(String(format: "%.4f", tv))")
            }
            if report.methods.isEmpty {
                print("  poison detectors: none run (give --model M --method …)")
            }
            for m in report.methods {
                let what = m.unit == "class" ? "class(es) \(m.flagged)" : "example(s)"
                print("  \(m.method): flagged \(m.flagged.count) \(what); scores \(fmt(m.summary.min))…\(fmt(m.summary.max)), median \(fmt(m.summary.median))\(m.threshold.map { ", threshold \(fmt($0))" } ?? "")")
            }
            print(failed ? "FAIL: findings at or above \(failOn.rawValue)" : "PASS: nothing at or above \(failOn.rawValue)")
        }
        if failed { throw ExitCode(ExitStatus.findings) }
    }
}

/// The manifest part of `data check --json`.
struct ManifestCheck: Encodable {
    var path: String, root: String, files: Int, verified: Bool
}

/// What `data check --json` prints.
struct CheckOutput: Encodable {
    var data: String, count: Int, findings: [ValidationFinding], flaggedIndices: [Int], scores: [String: Double], methods: [MethodScores]
    var profile: String?, manifest: ManifestCheck?, failOn: String, passed: Bool, seconds: Double

    enum CodingKeys: String, CodingKey {
        case data, count, findings, flaggedIndices = "flagged_indices", scores, methods, profile, manifest, failOn = "fail_on", passed, seconds
    }
}

/// `bulwark data manifest`: digests, record counts and a Merkle root of data files.
struct DataManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Record each data file's SHA-256, size and record count under a Merkle root (sign the JSON with `bulwark sign`).",
        discussion: """
        One directory is walked recursively in byte order of its paths (entries relative to it, so \
        added files are noticed later); files are recorded by the paths given. Symbolic links are \
        refused. Leaves and nodes are hashed as RFC 6962 does (0x00 / 0x01 prefixes).
        """
    )

    @Argument(help: "A data directory, or data files.")
    var paths: [String]

    @Option(help: "Where to write the manifest (JSON); not inside the directory it describes.")
    var out: String

    @Flag(help: "Print one JSON object (a summary) on stdout instead of text.")
    var json = false

    func run() throws {
        try refuseOverwrite(out, inputs: paths, trees: paths, role: "--out")
        let started = Date()
        let manifest = try DataManifest.make(paths: paths)
        try manifest.write(to: out)
        let seconds = Date().timeIntervalSince(started)
        let bytes = manifest.files.reduce(0) { $0 + $1.size }
        if json {
            try printJSON(ManifestSummary(out: out, mode: manifest.mode.rawValue, files: manifest.files.count, bytes: bytes,
                                          records: manifest.totalRecords, root: manifest.root, seconds: seconds))
            return
        }
        print("Manifest of \(manifest.files.count) file(s), \(bytes) bytes, \(manifest.totalRecords) records in \(String(format: "%.2f", seconds)) s")
        for entry in manifest.files {
            print("  \(entry.sha256.prefix(16))…  \(entry.size) B  \(entry.records.map { "\($0) records" } ?? "-")  \(entry.path)")
        }
        print("Root: \(manifest.root)")
        print("Manifest: \(out)")
    }
}

/// What `data manifest --json` prints.
struct ManifestSummary: Encodable {
    var out: String, mode: String, files: Int, bytes: Int, records: Int, root: String, seconds: Double
}
