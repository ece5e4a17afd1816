public import BulwarkTensor
import Foundation

/// A coverage and class-balance detector: per client, over a sliding window of its last
/// ``Calibration/window`` queries, the entropy of the input-space cells the queries fall in and
/// the entropy of their predicted classes, compared with the range benign traffic gives.
///
/// The partition is fixed by ``fit(benign:predictedClasses:window:bits:seed:tolerance:resamples:)``: `bits` random Gaussian
/// directions (seeded), each split at the median projection of the benign inputs, so each bit
/// halves the benign data and a query's cell is its `bits`-bit sign code (a locality-sensitive
/// hash). Benign users asking about natural inputs spread over many cells and over the classes in
/// a way the calibration records; an extraction attack departs from it — synthetic augmentation
/// around a few seeds covers few cells (low entropy), random or crafted probes land in unusual
/// proportions, active learning balances classes. So the alert is two-sided: a statistic below
/// its benign band or above it flags the client.
///
/// Calibration: `resamples` windows of `window` distinct benign inputs each are drawn at random
/// (seeded); for each statistic the band is `[mean − k·std, mean + k·std]` over those windows,
/// `k` being `tolerance` (default 5), clipped to the statistic's possible range. The windows are
/// resampled rather than cut disjointly because a few hundred reference inputs hold only a handful
/// of disjoint windows, and a standard deviation from five values is too noisy to set a 5σ band
/// (with 500 inputs and windows of 100 it was narrow enough for natural test images to leave it
/// about once in 70 windows). Windows drawn from a finite set of `N` inputs vary less than windows
/// of a client's fresh queries, so the variance is scaled up by the finite-population factor
/// `(N − 1) / (N − window)`. The false-alarm rate this gives is measured on separate benign
/// streams by ``MonitorEvaluation``.
///
/// Cost per query: `O(bits · d)` for the cell and `O(1)` for the entropies (counts are updated
/// incrementally); memory: the window per client.
public struct CoverageDetector: QueryPatternDetector {
    /// The name in alerts: `coverage`.
    public var name: String { "coverage" }

    /// The partition and the benign bands.
    public struct Calibration: Sendable, Codable, Equatable {
        /// Queries per window.
        public var window: Int
        /// Bits of the cell code (`2^bits` cells).
        public var bits: Int
        /// Dimension of a flattened input.
        public var dimension: Int
        /// The directions, `bits × dimension`.
        public var directions: [Float]
        /// The median benign projection on each direction.
        public var medians: [Float]
        /// Benign band of the cell entropy (bits) of a window.
        public var cellEntropyBand: ClosedRange<Double>
        /// Benign band of the predicted-class entropy (bits) of a window.
        public var classEntropyBand: ClosedRange<Double>
        /// Disjoint windows the benign data holds (`N / window`); the bands were measured on
        /// resampled windows of it (see the type's documentation).
        public var benignWindows: Int
    }

    /// The partition and bands in use.
    public let calibration: Calibration
    private var clients: [String: WindowState] = [:]

    /// A detector with a calibration from ``fit(benign:predictedClasses:window:bits:seed:tolerance:resamples:)``.
    public init(calibration: Calibration) { self.calibration = calibration }

