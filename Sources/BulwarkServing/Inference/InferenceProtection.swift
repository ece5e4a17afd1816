import BulwarkExtraction
public import BulwarkTensor
import Foundation
import Synchronization

/// What protects the served models besides identity and policy: rate limits and quotas, the
/// in-line defences (detectors, hardening, extraction detection, STRIP), drift monitors and
/// where alerts go.
public struct ProtectionSettings: Sendable {
    /// Per-client limit (key `client:<name>`), or `nil` for none.
    public var clientLimit: RateLimit?
    /// Per-model limit over all clients (key `model:<name>`), or `nil`.
    public var modelLimit: RateLimit?
    /// The per-client limit while the extraction detectors have a client `throttled`.
    public var throttledLimit: RateLimit?
    /// Per-client quota (examples per window), or `nil`.
    public var quota: Quota?
    /// The defences per model, or `nil` for none.
    public var defences: DefencePolicy?
    /// Clean reference inputs (`N × inputShape`) and labels the detectors are calibrated on;
    /// required with ``defences``.
    public var calibrationInputs: Tensor?
    /// Labels of ``calibrationInputs``.
    public var calibrationLabels: [Int]
    /// Drift references by model name.
    public var driftReferences: [String: DriftReference]
    /// Drift monitor settings.
    public var driftConfiguration: DriftMonitorConfiguration
    /// Embeddings are taken for one request in this many (MMD's input). Logits embeddings come
    /// from the request's own forward pass; penultimate-layer ones cost a pass through the
    /// model's layers on the monitor's own task, off the response path.
    public var embeddingEvery: Int
    /// Where drift, detection and extraction alerts go, or `nil`.
    public var alertSink: (any AlertSink)?

    /// Settings with nothing on.
    public init(clientLimit: RateLimit? = nil, modelLimit: RateLimit? = nil, throttledLimit: RateLimit? = nil, quota: Quota? = nil,
                defences: DefencePolicy? = nil, calibrationInputs: Tensor? = nil, calibrationLabels: [Int] = [],
                driftReferences: [String: DriftReference] = [:], driftConfiguration: DriftMonitorConfiguration = DriftMonitorConfiguration(),
                embeddingEvery: Int = 8, alertSink: (any AlertSink)? = nil) {
        self.clientLimit = clientLimit
        self.modelLimit = modelLimit
        self.throttledLimit = throttledLimit
        self.quota = quota
        self.defences = defences
        self.calibrationInputs = calibrationInputs
        self.calibrationLabels = calibrationLabels
        self.driftReferences = driftReferences
        self.driftConfiguration = driftConfiguration
        self.embeddingEvery = embeddingEvery
        self.alertSink = alertSink
    }
}

/// The protection of every served model, shared by all requests: applies ``ProtectionSettings``
/// around the model's forward pass (see ``InferenceService``).
///
/// Defence pipelines are built per model **version** (detectors are calibrated on that
/// version) by ``prepare(_:)``; a client's extraction standing is kept per model, and a client
/// that reached `blocked` stays blocked across version swaps (the block list is the service's,
/// not the pipeline's) until ``release(client:)``. Drift is observed on a background task fed by
/// a bounded buffer (the newest 256 batches win), so a slow evaluation never delays an answer;
/// the task takes what has gathered every 10 ms or so, rather than being woken
/// for every request.
public final class InferenceProtection: Sendable {
    /// The settings.
    public let settings: ProtectionSettings
    let limiter: (any RateLimiter)?
    let quotas: (any QuotaCounter)?
    let metrics: ServingMetrics?
    /// Pipelines by `name/version`.
    private let pipelines = Mutex<[String: (version: Int, pipeline: DefencePipeline, stamp: Int)]>([:])
    private let blocked = Mutex<[String: ClientStanding]>([:])
    private let monitors: [String: DriftMonitor]
    private let feeds: [String: DriftFeed]
    private let detections = Mutex<[String: [String: Int]]>([:])
    private let counter = Atomic<Int>(0)

    struct DriftBatch: Sendable {
        let model: ServedModel
        let inputs: Tensor
        let predictions: [Int]
        let embed: Bool
        /// The request's logits, when the reference embeds logits (then `embed` takes them as
        /// they are instead of running the model again).
        let logits: Tensor?
    }

