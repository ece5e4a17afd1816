public import BulwarkTensor
import Foundation

/// How a dataset is split among simulated clients.
public enum DataPartition: Sendable, Codable, Equatable, CustomStringConvertible {
    /// A random permutation cut into equal shards.
    case iid
    /// Per class, shares drawn from a symmetric Dirichlet(α) over clients (Hsu et al. 2019):
    /// small α (0.1) gives each client a few classes, large α (100) is close to IID.
    case dirichlet(alpha: Double)

    /// `iid` or `dirichlet(α)`.
    public var description: String {
        switch self {
        case .iid: "iid"
        case .dirichlet(let alpha): "dirichlet(\(alpha))"
        }
    }

    /// The example indices of each of `clients` clients, drawn from `seed`; every index is in
    /// exactly one shard.
    /// - Throws: `invalidParameter` for fewer than one client, more clients than examples, or
    ///   a non-positive α.
    public func shards(labels: [Int], clients: Int, seed: UInt64) throws(FederatedError) -> [[Int]] {
        guard clients >= 1 else { throw FederatedError(.invalidParameter, "need at least one client, got \(clients)") }
        guard labels.count >= clients else {
            throw FederatedError(.invalidParameter, "\(clients) clients for \(labels.count) examples: every client needs at least one")
        }
        var rng = SeededGenerator(seed: seed)
        switch self {
        case .iid:
            let order = randomPermutation(labels.count, using: &rng)
            return (0..<clients).map { c in
                let lo = c * labels.count / clients, hi = (c + 1) * labels.count / clients
                return Array(order[lo..<hi])
            }
        case .dirichlet(let alpha):
            guard alpha > 0, alpha.isFinite else { throw FederatedError(.invalidParameter, "Dirichlet α must be positive, got \(alpha)") }
            var shards = [[Int]](repeating: [], count: clients)
            let classes = (labels.max() ?? 0) + 1
            for cls in 0..<classes {
                var members = labels.indices.filter { labels[$0] == cls }
                guard !members.isEmpty else { continue }
                let order = randomPermutation(members.count, using: &rng)
                members = order.map { members[$0] }
                let gammas = (0..<clients).map { _ in gammaSample(shape: alpha, using: &rng) }
                let total = gammas.reduce(0, +)
                var start = 0, cumulative = 0.0
                for c in 0..<clients {
                    cumulative += gammas[c] / total
                    let end = c == clients - 1 ? members.count : min(members.count, Int((cumulative * Double(members.count)).rounded()))
                    if end > start { shards[c].append(contentsOf: members[start..<end]) }
                    start = max(start, end)
                }
            }
            // A client left without data takes one example from the largest shard.
            for c in shards.indices where shards[c].isEmpty {
                if let largest = shards.indices.max(by: { shards[$0].count < shards[$1].count }), shards[largest].count > 1 {
                    shards[c].append(shards[largest].removeLast())
                }
            }
            return shards
        }
    }
}

/// A Gamma(shape, 1) draw (Marsaglia–Tsang; boosted for shape < 1).
func gammaSample(shape: Double, using rng: inout SeededGenerator) -> Double {
    if shape < 1 {
        let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &rng)
        return gammaSample(shape: shape + 1, using: &rng) * pow(u, 1 / shape)
    }
    let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
    while true {
        var x = 0.0, v = 0.0
        repeat {
            x = Double(rng.nextNormal())
            v = 1 + c * x
        } while v <= 0
        v = v * v * v
        let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &rng)
        if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
    }
}
