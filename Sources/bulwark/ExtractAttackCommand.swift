public import ArgumentParser
import BulwarkArchive
import BulwarkData
import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Foundation

extension ExtractionAttackKind: ExpressibleByArgument {}
extension KnockoffSelection: ExpressibleByArgument {}

/// `bulwark extract`: red-team a model's query interface (attack, the default) and replay query
/// streams through the extraction detectors (monitor).
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Steal a model through its queries (attack, the default) and detect extraction in query streams (monitor).",
        subcommands: [ExtractAttackCommand.self, ExtractMonitorCommand.self],
        defaultSubcommand: ExtractAttackCommand.self
    )
}

/// `bulwark extract [attack]`: steal a model through its query interface (Copycat CNN, Knockoff
/// Nets, JBDA, functionally-equivalent extraction) and measure how faithful the copy is, against
/// an output-hardening defence (`--harden`) and under query-pattern detectors (`--monitor`).
struct ExtractAttackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Steal a model through its query interface (model extraction) and measure the copy's fidelity.",
        discussion: """
        Every attack sees the victim only as a query interface answering probabilities, through a \
        counter that refuses queries beyond --queries. copycat (Correia-Silva et al. 2018) trains the \
        substitute on the victim's top-1 labels of --query-data; knockoff (Orekondy et al. 2019) on its \
        probability vectors, rows picked at random or by the adaptive bandit policy over k-means \
        clusters of --query-data; jbda (Papernot et al. 2017) grows a --seed-size seed set along the \
        substitute's Jacobian for --rounds rounds; equivalent (Jagielski et al. 2020, Carlini et al. \
        2020) recovers a victim that is ONE hidden ReLU layer of --hidden neurons from full-precision \
        probabilities (it fails on rounded or top-k outputs and on other architectures) and writes an \
        .onnx file. Fidelity is the agreement of substitute and victim labels on --test-data \
        (accuracy too with --test-labels). --curve reruns the attack afresh at 1/8, 1/4, 1/2 and all of \
        --queries.

        --harden SPEC answers every query through an output defence (labels, top-k=K, round=D, \
        reverse-sigmoid=BETA[,GAMMA], noise=SIGMA[,keep-argmax]); with --test-labels the JSON also \
        has its cost to honest users (accuracy and calibration before and after). --monitor \
        prada|coverage|all replays the attack's queries, in order, through the query-pattern \
        detectors and reports after how many queries each first alerted (coverage calibrates on --benign).

        Examples:
          bulwark extract --victim cnn.safetensors --attack knockoff --query-data pool.npy \\
            --test-data xt.npy --test-labels yt.npy --queries 10000 --arch cnn --epochs 10 --out stolen.safetensors --json
          bulwark extract --victim mlp1.onnx --attack equivalent --hidden 32 --query-data x.npy \\
            --test-data xt.npy --queries 200000 --out extracted.onnx
          bulwark extract --victim cnn.safetensors --attack jbda --query-data pool.npy --test-data xt.npy \
            --queries 2000 --arch cnn --harden round=2 --monitor prada --out jbda.safetensors --json
        """
    )

    @Option(help: "The victim: a .safetensors file written by bulwark, or an ONNX model (asked only for probabilities).")
    var victim: String
    @Option(name: .customLong("victim-arch"), help: "The victim's architecture when its safetensors file does not record it.")
    var victimArch: ZooArchitecture?
    @Option(help: "The attack: \(ExtractionAttackKind.allCases.map(\.rawValue).joined(separator: "|")).")
    var attack: ExtractionAttackKind
    @Option(help: "knockoff: how queries are picked: random|adaptive.")
    var selection: KnockoffSelection = .random
    @Option(name: .customLong("query-data"), help: "The attacker's natural data (.npy/.npz, N × the victim's input): the pool queries are drawn from.")
    var queryData: String
    @Option(name: .customLong("test-data"), help: "Held-out inputs to measure fidelity on (.npy/.npz).")
    var testData: String?
    @Option(name: .customLong("test-labels"), help: "Labels of --test-data (.npy) to measure accuracy too.")
    var testLabels: String?
    @Option(parsing: .unconditional, help: "The query budget.")
    var queries: Int
    @Option(help: "The substitute: a zoo architecture (mlp, cnn, tabular, resnet) or a bulwark .safetensors file whose weights it starts from.")
    var arch: String?
    @Option(parsing: .unconditional, help: "equivalent: the victim's hidden width.")
    var hidden: Int?
    @Option(parsing: .unconditional, help: "Substitute training: passes over the transfer set (each round for jbda).")
    var epochs: Int = 10
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Substitute training: examples per step.")
    var batchSize: Int = 64
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Substitute training: Adam's learning rate.")
    var learningRate: Float = ZooArchitecture.defaultLearningRate
    @Option(name: .customLong("seed-size"), parsing: .unconditional, help: "jbda: rows of --query-data in the seed set.")
    var seedSize: Int = 150
    @Option(parsing: .unconditional, help: "jbda: substitute training rounds ρ.")
    var rounds: Int = 6
    @Option(parsing: .unconditional, help: "jbda: the augmentation step λ.")
    var lambda: Float = 0.1
    @Option(parsing: .unconditional, help: "Seed of the query order, the policy, the substitute's initialisation and training.")
    var seed: UInt64 = 0
    @Option(help: "Where to write the stolen model: .safetensors (zoo substitutes) or .onnx.")
    var out: String
    @Option(help: "Answer through an output-hardening defence: labels, top-k=K[,renormalise], round=D, reverse-sigmoid=BETA[,GAMMA], noise=SIGMA[,keep-argmax].")
    var harden: String?
    @Option(help: "Replay the attack's queries through query-pattern detectors: \(MonitorDetectorChoice.allCases.map(\.rawValue).joined(separator: "|")).")
    var monitor: MonitorDetectorChoice?
    @Option(help: "--monitor: benign inputs (.npy/.npz, not the attacker's) to calibrate on: PRADA's δ (lowered to below the lowest W benign users of 1 000 queries reach) and the coverage detector's bands.")
    var benign: String?
    @Flag(help: "Rerun the attack at 1/8, 1/4, 1/2 and all of --queries, each a fresh run.")
    var curve = false
    @Flag(help: "Print one JSON object on stdout.")
    var json = false
    @Flag(help: "No progress on stderr.")
    var quiet = false

    /// What `--json` prints.
    struct Output: Codable {
        var victim: String
        var queryData: String
        var substitute: String
        var out: String
        var report: ExtractionReport
        /// The output defence the victim answered through.
        var hardening: String?
        /// Its cost to honest users on --test-data/--test-labels.
        var hardeningCost: HardeningCost?
        /// What each query-pattern detector saw of the attack's queries.
        var detection: [Detection]?
        /// PRADA's δ as used (calibrated on --benign when given).
        var pradaDelta: Double?
    }

    /// One detector's view of the attack: the queries it took to alert (`nil`: it never did).
    struct Detection: Codable {
        var detector: String
        var queriesUntilAlert: Int?
        var statistic: String?
        var value: Double?
        var threshold: Double?
    }

    func validate() throws {
        try Bounds.check(queries, in: 1...1_000_000_000, "--queries")
        try Bounds.check(epochs, in: 1...10_000, "--epochs")
        try Bounds.check(batchSize, in: 1...Bounds.batchSize, "--batch-size")
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--lr must be a positive number, got \(learningRate)") }
        if testLabels != nil, testData == nil { throw ValidationError("--test-labels goes with --test-data") }
        if let harden { do { _ = try OutputHardening(parsing: harden) } catch { throw ValidationError("--harden: \(error.message)") } }
        if benign != nil, monitor == nil { throw ValidationError("--benign goes with --monitor") }
        if monitor == .coverage || monitor == .all, benign == nil { throw ValidationError("--monitor \(monitor?.rawValue ?? "") needs --benign (inputs to calibrate the coverage detector on)") }
        if monitor != nil, curve { throw ValidationError("--monitor does not go with --curve: it replays one run's queries") }
        if attack == .equivalent {
            guard let hidden else { throw ValidationError("--attack equivalent needs --hidden N, the victim's hidden width (it only extracts one-hidden-layer ReLU networks)") }
            try Bounds.check(hidden, in: 1...4096, "--hidden")
            if arch != nil { throw ValidationError("--arch does not go with --attack equivalent: the extracted network's shape is the victim's") }
            guard out.lowercased().hasSuffix(".onnx") else { throw ValidationError("--attack equivalent writes an ONNX model: give --out FILE.onnx") }
        } else {
            if hidden != nil { throw ValidationError("--hidden goes with --attack equivalent") }
            if arch == nil { throw ValidationError("--attack \(attack.rawValue) needs --arch (mlp, cnn, tabular, resnet or a .safetensors file): the substitute") }
        }
        if selection != .random, attack != .knockoff { throw ValidationError("--selection goes with --attack knockoff") }
        if attack == .jbda {
            try Bounds.check(seedSize, in: 1...10_000_000, "--seed-size")
            try Bounds.check(rounds, in: 1...30, "--rounds")
            guard lambda > 0, lambda.isFinite else { throw ValidationError("--lambda must be a positive number, got \(lambda)") }
        }
    }

    func run() throws {
        configureNumerics()
        try refuseOverwrite(out, inputs: [victim, queryData, testData, testLabels, arch, benign], role: "--out")
        let classifier = try ModelLoader.classifier(path: victim, architecture: victimArch)
        let plain = Self.queryClassifier(classifier)
        let hardening = try harden.map { spec throws -> OutputHardening in
            do throws(ExtractionError) { return try OutputHardening(parsing: spec) } catch { throw CLIError("--harden: \(error.message)") }
        }
        let queryView: any QueryClassifier
        do throws(ExtractionError) {
            if let hardening { queryView = try HardenedQueryClassifier(plain, hardening: hardening, seed: seed) } else { queryView = plain }
        } catch {
            throw CLIError("--harden: \(error.message)")
        }
        let benignInputs = try benign.map { try ArrayFiles.inputs(path: $0, exampleShape: classifier.inputShape) }
        let pool = try ArrayFiles.inputs(path: queryData, exampleShape: classifier.inputShape)
        let test = try testData.map { path throws -> (inputs: Tensor, labels: [Int]?) in
            if let testLabels {
                let set = try ArrayFiles.labelled(inputs: path, labels: testLabels, exampleShape: classifier.inputShape, classCount: classifier.classCount)
                return (set.inputs, set.labels)
            }
            return (try ArrayFiles.inputs(path: path, exampleShape: classifier.inputShape), nil)
        }
        let (substitute, architecture) = try makeSubstitute(for: classifier)
        let job = ExtractJob(attack: attack, selection: selection, queries: queries,
                             training: SubstituteTraining(epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: seed),
                             hiddenWidth: hidden, jbdaSeedSize: seedSize, jbdaRounds: rounds, jbdaStepSize: lambda,
                             curveFractions: curve ? [0.125, 0.25, 0.5, 1] : nil, recordTranscript: monitor != nil)
        let line = ProgressLine(enabled: !quiet)
        let outcome: ExtractJob.Outcome
        do {
            outcome = try line.around { () throws -> ExtractJob.Outcome in
                try job.run(victim: queryView, pool: pool, test: test, substitute: substitute,
                            victimFirstLayer: (classifier as? Sequential).flatMap(ExtractionMetrics.oneHiddenLayerReLU)) { p in
                    var text = "extract \(attack.rawValue): \(p.stage), \(p.queriesUsed) queries"
                    if let t = p.training {
                        text += String(format: ", epoch %d/%d step %d/%d loss %.4f", t.epoch, t.epochs, t.step, t.stepsPerEpoch, t.loss)
                    }
                    line.update(text)
                }
            }
        } catch let error as ExtractionError { line.finish(); throw CLIError(error.message) }
        line.finish()
        try save(outcome.model, architecture: architecture)
        let report = outcome.report
        var cost: HardeningCost?
        if let hardening, let test, let labels = test.labels {
            do throws(ExtractionError) { cost = try HardeningCost(victim: plain, hardening: hardening, inputs: test.inputs, labels: labels, seed: seed) } catch {
                throw CLIError("--harden: \(error.message)")
            }
        }
        var detection: [Detection]?
        var pradaDelta: Double?
        if let monitor {
            do throws(ExtractionError) {
                let built = try MonitorJob.monitor(victim: queryView, detectors: monitor, benign: benignInputs)
                let fresh = built.monitor
                pradaDelta = built.pradaDelta
                let seen = try MonitorEvaluation.detection(transcript: outcome.transcript, monitor: fresh)
                detection = fresh.detectors.map { d in
                    let first = seen.alerts.first { $0.detector == d.name }
                    return Detection(detector: d.name, queriesUntilAlert: first.map { $0.clientQueryIndex + 1 }, statistic: first?.statistic,
                                     value: first?.value, threshold: first?.threshold)
                }
            } catch { throw CLIError("--monitor: \(error.message)") }
        }
        if json {
            return try printJSON(Output(victim: victim, queryData: queryData, substitute: arch ?? "equivalent", out: out, report: report,
                                        hardening: harden, hardeningCost: cost, detection: detection, pradaDelta: pradaDelta))
        }
        func pct(_ x: Double?) -> String { x.map { String(format: "%.2f %%", 100 * $0) } ?? "–" }
        print("\(attack.rawValue)\(attack == .knockoff ? " (\(selection.rawValue))" : ""): \(report.queriesUsed) of \(report.queryBudget) queries, transfer set \(report.transferSetSize), \(formatDuration(report.seconds))")
        if report.testExamples > 0 {
            print("  fidelity \(pct(report.fidelity)) on \(report.testExamples) held-out inputs" + (report.accuracy != nil ? ", accuracy \(pct(report.accuracy)) (victim \(pct(report.victimAccuracy)))" : ""))
        }
        if let e = report.equivalent {
            print("  neurons recovered \(e.neuronsRecovered) of \(e.hiddenWidth) (\(e.criticalPoints) critical points on \(e.linesSearched) lines)"
                  + (e.maxRelativeWeightError.map { String(format: ", max relative weight error %.2e", $0) } ?? ""))
        }
        for point in report.curve ?? [] {
            print("  budget \(point.queryBudget): fidelity \(pct(point.fidelity)), accuracy \(pct(point.accuracy)), \(formatDuration(point.seconds))")
        }
        if let harden { print("  victim answered through --harden \(harden)") }
        if let cost {
            print(String(format: "  honest users: accuracy %.4f → %.4f, calibration error %.4f → %.4f", cost.accuracyBefore, cost.accuracyAfter,
                         cost.calibrationErrorBefore, cost.calibrationErrorAfter))
        }
        for d in detection ?? [] {
            print("  \(d.detector)" + (d.detector == "prada" ? (pradaDelta.map { String(format: " (δ %.4f)", $0) } ?? "") : "") + ": " + (d.queriesUntilAlert.map { "alert after \($0) queries" + (d.statistic.map { " (\($0))" } ?? "") } ?? "no alert in \(report.queriesUsed) queries"))
        }
        print("Stolen model: \(out)")
    }

    /// The substitute `--arch` names (fresh from `--seed`, or a file's weights) and its zoo architecture.
    func makeSubstitute(for victim: any DifferentiableClassifier) throws -> (Sequential?, ZooArchitecture?) {
        guard let arch else { return (nil, nil) }
        if let zoo = ZooArchitecture(rawValue: arch) {
            return (try zoo.makeModel(exampleShape: victim.inputShape, classCount: victim.classCount, seed: seed), zoo)
        }
        let file = try ModelFile.load(path: arch)
        guard file.model.inputShape == victim.inputShape, file.model.classCount == victim.classCount else {
            throw CLIError("--arch \(arch) takes \(file.model.inputShape) and answers \(file.model.classCount) classes; the victim takes \(victim.inputShape) and answers \(victim.classCount)")
        }
        return (file.model, file.architecture)
    }

    /// Writes the stolen model: ONNX for `.onnx`, else safetensors with its zoo architecture.
    func save(_ model: Sequential, architecture: ZooArchitecture?) throws {
        if out.lowercased().hasSuffix(".onnx") { return try ONNXExporter.write(model, to: URL(fileURLWithPath: out)) }
        guard let architecture else { throw CLIError("--out \(out): this model has no zoo architecture; write it as .onnx") }
        var provenance = ModelProvenance(architecture: architecture, dataset: queryData, seed: seed)
        provenance.epochs = epochs
        provenance.batchSize = batchSize
        provenance.optimizer = "adam"
        provenance.learningRate = learningRate
        provenance.toolVersion = BulwarkVersion.current
        try ModelFile.save(model, provenance: provenance, to: out)
    }

    /// `model` as the query-only view the attacks see (softmax of its logits).
    static func queryClassifier<Model: DifferentiableClassifier>(_ model: Model) -> any QueryClassifier { QueryAdapter(model) }
}
