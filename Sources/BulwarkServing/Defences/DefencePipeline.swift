public import BulwarkTensor
public import BulwarkModels
public import BulwarkExtraction
import BulwarkEvasion
import BulwarkPoisoning
import Foundation
import Synchronization

/// The in-line defences of one served model, built from a ``DefenceConfiguration``, the model and
/// clean reference data, and shared by every request to that model.
///
/// A request goes through four stages; the gateway calls each one:
/// 1. ``admit(client:)`` refuses a blocked client before the model runs (a dictionary look-up);
/// 2. ``screen(_:)`` runs the adversarial-input detectors (and STRIP on a sample) on the batch
///    and says per example whether to pass, flag or reject it;
/// 3. ``harden(probabilities:inputs:)`` turns the model's probabilities into what the client may see;
/// 4. ``recordQueries(client:inputs:outputs:)`` feeds the client's extraction detectors and
///    returns its ``ClientStanding`` (the gateway lowers a throttled client's rate limit).
///
/// Cost per example (on top of the model's own forward pass): feature squeezing runs the model
/// once more on the input and once per squeezer; Mahalanobis runs the layers up to its feature
/// layer and `O(classes · d²)`; STRIP runs ``StripSettings/overlays`` forward passes, on the
/// ``StripSettings/sampleRate`` fraction of examples it screens; PRADA costs `O(|G| · d)` against
/// the client's growing set, coverage `O(bits · d)`; hardening `O(classes)`.
///
/// Thread safety: the detectors are immutable after the build; the per-client state sits behind
/// one lock per client plus a short-held lock on the client table, so requests from different
/// clients do not wait on each other's detectors. Memory is bounded: at most
/// ``ExtractionSettings/maxClients`` clients keep detector state (the least recently seen
/// unblocked one is forgotten first; idle ones after ``ExtractionSettings/idleSeconds``), and
/// PRADA's state of a client restarts after ``ExtractionSettings/historyLimit`` queries.
/// Blocked clients keep only their standing (no detector state) and are never forgotten.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let model = try Sequential(inputShape: [4], layers: [Dense(4, 8, rng: &rng), Activation(.relu), Dense(8, 2, rng: &rng)])
/// let reference = Tensor.uniform([400, 4], using: &rng)
/// let labels = (0..<400).map { reference.scalars[$0 * 4] > 0.5 ? 1 : 0 }   // true labels of the reference data
/// let config = DefenceConfiguration(detectors: [DetectorSettings(kind: .mahalanobis, action: .reject)], hardening: "top-k=1")
/// let pipeline = try DefencePipeline(configuration: config, model: model,
///                                    calibrationInputs: reference, calibrationLabels: labels)
/// let batch = reference.rows(0..<8)
/// try pipeline.admit(client: "key-17")
/// let screenings = try pipeline.screen(batch)           // one verdict per example
/// let visible = pipeline.harden(probabilities: model.logits(batch).softmax(axis: -1), inputs: batch)
/// let standing = try pipeline.recordQueries(client: "key-17", inputs: batch, outputs: visible)
/// print(screenings.map(\.verdict), standing.level)
/// ```
public final class DefencePipeline: Sendable {
    /// The configuration it was built from.
    public let configuration: DefenceConfiguration
    /// The protected model.
    public let model: any DifferentiableClassifier
    /// Every threshold set at build time.
    public let thresholds: [CalibratedThreshold]

    private let detectors: [ConfiguredDetector]
    private let strip: ConfiguredStrip?
    private let hardening: OutputHardening?
    private let hardeningSeed: UInt64
    private let templates: ExtractionTemplates?
    private let registry = Mutex(Registry())
    private let clock: @Sendable () -> Double

    /// Longest client id accepted (bytes of UTF-8).
    public static let maximumClientIDLength = 256

