public import ArgumentParser
import BulwarkData
public import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Foundation

extension MonitorDetectorChoice: ExpressibleByArgument {}

/// `bulwark extract monitor`: replay a recorded query stream against a victim model and run the
/// query-pattern detectors (PRADA, coverage/class entropy) over it, per client; print the alerts.
struct ExtractMonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Replay a query stream against a victim and flag clients whose queries look like model stealing (PRADA, coverage).",
        discussion: """
        prada (Juuti et al. 2019): per client and predicted class, each query's L2 distance to the \
        client's growing set; every --test-interval queries the pooled distances (3σ outliers \
        dropped, more than 100 needed) are tested with Shapiro–Wilk; W < δ flags the client, δ being \
        --delta, lowered with --benign to 0.02 below the lowest W that benign users of 1 000 --benign \
        queries each reach (the paper sets δ per victim on benign traffic; --no-calibration keeps --delta). \
        coverage: per client, the entropies of the input-space cells (--bits random hyperplanes split \
        at the benign medians) and of the predicted classes over the last --window queries; a value \
        outside benign mean ± --tolerance standard deviations (measured on --benign) flags the client. \
        Row i of --queries is client --clients[i] (all one client without --clients). With \
        --hardening the victim answers through that output defence (labels, top-k=K, round=D, \
        reverse-sigmoid=BETA[,GAMMA], noise=SIGMA). Exit status 1 when a client was flagged.

        Example:
          bulwark extract monitor --queries q.npy --clients c.npy --victim cnn.safetensors \\
            --detector all --benign benign.npy --json
        """
    )

    @Option(help: "The queries, in the order sent (.npy/.npz; N × input shape).")
    var queries: String

    @Option(help: "Client id of each query (.npy of N integers).")
    var clients: String?

    @Option(help: "The victim: a .safetensors file written by bulwark, or an ONNX model.")
    var victim: String

    @Option(help: "Architecture when the safetensors file does not record it.")
    var arch: ZooArchitecture?

    @Option(help: "Detectors: \(MonitorDetectorChoice.allCases.map(\.rawValue).joined(separator: "|")) (coverage and all need --benign).")
    var detector: MonitorDetectorChoice = .prada

    @Option(help: "Benign inputs to calibrate on (.npy/.npz), not part of --queries: PRADA's δ and the coverage detector's bands.")
    var benign: String?

    @Option(help: "Answer through this output-hardening defence.")
    var hardening: String?

    @Option(parsing: .unconditional, help: "prada: flag while Shapiro–Wilk W is below this.")
    var delta: Double = PRADADetector.defaultDelta

    @Flag(name: .customLong("no-calibration"), help: "prada: keep --delta even with --benign.")
    var noCalibration = false

    @Option(name: .customLong("test-interval"), parsing: .unconditional, help: "prada: test every this many queries of a client.")
    var testInterval: Int = 10

    @Option(parsing: .unconditional, help: "coverage: queries per window.")
    var window: Int = 100

    @Option(parsing: .unconditional, help: "coverage: hyperplanes (2^bits cells).")
    var bits: Int = 10

    @Option(parsing: .unconditional, help: "coverage: benign band half-width in standard deviations.")
    var tolerance: Double = 5

    @Option(parsing: .unconditional, help: "coverage partition and noise hardening seed.")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    /// What `--json` prints.
    struct Output: Codable {
        var queries: String
        var victim: String
        var hardening: String?
        var result: MonitorJobResult
        var loadSeconds: Double
    }

    func validate() throws {
        if detector != .prada, benign == nil { throw ValidationError("--detector \(detector.rawValue) needs --benign BENIGN.npy (benign inputs to calibrate on)") }
        guard delta > 0, delta <= 1 else { throw ValidationError("--delta must be in (0, 1]") }
        try Bounds.check(testInterval, in: 1...10_000, "--test-interval")
        try Bounds.check(window, in: 10...100_000, "--window")
        try Bounds.check(bits, in: 1...20, "--bits")
        guard tolerance > 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a positive number") }
        if let hardening {
            do { _ = try OutputHardening(parsing: hardening) } catch { throw ValidationError("--hardening: \(error.message)") }
        }
    }

    func run() throws {
        configureNumerics()
        let loadStart = Date()
        let model = try ModelLoader.classifier(path: victim, architecture: arch)
        var answering: any QueryClassifier = queryView(model)
        if let hardening { answering = try HardenedQueryClassifier(answering, hardening: OutputHardening(parsing: hardening), seed: seed) }
        let inputs = try ArrayFiles.inputs(path: queries, exampleShape: model.inputShape)
        let ids = try clients.map { path throws -> [Int] in try NPY.read(path: path).toLabels() }
        let benignInputs = try benign.map { path throws -> Tensor in try ArrayFiles.inputs(path: path, exampleShape: model.inputShape) }
        let loadSeconds = Date().timeIntervalSince(loadStart)
        var settings = MonitorJobSettings()
        settings.delta = delta
        settings.calibratePRADA = !noCalibration
        settings.testInterval = testInterval
        settings.window = window
        settings.bits = bits
        settings.tolerance = tolerance
        settings.seed = seed
        let result = try MonitorJob.run(queries: inputs, clients: ids, victim: answering, detectors: detector, benign: benignInputs, settings: settings)
        if json {
            try printJSON(Output(queries: queries, victim: victim, hardening: hardening, result: result, loadSeconds: loadSeconds))
        } else {
            let flagged = result.clients.filter { $0.firstAlertAfter != nil }
            print("\(result.detectors.joined(separator: "+")): \(result.queries) queries from \(result.clients.count) clients, \(flagged.count) flagged, "
                  + String(format: "%.2f s in the detectors", result.monitorSeconds) + (result.pradaDelta.map { String(format: "; prada δ %.4f", $0) } ?? ""))
            for alert in result.alerts {
                print(String(format: "client %@  %@  query %d (stream %d)  %@ %.4f %@ %.4f", alert.client, alert.detector, alert.clientQueryIndex + 1,
                             alert.streamIndex + 1, alert.statistic, alert.value, alert.direction, alert.threshold))
            }
        }
        if result.alerts.contains(where: { _ in true }) { throw ExitCode(ExitStatus.findings) }
    }

    /// The model as the query-only view a remote client has of it.
    private func queryView<Model: DifferentiableClassifier>(_ model: Model) -> any QueryClassifier { QueryAdapter(model) }
}