    /// Protection with `settings`, limits kept in `limiter` (in memory, or shared through the
    /// database for several replicas) and quotas in `quotas`.
    ///
    /// - Throws: ``ServingError`` `.invalidParameter` when limits are set without a limiter,
    ///   defences without calibration data, or a drift reference does not build a monitor.
    public init(settings: ProtectionSettings, limiter: (any RateLimiter)? = nil, quotas: (any QuotaCounter)? = nil,
                metrics: ServingMetrics? = nil) throws(ServingError) {
        if (settings.clientLimit != nil || settings.modelLimit != nil || settings.throttledLimit != nil) && limiter == nil {
            throw ServingError(.invalidParameter, "rate limits need a rate limiter")
        }
        if settings.quota != nil && quotas == nil { throw ServingError(.invalidParameter, "a quota needs a quota counter") }
        if settings.defences != nil && settings.calibrationInputs == nil {
            throw ServingError(.invalidParameter, "defences need calibration data (clean reference inputs and labels)")
        }
        guard settings.embeddingEvery >= 1 else { throw ServingError(.invalidParameter, "embedding sampling: expected every 1 or more requests") }
        self.settings = settings
        self.limiter = limiter
        self.quotas = quotas
        self.metrics = metrics
        var monitors: [String: DriftMonitor] = [:]
        var feeds: [String: DriftFeed] = [:]
        for (name, reference) in settings.driftReferences {
            let monitor = try DriftMonitor(reference: reference, configuration: settings.driftConfiguration, sink: settings.alertSink)
            monitors[name] = monitor
            let feed = DriftFeed()
            feeds[name] = feed
            Task.detached { [metrics] in
                while let batches = await feed.next() {
                    for batch in batches {
                        let embeddings: Tensor?
                        if !batch.embed {
                            embeddings = nil
                        } else if reference.embeddingSource == .logits, let logits = batch.logits {
                            embeddings = logits
                        } else {
                            embeddings = (try? reference.embeddingSource.embeddings(batch.inputs, model: batch.model.classifier)) ?? nil
                        }
                        guard let observation = try? monitor.observe(inputs: batch.inputs, predictions: batch.predictions, embeddings: embeddings) else {
                            continue
                        }
                        if let report = observation.report {
                            for statistic in report.statistics { metrics?.drift(model: name, statistic: statistic.kind.rawValue, value: statistic.value) }
                        }
                        for alert in observation.alerts { metrics?.driftAlert(model: name, statistic: alert.details["statistic"] ?? "drift") }
                    }
                }
            }
        }
        self.monitors = monitors
        self.feeds = feeds
    }

    deinit {
        for feed in feeds.values { feed.finish() }
    }

    /// Builds the defence pipeline of every served model version that has none yet (detector
    /// calibration runs here, not in a request). Call after loading and after each refresh.
    public func prepare(_ models: [ServedModel]) throws(ServingError) {
        guard let policy = settings.defences, let inputs = settings.calibrationInputs else { return }
        for model in models {
            if pipelines.withLock({ $0["\(model.name)/\(model.version)"] != nil }) { continue }
            let pipeline = try DefencePipeline(configuration: policy.configuration(forModel: model.name), model: model.classifier,
                                               calibrationInputs: inputs, calibrationLabels: settings.calibrationLabels)
            let stamp = counter.add(1, ordering: .relaxed).newValue
            pipelines.withLock { table in
                // Keep the two most recently prepared versions per model: the one serving and the
                // one being swapped in (a rollback prepares an older version anew).
                table["\(model.name)/\(model.version)"] = (model.version, pipeline, stamp)
                let mine = table.filter { $0.key.hasPrefix(model.name + "/") }.sorted { $0.value.stamp < $1.value.stamp }
                for old in mine.dropLast(2) { table.removeValue(forKey: old.key) }
            }
        }
    }

    private func pipeline(for model: ServedModel) -> DefencePipeline? {
        pipelines.withLock { $0["\(model.name)/\(model.version)"]?.pipeline }
    }

    /// The pipeline of the most recently prepared version of `model`.
    private func latestPipeline(model: String) -> DefencePipeline? {
        pipelines.withLock { table in table.filter { $0.key.hasPrefix(model + "/") }.max { $0.value.stamp < $1.value.stamp }?.value.pipeline }
    }

