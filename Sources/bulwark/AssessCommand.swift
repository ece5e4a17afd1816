import ArgumentParser
import BulwarkArchive
import BulwarkAssessment
import BulwarkData
import BulwarkEvasion
import BulwarkExtraction
import BulwarkModels
import BulwarkPoisoning
import BulwarkReport
import BulwarkSupplyChain
import Foundation

/// `bulwark assess`: the main job — train (or reuse) a zoo model on Fashion-MNIST, scan it,
/// attack it and write one report.
struct AssessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assess",
        abstract: "Train (or reuse) a Fashion-MNIST model, scan it, attack it, and write report/{index.html,report.json,report.sarif}.",
        discussion: """
        Trains the zoo model (default cnn, 3 epochs) unless a matching one is cached in --model-dir, \
        scans the model file with the artifact scanner before loading it (any verdict but clean stops \
        the run: the report is written with the scan finding and the exit status is 1), then runs \
        FGSM, PGD (10 steps) and DeepFool at L∞ ε = 0.01, 0.03, 0.1 on the first --limit test images \
        and the black-box Square Attack (1000 queries) at ε = 0.1 on the first --black-box-limit. \
        Every finding carries its MITRE ATLAS and OWASP ML Top 10 ids and the command that reproduces it. \
        Robust accuracy is the accuracy under these attacks, not a guarantee. Progress goes to stderr.

        Example:
          bulwark assess                 # cnn, about 10 minutes on 2 cores the first time
          bulwark assess --quick --out /tmp/r
        """
    )

    @Option(help: "Architecture: \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: "|")) (default cnn; mlp with --quick).")
    var model: String?

    @Option(name: [.customLong("model-dir"), .customLong("cache")], help: "Where trained models are cached and reused.")
    var modelDirectory: String = "models"

    @Option(name: .customLong("data-dir"), help: "Directory holding the Fashion-MNIST IDX files.")
    var dataDirectory: String = FashionMNIST.defaultDirectory

    @Option(help: "Report directory.")
    var out: String = "report"

    @Option(parsing: .unconditional, help: "Attack the first N test images (default 1000; 48 with --quick).")
    var limit: Int?

    @Option(name: .customLong("black-box-limit"), parsing: .unconditional, help: "Black-box attack on the first N of them (default 100; 16 with --quick; 0 skips it).")
    var blackBoxLimit: Int?

    @Option(parsing: .unconditional, help: "Training epochs (default 3; 1 with --quick).")
    var epochs: Int?

    @Option(name: .customLong("train-limit"), parsing: .unconditional, help: "Train on the first N training images (default all; 2000 with --quick).")
    var trainLimit: Int?

    @Option(parsing: .unconditional, help: "Seed of training and of every attack.")
    var seed: UInt64 = 0

    @Flag(help: "A tiny run (mlp, 1 epoch on 2000 images, 48 test images, small budgets) for tests and smoke checks.")
    var quick = false

    @Flag(name: .customLong("no-poisoning"), help: "Skip the poisoning stage (training-data profile, activation clustering and spectral signatures).")
    var noPoisoning = false

    @Option(name: .customLong("poisoning-limit"), parsing: .unconditional, help: "Poison detectors examine the first N training images (default 5000).")
    var poisoningLimit: Int?

    @Flag(name: .customLong("no-extraction"), help: "Skip the extraction stage (Knockoff Nets against the model, PRADA on its queries).")
    var noExtraction = false

    @Option(name: .customLong("extraction-queries"), parsing: .unconditional, help: "Queries the extraction stage's attacker sends (default 2000; 500 with --quick).")
    var extractionQueries: Int?

    @Flag(help: "Retrain even when a matching model is cached.")
    var retrain = false

    @Flag(help: "Print one JSON summary on stdout.")
    var json = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @Option(name: .customLong("sign-with"), help: "PEM private key: also write <out>/attestation.json, an in-toto attestation binding report.json to the model's digests (check it with bulwark verify --attestation).")
    var signWith: String?

    func validate() throws {
        if let model, ZooArchitecture(rawValue: model) == nil {
            throw ValidationError("unknown model '\(model)' (supported: \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive, got \(limit)") }
        if let blackBoxLimit, blackBoxLimit < 0 { throw ValidationError("--black-box-limit must be ≥ 0, got \(blackBoxLimit)") }
        if let epochs, epochs <= 0 || epochs > 1000 { throw ValidationError("--epochs must be between 1 and 1000, got \(epochs)") }
        if let trainLimit, trainLimit <= 0 { throw ValidationError("--train-limit must be positive, got \(trainLimit)") }
        if let extractionQueries { try Bounds.check(extractionQueries, in: 1...9000, "--extraction-queries") }
        if extractionQueries != nil, noExtraction { throw ValidationError("--extraction-queries does not go with --no-extraction") }
        if let poisoningLimit, poisoningLimit <= 0 { throw ValidationError("--poisoning-limit must be positive, got \(poisoningLimit)") }
    }

    func run() async throws {
        var c = quick ? AssessmentConfiguration.quickPreset() : AssessmentConfiguration()
        if let model, let arch = ZooArchitecture(rawValue: model) { c.architecture = arch }
        c.modelDirectory = modelDirectory
        c.dataDirectory = dataDirectory
        c.outputDirectory = out
        if let limit { c.evaluationLimit = limit }
        if let blackBoxLimit { c.blackBoxLimit = blackBoxLimit }
        if let epochs { c.epochs = epochs }
        if let trainLimit { c.trainLimit = trainLimit }
        c.poisoningChecks = !noPoisoning
        if let poisoningLimit { c.poisoningDetectionLimit = poisoningLimit }
        c.extractionChecks = !noExtraction
        if let extractionQueries { c.extractionQueries = extractionQueries }
        c.seed = seed
        c.retrain = retrain
        c.toolVersion = Bulwark.configuration.version
        c.commandLine = quotedCommandLine()

        let line = ProgressLine(enabled: !quiet)
        let outcome: AssessmentOutcome
        var lastStage: AssessmentProgress.Stage?
        var lastAttack = ""
        do {
            outcome = try Assessment(configuration: c).run { p in
                let eta = p.secondsRemaining.map { " · ETA \(formatDuration($0))" } ?? ""
                // every stage change and every new attack is shown; batches within one are throttled
                let attack = p.stage == .evaluate ? String(p.message.prefix { $0 != "=" }) : ""
                let force = p.stage != lastStage || attack != lastAttack || (p.stage != .evaluate && p.stage != .train)
                lastStage = p.stage
                lastAttack = attack
                line.update("[\(p.stage.rawValue)] \(p.message)\(eta)", force: force)
            }
        } catch {
            line.finish()
            throw error
        }
        line.finish("assessment finished in \(formatDuration(outcome.seconds))")
        let html = outcome.files.first { $0.lastPathComponent == "index.html" }?.path ?? out
        var attestationPath: String?
        if let signWith, let reportFile = outcome.files.first(where: { $0.lastPathComponent == "report.json" }) {
            let target = URL(fileURLWithPath: out).appendingPathComponent("attestation.json").path
            do {
                let key = try ModelSigningPrivateKey(pemFile: signWith)
                let bytes = try FileChecks.readRegularFile(reportFile.path, maxBytes: AssessmentAttestation.maxReportBytes)
                let signed = try await AssessmentAttestation.sign(modelAt: outcome.model.path, report: bytes, identity: .key(key))
                try signed.write(to: target)
                attestationPath = target
            } catch {
                throw CLIError("cannot write the attestation: \(error)")
            }
        }
        if json {
            try printJSON(AssessResult(
                model: outcome.model.path, trainedNow: outcome.model.trainedNow, sha256: outcome.model.sha256,
                scanVerdict: outcome.model.scan.verdict.rawValue, seconds: outcome.seconds, files: outcome.files.map(\.path),
                findings: outcome.report.sortedFindings.map {
                    .init(id: $0.id, severity: $0.severity.rawValue, atlas: $0.atlasID, owasp: $0.owaspID, title: $0.title,
                          reliability: $0.reliability.label)
                },
                cleanAccuracy: outcome.whiteBox?.cleanAccuracy, examples: outcome.whiteBox?.examples, stopped: outcome.stopReason,
                attestation: attestationPath, poisoning: outcome.poisoning.map(AssessResult.Poisoning.init),
                extraction: outcome.extraction.map(AssessResult.Extraction.init)))
        } else {
            print(AssessSummary.text(outcome))
            print("report: \(html)")
            if let attestationPath { print("attestation: \(attestationPath)") }
        }
        if let reason = outcome.stopReason {
            Terminal.note("error: \(reason) (report written to \(html))")
            throw ExitCode(ExitStatus.findings)
        }
    }
}

