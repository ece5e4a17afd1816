public import BulwarkDP
internal import BulwarkCrypto

/// How a simulated federation sums its updates securely: SecAgg (every client shares with every
/// other) or SecAgg+ (each with `neighbours` others) — pairwise masks that cancel in the sum —
/// or Paillier encryption to a key holder, over fixed-point values clipped to ±`clipRange`.
///
/// The coordinator sees only the sum of the survivors' updates, so the aggregate is FedAvg with
/// equal weights (sum / survivors) or, under DP-FedAvg, clipped updates summed securely with the
/// noise added to the sum. Under masking, clients that drop out after sharing their keys are
/// recovered from the others' shares (up to the threshold). Under Paillier
/// (``PaillierVectorAggregation``: packed ciphertexts, one key per federation) a dropout is just
/// a ciphertext that never arrives — no recovery, no threshold — but the trust moves to the key
/// holder, who must never see a single client's ciphertexts and must not collude with the
/// coordinator; the simulation plays that third party.
public struct SecureAggregationPlan: Sendable, Codable, Equatable {
    /// SecAgg+'s neighbour count k; nil for SecAgg's complete graph (ignored under Paillier).
    public var neighbours: Int?
    /// Every coordinate is clipped to ±clipRange before quantisation.
    public var clipRange: Float
    /// Paillier key size in bits when updates are encrypted instead of masked; nil for masking.
    public var paillierKeyBits: Int?
    /// Allows Paillier keys under 1024 bits (tests only).
    public var insecurePaillierKeysForTests: Bool

    /// A plan; `neighbours` nil is SecAgg, a number SecAgg+; `paillierKeyBits` set encrypts
    /// updates to a key holder instead of masking them.
    public init(neighbours: Int? = nil, clipRange: Float = 1, paillierKeyBits: Int? = nil, insecurePaillierKeysForTests: Bool = false) {
        self.neighbours = neighbours
        self.clipRange = clipRange
        self.paillierKeyBits = paillierKeyBits
        self.insecurePaillierKeysForTests = insecurePaillierKeysForTests
    }

    /// Throws `invalidParameter` for a non-positive clip range or neighbour count, or a Paillier
    /// key under 1024 bits (unless allowed for tests) or over 8192.
    public func validate() throws(FederatedError) {
        guard clipRange > 0, clipRange.isFinite else { throw FederatedError(.invalidParameter, "secure-aggregation clip range must be positive, got \(clipRange)") }
        if let neighbours, neighbours < 2 { throw FederatedError(.invalidParameter, "SecAgg+ needs at least 2 neighbours, got \(neighbours)") }
        if let bits = paillierKeyBits {
            let minimum = insecurePaillierKeysForTests ? 256 : PaillierKeyPair.minimumSecureBits
            guard (minimum...8192).contains(bits) else {
                throw FederatedError(.invalidParameter, "Paillier aggregation key of \(bits) bits: expected \(minimum) ... 8192")
            }
        }
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
                   paillierKeys: PaillierKeyHolder? = nil,
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
        if paillierKeyBits != nil {
            let keys: PaillierKeyHolder
            if let paillierKeys { keys = paillierKeys } else { keys = try paillierKeyHolder() }
            return try paillierAggregate(inputs, verdicts: verdicts, keys: keys, dp: dp, random: &random)
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

    /// The key holder's key pair for ``paillierKeyBits`` (made once per federation).
    func paillierKeyHolder() throws(FederatedError) -> PaillierKeyHolder {
        do throws(CryptoError) {
            let (publicKey, privateKey) = try PaillierKeyPair.generate(bits: paillierKeyBits ?? PaillierKeyPair.defaultBits,
                                                                       insecureForTests: insecurePaillierKeysForTests)
            return PaillierKeyHolder(publicKey: publicKey, privateKey: privateKey)
        } catch {
            throw FederatedError(.invalidParameter, "Paillier aggregation key: \(error.message)")
        }
    }

    /// One round under Paillier: each survivor's clipped update packed and encrypted to the key
    /// holder, the ciphertexts summed by the coordinator, the sum decrypted by the key holder.
    /// Dropped clients simply contribute nothing.
    private func paillierAggregate(_ inputs: [[Float]], verdicts: [ClientVerdict], keys: PaillierKeyHolder, dp: DPFedAvg?,
                                   random: inout DPRandomSource) throws(FederatedError) -> (aggregate: Aggregate, bytesSentPerClient: Int) {
        let publicKey = keys.publicKey, privateKey = keys.privateKey
        do throws(CryptoError) {
            let scheme = try PaillierVectorAggregation(publicKey: publicKey, clipRange: clipRange, bitWidth: 32, maxSummands: max(1, inputs.count))
            let contributions = try inputs.map { (input) throws(CryptoError) in try scheme.encrypt(input) }
            let total = try scheme.sum(contributions)
            let sum = try scheme.decryptSum(total, privateKey: privateKey)
            let delta: [Float] = if let dp { dp.noisedMean(sum: sum, using: &random) } else { sum.map { $0 / Float(inputs.count) } }
            // A ciphertext is an element of ℤ/n²: 2·bits/8 bytes each.
            return (Aggregate(delta: delta, verdicts: verdicts), total.ciphertexts.count * ((2 * publicKey.n.bitWidth + 7) / 8))
        } catch {
            throw FederatedError(.invalidParameter, "Paillier aggregation: \(error.message)")
        }
    }
}

/// The third party of Paillier aggregation: it holds the private key and decrypts only sums.
struct PaillierKeyHolder: Sendable {
    let publicKey: PaillierPublicKey
    let privateKey: PaillierPrivateKey
}
