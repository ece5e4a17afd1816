/// One 32-byte seed shared with each other party, expanded by ``ChaCha20`` into correlated
/// randomness that costs no communication: zero-sharings, and shares of an input that its owner
/// derives for a peer instead of sending them.
///
/// Parties i and j hold the same seed sᵢⱼ and so the same stream; as long as all parties run the
/// same protocol steps in the same order, they draw from each pair's stream in lockstep.
/// ``establish(over:)`` agrees the seeds in one round: the smaller id of each pair draws the
/// seed from the system CSPRNG and sends it (over a private, authenticated channel).
///
/// Security: a coalition that excludes party i learns none of i's pairwise seeds with honest
/// parties, so a zero-sharing looks uniform to it except for the sum.
///
/// ```swift
/// let channels = InProcessChannel.network(parties: 2)
/// async let other = PairwiseSeeds.establish(over: channels[1])
/// var seeds = try await PairwiseSeeds.establish(over: channels[0])
/// var peer = try await other
/// let zero0 = seeds.zeroSharing(count: 2), zero1 = peer.zeroSharing(count: 2)
/// print(zip(zero0, zero1).map { $0 &+ $1 })  // [0, 0]
/// ```
public struct PairwiseSeeds: Sendable {
    /// This party's id.
    public let partyID: Int
    /// The number of parties.
    public let partyCount: Int
    /// The stream shared with each peer (nil at this party's own index).
    private var streams: [ChaCha20?]

    /// Seeds given by the caller: `seeds[j]` is the 32-byte seed shared with party j (the entry
    /// at `partyID` is ignored). Throws `.invalidParameter` for a seed of another length or a
    /// party id outside the seeds' range.
    public init(partyID: Int, seeds: [[UInt8]]) throws(CryptoError) {
        guard (0..<seeds.count).contains(partyID) else {
            throw CryptoError(.invalidParameter, "party \(partyID) outside \(seeds.count) pairwise seeds")
        }
        self.partyID = partyID
        partyCount = seeds.count
        var streams = [ChaCha20?](repeating: nil, count: seeds.count)
        for peer in seeds.indices where peer != partyID {
            streams[peer] = try ChaCha20(key: seeds[peer])
        }
        self.streams = streams
    }

    /// Agrees a fresh seed with every peer over `channel` (one round): for each pair the smaller
    /// id draws 32 bytes from the system CSPRNG and sends them.
    public static func establish(over channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> PairwiseSeeds {
        var seeds = [[UInt8]](repeating: [UInt8](repeating: 0, count: 32), count: channel.partyCount)
        let me = channel.partyID
        for peer in (me + 1)..<max(channel.partyCount, me + 1) {
            var fresh = ChaCha20Generator()
            let seed = fresh.bytes(count: 32)
            seeds[peer] = seed
            try await channel.send(seed, to: peer)
            cost.messagesSent += 1
            cost.bytesSent += seed.count
        }
        for peer in 0..<me {
            let seed = try await channel.receive(from: peer)
            guard seed.count == 32 else { throw CryptoError(.malformed, "pairwise seed from party \(peer) has \(seed.count) bytes, expected 32") }
            seeds[peer] = seed
            cost.bytesReceived += seed.count
        }
        if channel.partyCount > 1 { cost.rounds += 1 }
        return try PairwiseSeeds(partyID: me, seeds: seeds)
    }

    /// ``establish(over:cost:)`` without keeping the cost.
    public static func establish(over channel: any MPCChannel) async throws(CryptoError) -> PairwiseSeeds {
        var cost = MPCCost()
        return try await establish(over: channel, cost: &cost)
    }

    /// The next `count` words of the stream shared with `peer` (the peer draws the same words).
    /// Precondition: `peer` is another party.
    public mutating func words(count: Int, sharedWith peer: Int) -> [UInt64] {
        precondition(peer != partyID && streams.indices.contains(peer), "no pairwise stream with party \(peer)")
        var out = [UInt64](repeating: 0, count: max(count, 0))
        streams[peer]!.fill(&out)
        return out
    }

    /// This party's share of a fresh sharing of zero (`count` elements): Σⱼ ±PRGᵢⱼ, + for j > i
    /// and − for j < i, so the parties' shares add up to zero while each looks uniform.
    public mutating func zeroSharing(count: Int) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: max(count, 0))
        for peer in 0..<partyCount where peer != partyID {
            let stream = words(count: count, sharedWith: peer)
            if peer > partyID {
                for index in out.indices { out[index] = out[index] &+ stream[index] }
            } else {
                for index in out.indices { out[index] = out[index] &- stream[index] }
            }
        }
        return out
    }
}
