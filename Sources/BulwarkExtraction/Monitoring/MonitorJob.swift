public import BulwarkModels
public import BulwarkTensor
import Foundation

/// Which query-pattern detectors a monitoring job runs.
public enum MonitorDetectorChoice: String, CaseIterable, Sendable, Codable {
    /// ``PRADADetector``.
    case prada
    /// ``CoverageDetector`` (needs benign calibration data).
    case coverage
    /// Both.
    case all
}

/// The settings of a monitoring job (`bulwark extract monitor`).
public struct MonitorJobSettings: Sendable, Equatable {
    /// PRADA's δ.
    public var delta = PRADADetector.defaultDelta
    /// prada: with benign inputs, lower δ to ``PRADADetector/calibratedDelta(benign:margin:minimumDistances:minimumClassDistances:testInterval:)``
    /// on them (benign clients of 1 000 queries each), so that benign traffic like them is not flagged.
    public var calibratePRADA = true
    /// PRADA's test interval, in queries of a client.
    public var testInterval = 10
    /// The coverage detector's window, in queries.
    public var window = 100
    /// The coverage detector's cell bits.
    public var bits = 10
    /// The coverage detector's band half-width, in benign standard deviations.
    public var tolerance = 5.0
    /// Seed of the coverage partition.
    public var seed: UInt64 = 0

    /// The defaults.
    public init() {}
}

/// What a monitoring job found.
public struct MonitorJobResult: Sendable, Codable, Equatable {
    /// One client's queries and first alert.
    public struct ClientSummary: Sendable, Codable, Equatable {
        /// The client id.
        public var client: String
        /// Its queries.
        public var queries: Int
        /// Queries until its first alert (counting the alerting one), or `nil`.
        public var firstAlertAfter: Int?
    }

    /// Queries replayed.
    public var queries: Int
    /// Detectors run (`prada`, `coverage`).
    public var detectors: [String]
    /// Every alert, in the order raised.
    public var alerts: [ExtractionAlert]
    /// Per client, sorted by id.
    public var clients: [ClientSummary]
    /// The coverage calibration's bands, when the coverage detector ran: `[low, high]` of the cell
    /// and class entropies, and the benign windows they came from.
    public var cellEntropyBand: [Double]?
    /// See ``cellEntropyBand``.
    public var classEntropyBand: [Double]?
    /// See ``cellEntropyBand``.
    public var benignWindows: Int?
    /// PRADA's δ as used (calibrated on the benign inputs when they were given); `nil` without PRADA.
    public var pradaDelta: Double?
    /// Wall seconds spent in the detectors (not answering queries).
    public var monitorSeconds: Double
}

