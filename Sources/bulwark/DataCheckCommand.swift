import ArgumentParser
import BulwarkData
import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Foundation

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