    /// Refuses a blocked client, then takes `rows` tokens from the client's and the model's
    /// buckets (the throttled limit for a throttled client) and from the client's quota.
    ///
    /// - Throws: ``ServingError`` `.refused` for a blocked client, `.rateLimited` (with the
    ///   seconds to wait in ``retryAfter``) over a limit or quota, `.unavailable` when the
    ///   defences of a loaded version are not built yet.
    public func admit(client: String, model: ServedModel, rows: Int) async throws(ServingError) {
        if let standing = blocked.withLock({ $0["\(model.name)\u{1}\(client)"] }) {
            throw ServingError(.refused, "client '\(client)' is blocked from model '\(model.name)' (\(standing.cause?.detector ?? "extraction detection")); ask an operator to release it")
        }
        let pipeline = pipeline(for: model)
        if settings.defences != nil && pipeline == nil {
            throw ServingError(.unavailable, "model '\(model.name)' version \(model.version): defences are being calibrated; retry")
        }
        try pipeline?.admit(client: client)
        guard let limiter else { return }
        let throttled = (pipeline?.level(client: client) ?? .normal) >= .throttled
        if let limit = throttled ? (settings.throttledLimit ?? settings.clientLimit) : settings.clientLimit {
            let decision = try await limiter.acquire("client:\(model.name):\(client)", cost: min(rows, limit.burst), limit: limit)
            if !decision.allowed {
                throw ServingError(.rateLimited, "client '\(client)': over its rate limit for model '\(model.name)'\(throttled ? " (throttled by extraction detection)" : ""); retry in \(decision.retryAfter) s",
                                   underlying: RetryAfter(seconds: decision.retryAfter))
            }
        }
        if let limit = settings.modelLimit {
            let decision = try await limiter.acquire("model:\(model.name)", cost: min(rows, limit.burst), limit: limit)
            if !decision.allowed {
                throw ServingError(.rateLimited, "model '\(model.name)': over its rate limit; retry in \(decision.retryAfter) s",
                                   underlying: RetryAfter(seconds: decision.retryAfter))
            }
        }
        if let quota = settings.quota, let quotas {
            let decision = try await quotas.consume("client:\(model.name):\(client)", cost: rows, quota: quota)
            if !decision.allowed {
                throw ServingError(.rateLimited, "client '\(client)': quota of \(quota.limit) examples used; retry in \(decision.retryAfter) s",
                                   underlying: RetryAfter(seconds: decision.retryAfter))
            }
        }
    }

    /// The rows the model's detectors need answered besides `batch` (``DefencePipeline/extraRows(for:)``),
    /// for the batcher to run in the same pass; `nil` when none.
    public func extraRows(model: ServedModel, batch: Tensor) -> Tensor? {
        pipeline(for: model)?.extraRows(for: batch)
    }

    /// Screens `batch` with the model's detectors; a `reject` verdict refuses the request. With
    /// `probabilities` (the batch's) and `extraProbabilities` (those of ``extraRows(model:batch:)``)
    /// the detectors reuse them instead of running the model again.
    ///
    /// - Throws: ``ServingError`` `.refused` naming the detector.
    public func screen(model: ServedModel, batch: Tensor, probabilities: Tensor? = nil, extraProbabilities: Tensor? = nil) throws(ServingError) -> [Screening] {
        guard let pipeline = pipeline(for: model), pipeline.screens else { return [] }
        let screenings: [Screening]
        if let probabilities {
            screenings = try pipeline.screen(batch, probabilities: probabilities, extraProbabilities: extraProbabilities)
        } else {
            screenings = try pipeline.screen(batch)
        }
        for screening in screenings {
            for score in screening.scores where score.fired {
                metrics?.detection(model: model.name, kind: score.kind, action: score.action.rawValue)
                detections.withLock { $0[model.name, default: [:]][score.kind, default: 0] += 1 }
            }
        }
        if let rejected = screenings.firstIndex(where: { $0.verdict == .reject }) {
            throw ServingError(.refused, "example \(rejected) rejected by the \(screenings[rejected].cause ?? "input") detector")
        }
        return screenings
    }

    /// What the client may see of `probabilities` (the model's hardening; unchanged without one).
    public func harden(model: ServedModel, probabilities: Tensor, inputs: Tensor) -> Tensor {
        pipeline(for: model)?.harden(probabilities: probabilities, inputs: inputs) ?? probabilities
    }

