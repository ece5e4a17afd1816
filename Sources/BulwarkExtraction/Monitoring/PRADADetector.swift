public import BulwarkTensor

/// PRADA (Juuti, Szyller, Marchal and Asokan 2019, "PRADA: protecting against DNN model stealing
/// attacks"): per client, the distribution of each new query's distance to the client's earlier
/// queries of the same predicted class is tested for normality; natural queries give a roughly
/// normal distribution, synthetic ones (each a small step from an earlier query, as in
/// Papernot et al.'s Jacobian-based augmentation) do not.
///
/// Per client and predicted class `c` it keeps a *growing set* `G_c` and a threshold `T_c`
/// (0 at first). A query `x` of class `c`:
/// - seeds `G_c` when it is empty;
/// - otherwise gives `d = min_{y ∈ G_c} ‖x − y‖₂`, appended to the class's distance list; when
///   `d > T_c`, `x` joins `G_c` and `T_c ← max(T_c, mean − std of the distances that admitted
///   members of G_c)` (the seed counts as distance 0, as the authors' code does).
///
/// Every ``testInterval`` queries of a client, the distances of the classes with at least
/// ``minimumClassDistances`` are pooled, values further than 3 standard deviations from their
/// mean are dropped, and when more than ``minimumDistances`` remain, the Shapiro–Wilk W
/// (``ShapiroWilk``) is computed; the client is flagged while `W < δ` (``delta``). These rules
/// follow the authors' published code (Secure Systems Group, Aalto University).
///
/// Cost per query: `O(|G_c| · d)` for the minimum distance (Float, one BLAS matrix–vector
/// product against the growing set), an insertion into the client's sorted pool of `n`
/// distances (a binary search and a move of up to `n` values) and, every ``testInterval``
/// queries, `O(n)` for the test (the pool is already sorted; the outlier bounds are binary
/// searches). Memory: the growing sets (`d` floats per member) and the distances.
///
/// ```swift
/// var prada = try PRADADetector(delta: 0.95)
/// let query = ObservedQuery(client: "key-17", streamIndex: 0, clientIndex: 0,
///                           input: [0.1, 0.7, 0.3][...], output: [0.9, 0.1][...])
/// if let alert = prada.observe(query) { print(alert.client, alert.value) }
/// ```
public struct PRADADetector: QueryPatternDetector {
    /// The name in alerts: `prada`.
    public var name: String { "prada" }
    /// The client is flagged while W is below δ. The paper tunes δ per victim (values around
    /// 0.9–0.96); 0.95 is the default of the authors' code and its MNIST-style setting.
    public let delta: Double
    /// Distances needed (after outlier removal) before the test runs (the paper: 100).
    public let minimumDistances: Int
    /// A class's distances are pooled once it has this many (the authors' code: 10).
    public let minimumClassDistances: Int
    /// The test runs every this many queries of a client (the authors' code: 10; 1 tests every query).
    public let testInterval: Int

    private var clients: [String: ClientState] = [:]

    /// The default δ.
    public static let defaultDelta = 0.95

    /// A detector with threshold `delta`.
    /// - Throws: ``ExtractionError`` (`invalidParameter`) for δ outside (0, 1], fewer than 3
    ///   minimum distances, or an interval or class minimum below 1.
    public init(delta: Double = defaultDelta, minimumDistances: Int = 100, minimumClassDistances: Int = 10, testInterval: Int = 10) throws(ExtractionError) {
        guard delta > 0, delta <= 1 else { throw ExtractionError(.invalidParameter, "prada: delta must be in (0, 1], got \(delta)") }
        guard minimumDistances >= 3 else { throw ExtractionError(.invalidParameter, "prada: minimum distances must be at least 3, got \(minimumDistances)") }
        guard minimumClassDistances >= 1, testInterval >= 1 else {
            throw ExtractionError(.invalidParameter, "prada: class minimum and test interval must be at least 1, got \(minimumClassDistances), \(testInterval)")
        }
        self.delta = delta
        self.minimumDistances = minimumDistances
        self.minimumClassDistances = minimumClassDistances
        self.testInterval = testInterval
    }

