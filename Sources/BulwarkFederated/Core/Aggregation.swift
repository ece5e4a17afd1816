import Foundation

/// One client's contribution to a round: the change it made to the global model and how many
/// examples it trained on.
public struct ClientUpdate: Sendable, Codable, Equatable {
    /// The client's index in the federation.
    public var client: Int
    /// Client model minus the round's global model, flattened (``ModelWeights/flattened``).
    public var delta: [Float]
    /// Examples the client trained on: FedAvg's weight. Self-reported, so robust rules ignore it.
    public var exampleCount: Int

    /// An update from `client` of `delta`, trained on `exampleCount` examples.
    public init(client: Int, delta: [Float], exampleCount: Int) {
        self.client = client
        self.delta = delta
        self.exampleCount = exampleCount
    }
}

/// What an aggregation rule did with one client's update: the verdict a report shows.
public struct ClientVerdict: Sendable, Codable, Equatable {
    /// The client's index.
    public var client: Int
    /// The update's share of the aggregate in [0, 1] (0: excluded); for the coordinate-wise
    /// rules (median, trimmed mean), the fraction of coordinates where its value was used.
    public var weight: Double
    /// The L2 norm of the update as received.
    public var norm: Double
    /// Why the update was changed or excluded (`clipped 12.3 → 5`, `not among Krum's 8`,
    /// `trust 0: points away from the server's update`); nil when it was used as sent.
    public var note: String?

    /// A verdict.
    public init(client: Int, weight: Double, norm: Double, note: String? = nil) {
        self.client = client
        self.weight = weight
        self.norm = norm
        self.note = note
    }
}

/// The result of aggregating one round: the step to add to the global model and a verdict per
/// client.
public struct Aggregate: Sendable, Equatable {
    /// The aggregated update (same length as every client's delta).
    public var delta: [Float]
    /// One verdict per update, in the order the updates were given.
    public var verdicts: [ClientVerdict]
}

