public import BulwarkCrypto

/// A party's ``MPCPreprocessing`` served by a trusted dealer that is another party of the
/// network (``MPCDealerService``): each request names the material and its shape, and the
/// dealer answers with this party's shares.
///
/// Trust model: that of ``Dealer`` — the dealer sees every triple in the clear, so it must not
/// collude with either party, and must deal correct triples; it never sees the parties' inputs
/// or the opened values. Every request costs one round trip to the dealer; its bytes are counted
/// in the `cost` the protocol passes (``MPCParty/preprocessingCost``), apart from the online cost.
///
/// ```swift
/// let channels = InProcessChannel.network(parties: 3)
/// let dealer = Task { try await MPCDealerService.serve(channel: channels[2], parties: [0, 1]) }
/// func fetch(_ id: Int) async throws -> BeaverTriple {
///     var source = RemoteDealerPreprocessing(channel: channels[id], dealer: 2), cost = MPCCost()
///     let triple = try await source.beaverTriples(count: 2, channel: channels[id], cost: &cost)
///     try await source.finish()
///     return triple
/// }
/// async let other = fetch(1)
/// let mine = try await fetch(0)
/// let theirs = try await other
/// print(mine.count, theirs.count, try await dealer.value.requests)  // 2 2 1
/// ```
public struct RemoteDealerPreprocessing: MPCPreprocessing {
    /// The channel that reaches the dealer.
    public let channel: any MPCChannel
    /// The dealer's party id on ``channel``.
    public let dealer: Int

    /// A source asking `dealer` over `channel` (the triple requests' `channel` argument, the
    /// computation's channel, is not used).
    public init(channel: any MPCChannel, dealer: Int) {
        self.channel = channel
        self.dealer = dealer
    }