    /// One client's growing sets and distances.
    private struct ClientState: Sendable {
        var classes: [Int: ClassState] = [:]
        /// The distances of the classes that have ``minimumClassDistances`` or more, kept sorted
        /// (ascending) as they arrive: the test reads its outlier bounds by binary search and
        /// hands the range between them to Shapiro–Wilk without sorting it.
        var pool: [Double] = []
        /// Non-finite distances of pooled classes (kept out of `pool`): while there is one, no
        /// test runs, as Shapiro–Wilk refuses non-finite values.
        var nonFinite = 0
        var queries = 0
        var flagged = false
        var lastW: Double?
        var lowestW: Double?
    }

    /// One predicted class of one client.
    private struct ClassState: Sendable {
        /// Members of the growing set, flattened (`count × dimension`).
        var members: [Float] = []
        var memberCount = 0
        /// Squared L2 norm of each member.
        var memberNorms: [Float] = []
        /// Distances that admitted members (the seed counts as 0).
        var memberDistances: [Double] = [0]
        var threshold = 0.0
        /// Minimum distances of this class's queries after the seed.
        var distanceCount = 0
        /// Those distances while the class has too few to be pooled (emptied into the client's
        /// pool when it reaches ``minimumClassDistances``).
        var pending: [Double] = []
    }

    /// The last W computed for `client`, if any.
    public func lastStatistic(client: String) -> Double? { clients[client]?.lastW }

    /// The lowest W computed for `client` so far, if any.
    public func lowestStatistic(client: String) -> Double? { clients[client]?.lowestW }

    /// δ calibrated on benign traffic, as the paper sets δ per victim so that benign clients are
    /// not flagged: the lowest W any client of `streams` reaches (replayed with this detector's
    /// other settings), less `margin`, and never above ``defaultDelta``. `nil` when no client sent
    /// enough queries for a test.
    public static func calibratedDelta(benign streams: [ClientStream], margin: Double = 0.02, minimumDistances: Int = 100,
                                       minimumClassDistances: Int = 10, testInterval: Int = 10) throws(ExtractionError) -> Double? {
        var probe = try PRADADetector(delta: 1e-9, minimumDistances: minimumDistances, minimumClassDistances: minimumClassDistances, testInterval: testInterval)
        var index = 0
        for stream in streams {
            var clientIndex = 0
            for batch in stream.batches {
                let n = batch.inputs.shape.first ?? 0, width = n > 0 ? batch.inputs.scalars.count / n : 0, classes = batch.outputs.shape.last ?? 0
                for r in 0..<n {
                    _ = probe.observe(ObservedQuery(client: stream.client, streamIndex: index, clientIndex: clientIndex,
                                                    input: batch.inputs.scalars[(r * width)..<((r + 1) * width)],
                                                    output: batch.outputs.scalars[(r * classes)..<((r + 1) * classes)]))
                    index += 1
                    clientIndex += 1
                }
            }
        }
        let lowest = streams.compactMap { probe.lowestStatistic(client: $0.client) }.min()
        return lowest.map { min(defaultDelta, $0 - margin) }
    }

