public import CoreMetrics
import Synchronization

/// The inference runtime's metrics, through swift-metrics with an explicit factory (the gateway
/// passes a Prometheus one; nothing is bootstrapped globally, so tests and several gateways in
/// one process keep theirs apart).
///
/// | metric | kind | dimensions |
/// | --- | --- | --- |
/// | `bulwark_inference_requests_total` | counter | model, outcome (`ok`, `invalid`, `not_found`, `unavailable`, `rate_limited`, `refused`, `error`) |
/// | `bulwark_inference_examples_total` | counter | model |
/// | `bulwark_inference_duration_seconds` | timer (histogram) | model |
/// | `bulwark_detections_total` | counter | model, kind, action |
/// | `bulwark_extraction_standing_total` | counter | model, standing (client escalations) |
/// | `bulwark_drift_score` | gauge | model, statistic |
/// | `bulwark_drift_alerts_total` | counter | model, statistic |
public final class ServingMetrics: Sendable {
    private let factory: any MetricsFactory
    private let counters = Mutex<[String: Counter]>([:])
    private let timers = Mutex<[String: Timer]>([:])
    private let gauges = Mutex<[String: Gauge]>([:])
    private let tallies = Mutex<[String: [String: Int]]>([:])

    /// Metrics made by `factory`.
    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// One answered (or refused) inference request: its outcome, examples and time in the runtime.
    public func request(model: String, outcome: String, examples: Int, duration: Duration) {
        counter("bulwark_inference_requests_total", [("model", model), ("outcome", outcome)]).increment()
        tallies.withLock { $0[model, default: [:]][outcome, default: 0] += 1 }
        if examples > 0 { counter("bulwark_inference_examples_total", [("model", model)]).increment(by: examples) }
        let (seconds, attoseconds) = duration.components
        timer("bulwark_inference_duration_seconds", [("model", model)]).recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Requests of `model` by outcome since start (for the monitoring page).
    public func requestCounts(model: String) -> [String: Int] {
        tallies.withLock { $0[model] ?? [:] }
    }

    /// A detector fired on an input (`action`: what was done: `log`, `flag`, `reject`).
    public func detection(model: String, kind: String, action: String) {
        counter("bulwark_detections_total", [("model", model), ("kind", kind), ("action", action)]).increment()
    }

    /// A client's standing rose (`alerted`, `throttled`, `blocked`).
    public func standing(model: String, standing: String) {
        counter("bulwark_extraction_standing_total", [("model", model), ("standing", standing)]).increment()
    }

    /// The latest value of a drift statistic.
    public func drift(model: String, statistic: String, value: Double) {
        gauge("bulwark_drift_score", [("model", model), ("statistic", statistic)]).record(value)
    }

    /// A drift statistic turned drifted.
    public func driftAlert(model: String, statistic: String) {
        counter("bulwark_drift_alerts_total", [("model", model), ("statistic", statistic)]).increment()
    }

    /// The outcome name of an error code, for ``request(model:outcome:examples:duration:)``.
    public static func outcome(_ error: ServingError?) -> String {
        guard let error else { return "ok" }
        switch error.code {
        case .invalidRequest, .invalidParameter: return "invalid"
        case .notFound: return "not_found"
        case .unavailable: return "unavailable"
        case .rateLimited: return "rate_limited"
        case .refused: return "refused"
        case .modelFailure: return "model_failure"
        default: return "error"
        }
    }

    /// The object already kept for `key`, else `made`, kept from now on. (A `dict[key, default:
    /// made]` read stores nothing: every call went back to the factory, which validated the
    /// label and looked the metric up in its registry again.)
    private static func kept<Metric>(_ made: Metric, for key: String, in objects: inout [String: Metric]) -> Metric {
        if let found = objects[key] { return found }
        objects[key] = made
        return made
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + dimensions.map { "\u{1}\($0.0)=\($0.1)" }.joined()
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = Self.key(label, dimensions)
        if let found = counters.withLock({ $0[key] }) { return found }
        let made = Counter(label: label, dimensions: dimensions, factory: factory)
        return counters.withLock { Self.kept(made, for: key, in: &$0) }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> Timer {
        let key = Self.key(label, dimensions)
        if let found = timers.withLock({ $0[key] }) { return found }
        let made = Timer(label: label, dimensions: dimensions, factory: factory)
        return timers.withLock { Self.kept(made, for: key, in: &$0) }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        let key = Self.key(label, dimensions)
        if let found = gauges.withLock({ $0[key] }) { return found }
        let made = Gauge(label: label, dimensions: dimensions, factory: factory)
        return gauges.withLock { Self.kept(made, for: key, in: &$0) }
    }
}
