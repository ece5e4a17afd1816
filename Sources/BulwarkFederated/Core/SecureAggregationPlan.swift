public import BulwarkDP

/// How a simulated federation sums its updates securely: SecAgg (every client shares with every
/// other) or SecAgg+ (each with `neighbours` others), over fixed-point values clipped to
/// ±`clipRange`.
///
/// The coordinator sees only the sum of the survivors' updates, so the aggregate is FedAvg with
/// equal weights (sum / survivors) or, under DP-FedAvg, clipped updates summed securely with the
/// noise added to the sum. Clients that drop out after sharing their keys are recovered from the
/// others' shares (up to the threshold).
public struct SecureAggregationPlan: Sendable, Codable, Equatable {
    /// SecAgg+'s neighbour count k; nil for SecAgg's complete graph.
    public var neighbours: Int?
    /// Every coordinate is clipped to ±clipRange before quantisation.
    public var clipRange: Float

    /// A plan; `neighbours` nil is SecAgg, a number SecAgg+.
    public init(neighbours: Int? = nil, clipRange: Float = 1) {
        self.neighbours = neighbours
        self.clipRange = clipRange
    }

    /// Throws `invalidParameter` for a non-positive clip range or neighbour count.
    public func validate() throws(FederatedError) {
        guard clipRange > 0, clipRange.isFinite else { throw FederatedError(.invalidParameter, "secure-aggregation clip range must be positive, got \(clipRange)") }
        if let neighbours, neighbours < 2 { throw FederatedError(.invalidParameter, "SecAgg+ needs at least 2 neighbours, got \(neighbours)") }
    }

    /// The smallest threshold the protocol accepts for `clients` clients: more than half of each
    /// client's shareholders (its neighbours and itself).
    public func threshold(clients: Int) -> Int {
        let shareholders = effectiveNeighbours(clients: clients).map { $0 + 1 } ?? clients
        return shareholders / 2 + 1
    }

    /// SecAgg+'s neighbour count for `clients` clients (odd counts round up to even); nil — the
    /// complete graph of SecAgg — when that would reach every other client anyway.
    func effectiveNeighbours(clients: Int) -> Int? {
        guard let k = neighbours else { return nil }
        let even = k + (k % 2)
        return even >= clients - 1 ? nil : even
    }

    /// One secure round over `updates` (the survivors) with `dropped` clients that shared keys
    /// and then sent nothing; the aggregate and the mean bytes a client sent.
    func aggregate(_ updates: [ClientUpdate], dropped: [Int], dimension: Int, dp: DPFedAvg?, round: Int, seed: UInt64,
                   random: inout DPRandomSource) throws(FederatedError) -> (aggregate: Aggregate, bytesSentPerClient: Int) {
        var inputs: [[Float]] = []
        var verdicts: [ClientVerdict] = []
        for update in updates {
            if let dp {
                let (clipped, verdict) = try dp.clip(update, dimension: dimension)
                inputs.append(clipped)
                verdicts.append(verdict)
            } else {
                inputs.append(update.delta)
                verdicts.append(ClientVerdict(client: update.client, weight: 1 / Double(updates.count), norm: l2Norm(update.delta),
                                              note: update.delta.contains { abs($0) > clipRange } ? "coordinates clipped to ±\(clipRange)" : nil))
            }
        }
        var dropouts: [Int: SecureAggregationSimulation.Phase] = [:]
        for _ in dropped {
            dropouts[inputs.count] = .maskedInput
            inputs.append([Float](repeating: 0, count: dimension))
        }
        let clients = inputs.count
        let report = try SecureAggregationSimulation.run(inputs: inputs, threshold: threshold(clients: clients),
                                                         neighbours: effectiveNeighbours(clients: clients), clipRange: clipRange,
                                                         dropouts: dropouts, roundID: UInt64(round), seed: seed)
        let sum = report.result.sum
        let delta: [Float] = if let dp { dp.noisedMean(sum: sum, using: &random) } else { sum.map { $0 / Float(updates.count) } }
        let sent = report.bytesSentPerClient.prefix(updates.count)
        return (Aggregate(delta: delta, verdicts: verdicts), sent.isEmpty ? 0 : sent.reduce(0, +) / sent.count)
    }
}
