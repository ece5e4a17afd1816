public import BulwarkEvasion
public import BulwarkReport
public import Foundation
import BulwarkData
import BulwarkExtraction
import BulwarkModels
import BulwarkSupplyChain
import BulwarkTensor

/// Progress of an assessment: the stage, a one-line message and, when known, the time left in it.
public struct AssessmentProgress: Sendable {
    /// Pipeline stages, in order.
    public enum Stage: String, Sendable {
        /// Training the model, or finding it in the cache.
        case train
        /// Scanning the model file before it is loaded.
        case scan
        /// Running the attacks.
        case evaluate
        /// Profiling the training data and running the poison detectors.
        case poisoning
        /// Stealing the model through its queries and replaying them through PRADA.
        case extraction
        /// Drawing the image grid and writing the report.
        case report
    }
    /// The stage running.
    public var stage: Stage
    /// What is happening (attack, ε, batch, …).
    public var message: String
    /// Estimated seconds left in this stage.
    public var secondsRemaining: Double?

    /// A progress report.
    public init(stage: Stage, message: String, secondsRemaining: Double? = nil) {
        self.stage = stage
        self.message = message
        self.secondsRemaining = secondsRemaining
    }
}

/// What an assessment produced.
public struct AssessmentOutcome: Sendable {
    /// The report written.
    public var report: Report
    /// The files written (`index.html`, `report.json`, `report.sarif`, evaluation JSON).
    public var files: [URL]
    /// The model file, whether it was trained now, its scan and hash.
    public var model: ScannedModel
    /// White-box evaluation (`nil` when the scan stopped the run).
    public var whiteBox: EvaluationResult?
    /// Black-box evaluation on the first examples (`nil` when skipped or stopped).
    public var blackBox: EvaluationResult?
    /// The poisoning stage's result with its timings (`nil` when skipped, stopped or failed).
    public var poisoning: PoisoningStageResult?
    /// The extraction stage's result (`nil` when skipped, stopped or failed).
    public var extraction: ExtractionStageResult?
    /// Why the evaluation did not run (the scan verdict), or `nil` when it ran.
    public var stopReason: String?
    /// Wall seconds of the whole run.
    public var seconds: Double
}

/// `bulwark assess` as a library call: train (or reuse) a zoo model on Fashion-MNIST, scan the
/// file before loading it, attack it with the evasion suite, profile its training data and run
/// two poison detectors with it (``PoisoningStageResult``; off with
/// ``AssessmentConfiguration/poisoningChecks``), and write one report with the scan, evasion and
/// poisoning findings (`index.html`, `report.json`, `report.sarif`).
///
/// It lives in BulwarkAssessment (floor 4, above the report) because it combines threat modules
/// (supply chain and evasion), which may not import each other, and turns their results into a
/// report through BulwarkReport.
///
/// ```swift
/// var c = AssessmentConfiguration.quickPreset()
/// c.outputDirectory = "/tmp/report"
/// let outcome = try Assessment(configuration: c).run()
/// print(outcome.report.findings.count)
/// ```
public struct Assessment: Sendable {
    /// The plan.
    public var configuration: AssessmentConfiguration

    /// An assessment with `configuration`.
    public init(configuration: AssessmentConfiguration) { self.configuration = configuration }