/// Replays a recorded query stream against a victim and runs query-pattern detectors over it:
/// the work of `bulwark extract monitor`.
public enum MonitorJob {
    /// Answers `queries` (`N × inputShape`) with `victim`, attributes row `i` to client
    /// `clients[i]` (all to client `0` when `nil`), and feeds them in order to the chosen
    /// detectors; the coverage detector is first calibrated on `benign` (`M × inputShape`).
    /// - Throws: ``ExtractionError`` (`shapeMismatch`) when shapes or counts disagree,
    ///   (`invalidParameter`) when the coverage detector has no benign data or a setting is out of range.
    public static func run(queries: Tensor, clients: [Int]?, victim: any QueryClassifier, detectors choice: MonitorDetectorChoice,
                           benign: Tensor?, settings: MonitorJobSettings = MonitorJobSettings()) throws(ExtractionError) -> MonitorJobResult {
        let n = queries.shape.first ?? 0
        guard n > 0, Array(queries.shape.dropFirst()) == victim.inputShape else {
            throw ExtractionError(.shapeMismatch, "queries of shape \(queries.shape) do not fit the victim's input shape \(victim.inputShape)")
        }
        if let clients, clients.count != n {
            throw ExtractionError(.shapeMismatch, "\(clients.count) client ids for \(n) queries: give one per query")
        }
        let (fresh, calibration, pradaDelta) = try monitor(victim: victim, detectors: choice, benign: benign, settings: settings)
        var monitor = fresh
        let detectors = monitor.detectors
        var seconds = 0.0
        let chunk = 256
        for start in stride(from: 0, to: n, by: chunk) {
            let inputs = queries.rows(start..<min(start + chunk, n))
            let outputs = victim.probabilities(inputs)
            let begin = Date()
            // Feed runs of consecutive queries from one client as one batch.
            var runStart = 0
            let rows = inputs.shape[0]
            for r in 1...rows where r == rows || clients?[start + r] != clients?[start + runStart] {
                let id = String(clients?[start + runStart] ?? 0)
                try monitor.observe(client: id, inputs: inputs.rows(runStart..<r), outputs: outputs.rows(runStart..<r))
                runStart = r
            }
            seconds += Date().timeIntervalSince(begin)
        }
        var firstAlert: [String: Int] = [:]
        for alert in monitor.alerts where firstAlert[alert.client] == nil { firstAlert[alert.client] = alert.clientQueryIndex + 1 }
        let summaries = monitor.queriesPerClient.keys.sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }.map {
            MonitorJobResult.ClientSummary(client: $0, queries: monitor.queriesPerClient[$0] ?? 0, firstAlertAfter: firstAlert[$0])
        }
        return MonitorJobResult(queries: n, detectors: detectors.map(\.name), alerts: monitor.alerts, clients: summaries,
                                cellEntropyBand: calibration.map { [$0.cellEntropyBand.lowerBound, $0.cellEntropyBand.upperBound] },
                                classEntropyBand: calibration.map { [$0.classEntropyBand.lowerBound, $0.classEntropyBand.upperBound] },
                                benignWindows: calibration?.benignWindows, pradaDelta: pradaDelta, monitorSeconds: seconds)
    }

    /// A fresh monitor with the chosen detectors: PRADA, and the coverage detector calibrated on
    /// `benign` (the victim's labels of it give the benign class histogram), with its calibration.
    /// - Throws: ``ExtractionError`` for a bad setting, or when coverage is chosen without benign
    ///   inputs or with inputs that do not fit the victim.
    public static func monitor(victim: any QueryClassifier, detectors choice: MonitorDetectorChoice, benign: Tensor?,
                               settings: MonitorJobSettings = MonitorJobSettings()) throws(ExtractionError)
        -> (monitor: QueryMonitor, calibration: CoverageDetector.Calibration?, pradaDelta: Double?) {
        var detectors: [any QueryPatternDetector] = []
        var calibration: CoverageDetector.Calibration?
        var pradaDelta: Double?
        if choice != .coverage {
            var delta = settings.delta
            if settings.calibratePRADA, let benign, let n = benign.shape.first, n > 0 {
                guard Array(benign.shape.dropFirst()) == victim.inputShape else {
                    throw ExtractionError(.shapeMismatch, "benign inputs of shape \(benign.shape) do not fit the victim's input shape \(victim.inputShape)")
                }
                let perClient = min(1000, n)
                let streams = try ClientStream.benign(inputs: benign, victim: victim, clients: max(1, n / perClient), queriesPerClient: perClient,
                                                      seed: settings.seed)
                if let calibrated = try PRADADetector.calibratedDelta(benign: streams, testInterval: settings.testInterval) {
                    delta = min(delta, max(calibrated, 1e-6))
                }
            }
            pradaDelta = delta
            detectors.append(try PRADADetector(delta: delta, testInterval: settings.testInterval))
        }
        if choice != .prada {
            guard let benign else { throw ExtractionError(.invalidParameter, "the coverage detector needs benign inputs to calibrate on (--benign)") }
            guard Array(benign.shape.dropFirst()) == victim.inputShape else {
                throw ExtractionError(.shapeMismatch, "benign inputs of shape \(benign.shape) do not fit the victim's input shape \(victim.inputShape)")
            }
            let fitted = try CoverageDetector.fit(benign: benign, predictedClasses: labels(victim, benign), window: settings.window, bits: settings.bits,
                                                  seed: settings.seed, tolerance: settings.tolerance)
            calibration = fitted
            detectors.append(CoverageDetector(calibration: fitted))
        }
        return (QueryMonitor(detectors: detectors), calibration, pradaDelta)
    }

    /// The victim's labels for `inputs`, 256 rows at a time.
    private static func labels(_ victim: any QueryClassifier, _ inputs: Tensor) -> [Int] {
        let n = inputs.shape.first ?? 0
        return stride(from: 0, to: n, by: 256).flatMap { victim.labels(inputs.rows($0..<min($0 + 256, n))) }
    }
}