    /// δ calibrated on benign *reference data* rather than on recorded streams: `streams` benign
    /// clients are simulated, each sending `queriesPerStream` distinct reference inputs in its own
    /// seeded random order, and δ is the lowest W any of them reaches, less `margin`, never above
    /// ``defaultDelta`` (as ``calibratedDelta(benign:margin:minimumDistances:minimumClassDistances:testInterval:)``).
    ///
    /// Why many resampled streams: a benign client's W varies from client to client, most in its
    /// first tests (about 100 distances). On Fashion-MNIST test images the lowest W of a 400-query
    /// natural stream ranges from about 0.91 to 0.98 across clients, so the lowest W of one or two
    /// streams — all that a few hundred reference inputs give when they are cut into disjoint
    /// streams — sits inside that spread, and δ from it flags a tenth of benign clients from their
    /// first test on. The minimum over dozens of resampled streams estimates the low tail instead.
    /// Streams drawn from the same inputs are not independent; more reference inputs widen what
    /// they cover.
    ///
    /// Cost: `streams × queriesPerStream` replayed queries (the minimum-distance search against
    /// each stream's growing sets, a Shapiro–Wilk test every `testInterval` queries).
    /// - Parameters:
    ///   - inputs: benign inputs, `N × …`; each stream takes `min(N, queriesPerStream)` of them.
    ///   - probabilities: the victim's answers to them, `N × classes` (only the top class is read).
    /// - Returns: `nil` when the streams are too short for a test.
    /// - Throws: ``ExtractionError`` (`invalidParameter`) for fewer than 1 stream or shapes that do
    ///   not fit, and for settings ``init(delta:minimumDistances:minimumClassDistances:testInterval:)`` refuses.
    public static func calibratedDelta(reference inputs: Tensor, probabilities: Tensor, streams: Int = 32, queriesPerStream: Int = 400,
                                       margin: Double = 0.02, seed: UInt64 = 0, minimumDistances: Int = 100, minimumClassDistances: Int = 10,
                                       testInterval: Int = 10) throws(ExtractionError) -> Double? {
        let n = inputs.shape.first ?? 0
        guard streams >= 1, queriesPerStream >= 1, n > 0, probabilities.shape.first == n, probabilities.count > 0 else {
            throw ExtractionError(.invalidParameter, "prada calibration: expected ≥ 1 stream and \(n) answers for \(n) reference inputs, got \(streams) streams and answers of shape \(probabilities.shape)")
        }
        let width = inputs.count / n, classes = probabilities.count / n, length = min(n, queriesPerStream)
        var probe = try PRADADetector(delta: 1e-9, minimumDistances: minimumDistances, minimumClassDistances: minimumClassDistances, testInterval: testInterval)
        var rng = SeededGenerator(seed: seed)
        var lowest: Double?
        for s in 0..<streams {
            let client = "reference-\(s)"
            let order = randomPermutation(n, using: &rng)
            for (k, i) in order.prefix(length).enumerated() {
                _ = probe.observe(ObservedQuery(client: client, streamIndex: k, clientIndex: k, input: inputs.scalars[(i * width)..<((i + 1) * width)],
                                                output: probabilities.scalars[(i * classes)..<((i + 1) * classes)]))
            }
            if let w = probe.lowestStatistic(client: client) { lowest = min(lowest ?? w, w) }
            probe.clients[client] = nil   // one stream's state at a time
        }
        return lowest.map { min(defaultDelta, $0 - margin) }
    }

    /// Number of growing-set members kept for `client` (all classes).
    public func growingSetSize(client: String) -> Int { clients[client]?.classes.values.reduce(0) { $0 + $1.memberCount } ?? 0 }

    /// Consumes one query; an alert when `W < δ` flags the client.
    public mutating func observe(_ query: ObservedQuery) -> ExtractionAlert? {
        var state = clients[query.client] ?? ClientState()
        clients[query.client] = nil   // keep the state uniquely referenced while it is mutated
        let cls = query.predictedClass
        var classState = state.classes[cls] ?? ClassState()
        state.classes[cls] = nil
        if let distance = Self.add(query.input, to: &classState) {
            classState.distanceCount += 1
            if classState.distanceCount > minimumClassDistances {
                Self.insert(distance, into: &state)
            } else {
                classState.pending.append(distance)
                if classState.distanceCount == minimumClassDistances {
                    for d in classState.pending { Self.insert(d, into: &state) }
                    classState.pending = []
                }
            }
        }
        state.classes[cls] = classState
        state.queries += 1
        var alert: ExtractionAlert?
        if state.queries % testInterval == 0, state.nonFinite == 0 {
            let kept = Self.rejectingOutliers(sorted: state.pool)
            if kept.count > minimumDistances, let result = try? ShapiroWilk.test(sorted: kept) {
                state.lastW = result.w
                state.lowestW = min(state.lowestW ?? result.w, result.w)
                let now = result.w < delta
                if now, !state.flagged {
                    alert = ExtractionAlert(client: query.client, detector: name, clientQueryIndex: query.clientIndex, streamIndex: query.streamIndex,
                                            statistic: "shapiro-wilk-w", value: result.w, threshold: delta, direction: "below")
                }
                state.flagged = now
            }
        }
        clients[query.client] = state
        return alert
    }