    /// Builds the pipeline: fits and calibrates every configured detector on the clean reference
    /// data `calibrationInputs` (`N × model.inputShape`, values in the model's input range) with
    /// their true `calibrationLabels`.
    ///
    /// Mahalanobis fits on the even rows and sets its threshold on the odd ones; STRIP blends with
    /// the first ``StripSettings/backgroundCount`` rows and calibrates on the rest; feature
    /// squeezing and coverage calibrate on all rows. Use a few hundred examples at least
    /// (coverage needs two windows).
    /// - Parameters:
    ///   - hardeningSeed: seeds `noise` hardening (keep it secret per deployment).
    ///   - clock: seconds on a monotonic clock, for idle eviction (tests inject one).
    /// - Throws: ``ServingError`` (`invalidParameter`), one line naming the setting or the data that does not fit.
    public init(configuration: DefenceConfiguration, model: any DifferentiableClassifier, calibrationInputs: Tensor, calibrationLabels: [Int],
                hardeningSeed: UInt64 = 0, clock: @escaping @Sendable () -> Double = DefencePipeline.monotonicSeconds) throws(ServingError) {
        try configuration.validate()
        let n = calibrationInputs.shape.first ?? 0
        guard calibrationInputs.shape == [n] + model.inputShape, n > 0 else {
            throw ServingError(.invalidParameter, "defence calibration data: expected inputs of shape [N] + \(model.inputShape), got \(calibrationInputs.shape)")
        }
        guard calibrationLabels.count == n, calibrationLabels.allSatisfy({ (0..<model.classCount).contains($0) }) else {
            throw ServingError(.invalidParameter, "defence calibration data: expected \(n) labels in 0..<\(model.classCount), got \(calibrationLabels.count)")
        }
        self.configuration = configuration
        self.model = model
        self.clock = clock
        self.hardeningSeed = hardeningSeed
        hardening = try configuration.parsedHardening()
        var thresholds: [CalibratedThreshold] = []
        var built: [ConfiguredDetector] = []
        for (i, settings) in configuration.detectors.enumerated() {
            let d = try ConfiguredDetector.build(settings, key: "detectors[\(i)]", model: model, inputs: calibrationInputs, labels: calibrationLabels)
            built.append(d.detector)
            thresholds.append(d.threshold)
        }
        detectors = built
        if let s = configuration.strip {
            let (configured, threshold) = try ConfiguredStrip.build(s, model: model, inputs: calibrationInputs)
            strip = configured
            thresholds.append(threshold)
        } else {
            strip = nil
        }
        if let e = configuration.extraction {
            var t = ExtractionTemplates(prada: nil, coverage: nil, historyLimit: e.historyLimit)
            if e.prada {
                let delta = try Self.pradaDelta(e.pradaDelta, model: model, inputs: calibrationInputs)
                do { t.prada = try PRADADetector(delta: delta.value) } catch {
                    throw ServingError(.invalidParameter, "extraction.pradaDelta: \(error.message)", underlying: error)
                }
                thresholds.append(CalibratedThreshold(kind: "prada", name: "prada", threshold: delta.value, targetRate: nil, examples: delta.examples))
            }
            if e.coverage {
                let calibration: CoverageDetector.Calibration
                do {
                    calibration = try CoverageDetector.fit(benign: calibrationInputs, predictedClasses: model.predictions(calibrationInputs),
                                                           window: e.coverageWindow, bits: e.coverageBits, seed: 0, tolerance: e.coverageTolerance)
                } catch {
                    throw ServingError(.invalidParameter, "extraction.coverage: \(error.message)", underlying: error)
                }
                t.coverage = CoverageDetector(calibration: calibration)
                thresholds.append(CalibratedThreshold(kind: "coverage", name: "coverage", threshold: calibration.cellEntropyBand.lowerBound,
                                                      targetRate: nil, examples: n))
            }
            templates = t
        } else {
            templates = nil
        }
        self.thresholds = thresholds
    }

    /// PRADA's δ: the configured one, or calibrated on 32 benign streams of ≤ 400 reference
    /// queries each, every one a fresh random order of the reference data (0.95 when the data is
    /// too short for a test); see ``PRADADetector/calibratedDelta(reference:probabilities:streams:queriesPerStream:margin:seed:minimumDistances:minimumClassDistances:testInterval:)``.
    private static func pradaDelta(_ configured: Double?, model: any DifferentiableClassifier, inputs: Tensor) throws(ServingError) -> (value: Double, examples: Int) {
        if let configured { return (configured, 0) }
        do {
            let answers = ModelQueries(model: model).probabilities(inputs)
            return (try PRADADetector.calibratedDelta(reference: inputs, probabilities: answers) ?? PRADADetector.defaultDelta, inputs.shape.first ?? 0)
        } catch {
            throw ServingError(.invalidParameter, "extraction.pradaDelta: calibration: \(error.message)", underlying: error)
        }
    }

