import BulwarkCrypto

/// Runs `body` as every party of an in-process network at once (one task each) and returns each
/// party's result and online cost, index = party id. Seeds are fixed by `seed`: the dealer's
/// generator and the pairwise seeds, so a run is reproducible.
func runMPC<T: Sendable>(parties: Int = 2, seed: UInt8 = 1, timeoutSeconds: Double = 20,
                         preprocessing: (@Sendable (Int) -> any MPCPreprocessing)? = nil,
                         _ body: @escaping @Sendable (inout MPCParty) async throws -> T) async throws -> [(result: T, cost: MPCCost, preprocessingCost: MPCCost)] {
    let channels = InProcessChannel.network(parties: parties, timeoutSeconds: timeoutSeconds)
    let dealer = InProcessDealer(parties: parties, generator: try ChaCha20Generator(seed: [UInt8](repeating: seed, count: 32)))
    let seedMatrix = pairwiseSeedMatrix(parties: parties, seed: seed)
    return try await withThrowingTaskGroup(of: (Int, T, MPCCost, MPCCost).self) { group in
        for id in 0..<parties {
            group.addTask {
                let source = preprocessing?(id) ?? dealer.source(for: id)
                var party = try MPCParty(channel: channels[id], preprocessing: source,
                                         seeds: PairwiseSeeds(partyID: id, seeds: seedMatrix[id]))
                let result = try await body(&party)
                return (id, result, party.cost, party.preprocessingCost)
            }
        }
        var out = [(result: T, cost: MPCCost, preprocessingCost: MPCCost)?](repeating: nil, count: parties)
        for try await (id, result, cost, offline) in group { out[id] = (result, cost, offline) }
        return out.map { $0! }
    }
}

/// seeds[i][j] = seeds[j][i]: a fixed 32-byte seed per pair.
func pairwiseSeedMatrix(parties: Int, seed: UInt8) -> [[[UInt8]]] {
    (0..<parties).map { i in
        (0..<parties).map { j in
            let low = UInt8(min(i, j)), high = UInt8(max(i, j))
            return (0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 31 &+ Int(seed) &* 7 &+ Int(low) &* 3 &+ Int(high) &* 5) }
        }
    }
}

/// Uniform doubles in [low, high) from a seeded generator.
func randomDoubles(_ count: Int, in range: Range<Double>, using generator: inout ChaCha20Generator) -> [Double] {
    (0..<count).map { _ in Double.random(in: range, using: &generator) }
}

/// The two-sample chi-square homogeneity statistic of two histograms over the same bins.
func chiSquareHomogeneity(_ first: [Int], _ second: [Int]) -> Double {
    let total1 = Double(first.reduce(0, +)), total2 = Double(second.reduce(0, +))
    var statistic = 0.0
    for bin in first.indices {
        let column = Double(first[bin] + second[bin])
        guard column > 0 else { continue }
        let expected1 = column * total1 / (total1 + total2), expected2 = column * total2 / (total1 + total2)
        statistic += pow2(Double(first[bin]) - expected1) / expected1 + pow2(Double(second[bin]) - expected2) / expected2
    }
    return statistic
}

/// The chi-square goodness-of-fit statistic of a histogram against the uniform distribution.
func chiSquareUniform(_ histogram: [Int]) -> Double {
    let expected = Double(histogram.reduce(0, +)) / Double(histogram.count)
    return histogram.reduce(0) { $0 + pow2(Double($1) - expected) / expected }
}

func pow2(_ x: Double) -> Double { x * x }

/// A 16-bin histogram of the top four bits of each word.
func topNibbleHistogram(_ words: [UInt64]) -> [Int] {
    var histogram = [Int](repeating: 0, count: 16)
    for word in words { histogram[Int(word >> 60)] += 1 }
    return histogram
}

/// A 16-bin histogram of the low four bits of each word.
func lowNibbleHistogram(_ words: [UInt64]) -> [Int] {
    var histogram = [Int](repeating: 0, count: 16)
    for word in words { histogram[Int(word & 15)] += 1 }
    return histogram
}

/// The index of the largest value (the first of equal ones).
func plainArgmax(_ values: ArraySlice<Double>) -> Int {
    var best = values.startIndex
    for index in values.indices where values[index] > values[best] { best = index }
    return best - values.startIndex
}
