public import BulwarkCrypto

/// The public parameters of one secure-aggregation round, which the server and every client must
/// agree on before it starts: who takes part, the threshold, the neighbour graph and the
/// quantisation.
///
/// Clients are numbered `0 ..< clientCount`; a client's Shamir point is its number plus one.
/// With ``neighbourCount`` `nil` this is SecAgg (Bonawitz et al. 2017, "Practical Secure
/// Aggregation for Privacy-Preserving Machine Learning"): every client masks with and shares its
/// secrets among all the others. With a count `k` it is SecAgg+ (Bell et al. 2020, "Secure
/// Single-Server Aggregation with (Poly)Logarithmic Overhead"): clients sit on a random
/// `k`-regular graph (a Harary graph — a ring where each client neighbours the `k/2` nearest on
/// each side — over a permutation drawn from ``graphSeed``; an odd `k` is rounded up to the next
/// even number, and `k ≥ clientCount − 1` is the complete graph), mask only with neighbours and
/// share only with them, so a client's cost grows with `k`, not with the federation.
///
/// The ``threshold`` `t` applies to each client's shareholders (its neighbours and itself): a
/// dropped client's masks are removed when `t` of its shareholders answer the unmasking round.
/// It must be more than half of the shareholders: then no two disjoint groups of `t` exist, and
/// since an honest client answers the unmasking round once and reveals, for each peer, either the
/// self-mask share or the key share, never both, the server cannot learn both secrets of one
/// client (Bonawitz et al., §4). The graph seed is public: its secrecy protects nothing.
///
/// ```swift
/// let configuration = try SecureAggregationConfiguration(
///     roundID: 1, clientCount: 10, threshold: 3, neighbourCount: 4, vectorLength: 100,
///     quantizer: FixedPointQuantizer(clipRange: 1, maxSummands: 10))
/// print(configuration.neighbours(of: 0).count)  // 4
/// ```
public struct SecureAggregationConfiguration: Sendable, Hashable, Codable {
    /// Names this round; bound into every signature, key derivation and ciphertext, so messages
    /// of one round are worthless in another. Never reuse one with the same clients.
    public let roundID: UInt64
    /// The number of clients, numbered `0 ..< clientCount`.
    public let clientCount: Int
    /// Shares needed to reconstruct one client's secret (see the type's documentation).
    public let threshold: Int
    /// Neighbours per client for SecAgg+; `nil` for SecAgg's complete graph.
    public let neighbourCount: Int?
    /// Public randomness that fixes the neighbour graph (unused by the complete graph).
    public let graphSeed: UInt64
    /// The length of every client's input vector.
    public let vectorLength: Int
    /// How inputs are clipped and quantised; its ``FixedPointQuantizer/maxSummands`` must be at
    /// least ``clientCount``.
    public let quantizer: FixedPointQuantizer
    private let neighbourLists: [[Int]]

    /// A configuration; throws `invalidParameter` when fewer than two clients take part, the
    /// vector is empty, the quantiser admits fewer summands than clients, or the threshold is not
    /// more than half of a client's shareholders (neighbours plus itself) or exceeds them.
    public init(roundID: UInt64, clientCount: Int, threshold: Int, neighbourCount: Int? = nil, graphSeed: UInt64 = 0,
                vectorLength: Int, quantizer: FixedPointQuantizer) throws(FederatedError) {
        guard clientCount >= 2 else { throw FederatedError(.invalidParameter, "secure aggregation of \(clientCount) clients: expected at least 2") }
        guard vectorLength >= 1 else { throw FederatedError(.invalidParameter, "vector length \(vectorLength): expected at least 1") }
        guard quantizer.maxSummands >= clientCount else {
            throw FederatedError(.invalidParameter, "quantiser sized for \(quantizer.maxSummands) summands, \(clientCount) clients take part")
        }
        if let neighbourCount, neighbourCount < 1 {
            throw FederatedError(.invalidParameter, "\(neighbourCount) neighbours: expected at least 1 (nil for full SecAgg)")
        }
        self.roundID = roundID
        self.clientCount = clientCount
        self.threshold = threshold
        self.neighbourCount = neighbourCount
        self.graphSeed = graphSeed
        self.vectorLength = vectorLength
        self.quantizer = quantizer
        neighbourLists = Self.graph(clientCount: clientCount, neighbourCount: neighbourCount, seed: graphSeed)
        let smallest = neighbourLists.map { $0.count + 1 }.min() ?? 0
        guard threshold <= smallest, 2 * threshold > smallest else {
            throw FederatedError(.invalidParameter, "threshold \(threshold) for \(smallest) shareholders per client: expected more than half of them and at most all")
        }
    }

    /// The clients that `client` masks with and shares its secrets among, ascending, itself
    /// excluded; empty for a number outside `0 ..< clientCount`.
    public func neighbours(of client: Int) -> [Int] {
        neighbourLists.indices.contains(client) ? neighbourLists[client] : []
    }

    /// Whether `a` and `b` are neighbours.
    public func areNeighbours(_ a: Int, _ b: Int) -> Bool {
        a != b && neighbours(of: a).contains(b)
    }

    /// The shareholders of `client`: its neighbours and itself, ascending.
    func shareholders(of client: Int) -> [Int] { (neighbours(of: client) + [client]).sorted() }

    private static func graph(clientCount: Int, neighbourCount: Int?, seed: UInt64) -> [[Int]] {
        let everyone = Array(0..<clientCount)
        guard let requested = neighbourCount, requested < clientCount - 1 else {
            return everyone.map { client in everyone.filter { $0 != client } }
        }
        let half = (requested + 1) / 2
        if 2 * half >= clientCount - 1 { return everyone.map { client in everyone.filter { $0 != client } } }
        var seedBytes = [UInt8](repeating: 0, count: 32)
        for byte in 0..<8 { seedBytes[byte] = UInt8(truncatingIfNeeded: seed >> (8 * UInt64(byte))) }
        seedBytes[8] = 0x67  // domain separation from any other use of the same number
        // A 32-byte key is always accepted.
        var generator = (try? ChaCha20Generator(seed: seedBytes)) ?? ChaCha20Generator()
        // Fisher–Yates, drawing each index by rejection from the ChaCha20 stream, written out so
        // that every implementation of the protocol derives the same graph from the same seed.
        var ring = everyone
        for last in stride(from: clientCount - 1, to: 0, by: -1) {
            let bound = UInt64(last + 1)
            let limit = UInt64.max - UInt64.max % bound
            var draw = generator.next()
            while draw >= limit { draw = generator.next() }
            ring.swapAt(last, Int(draw % bound))
        }
        var lists = [Set<Int>](repeating: [], count: clientCount)
        for position in ring.indices {
            for step in 1...half {
                let a = ring[position], b = ring[(position + step) % clientCount]
                lists[a].insert(b)
                lists[b].insert(a)
            }
        }
        return lists.map { $0.sorted() }
    }
}