    /// Records an answered request: the client's extraction detectors (a client reaching
    /// `blocked` is added to the block list and alerted), and the drift feed. `logits` (the
    /// model's, `N × classes`) spare the drift monitor a forward pass when its reference embeds
    /// logits. Returns the client's standing (`nil` without extraction detection).
    @discardableResult
    public func record(model: ServedModel, client: String, inputs: Tensor, probabilities: Tensor, visible: Tensor,
                       logits: Tensor? = nil) async -> ClientStanding? {
        if let feed = feeds[model.name] {
            let count = counter.add(1, ordering: .relaxed).newValue
            let n = inputs.shape.first ?? 0
            feed.push(DriftBatch(model: model, inputs: inputs, predictions: probabilities.argmaxRows(), embed: count % settings.embeddingEvery == 0,
                                 logits: logits?.shape == [n, model.classCount] ? logits : nil))
        }
        guard let pipeline = pipeline(for: model), pipeline.configuration.extraction != nil else { return nil }
        guard let recorded = try? pipeline.recordQueriesWithPreviousLevel(client: client, inputs: inputs, outputs: visible) else { return nil }
        let (before, standing) = (recorded.previous, recorded.standing)
        if standing.level > before {
            metrics?.standing(model: model.name, standing: standing.level.rawValue)
            if standing.level == .blocked { blocked.withLock { $0["\(model.name)\u{1}\(client)"] = standing } }
            await settings.alertSink?.send(Alert(kind: .extraction, model: model.name, severity: standing.level == .blocked ? .critical : .warning,
                                                 message: "client '\(client)' is \(standing.level.rawValue) by extraction detection after \(standing.queries) queries",
                                                 details: ["client": client, "level": standing.level.rawValue,
                                                           "detector": standing.cause?.detector ?? "", "queries": String(standing.queries)]))
        }
        return standing
    }

    /// Lifts a block on `client` for `model` (and resets its extraction state there).
    public func release(client: String, model: String) {
        _ = blocked.withLock { $0.removeValue(forKey: "\(model)\u{1}\(client)") }
        _ = latestPipeline(model: model)?.release(client: client)
    }

    /// The latest drift report of `model`, when it has a monitor.
    public func driftReport(model: String) -> DriftReport? { monitors[model]?.snapshot() }

    /// Detector firings of `model` by kind since start.
    public func detectionCounts(model: String) -> [String: Int] { detections.withLock { $0[model] ?? [:] } }

    /// The clients of `model` with the most queries (at most `limit`), blocked ones included.
    public func topClients(model: String, limit: Int = 20) -> [ClientStanding] {
        var clients = latestPipeline(model: model)?.clients(limit: limit) ?? []
        let blockedHere = blocked.withLock { $0.filter { $0.key.hasPrefix(model + "\u{1}") }.map(\.value) }
        for standing in blockedHere where !clients.contains(where: { $0.client == standing.client }) { clients.append(standing) }
        return Array(clients.sorted { $0.queries > $1.queries }.prefix(limit))
    }
}

/// The batches waiting for one model's drift monitor. Requests push under a lock; the monitor's
/// task takes everything gathered at once, sleeping ``interval`` between takes, so it is woken
/// at most once per interval instead of once per request. Only the newest ``capacity`` batches
/// are kept.
final class DriftFeed: Sendable {
    /// Most batches kept; older ones are dropped first.
    static let capacity = 256
    /// How long the monitor's task lets batches gather after it is woken.
    static let interval: Duration = .milliseconds(10)

    private struct State {
        var batches: [InferenceProtection.DriftBatch] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    /// Adds a batch, dropping the oldest beyond ``capacity``; wakes the task if it waits.
    func push(_ batch: InferenceProtection.DriftBatch) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.finished else { return nil }
            s.batches.append(batch)
            if s.batches.count > Self.capacity { s.batches.removeFirst(s.batches.count - Self.capacity) }
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Ends the feed: ``next()`` returns what is left, then nil.
    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// The batches gathered since the last call (waiting for one, then ``interval`` for more);
    /// nil once the feed is finished and empty.
    func next() async -> [InferenceProtection.DriftBatch]? {
        while true {
            let taken = state.withLock { s -> [InferenceProtection.DriftBatch]? in
                if !s.batches.isEmpty { defer { s.batches = [] }; return s.batches }
                return s.finished ? [] : nil
            }
            if let taken { return taken.isEmpty ? nil : taken }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if !s.batches.isEmpty || s.finished { return true }
                    s.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
            if !state.withLock({ $0.finished }) { try? await Task.sleep(for: Self.interval) }
        }
    }
}