    /// Seconds since an arbitrary start, on the system's monotonic clock.
    @Sendable public static func monotonicSeconds() -> Double {
        let d = ContinuousClock.now - Self.epoch
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    private static let epoch = ContinuousClock.now

    // MARK: screening

    /// Screens a batch (`N × model.inputShape`): every detector scores every example; STRIP
    /// scores the examples its sample rate picks. One ``Screening`` per example, in order.
    ///
    /// Cost: see the type's documentation; with no detectors and no STRIP it returns at once.
    /// - Throws: ``ServingError`` (`invalidRequest`) when the batch does not have the model's input shape.
    public func screen(_ batch: Tensor) throws(ServingError) -> [Screening] {
        try screen(batch, computed: nil)
    }

    /// The rows the model must answer, besides the batch itself, for ``screen(_:probabilities:extraProbabilities:)``:
    /// the squeezed copies of `batch` for every feature-squeezing detector, in configuration order;
    /// `nil` when no detector needs any. A server runs them in the same batch as the request.
    public func extraRows(for batch: Tensor) -> Tensor? {
        let squeezed = detectors.compactMap { ($0.detector as? FeatureSqueezingDetector)?.squeezedInputs(batch) }
        return squeezed.isEmpty ? nil : Tensor.concatenateRows(squeezed)
    }

    /// Screens `batch` like ``screen(_:)`` with the model's answers already computed: `probabilities`
    /// for the batch (`N × classes`) and `extraProbabilities` for ``extraRows(for:)`` (in its
    /// order), so feature squeezing runs no forward pass of its own. Answers of the wrong shape
    /// are ignored and the detectors run the model themselves.
    public func screen(_ batch: Tensor, probabilities: Tensor, extraProbabilities: Tensor?) throws(ServingError) -> [Screening] {
        try screen(batch, computed: (probabilities, extraProbabilities))
    }

    private func screen(_ batch: Tensor, computed: (probabilities: Tensor, extra: Tensor?)?) throws(ServingError) -> [Screening] {
        let n = batch.shape.first ?? 0
        guard batch.shape == [n] + model.inputShape else {
            throw ServingError(.invalidRequest, "screening: expected inputs of shape [N] + \(model.inputShape), got \(batch.shape)")
        }
        guard n > 0 else { return [] }
        let c = model.classCount
        let squeezerRows = detectors.map { (($0.detector as? FeatureSqueezingDetector)?.squeezers.count ?? 0) * n }
        let usable = computed.flatMap { computed -> (Tensor, Tensor)? in
            guard computed.probabilities.shape == [n, c] else { return nil }
            let extra = computed.extra ?? Tensor.zeros([0, c])
            return extra.shape == [squeezerRows.reduce(0, +), c] ? (computed.probabilities, extra) : nil
        }
        var readings = [[DetectorScore]](repeating: [], count: n)
        var offset = 0
        for (d, rows) in zip(detectors, squeezerRows) {
            let scores: [Double]
            if let squeezing = d.detector as? FeatureSqueezingDetector, let (probabilities, extra) = usable {
                scores = squeezing.scores(probabilities: probabilities, squeezedProbabilities: extra.rows(offset..<offset + rows))
            } else {
                scores = d.detector.scores(batch)
            }
            offset += rows
            for r in 0..<n {
                let s = r < scores.count ? scores[r] : .nan
                readings[r].append(DetectorScore(kind: d.kind.rawValue, name: d.detector.name, score: s, threshold: d.threshold,
                                                 fired: !(s <= d.threshold), action: d.action))
            }
        }
        if let strip {
            let picked = registry.withLock { $0.sampleStrip(count: n, rate: strip.sampleRate) }
            if !picked.isEmpty {
                let entropies: [Double]
                do { entropies = try strip.strip.entropies(picked.count == n ? batch : batch.gatherRows(picked)) } catch {
                    throw ServingError(.invalidRequest, "screening: \(error.message)", underlying: error)
                }
                for (k, r) in picked.enumerated() {
                    let h = entropies[k]
                    readings[r].append(DetectorScore(kind: "strip", name: "strip", score: h, threshold: strip.threshold, fired: !(h >= strip.threshold),
                                                     action: strip.action))
                }
            }
        }
        return readings.map(Screening.init(scores:))
    }

    /// Whether ``screen(_:)`` does any work (a detector or STRIP is configured).
    public var screens: Bool { !detectors.isEmpty || strip != nil }

    // MARK: hardening

    /// What the client may see of the model's `probabilities` (`N × classes`): the configured
    /// ``OutputHardening`` applied row by row, or the probabilities unchanged with `none`.
    /// `inputs` (the request's rows) seed `noise` hardening per query and are read by nothing else.
    public func harden(probabilities: Tensor, inputs: Tensor? = nil) -> Tensor {
        guard let hardening else { return probabilities }
        return hardening.apply(to: probabilities, inputs: inputs ?? Tensor.zeros([0]), seed: hardeningSeed)
    }

    // MARK: clients

    /// Refuses a blocked client.
    /// - Throws: ``ServingError`` (`refused`) when the client is blocked.
    public func admit(client: String) throws(ServingError) {
        let blocked = registry.withLock { $0.clients[client]?.blocked ?? false }
        if blocked { throw ServingError(.refused, "client '\(client.prefix(64))' is blocked for suspected model extraction") }
    }

    /// Feeds a client's answered batch to its extraction detectors: `inputs` (`N × model.inputShape`)
    /// and the `outputs` it was answered (`N × classes`, probabilities or their hardened form: the
    /// detectors read only the top class). Returns its standing after the batch, with the alarms
    /// the batch raised. A blocked client's queries are not recorded.
    ///
    /// With extraction detection off it returns a `normal` standing and keeps nothing.
    /// - Throws: ``ServingError`` (`invalidRequest`) for shapes that do not fit or a client id
    ///   longer than ``maximumClientIDLength``.
    @discardableResult
    public func recordQueries(client: String, inputs: Tensor, outputs: Tensor) throws(ServingError) -> ClientStanding {
        try recordQueriesWithPreviousLevel(client: client, inputs: inputs, outputs: outputs).standing
    }

    /// ``recordQueries(client:inputs:outputs:)`` that also returns the level the client stood at
    /// just before this batch, read under the same lock (the gateway alerts when it rose; a
    /// separate ``standing(client:)`` call took the client's lock a second time per request).
    /// - Throws: as ``recordQueries(client:inputs:outputs:)``.
    public func recordQueriesWithPreviousLevel(client: String, inputs: Tensor, outputs: Tensor) throws(ServingError)
        -> (previous: ClientStanding.Level, standing: ClientStanding) {
        let n = inputs.shape.first ?? 0
        guard client.utf8.count <= Self.maximumClientIDLength else {
            throw ServingError(.invalidRequest, "client id of \(client.utf8.count) bytes: expected at most \(Self.maximumClientIDLength)")
        }
        guard inputs.shape == [n] + model.inputShape, outputs.shape == [n, model.classCount] else {
            throw ServingError(.invalidRequest, "query record: expected inputs [N] + \(model.inputShape) and outputs [N, \(model.classCount)], got \(inputs.shape) and \(outputs.shape)")
        }
        guard let templates, let policy = configuration.extraction else { return (.normal, ClientStanding(client: client)) }
        let now = clock()
        let limits = configuration.extraction.map { ($0.maxClients, $0.idleSeconds) } ?? (1, 1)
        let slot = registry.withLock { $0.slot(for: client, now: now, maxClients: limits.0, idleSeconds: limits.1, templates: templates) }
        let (previous, standing) = slot.track.withLock { track in
            let previous = track.standing.level
            track.record(inputs: inputs.scalars, outputs: outputs.scalars, rows: n, templates: templates, policy: policy.escalation)
            slot.level.store(ClientStanding.Level.allCases.firstIndex(of: track.standing.level) ?? 0, ordering: .relaxed)
            return (previous, track.standing)
        }
        if standing.level == .blocked {
            registry.withLock { r in
                if r.clients[client]?.slot === slot { r.clients[client]?.blocked = true }
            }
        }
        return (previous, standing)
    }

    /// A client's level now (`normal` for a client not tracked): the one ``standing(client:)``
    /// has, without waiting for a batch of the client's that is being recorded.
    public func level(client: String) -> ClientStanding.Level {
        guard let slot = registry.withLock({ $0.clients[client]?.slot }) else { return .normal }
        return ClientStanding.Level.allCases[slot.level.load(ordering: .relaxed)]
    }

    /// A client's standing now (`normal` with no queries for a client not tracked).
    public func standing(client: String) -> ClientStanding {
        guard let slot = registry.withLock({ $0.clients[client]?.slot }) else { return ClientStanding(client: client) }
        return slot.track.withLock { var s = $0.standing; s.raised = []; return s }
    }

    /// Forgets everything about a client (its block, counts and detector state); returns the
    /// standing it had, `nil` when it was not tracked. Its next query starts it afresh.
    @discardableResult
    public func release(client: String) -> ClientStanding? {
        guard let slot = registry.withLock({ $0.clients.removeValue(forKey: client)?.slot }) else { return nil }
        return slot.track.withLock { var s = $0.standing; s.raised = []; return s }
    }

    /// The tracked clients for a "top clients" page, most severe first (by level, then by
    /// queries), at most `limit` of them.
    public func clients(limit: Int = 100) -> [ClientStanding] {
        let slots = registry.withLock { Array($0.clients.values.map(\.slot)) }
        let all = slots.map { slot in slot.track.withLock { var s = $0.standing; s.raised = []; return s } }
        return Array(all.sorted { ($0.level, $0.queries, $1.client) > ($1.level, $1.queries, $0.client) }.prefix(max(0, limit)))
    }

    /// Forgets unblocked clients idle for longer than ``ExtractionSettings/idleSeconds``; returns how many.
    /// The gateway may call it on a timer; new clients trigger it too when the table is full.
    @discardableResult
    public func evictIdle() -> Int {
        guard let e = configuration.extraction else { return 0 }
        let now = clock()
        return registry.withLock { $0.evictIdle(now: now, idleSeconds: e.idleSeconds) }
    }
}

/// The model as a query-only classifier (softmax of its logits).
private struct ModelQueries: QueryClassifier {
    let model: any DifferentiableClassifier
    var inputShape: [Int] { model.inputShape }
    var classCount: Int { model.classCount }
    func probabilities(_ input: Tensor) -> Tensor { model.logits(input).softmax(axis: -1) }
}

/// One client's lock-protected state.
final class ClientSlot: Sendable {
    let track: Mutex<ClientTrack>
    /// The track's level (its index in `Level.allCases`), written under the track's lock after
    /// each record: the admission check reads it without waiting for a detector that is running.
    let level: Atomic<Int>
    init(_ track: ClientTrack) {
        self.level = Atomic(ClientStanding.Level.allCases.firstIndex(of: track.standing.level) ?? 0)
        self.track = Mutex(track)
    }
}

/// The client table and the STRIP sampling counter.
struct Registry: ~Copyable {
    struct Entry {
        let slot: ClientSlot
        var lastSeen: Double
        var blocked: Bool
    }