/// How the coordinator combines the clients' updates of a round.
///
/// ``fedAvg`` is the mean weighted by example counts (McMahan et al. 2017); the others bound
/// what a minority of malicious clients can do:
///
/// - ``median`` — the coordinate-wise median (Yin et al. 2018).
/// - ``trimmedMean(fraction:)`` — per coordinate, drop the `fraction` largest and smallest
///   values and average the rest (Yin et al. 2018).
/// - ``krum(byzantine:)`` / ``multiKrum(byzantine:selected:)`` — keep the update(s) whose
///   summed squared distance to their n − f − 2 nearest neighbours is smallest (Blanchard et
///   al. 2017); needs n > 2f + 2.
/// - ``normBound(maxNorm:)`` — clip every update to an L2 norm, then average (Sun et al. 2019).
/// - ``flTrust`` — trust score ReLU(cos(update, server's update)), every update rescaled to the
///   server update's norm, trust-weighted mean (Cao et al. 2021); the server trains its own
///   update on a small clean root set and passes it as `reference`.
///
/// ```swift
/// let updates = [ClientUpdate(client: 0, delta: [1, 1], exampleCount: 10),
///                ClientUpdate(client: 1, delta: [1.2, 0.8], exampleCount: 10),
///                ClientUpdate(client: 2, delta: [-50, 90], exampleCount: 10)]
/// let aggregate = try AggregationRule.median.aggregate(updates)
/// print(aggregate.delta)  // [1.0, 1.0]
/// ```
public enum AggregationRule: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Mean weighted by the clients' example counts.
    case fedAvg
    /// Coordinate-wise median.
    case median
    /// Coordinate-wise mean after dropping `fraction` of the values at each end (0 ≤ fraction < ½).
    case trimmedMean(fraction: Double)
    /// The one update closest to its n − f − 2 nearest neighbours, for at most `byzantine` bad clients.
    case krum(byzantine: Int)
    /// The mean of the `selected` updates with the best Krum scores.
    case multiKrum(byzantine: Int, selected: Int)
    /// Every update clipped to L2 norm `maxNorm`, then the example-weighted mean.
    case normBound(maxNorm: Double)
    /// FLTrust: cosine trust against the server's own update, updates rescaled to its norm.
    case flTrust

    /// The rule's name as the CLI spells it, with its parameters.
    public var description: String {
        switch self {
        case .fedAvg: "fedavg"
        case .median: "median"
        case .trimmedMean(let fraction): "trimmed-mean(\(fraction))"
        case .krum(let f): "krum(f=\(f))"
        case .multiKrum(let f, let m): "multi-krum(f=\(f), m=\(m))"
        case .normBound(let c): "norm-bound(\(c))"
        case .flTrust: "fltrust"
        }
    }

    /// Whether the rule needs the server's own update (`reference`) each round.
    public var needsReference: Bool { self == .flTrust }

    /// Aggregates `updates` (all of one length); `reference` is the server's update, required by
    /// ``flTrust`` and ignored by the others.
    ///
    /// Cost: O(n·d) for the means, O(n·d·log n) for the coordinate-wise rules, O(n²·d) for Krum.
    /// - Throws: `notEnoughClients` for no updates (or too few for Krum's f),
    ///   `shapeMismatch` for updates of different lengths, `malformed` for a non-finite value,
    ///   `invalidParameter` for a rule's parameter out of range.
    public func aggregate(_ updates: [ClientUpdate], reference: [Float]? = nil) throws(FederatedError) -> Aggregate {
        guard let first = updates.first else { throw FederatedError(.notEnoughClients, "no client updates to aggregate") }
        let d = first.delta.count
        for update in updates {
            guard update.delta.count == d else {
                throw FederatedError(.shapeMismatch, "client \(update.client) sent \(update.delta.count) values, client \(first.client) \(d)")
            }
            guard update.delta.allSatisfy({ $0.isFinite }) else {
                throw FederatedError(.malformed, "client \(update.client) sent a non-finite value")
            }
            guard update.exampleCount >= 0 else {
                throw FederatedError(.malformed, "client \(update.client) reported \(update.exampleCount) examples")
            }
        }
        let norms = updates.map { l2Norm($0.delta) }
        switch self {
        case .fedAvg:
            return weightedMean(updates, norms: norms, clippedTo: nil)
        case .normBound(let maxNorm):
            guard maxNorm > 0, maxNorm.isFinite else { throw FederatedError(.invalidParameter, "norm bound must be positive, got \(maxNorm)") }
            return weightedMean(updates, norms: norms, clippedTo: maxNorm)
        case .median:
            return coordinateWise(updates, norms: norms, trim: nil)
        case .trimmedMean(let fraction):
            guard fraction >= 0, fraction < 0.5 else {
                throw FederatedError(.invalidParameter, "trimmed-mean fraction must be in [0, 0.5), got \(fraction)")
            }
            let k = Int((fraction * Double(updates.count)).rounded(.down))
            return coordinateWise(updates, norms: norms, trim: k)
        case .krum(let f):
            return try krum(updates, norms: norms, byzantine: f, selected: 1)
        case .multiKrum(let f, let m):
            guard m >= 1 else { throw FederatedError(.invalidParameter, "multi-Krum must select at least one update, got \(m)") }
            return try krum(updates, norms: norms, byzantine: f, selected: m)
        case .flTrust:
            guard let reference else { throw FederatedError(.invalidParameter, "FLTrust needs the server's own update (a root dataset)") }
            guard reference.count == d else {
                throw FederatedError(.shapeMismatch, "server update has \(reference.count) values, clients \(d)")
            }
            return flTrust(updates, norms: norms, reference: reference)
        }
    }

    private func weightedMean(_ updates: [ClientUpdate], norms: [Double], clippedTo bound: Double?) -> Aggregate {
        let d = updates[0].delta.count
        let total = updates.reduce(0.0) { $0 + Double($1.exampleCount) }
        // With no examples reported at all, every update counts the same.
        let weights = updates.map { total > 0 ? Double($0.exampleCount) / total : 1 / Double(updates.count) }
        var sum = [Double](repeating: 0, count: d)
        var verdicts: [ClientVerdict] = []
        for (i, update) in updates.enumerated() {
            var scale = weights[i]
            var note: String?
            if let bound, norms[i] > bound {
                scale *= bound / norms[i]
                note = String(format: "clipped %.4g → %.4g", norms[i], bound)
            }
            update.delta.withUnsafeBufferPointer { v in
                for j in 0..<d { sum[j] += scale * Double(v[j]) }
            }
            verdicts.append(ClientVerdict(client: update.client, weight: weights[i], norm: norms[i], note: note))
        }
        return Aggregate(delta: sum.map { Float($0) }, verdicts: verdicts)
    }

    private func coordinateWise(_ updates: [ClientUpdate], norms: [Double], trim: Int?) -> Aggregate {
        let n = updates.count, d = updates[0].delta.count
        var out = [Float](repeating: 0, count: d)
        var used = [Int](repeating: 0, count: n)
        var column = [(value: Float, client: Int)](repeating: (0, 0), count: n)
        let (lo, hi): (Int, Int)
        if let trim {
            (lo, hi) = (trim, n - trim)
        } else {
            (lo, hi) = n % 2 == 1 ? (n / 2, n / 2 + 1) : (n / 2 - 1, n / 2 + 1)
        }
        for j in 0..<d {
            for i in 0..<n { column[i] = (updates[i].delta[j], i) }
            column.sort { $0.value < $1.value }
            var sum: Float = 0
            for k in lo..<hi {
                sum += column[k].value
                used[column[k].client] += 1
            }
            out[j] = sum / Float(hi - lo)
        }
        let verdicts = updates.indices.map { i in
            let share = d == 0 ? 1 : Double(used[i]) / Double(d)
            return ClientVerdict(client: updates[i].client, weight: share, norm: norms[i],
                                 note: share < 0.05 ? String(format: "used in %.1f%% of coordinates", share * 100) : nil)
        }
        return Aggregate(delta: out, verdicts: verdicts)
    }

    private func krum(_ updates: [ClientUpdate], norms: [Double], byzantine f: Int, selected m: Int) throws(FederatedError) -> Aggregate {
        let n = updates.count
        guard f >= 0 else { throw FederatedError(.invalidParameter, "Krum's number of Byzantine clients must be ≥ 0, got \(f)") }
        guard n > 2 * f + 2 else {
            throw FederatedError(.notEnoughClients, "Krum with f = \(f) needs more than \(2 * f + 2) updates, got \(n)")
        }
        guard m <= n - f else { throw FederatedError(.invalidParameter, "multi-Krum selects \(m) of \(n) updates with f = \(f): at most n − f") }
        var distances = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let squared = squaredDistance(updates[i].delta, updates[j].delta)
                distances[i][j] = squared
                distances[j][i] = squared
            }
        }
        let neighbours = n - f - 2
        let scores = (0..<n).map { i -> Double in
            var row = distances[i]
            row.remove(at: i)
            row.sort()
            return row.prefix(neighbours).reduce(0, +)
        }
        let chosen = Set((0..<n).sorted { (scores[$0], $0) < (scores[$1], $1) }.prefix(m))
        let d = updates[0].delta.count
        var sum = [Double](repeating: 0, count: d)
        for i in chosen {
            updates[i].delta.withUnsafeBufferPointer { v in
                for j in 0..<d { sum[j] += Double(v[j]) }
            }
        }
        let verdicts = updates.indices.map { i in
            ClientVerdict(client: updates[i].client, weight: chosen.contains(i) ? 1 / Double(m) : 0, norm: norms[i],
                          note: chosen.contains(i) ? nil : String(format: "not among Krum's %d (score %.4g)", m, scores[i]))
        }
        return Aggregate(delta: sum.map { Float($0 / Double(m)) }, verdicts: verdicts)
    }

    private func flTrust(_ updates: [ClientUpdate], norms: [Double], reference: [Float]) -> Aggregate {
        let d = reference.count
        let referenceNorm = l2Norm(reference)
        var sum = [Double](repeating: 0, count: d)
        var trusts: [Double] = []
        for (i, update) in updates.enumerated() {
            let cosine = referenceNorm > 0 && norms[i] > 0 ? dot(update.delta, reference) / (referenceNorm * norms[i]) : 0
            let trust = max(0, cosine)
            trusts.append(trust)
            guard trust > 0 else { continue }
            let scale = trust * referenceNorm / norms[i]
            update.delta.withUnsafeBufferPointer { v in
                for j in 0..<d { sum[j] += scale * Double(v[j]) }
            }
        }
        let totalTrust = trusts.reduce(0, +)
        let verdicts = updates.indices.map { i in
            ClientVerdict(client: updates[i].client, weight: totalTrust > 0 ? trusts[i] / totalTrust : 0, norm: norms[i],
                          note: trusts[i] == 0 ? "trust 0: does not point along the server's update" : nil)
        }
        return Aggregate(delta: sum.map { totalTrust > 0 ? Float($0 / totalTrust) : 0 }, verdicts: verdicts)
    }
}