    /// This party's shares of `count` elementwise triples.
    public mutating func beaverTriples(count: Int, channel _: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BeaverTriple {
        let words = try await request(.beaver, [count, 0, 0], parts: [count, count, count], cost: &cost)
        return BeaverTriple(a: words[0], b: words[1], c: words[2])
    }

    /// This party's shares of a matrix triple for a (`rows` × `inner`)·(`inner` × `columns`) product.
    public mutating func matrixTriple(rows: Int, inner: Int, columns: Int, channel _: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> MatrixBeaverTriple {
        let (ri, ic, rc) = try DealerRequest.sizes(rows: rows, inner: inner, columns: columns)
        let words = try await request(.matrix, [rows, inner, columns], parts: [ri, ic, rc], cost: &cost)
        return MatrixBeaverTriple(rows: rows, inner: inner, columns: columns, a: words[0], b: words[1], c: words[2])
    }

    /// This party's XOR shares of `count` words of AND triples.
    public mutating func binaryTriples(count: Int, channel _: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BinaryBeaverTriple {
        let words = try await request(.binary, [count, 0, 0], parts: [count, count, count], cost: &cost)
        return BinaryBeaverTriple(a: words[0], b: words[1], c: words[2])
    }

    /// Tells the dealer that this party needs nothing more (the dealer stops once every party
    /// has said so).
    public func finish() async throws(CryptoError) {
        try await channel.send(DealerRequest.encode(.finished, [0, 0, 0]), to: dealer)
    }

    private func request(_ kind: DealerRequest.Kind, _ shape: [Int], parts: [Int], cost: inout MPCCost) async throws(CryptoError) -> [[UInt64]] {
        guard shape.allSatisfy({ $0 >= 0 }), parts.allSatisfy({ $0 > 0 }) else {
            throw CryptoError(.invalidParameter, "dealer request of shape \(shape) has no elements")
        }
        let message = DealerRequest.encode(kind, shape)
        try await channel.send(message, to: dealer)
        let reply = try await channel.receive(from: dealer)
        cost.rounds += 1
        cost.messagesSent += 1
        cost.bytesSent += message.count
        cost.bytesReceived += reply.count
        let total = parts.reduce(0, +)
        let words = try MPCWire.words(reply, count: total, from: dealer)
        var out: [[UInt64]] = []
        var offset = 0
        for part in parts {
            out.append(Array(words[offset..<(offset + part)]))
            offset += part
        }
        return out
    }
}

/// A trusted dealer as a party of the network: it answers the other parties' triple requests
/// (``RemoteDealerPreprocessing``) with fresh shares from ``Dealer`` until every party has
/// finished.
///
/// The parties must ask for the same material in the same order; a request that differs from
/// the others' is refused (`.malformed`) and ends the service, as does a party that disappears
/// (`.partyUnavailable`, naming it). A request is bounded: its answer must fit in
/// `maximumMessageBytes`, so a party cannot make the dealer allocate without limit.
public enum MPCDealerService {
    /// What the dealer did.
    public struct Report: Sendable, Hashable, Codable {
        /// Requests served (each answered to every party).
        public var requests: Int
        /// Bytes sent to all parties.
        public var bytesSent: Int
        /// Bytes received from all parties.
        public var bytesReceived: Int
    }

    /// Serves `parties` over `channel` until each has sent ``RemoteDealerPreprocessing/finish()``.
    /// - Throws: `.malformed` for a bad or mismatched request, `.invalidParameter` for one above
    ///   the bound, `.partyUnavailable` when a party is gone.
    public static func serve(channel: any MPCChannel, parties: [Int], maximumMessageBytes: Int = 256 << 20,
                             generator: ChaCha20Generator = ChaCha20Generator()) async throws(CryptoError) -> Report {
        guard !parties.isEmpty, Set(parties).count == parties.count, !parties.contains(channel.partyID) else {
            throw CryptoError(.invalidParameter, "the dealer serves distinct parties other than itself")
        }
        var dealer = Dealer(parties: parties.count, generator: generator)
        var report = Report(requests: 0, bytesSent: 0, bytesReceived: 0)
        while true {
            var requests: [(kind: DealerRequest.Kind, shape: [Int])] = []
            for party in parties {
                let bytes = try await channel.receive(from: party)
                report.bytesReceived += bytes.count
                requests.append(try DealerRequest.decode(bytes, from: party))
            }
            guard requests.allSatisfy({ $0.kind == requests[0].kind && $0.shape == requests[0].shape }) else {
                throw CryptoError(.malformed, "the parties asked the dealer for different material at request \(report.requests)")
            }
            let (kind, shape) = requests[0]
            if kind == .finished { return report }
            let shares: [[UInt64]]
            switch kind {
            case .beaver, .binary:
                try DealerRequest.check(words: [shape[0], shape[0], shape[0]], limit: maximumMessageBytes)
                if kind == .beaver {
                    shares = dealer.beaverTriples(count: shape[0]).map { $0.a + $0.b + $0.c }
                } else {
                    shares = dealer.binaryTriples(count: shape[0]).map { $0.a + $0.b + $0.c }
                }
            case .matrix:
                let (ri, ic, rc) = try DealerRequest.sizes(rows: shape[0], inner: shape[1], columns: shape[2])
                try DealerRequest.check(words: [ri, ic, rc], limit: maximumMessageBytes)
                shares = dealer.matrixTriple(rows: shape[0], inner: shape[1], columns: shape[2]).map { $0.a + $0.b + $0.c }
            case .finished:
                return report
            }
            for (index, party) in parties.enumerated() {
                let message = MPCWire.bytes(shares[index])
                try await channel.send(message, to: party)
                report.bytesSent += message.count
            }
            report.requests += 1
        }
    }
}

/// The dealer's wire format: a request is a kind byte and three little-endian 64-bit sizes; an
/// answer is the share words a ‖ b ‖ c, little-endian.
enum DealerRequest {
    enum Kind: UInt8, Sendable {
        case finished = 0, beaver = 1, matrix = 2, binary = 3
    }

    static func encode(_ kind: Kind, _ shape: [Int]) -> [UInt8] {
        var out: [UInt8] = [kind.rawValue]
        for value in shape { out += withUnsafeBytes(of: UInt64(value).littleEndian, Array.init) }
        return out
    }

    static func decode(_ bytes: [UInt8], from party: Int) throws(CryptoError) -> (kind: Kind, shape: [Int]) {
        guard bytes.count == 25, let kind = Kind(rawValue: bytes[0]) else {
            throw CryptoError(.malformed, "party \(party) sent the dealer a malformed request (\(bytes.count) bytes)")
        }
        var shape: [Int] = []
        for index in 0..<3 {
            let value = bytes[(1 + 8 * index)..<(9 + 8 * index)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard value <= UInt64(1 << 40) else { throw CryptoError(.invalidParameter, "party \(party) asked the dealer for \(value) elements") }
            shape.append(Int(value))
        }
        return (kind, shape)
    }

    /// The element counts of a matrix triple's parts, refusing empty or overflowing shapes.
    static func sizes(rows: Int, inner: Int, columns: Int) throws(CryptoError) -> (Int, Int, Int) {
        guard rows > 0, inner > 0, columns > 0 else { throw CryptoError(.invalidParameter, "matrix triple \(rows)×\(inner)·\(inner)×\(columns) is empty") }
        let (ri, o1) = rows.multipliedReportingOverflow(by: inner)
        let (ic, o2) = inner.multipliedReportingOverflow(by: columns)
        let (rc, o3) = rows.multipliedReportingOverflow(by: columns)
        guard !o1, !o2, !o3 else { throw CryptoError(.invalidParameter, "matrix triple \(rows)×\(inner)·\(inner)×\(columns) is too large") }
        return (ri, ic, rc)
    }

    /// Throws unless the answer of `words` parts fits in `limit` bytes.
    static func check(words: [Int], limit: Int) throws(CryptoError) {
        let total = words.reduce(0) { $0 > Int.max / 2 ? $0 : $0 + $1 }
        guard words.allSatisfy({ $0 > 0 }), total <= limit / 8 else {
            throw CryptoError(.invalidParameter, "a dealer answer of \(total) words exceeds the message limit of \(limit) bytes")
        }
    }
}