    var clients: [String: Entry] = [:]
    var stripCounter: UInt64 = 0

    /// The client's slot, made (after eviction when the table is full) if it is new.
    mutating func slot(for client: String, now: Double, maxClients: Int, idleSeconds: Double, templates: ExtractionTemplates) -> ClientSlot {
        if var entry = clients[client] {
            entry.lastSeen = now
            clients[client] = entry
            return entry.slot
        }
        if clients.count >= maxClients {
            _ = evictIdle(now: now, idleSeconds: idleSeconds)
            if clients.count >= maxClients,
               let oldest = clients.filter({ !$0.value.blocked }).min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key {
                clients[oldest] = nil
            }
        }
        let slot = ClientSlot(ClientTrack(client: client, templates: templates))
        clients[client] = Entry(slot: slot, lastSeen: now, blocked: false)
        return slot
    }

    mutating func evictIdle(now: Double, idleSeconds: Double) -> Int {
        let before = clients.count
        clients = clients.filter { $0.value.blocked || now - $0.value.lastSeen <= idleSeconds }
        return before - clients.count
    }

    /// Indices of the next `count` examples that STRIP screens: example `k` of the stream is
    /// picked when `⌊(k + 1)·rate⌋ > ⌊k·rate⌋`, so exactly the rate's share, evenly spread.
    mutating func sampleStrip(count: Int, rate: Double) -> [Int] {
        var picked: [Int] = []
        for r in 0..<count {
            let k = Double(stripCounter)
            if ((k + 1) * rate).rounded(.down) > (k * rate).rounded(.down) { picked.append(r) }
            stripCounter &+= 1
        }
        return picked
    }
}