    /// Calibrates on benign traffic: `inputs` (`N × …`) and the victim's `predictedClasses` for them;
    /// `resamples` random windows (≥ 2) set the bands.
    /// - Throws: ``ExtractionError`` (`invalidParameter`) for a window below 10, bits outside
    ///   1...20, a tolerance ≤ 0, or fewer than two windows of benign data; (`shapeMismatch`) when
    ///   the classes do not match the inputs.
    public static func fit(benign inputs: Tensor, predictedClasses: [Int], window: Int = 100, bits: Int = 10, seed: UInt64 = 0,
                           tolerance: Double = 5, resamples: Int = 256) throws(ExtractionError) -> Calibration {
        guard window >= 10 else { throw ExtractionError(.invalidParameter, "coverage: window must be at least 10 queries, got \(window)") }
        guard (1...20).contains(bits) else { throw ExtractionError(.invalidParameter, "coverage: bits must be in 1...20, got \(bits)") }
        guard tolerance > 0, tolerance.isFinite else { throw ExtractionError(.invalidParameter, "coverage: tolerance must be > 0, got \(tolerance)") }
        guard resamples >= 2 else { throw ExtractionError(.invalidParameter, "coverage: resamples must be at least 2, got \(resamples)") }
        let n = inputs.shape.first ?? 0
        guard predictedClasses.count == n else {
            throw ExtractionError(.shapeMismatch, "coverage: \(predictedClasses.count) predicted classes for \(n) benign inputs")
        }
        guard n >= 2 * window else { throw ExtractionError(.invalidParameter, "coverage: needs at least \(2 * window) benign queries (two windows), got \(n)") }
        let d = inputs.count / n
        var rng = SeededGenerator(seed: seed)
        let directions = (0..<(bits * d)).map { _ in rng.nextNormal() }
        var medians = [Float](repeating: 0, count: bits)
        for b in 0..<bits {
            var projections = [Float](repeating: 0, count: n)
            for r in 0..<n { projections[r] = project(inputs.scalars[(r * d)..<((r + 1) * d)], directions, b, d) }
            projections.sort()
            medians[b] = projections[n / 2]
        }
        var partial = Calibration(window: window, bits: bits, dimension: d, directions: directions, medians: medians,
                                  cellEntropyBand: 0...0, classEntropyBand: 0...0, benignWindows: 0)
        let cellOf = (0..<n).map { i in partial.cell(of: inputs.scalars[(i * d)..<((i + 1) * d)]) }
        var cellEntropies: [Double] = [], classEntropies: [Double] = []
        var pool = Array(0..<n)
        for _ in 0..<resamples {
            // A window of `window` distinct inputs: the first `window` steps of a Fisher–Yates shuffle.
            var cells: [Int: Int] = [:], classes: [Int: Int] = [:]
            for k in 0..<window {
                pool.swapAt(k, k + Int(rng.next() % UInt64(n - k)))
                cells[cellOf[pool[k]], default: 0] += 1
                classes[predictedClasses[pool[k]], default: 0] += 1
            }
            cellEntropies.append(entropy(cells.values, total: window))
            classEntropies.append(entropy(classes.values, total: window))
        }
        let maxEntropy = log2(Double(window))
        let finitePopulation = Double(n - 1) / Double(max(1, n - window))
        partial.cellEntropyBand = band(cellEntropies, tolerance: tolerance, maximum: maxEntropy, varianceScale: finitePopulation)
        partial.classEntropyBand = band(classEntropies, tolerance: tolerance, maximum: maxEntropy, varianceScale: finitePopulation)
        partial.benignWindows = n / window
        return partial
    }

    /// One client's window.
    private struct WindowState: Sendable {
        var cells: [Int] = []
        var classes: [Int] = []
        var cellCounts: [Int: Int] = [:]
        var classCounts: [Int: Int] = [:]
        var queries = 0
        var flagged = false
    }

    /// Consumes one query; an alert when a window statistic leaves its benign band.
    /// Inputs of another dimension than the calibration's are ignored.
    public mutating func observe(_ query: ObservedQuery) -> ExtractionAlert? {
        guard query.input.count == calibration.dimension else { return nil }
        var state = clients[query.client] ?? WindowState()
        clients[query.client] = nil
        let window = calibration.window
        let cell = calibration.cell(of: query.input), cls = query.predictedClass
        if state.cells.count == window {
            let slot = state.queries % window
            Self.decrement(&state.cellCounts, state.cells[slot])
            Self.decrement(&state.classCounts, state.classes[slot])
            state.cells[slot] = cell
            state.classes[slot] = cls
        } else {
            state.cells.append(cell)
            state.classes.append(cls)
        }
        state.cellCounts[cell, default: 0] += 1
        state.classCounts[cls, default: 0] += 1
        state.queries += 1
        var alert: ExtractionAlert?
        if state.cells.count == window {
            let checks: [(String, Double, ClosedRange<Double>)] = [
                ("cell-entropy", Self.entropy(state.cellCounts.values, total: window), calibration.cellEntropyBand),
                ("class-entropy", Self.entropy(state.classCounts.values, total: window), calibration.classEntropyBand),
            ]
            // A window of all-distinct cells sums to log2(window) plus a rounding error, so a band
            // clipped at that maximum is compared with a little slack (it flagged natural clients).
            let outside = checks.first { $0.1 < $0.2.lowerBound - Self.entropySlack || $0.1 > $0.2.upperBound + Self.entropySlack }
            if let (statistic, value, band) = outside, !state.flagged {
                let below = value < band.lowerBound
                alert = ExtractionAlert(client: query.client, detector: name, clientQueryIndex: query.clientIndex, streamIndex: query.streamIndex,
                                        statistic: statistic, value: value, threshold: below ? band.lowerBound : band.upperBound,
                                        direction: below ? "below" : "above")
            }
            state.flagged = outside != nil
        }
        clients[query.client] = state
        return alert
    }