/// What `assess --json` prints.
struct AssessResult: Codable {
    /// One finding, with whether its figure is reliable, unreliable or not checked.
    struct Finding: Codable { var id: String, severity: String, atlas: String, owasp: String, title: String, reliability: String }
    var model: String, trainedNow: Bool, sha256: String, scanVerdict: String, seconds: Double, files: [String], findings: [Finding]
    var cleanAccuracy: Double?, examples: Int?, stopped: String?, attestation: String?
    /// The poisoning stage's figures (`null` when it was skipped or failed).
    var poisoning: Poisoning?

    /// The poisoning stage: the profile's counts and what each detector flagged. Flags are
    /// candidates to inspect, never a verdict that the data is clean.
    struct Poisoning: Codable {
        /// One detector's flags.
        struct Detector: Codable {
            var method: String, flagged: Int, flaggedIndices: [Int]
            enum CodingKeys: String, CodingKey { case method, flagged, flaggedIndices = "flagged_indices" }
        }
        var trainingExamples: Int, detectionExamples: Int, profileSeconds: Double, detectionSeconds: Double
        var exactDuplicateGroups: Int, conflictingLabelGroups: Int, crossSplitDuplicates: Int, corruptRecords: Int
        var detectors: [Detector]
        enum CodingKeys: String, CodingKey {
            case detectors
            case trainingExamples = "training_examples", detectionExamples = "detection_examples", profileSeconds = "profile_seconds"
            case detectionSeconds = "detection_seconds", exactDuplicateGroups = "exact_duplicate_groups"
            case conflictingLabelGroups = "conflicting_label_groups", crossSplitDuplicates = "cross_split_duplicates", corruptRecords = "corrupt_records"
        }