    /// Runs the pipeline. When the scan verdict is not `clean` the model is not loaded: the
    /// report (with the scan findings) is still written and ``AssessmentOutcome/stopReason`` says why.
    /// - Throws: ``AssessmentError`` for bad configuration, missing data, unreadable or mismatched
    ///   model files, attack errors and write failures.
    public func run(progress: (AssessmentProgress) -> Void = { _ in }) throws(AssessmentError) -> AssessmentOutcome {
        let c = configuration
        try c.validate()
        configureNumerics()
        let start = Date()
        let scanned = try ModelCache.prepare(c, progress: progress)
        let reproduce = c.reproduceCommand
        var findings = ScanFindings.findings([scanned.scan], reproduce: reproduce)
        var sections: [Section] = []
        var parameters = baseParameters(scanned)

        guard let accepted = scanned.admission.accepted else {
            let reason = "\(scanned.path): scan verdict '\(scanned.scan.verdict.rawValue)'; the model was not loaded and no attack ran"
            sections.append(ScanFindings.section([scanned.scan]))
            sections.append(Section(title: "Evasion (not run)", text: reason))
            let report = makeReport(findings: findings, sections: sections, parameters: parameters)
            let files = try write(report, evaluations: [])
            return AssessmentOutcome(report: report, files: files, model: scanned, whiteBox: nil, blackBox: nil,
                                     poisoning: nil, extraction: nil, stopReason: reason, seconds: Date().timeIntervalSince(start))
        }
        let (model, provenance) = try ModelCache.load(accepted, c)
        if let a = provenance.testAccuracy { parameters["model.test_accuracy_at_training"] = String(format: "%.4f", a) }
        if let s = provenance.trainingSeconds { parameters["model.training_seconds"] = String(format: "%.1f", s) }

        let testSet: LabeledDataset
        do { testSet = try FashionMNIST.load(.test, directory: c.dataDirectory, limit: c.evaluationLimit) } catch {
            throw AssessmentError(error.message, underlying: error)
        }
        let white = try evaluate(model, specs: c.whiteBoxAttacks, epsilons: c.epsilons, inputs: testSet.inputs, labels: testSet.labels,
                                 name: "white-box", progress: progress)
        var runs = [EvaluationRun(name: "white-box", result: white, reproduce: reproduce, artifact: scanned.path)]
        var black: EvaluationResult?
        let blackCount = min(c.blackBoxLimit, testSet.count)
        if blackCount > 0, !c.blackBoxAttacks.isEmpty, !c.blackBoxEpsilons.isEmpty {
            let r = try evaluate(model, specs: c.blackBoxAttacks, epsilons: c.blackBoxEpsilons, inputs: testSet.inputs.rows(0..<blackCount),
                                 labels: Array(testSet.labels[0..<blackCount]), name: "black-box", progress: progress)
            runs.append(EvaluationRun(name: "black-box", result: r, reproduce: reproduce, artifact: scanned.path))
            black = r
        }
        var poisoning: PoisoningStageResult?
        var poisoningSection: Section
        if c.poisoningChecks {
            do {
                let r = try PoisoningStage.run(model: model, configuration: c, evaluation: testSet, progress: progress)
                findings += PoisoningStage.findings(r, reproduce: reproduce, artifact: scanned.path)
                poisoningSection = PoisoningStage.section(r)
                parameters["poisoning.detection_examples"] = "first \(r.detectionExamples) training images"
                parameters["poisoning.profile_seconds"] = String(format: "%.2f", r.profileSeconds)
                parameters["poisoning.detection_seconds"] = String(format: "%.2f", r.detectionSeconds)
                poisoning = r
            } catch {
                // the other stages' findings stand; the report says why this one is missing
                poisoningSection = Section(title: "Poisoning (not run)", text: "The poisoning stage failed: \(error.message)")
                parameters["poisoning"] = "failed: \(error.message)"
            }
        } else {
            poisoningSection = Section(title: "Poisoning (not run)", text: "Skipped (--no-poisoning): the training data was not profiled and no poison detector ran.")
            parameters["poisoning"] = "skipped"
        }
        var extraction: ExtractionStageResult?
        var extractionSection: Section
        if c.extractionChecks {
            do {
                let r = try ExtractionStage.run(model: model, configuration: c, evaluationCount: testSet.count, progress: progress)
                findings += ExtractionStage.findings(r, reproduce: reproduce, artifact: scanned.path)
                extractionSection = ExtractionStage.section(r)
                parameters["extraction.queries"] = String(r.report.queriesUsed)
                parameters["extraction.seconds"] = String(format: "%.2f", r.seconds)
                extraction = r
            } catch {
                extractionSection = Section(title: "Model extraction (not run)", text: "The extraction stage failed: \(error.message)")
                parameters["extraction"] = "failed: \(error.message)"
            }
        } else {
            extractionSection = Section(title: "Model extraction (not run)", text: "Skipped (--no-extraction): no extraction attack ran.")
            parameters["extraction"] = "skipped"
        }
        progress(AssessmentProgress(stage: .report, message: "drawing adversarial examples"))
        var grids: [ImageGrid] = []
        if let cell = AdversarialGallery.pick(white),
           let g = AdversarialGallery.make(cell: cell, inputs: testSet.inputs, labels: testSet.labels, inputShape: model.inputShape,
                                           count: c.galleryCount, classNames: FashionMNIST.classNames) {
            grids.append(g)
        }
        // assess runs no gradient-masking checklist: its evasion figures are shown as not checked
        findings += DefenceFindings.markNotChecked(EvasionFindings.findings(runs),
                                                   reason: "bulwark assess does not run the gradient-masking checklist; run bulwark evaluate on the model for a checked figure")
        sections.append(modelSection(scanned, provenance: provenance))
        sections.append(ScanFindings.section([scanned.scan]))
        sections.append(EvasionFindings.section(runs, imageGrids: grids))
        sections.append(poisoningSection)
        sections.append(extractionSection)
        let report = makeReport(findings: findings, sections: sections, parameters: parameters)
        let files = try write(report, evaluations: [("evaluation-white-box.json", white)] + (black.map { [("evaluation-black-box.json", $0)] } ?? []))
        return AssessmentOutcome(report: report, files: files, model: scanned, whiteBox: white, blackBox: black, poisoning: poisoning,
                                 extraction: extraction, stopReason: nil,
                                 seconds: Date().timeIntervalSince(start))
    }