/// The L2 norm of `v`, accumulated in double precision.
func l2Norm(_ v: [Float]) -> Double {
    v.withUnsafeBufferPointer { p in p.reduce(0.0) { $0 + Double($1) * Double($1) } }.squareRoot()
}

/// `v` scaled down to L2 norm `bound` when it is longer (unchanged otherwise), and its norm
/// before clipping: the client-level clipping of DP-FedAvg, local DP and secure rounds.
func clipped(_ v: [Float], toNorm bound: Double) -> (values: [Float], norm: Double) {
    let norm = l2Norm(v)
    guard norm > bound else { return (v, norm) }
    let scale = Float(bound / norm)
    return (v.map { $0 * scale }, norm)
}

func dot(_ a: [Float], _ b: [Float]) -> Double {
    a.withUnsafeBufferPointer { x in
        b.withUnsafeBufferPointer { y in
            var s = 0.0
            for i in 0..<min(x.count, y.count) { s += Double(x[i]) * Double(y[i]) }
            return s
        }
    }
}

func squaredDistance(_ a: [Float], _ b: [Float]) -> Double {
    a.withUnsafeBufferPointer { x in
        b.withUnsafeBufferPointer { y in
            var s = 0.0
            for i in 0..<min(x.count, y.count) {
                let t = Double(x[i]) - Double(y[i])
                s += t * t
            }
            return s
        }
    }
}
