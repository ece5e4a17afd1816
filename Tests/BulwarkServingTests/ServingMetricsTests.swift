import BulwarkServing
import Metrics
import Synchronization
import Testing

/// A metrics factory that counts what it is asked to make (its handlers do nothing).
private final class CountingFactory: MetricsFactory, Sendable {
    let made = Mutex<[String: Int]>([:])
    private func note(_ label: String) { made.withLock { $0[label, default: 0] += 1 } }
    private final class Handler: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler, Sendable {
        func increment(by: Int64) {}
        func increment(by: Double) {}
        func reset() {}
        func set(_ value: Int64) {}
        func set(_ value: Double) {}
        func decrement(by: Double) {}
        func record(_ value: Int64) {}
        func record(_ value: Double) {}
        func recordNanoseconds(_ duration: Int64) {}
    }
    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { note(label); return Handler() }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler { note(label); return Handler() }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { note(label); return Handler() }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { note(label); return Handler() }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { note(label); return Handler() }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

/// Each metric object is made once per label and dimensions, then reused: a request does not go
/// back to the factory (a Prometheus factory validates names and looks the metric up each time).
@Test func servingMetricsMakeEachMetricOnceAndReuseIt() {
    let factory = CountingFactory()
    let metrics = ServingMetrics(factory: factory)
    for k in 0..<100 {
        metrics.request(model: "m", outcome: k % 10 == 0 ? "invalid" : "ok", examples: 8, duration: .milliseconds(3))
        metrics.detection(model: "m", kind: "featureSqueezing", action: "flag")
        metrics.drift(model: "m", statistic: "input_psi", value: Double(k))
    }
    metrics.request(model: "other", outcome: "ok", examples: 1, duration: .milliseconds(1))
    let made = factory.made.withLock { $0 }
    #expect(made["bulwark_inference_requests_total"] == 3)   // (m, ok), (m, invalid), (other, ok)
    #expect(made["bulwark_inference_examples_total"] == 2 && made["bulwark_inference_duration_seconds"] == 2)
    #expect(made["bulwark_detections_total"] == 1 && made["bulwark_drift_score"] == 1)
    #expect(metrics.requestCounts(model: "m") == ["ok": 90, "invalid": 10])
}
