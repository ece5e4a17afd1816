import Synchronization

/// A trusted dealer: makes every party's shares of Beaver triples (elementwise, matrix and
/// binary) from a CSPRNG (``ChaCha20Generator``).
///
/// Trust model: the dealer sees every triple in the clear; it must not collude with any party
/// (a party that learns another's triple shares can unmask that party's opened values) and must
/// hand out correct triples. In exchange the online phase needs no public-key cryptography and
/// the parties exchange nothing to make triples. A dealer that is a separate process run by a
/// third party (CrypTen's "trusted third party" mode) fits this model; so does a dealer inside a
/// test. The parties' view of the online phase is the same as with any other triple source.
///
/// ```swift
/// var dealer = Dealer(parties: 2, generator: try ChaCha20Generator(seed: [UInt8](repeating: 9, count: 32)))
/// let shares = dealer.beaverTriples(count: 4)
/// let a = try AdditiveSharing.reconstruct(shares.map(\.a)), b = try AdditiveSharing.reconstruct(shares.map(\.b))
/// let c = try AdditiveSharing.reconstruct(shares.map(\.c))
/// print(zip(a, b).map { $0 &* $1 } == c)  // true
/// ```
public struct Dealer: Sendable {
    /// The number of parties the dealer serves.
    public let parties: Int
    private var generator: ChaCha20Generator

    /// A dealer for `parties` parties (at least 1) drawing from `generator` (system-seeded by
    /// default; pass a seeded one only in tests).
    public init(parties: Int, generator: ChaCha20Generator = ChaCha20Generator()) {
        self.parties = max(parties, 1)
        self.generator = generator
    }

    private mutating func random(_ count: Int) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: count)
        for index in out.indices { out[index] = generator.next() }
        return out
    }

    /// Each party's shares (index = party id) of `count` elementwise triples.
    public mutating func beaverTriples(count: Int) -> [BeaverTriple] {
        let a = random(count), b = random(count)
        let c = zip(a, b).map { $0 &* $1 }
        let sa = AdditiveSharing.share(a, parties: parties, using: &generator)
        let sb = AdditiveSharing.share(b, parties: parties, using: &generator)
        let sc = AdditiveSharing.share(c, parties: parties, using: &generator)
        return (0..<parties).map { BeaverTriple(a: sa[$0], b: sb[$0], c: sc[$0]) }
    }

    /// Each party's shares of a matrix triple for a (`rows` × `inner`)·(`inner` × `columns`) product.
    public mutating func matrixTriple(rows: Int, inner: Int, columns: Int) -> [MatrixBeaverTriple] {
        let a = random(rows * inner), b = random(inner * columns)
        let c = RingMatrix.multiply(a, b, rows: rows, inner: inner, columns: columns)
        let sa = AdditiveSharing.share(a, parties: parties, using: &generator)
        let sb = AdditiveSharing.share(b, parties: parties, using: &generator)
        let sc = AdditiveSharing.share(c, parties: parties, using: &generator)
        return (0..<parties).map { MatrixBeaverTriple(rows: rows, inner: inner, columns: columns, a: sa[$0], b: sb[$0], c: sc[$0]) }
    }

    /// Each party's XOR shares of `count` words of AND triples.
    public mutating func binaryTriples(count: Int) -> [BinaryBeaverTriple] {
        let a = random(count), b = random(count)
        let c = zip(a, b).map { $0 & $1 }
        let sa = BinarySharing.share(a, parties: parties, using: &generator)
        let sb = BinarySharing.share(b, parties: parties, using: &generator)
        let sc = BinarySharing.share(c, parties: parties, using: &generator)
        return (0..<parties).map { BinaryBeaverTriple(a: sa[$0], b: sb[$0], c: sc[$0]) }
    }
}

/// A ``Dealer`` serving the parties of one process on demand: each party's
/// ``source(for:)`` asks for the material its protocol step needs, and the k-th request of every
/// party is served from the same dealt batch (made at the first party's request, dropped when
/// the last has taken its share).
///
/// Trust model: that of ``Dealer``. The parties must ask for the same material in the same order;
/// a request that does not match the batch the other parties asked for throws `.malformed`.
/// Dealing costs no communication between the parties (the figures a party records for it are
/// zero); a dealer in another process would send each party its shares, which is offline work.
///
/// ```swift
/// let dealer = InProcessDealer(parties: 2)
/// var source0 = dealer.source(for: 0), source1 = dealer.source(for: 1)
/// let channels = InProcessChannel.network(parties: 2)
/// var cost = MPCCost()
/// let t0 = try await source0.beaverTriples(count: 3, channel: channels[0], cost: &cost)
/// let t1 = try await source1.beaverTriples(count: 3, channel: channels[1], cost: &cost)
/// print(zip(t0.a, t1.a).map { $0 &+ $1 }.count)  // 3
/// ```
public final class InProcessDealer: Sendable {
    private enum Request: Equatable {
        case beaver(count: Int), matrix(rows: Int, inner: Int, columns: Int), binary(count: Int)
    }