    func evaluate(_ model: Sequential, specs: [AttackSpec], epsilons: [Float], inputs: Tensor, labels: [Int], name: String,
                  progress: (AssessmentProgress) -> Void) throws(AssessmentError) -> EvaluationResult {
        var plan = Evaluation(specs: specs, epsilons: epsilons, batchSize: configuration.batchSize, seed: configuration.seed)
        plan.keptExamples = AdversarialGallery.examplesToKeep(count: configuration.galleryCount)
        do {
            return try plan.run(model: model, inputs: inputs, labels: labels) { p in
                progress(AssessmentProgress(stage: .evaluate,
                                            message: "\(name) \(p.attack) ε=\(EvasionFindings.number(Double(p.epsilon))) batch \(p.batch)/\(p.batches) · \(p.completed)/\(p.total)",
                                            secondsRemaining: p.secondsRemaining))
            }
        } catch { throw AssessmentError(error.description, underlying: error) }
    }

    func baseParameters(_ m: ScannedModel) -> [String: String] {
        let c = configuration
        var p: [String: String] = [
            "dataset": "fashion-mnist (\(c.dataDirectory))",
            "model.architecture": c.architecture.rawValue,
            "model.file": m.path,
            "model.sha256": m.sha256,
            "model.source": m.trainedNow ? "trained by this run" : "reused from the cache",
            "train.epochs": String(c.epochs),
            "train.images": c.trainLimit.map(String.init) ?? "60000",
            "train.batch_size": String(c.trainBatchSize),
            "train.learning_rate": String(c.learningRate),
            "evaluation.examples": "first \(c.evaluationLimit) test images",
            "evaluation.black_box_examples": "first \(c.blackBoxLimit) test images",
            "evaluation.epsilons": c.epsilons.map { EvasionFindings.number(Double($0)) }.joined(separator: ", "),
            "evaluation.black_box_epsilons": c.blackBoxEpsilons.map { EvasionFindings.number(Double($0)) }.joined(separator: ", "),
            "evaluation.batch_size": String(c.batchSize),
            "evaluation.clip_range": "[0, 1]",
            "seed": String(c.seed),
            "reproduce": c.reproduceCommand,
        ]
        for spec in c.whiteBoxAttacks + c.blackBoxAttacks {
            var v = "norm \(spec.norm.rawValue), iterations \(spec.maxIterations), restarts \(spec.restarts)"
            if let q = spec.maxQueries { v += ", queries \(q)" }
            p["attack.\(spec.label)"] = v
        }
        return p
    }

    func modelSection(_ m: ScannedModel, provenance: ModelProvenance) -> Section {
        var rows = [["file", m.path], ["sha256", m.sha256], ["source", m.trainedNow ? "trained by this run" : "reused from the cache"]]
        rows += provenance.fields.map { [$0.name, $0.value] }
        return Section(title: "Model", text: "The model assessed, as recorded in its safetensors metadata (test accuracy on all 10 000 test images at training time).",
                       tables: [Table(title: "Model file", columns: ["field", "value"], rows: rows)])
    }

    func makeReport(findings: [Finding], sections: [Section], parameters: [String: String]) -> Report {
        let c = configuration
        var r = Report(title: "Bulwark assessment: \(c.architecture.rawValue) on Fashion-MNIST", toolVersion: c.toolVersion,
                       command: c.commandLine ?? c.reproduceCommand, seed: c.seed, parameters: parameters,
                       findings: findings, sections: sections)
        r.environment["bulwark"] = c.toolVersion
        return r
    }

    func write(_ report: Report, evaluations: [(String, EvaluationResult)]) throws(AssessmentError) -> [URL] {
        let dir = URL(fileURLWithPath: configuration.outputDirectory)
        var files: [URL]
        do { files = try ReportWriter.write(report, to: dir) } catch { throw AssessmentError(String(describing: error), underlying: error) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        for (name, result) in evaluations {
            let url = dir.appendingPathComponent(name)
            do { try encoder.encode(result).write(to: url, options: .atomic) } catch {
                throw AssessmentError(.io, "cannot write \(url.path): \(error.localizedDescription)", underlying: error)
            }
            files.append(url)
        }
        return files
    }
}