        init(_ r: PoisoningStageResult) {
            let d = r.profile.duplicates
            trainingExamples = r.trainingExamples
            detectionExamples = r.detectionExamples
            profileSeconds = r.profileSeconds
            detectionSeconds = r.detectionSeconds
            exactDuplicateGroups = d.exactGroups.count
            conflictingLabelGroups = d.conflictingLabelGroups.count
            crossSplitDuplicates = d.crossSplitExactCount + d.crossSplitNearCount
            corruptRecords = Set(r.profile.corrupt.nonFinite + r.profile.corrupt.outOfRange).count
            detectors = r.detections.map { Detector(method: $0.method, flagged: $0.flaggedIndices.count, flaggedIndices: $0.flaggedIndices) }
        }
    }

    /// The extraction stage's figures (`null` when it was skipped or failed).
    var extraction: Extraction?

    /// The extraction stage: the attack's queries, the copy's fidelity and what PRADA saw.
    struct Extraction: Codable {
        var attack: String, queries: Int, fidelity: Double?, substituteAccuracy: Double?, seconds: Double
        var pradaQueriesUntilAlert: Int?
        enum CodingKeys: String, CodingKey {
            case attack, queries, fidelity, seconds
            case substituteAccuracy = "substitute_accuracy", pradaQueriesUntilAlert = "prada_queries_until_alert"
        }

        init(_ r: ExtractionStageResult) {
            attack = r.report.attack + (r.report.selection.map { "-\($0)" } ?? "")
            queries = r.report.queriesUsed
            fidelity = r.report.fidelity
            substituteAccuracy = r.report.accuracy
            seconds = r.seconds
            pradaQueriesUntilAlert = r.detections.first { $0.detector == "prada" }?.queriesUntilAlert
        }
    }

    enum CodingKeys: String, CodingKey {
        case model, sha256, seconds, files, findings, examples, stopped, attestation, poisoning, extraction
        case trainedNow = "trained_now", scanVerdict = "scan_verdict", cleanAccuracy = "clean_accuracy"
    }
}