    private enum Material {
        case beaver([BeaverTriple]), matrix([MatrixBeaverTriple]), binary([BinaryBeaverTriple])
    }

    private struct Batch {
        var request: Request
        var material: Material
        var remaining: Int
    }

    private struct State {
        var dealer: Dealer
        var batches: [Int: Batch] = [:]
    }

    /// The number of parties served.
    public let parties: Int
    private let state: Mutex<State>

    /// A dealer for `parties` parties drawing from `generator` (system-seeded by default).
    public init(parties: Int, generator: ChaCha20Generator = ChaCha20Generator()) {
        self.parties = max(parties, 1)
        state = Mutex(State(dealer: Dealer(parties: parties, generator: generator)))
    }

    /// The preprocessing source of party `party`.
    public func source(for party: Int) -> DealerPreprocessing {
        DealerPreprocessing(dealer: self, party: party)
    }

    private func take(_ request: Request, sequence: Int, party: Int) throws(CryptoError) -> Material {
        guard (0..<parties).contains(party) else { throw CryptoError(.invalidParameter, "party \(party) is not served by a dealer of \(parties) parties") }
        let result: Result<Material, CryptoError> = state.withLock { state in
            if state.batches[sequence] == nil {
                let material: Material
                switch request {
                case .beaver(let count): material = .beaver(state.dealer.beaverTriples(count: count))
                case .matrix(let rows, let inner, let columns): material = .matrix(state.dealer.matrixTriple(rows: rows, inner: inner, columns: columns))
                case .binary(let count): material = .binary(state.dealer.binaryTriples(count: count))
                }
                state.batches[sequence] = Batch(request: request, material: material, remaining: parties)
            }
            guard var batch = state.batches[sequence], batch.request == request else {
                return .failure(CryptoError(.malformed, "party \(party) asked the dealer for other material than its peers at request \(sequence)"))
            }
            batch.remaining -= 1
            state.batches[sequence] = batch.remaining == 0 ? nil : batch
            return .success(batch.material)
        }
        return try result.get()
    }

    fileprivate func beaver(count: Int, sequence: Int, party: Int) throws(CryptoError) -> BeaverTriple {
        guard case .beaver(let all) = try take(.beaver(count: count), sequence: sequence, party: party) else { throw CryptoError(.malformed, "dealer batch kind") }
        return all[party]
    }

    fileprivate func matrix(rows: Int, inner: Int, columns: Int, sequence: Int, party: Int) throws(CryptoError) -> MatrixBeaverTriple {
        guard case .matrix(let all) = try take(.matrix(rows: rows, inner: inner, columns: columns), sequence: sequence, party: party) else {
            throw CryptoError(.malformed, "dealer batch kind")
        }
        return all[party]
    }

    fileprivate func binary(count: Int, sequence: Int, party: Int) throws(CryptoError) -> BinaryBeaverTriple {
        guard case .binary(let all) = try take(.binary(count: count), sequence: sequence, party: party) else { throw CryptoError(.malformed, "dealer batch kind") }
        return all[party]
    }
}

/// One party's view of an ``InProcessDealer``: an ``MPCPreprocessing`` source that counts its
/// requests so that the k-th request of every party meets the same batch.
public struct DealerPreprocessing: MPCPreprocessing {
    private let dealer: InProcessDealer
    private let party: Int
    private var sequence = 0

    fileprivate init(dealer: InProcessDealer, party: Int) {
        self.dealer = dealer
        self.party = party
    }

    /// This party's shares of `count` elementwise triples from the dealer (no communication).
    public mutating func beaverTriples(count: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BeaverTriple {
        defer { sequence += 1 }
        return try dealer.beaver(count: count, sequence: sequence, party: party)
    }

    /// This party's shares of a matrix triple from the dealer (no communication).
    public mutating func matrixTriple(rows: Int, inner: Int, columns: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> MatrixBeaverTriple {
        defer { sequence += 1 }
        return try dealer.matrix(rows: rows, inner: inner, columns: columns, sequence: sequence, party: party)
    }

    /// This party's shares of `count` words of binary triples from the dealer (no communication).
    public mutating func binaryTriples(count: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BinaryBeaverTriple {
        defer { sequence += 1 }
        return try dealer.binary(count: count, sequence: sequence, party: party)
    }
}