    /// Adds a distance to the client's sorted pool (a non-finite one is only counted).
    private static func insert(_ distance: Double, into state: inout ClientState) {
        guard distance.isFinite else { state.nonFinite += 1; return }
        var lo = 0, hi = state.pool.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if state.pool[mid] <= distance { lo = mid + 1 } else { hi = mid }
        }
        state.pool.insert(distance, at: lo)
    }

    /// Adds `input` to a class's state: its minimum distance to the growing set (returned; nil
    /// for the seed), and membership.
    private static func add(_ input: ArraySlice<Float>, to state: inout ClassState) -> Double? {
        let d = input.count
        guard state.memberCount > 0 else {
            state.members.append(contentsOf: input)
            state.memberNorms.append(squaredNorm(input))
            state.memberCount = 1
            return nil
        }
        // ‖g − x‖² = ‖g‖² − 2 g·x + ‖x‖², the products G·x in one call: as xᵀ·Gᵀ (one row
        // against the members), which reads the members once in place instead of repacking them.
        var products = [Float](repeating: 0, count: state.memberCount)
        let inputNorm = squaredNorm(input)
        input.withUnsafeBufferPointer { x in
            state.members.withUnsafeBufferPointer { g in
                products.withUnsafeMutableBufferPointer { out in
                    if let gp = g.baseAddress, let xp = x.baseAddress, let op = out.baseAddress {
                        BLAS.gemm(transposeA: false, transposeB: true, m: 1, n: state.memberCount, k: d, a: xp, b: gp, c: op)
                    }
                }
            }
        }
        var best = Float.infinity, nearest = 0
        for m in 0..<state.memberCount {
            let squared = state.memberNorms[m] - 2 * products[m] + inputNorm
            if squared < best { best = squared; nearest = m }
        }
        // The expansion cancels: a repeat of a member came out at a small positive distance,
        // joined the growing set, and a client repeating one query grew it (and the cost of
        // every later query) without bound. The nearest member's distance is taken directly.
        let exact = state.members.withUnsafeBufferPointer { g in
            input.withUnsafeBufferPointer { x in VectorMath.squaredDistance(UnsafeBufferPointer(rebasing: g[(nearest * d)..<((nearest + 1) * d)]), x) }
        }
        let distance = Double(exact.squareRoot())
        if distance > state.threshold {
            state.members.append(contentsOf: input)
            state.memberNorms.append(squaredNorm(input))
            state.memberCount += 1
            state.memberDistances.append(distance)
            let (mean, std) = meanAndStandardDeviation(state.memberDistances)
            state.threshold = max(state.threshold, mean - std)
        }
        return distance
    }

    private static func squaredNorm(_ x: ArraySlice<Float>) -> Float {
        x.withUnsafeBufferPointer { VectorMath.squaredNorm($0) }
    }

    /// The values within 3 standard deviations of the mean (all of them when the spread is 0),
    /// of values sorted ascending: as `v − mean` only grows with `v`, they are one range, found
    /// by two binary searches with the same test as a filter, `|v − mean| < 3σ`.
    private static func rejectingOutliers(sorted values: [Double]) -> ArraySlice<Double> {
        guard values.count > 1 else { return values[...] }
        let (mean, std) = meanAndStandardDeviation(values)
        guard std > 0 else { return values[...] }
        let bound = 3 * std
        var lo = 0, hi = values.count
        while lo < hi {   // the first value with v − mean > −3σ
            let mid = (lo + hi) / 2
            if values[mid] - mean > -bound { hi = mid } else { lo = mid + 1 }
        }
        let first = lo
        hi = values.count
        while lo < hi {   // the first value with v − mean ≥ 3σ
            let mid = (lo + hi) / 2
            if values[mid] - mean < bound { lo = mid + 1 } else { hi = mid }
        }
        return values[first..<lo]
    }

    /// Mean and population standard deviation (NumPy's default, as the authors' code uses).
    private static func meanAndStandardDeviation(_ values: [Double]) -> (Double, Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        var ss = 0.0
        for v in values { ss += (v - mean) * (v - mean) }
        return (mean, (ss / n).squareRoot())
    }
}