    /// Slack of the band comparison, in bits: far above the rounding error of an entropy, far
    /// below any difference between two windows' entropies (at least ~0.01 bits).
    static let entropySlack = 1e-9

    private static func decrement(_ counts: inout [Int: Int], _ key: Int) {
        let left = (counts[key] ?? 1) - 1
        counts[key] = left > 0 ? left : nil
    }

    /// Shannon entropy in bits of a histogram with `total` entries.
    package static func entropy(_ counts: some Sequence<Int>, total: Int) -> Double {
        var h = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / Double(total)
            h -= p * log2(p)
        }
        return h
    }

    private static func band(_ values: [Double], tolerance: Double, maximum: Double, varianceScale: Double) -> ClosedRange<Double> {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let std = (varianceScale * values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(n - 1, 1)).squareRoot()
        let low = max(0, mean - tolerance * std), high = min(maximum, mean + tolerance * std)
        return low...max(low, high)
    }

    static func project(_ x: ArraySlice<Float>, _ directions: [Float], _ b: Int, _ d: Int) -> Float {
        precondition(x.count >= d && directions.count >= (b + 1) * d, "projection outside the buffers")
        // Eight running sums, then the tail in order (one serial sum ran at a term per cycle); the
        // calibration's medians and every query's cell are computed the same way.
        return x.withUnsafeBufferPointer { xp in
            directions.withUnsafeBufferPointer { dp in
                guard d > 0, let xb = xp.baseAddress, let db = dp.baseAddress else { return 0 }
                let (px, pd) = (UnsafeRawPointer(xb), UnsafeRawPointer(db + b * d))
                var lanes = SIMD8<Float>()
                var k = 0
                while k + 8 <= d {
                    lanes += px.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self) * pd.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                    k += 8
                }
                var s = lanes.sum()
                while k < d {
                    s += px.load(fromByteOffset: k * 4, as: Float.self) * pd.load(fromByteOffset: k * 4, as: Float.self)
                    k += 1
                }
                return s
            }
        }
    }
}

extension CoverageDetector.Calibration {
    /// The cell of a flattened input of ``dimension`` values: bit `b` is set when its projection on
    /// direction `b` exceeds the benign median.
    ///
    /// Four directions at a time, in one pass over the input: each projection sums exactly as
    /// `project` does (its own eight lanes, then the tail in order), so the cell is the one the
    /// calibration's medians were computed for, while the four sums' additions overlap.
    public func cell(of input: ArraySlice<Float>) -> Int {
        let d = dimension
        precondition(input.count >= d && directions.count >= bits * d && medians.count >= bits, "cell: input or calibration too short")
        guard d > 0 else { return (0..<bits).reduce(0) { medians[$1] < 0 ? $0 | (1 << $1) : $0 } }
        var code = 0
        input.withUnsafeBufferPointer { xp in
            directions.withUnsafeBufferPointer { dp in
                guard let xb = xp.baseAddress, let db = dp.baseAddress else { return }
                let px = UnsafeRawPointer(xb)
                var b = 0
                while b < bits {
                    // Rows b…b+3 (the last one repeated past the end; those sums are not read).
                    let r0 = UnsafeRawPointer(db + b * d), r1 = UnsafeRawPointer(db + Swift.min(b + 1, bits - 1) * d)
                    let r2 = UnsafeRawPointer(db + Swift.min(b + 2, bits - 1) * d), r3 = UnsafeRawPointer(db + Swift.min(b + 3, bits - 1) * d)
                    var l0 = SIMD8<Float>(), l1 = SIMD8<Float>(), l2 = SIMD8<Float>(), l3 = SIMD8<Float>()
                    var k = 0
                    while k + 8 <= d {
                        let x = px.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                        l0 += x * r0.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                        l1 += x * r1.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                        l2 += x * r2.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                        l3 += x * r3.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                        k += 8
                    }
                    func finished(_ lanes: SIMD8<Float>, _ row: UnsafeRawPointer) -> Float {
                        var s = lanes.sum()
                        for t in k..<d { s += px.load(fromByteOffset: t * 4, as: Float.self) * row.load(fromByteOffset: t * 4, as: Float.self) }
                        return s
                    }
                    let sums = SIMD4<Float>(finished(l0, r0), finished(l1, r1), finished(l2, r2), finished(l3, r3))
                    for j in 0..<Swift.min(4, bits - b) where sums[j] > medians[b + j] { code |= 1 << (b + j) }
                    b += 4
                }
            }
        }
        return code
    }
}
