/// One party's additive shares over ℤ/2⁶⁴ℤ of a flat array of values (fixed-point at the
/// party's ``FixedPointEncoding`` unless a protocol says the values are integers or bits).
public struct ArithmeticShare: Sendable, Hashable {
    /// The share words, one per element.
    public var words: [UInt64]
    /// The number of elements.
    public var count: Int { words.count }

    /// A share of the given words.
    public init(words: [UInt64]) { self.words = words }
}

/// One party's XOR shares of a flat array of 64-bit words.
public struct BinaryShare: Sendable, Hashable {
    /// The share words.
    public var words: [UInt64]
    /// The number of words.
    public var count: Int { words.count }

    /// A share of the given words.
    public init(words: [UInt64]) { self.words = words }
}

/// One party of a semi-honest secret-sharing computation over ℤ/2⁶⁴ℤ: its channel, pairwise
/// seeds, triple source and cost counters, and the protocols it runs with its peers.
///
/// Every party runs the same calls in the same order on its own ``MPCParty`` (one task or
/// process each); a call returns this party's shares of the result. The online cost of each
/// call is added to ``cost`` (rounds, messages, bytes) and the cost of making triples to
/// ``preprocessingCost``. Linear operations are local and free.
///
/// Online cost per call for two parties, n elements (bytes each party sends; tests check them):
///
/// | protocol | rounds | bytes |
/// | --- | --- | --- |
/// | ``input(_:owner:count:)``, add, constants, ``truncate(_:bits:)`` | 0 | 0 |
/// | `open(_:)`, `open(_:to:)` | 1 | 8n (to the recipient only) |
/// | ``multiply(_:_:truncating:)`` | 1 | 16n |
/// | ``matrixProduct(_:_:rows:inner:columns:truncating:)`` | 1 | 8(rows·inner + inner·columns) |
/// | ``and(_:_:)`` | 1 | 16n |
/// | ``arithmeticToBinary(_:)`` | 7 | 192n |
/// | ``isNegative(_:)``, ``lessThan(_:_:)``, ``sign(_:)`` | 8 | 208n |
/// | ``relu(_:)``, ``maximum(_:_:)`` | 9 | 224n |
/// | ``argmax(_:rows:columns:)`` | 9·⌈log₂ columns⌉ | about 240 per compared pair |
/// | ``exponential(_:iterations:)`` | 8 | 128n |
/// | ``reciprocal(_:iterations:)`` | 28 | 448n |
/// | ``sigmoid(_:)`` | 46 | 816n |
/// | ``softmax(_:rows:columns:)`` | 9·⌈log₂ columns⌉ + 37 | |
///
/// Security (semi-honest, honest majority not needed): with two parties, each party's view —
/// its shares, the opened masked values x − a, y − b and the pairwise seeds — is independent of
/// the other party's inputs, given a triple source that keeps its trust model (see
/// ``Dealer`` and ``PaillierTripleGeneration``). A malicious party can change the result at
/// will (shares carry no MAC) and can abort; it cannot learn inputs beyond the outputs it is
/// given. Fixed-point protocols (products, comparisons, approximations) need exactly two
/// parties (SecureML truncation); sharing, opening and linear operations work for any number.
///
/// ```swift
/// let channels = InProcessChannel.network(parties: 2)
/// let dealer = InProcessDealer(parties: 2)
/// func run(_ id: Int) async throws -> [Double] {
///     var party = try await MPCParty.connect(channel: channels[id], preprocessing: dealer.source(for: id))
///     let x = try party.input(id == 0 ? [1.5, -2] : nil, owner: 0, count: 2)
///     let y = try party.input(id == 1 ? [4, 0.5] : nil, owner: 1, count: 2)
///     let product = try await party.multiply(x, y)
///     return try await party.open(product)
/// }
/// async let first = run(0)
/// let second = try await run(1)
/// print(try await first, second)  // [6.0, -1.0] [6.0, -1.0] (within 2⁻¹⁶)
/// ```
public struct MPCParty: Sendable {
    /// The transport to the other parties.
    public let channel: any MPCChannel
    /// The fixed-point encoding of values.
    public let encoding: FixedPointEncoding
    /// Where triples come from.
    public var preprocessing: any MPCPreprocessing
    /// The online cost so far: rounds, messages and bytes of the protocols run.
    public var cost = MPCCost()
    /// The cost of making triples so far (zero for a dealer in this process).
    public var preprocessingCost = MPCCost()
    /// Seeds shared with each peer, for input sharing and zero-sharings.
    public var seeds: PairwiseSeeds

    /// This party's id.
    public var partyID: Int { channel.partyID }
    /// The number of parties.
    public var partyCount: Int { channel.partyCount }

    /// A party from a channel, a triple source and seeds already agreed with the peers.
    /// Throws `.invalidParameter` when the seeds belong to another party or network size.
    public init(channel: any MPCChannel, preprocessing: any MPCPreprocessing, seeds: PairwiseSeeds,
                encoding: FixedPointEncoding = FixedPointEncoding()) throws(CryptoError) {
        guard seeds.partyID == channel.partyID, seeds.partyCount == channel.partyCount else {
            throw CryptoError(.invalidParameter, "pairwise seeds of party \(seeds.partyID) of \(seeds.partyCount) do not fit party \(channel.partyID) of \(channel.partyCount)")
        }
        self.channel = channel
        self.preprocessing = preprocessing
        self.seeds = seeds
        self.encoding = encoding
    }

    /// A party that first agrees pairwise seeds with its peers over `channel` (one round,
    /// counted in ``cost``).
    public static func connect(channel: any MPCChannel, preprocessing: any MPCPreprocessing,
                               encoding: FixedPointEncoding = FixedPointEncoding()) async throws(CryptoError) -> MPCParty {
        var setup = MPCCost()
        let seeds = try await PairwiseSeeds.establish(over: channel, cost: &setup)
        var party = try MPCParty(channel: channel, preprocessing: preprocessing, seeds: seeds, encoding: encoding)
        party.cost = setup
        return party
    }

    // MARK: communication

    /// Sends `words` to every peer and returns every party's words (this party's own at its
    /// index): one round.
    mutating func exchange(_ words: [UInt64]) async throws(CryptoError) -> [[UInt64]] {
        let message = MPCWire.bytes(words)
        for peer in 0..<partyCount where peer != partyID {
            try await channel.send(message, to: peer)
            cost.messagesSent += 1
            cost.bytesSent += message.count
        }
        var all = [[UInt64]](repeating: [], count: partyCount)
        all[partyID] = words
        for peer in 0..<partyCount where peer != partyID {
            let bytes = try await channel.receive(from: peer)
            cost.bytesReceived += bytes.count
            all[peer] = try MPCWire.words(bytes, count: words.count, from: peer)
        }
        if partyCount > 1 { cost.rounds += 1 }
        return all
    }

    /// Opens `share` to every party: the secret's ring elements (one round).
    public mutating func openRing(_ share: ArithmeticShare) async throws(CryptoError) -> [UInt64] {
        try AdditiveSharing.reconstruct(try await exchange(share.words))
    }

    /// Opens `share` to every party and decodes it as fixed-point values (one round).
    public mutating func open(_ share: ArithmeticShare) async throws(CryptoError) -> [Double] {
        encoding.decode(try await openRing(share))
    }

    /// Opens XOR-shared words to every party (one round).
    public mutating func open(_ share: BinaryShare) async throws(CryptoError) -> [UInt64] {
        try BinarySharing.reconstruct(try await exchange(share.words))
    }

    /// Opens `share` to `recipient` only (one round): the recipient gets the ring elements, the
    /// others nil. The others send their shares; nobody but the recipient learns the value.
    public mutating func openRing(_ share: ArithmeticShare, to recipient: Int) async throws(CryptoError) -> [UInt64]? {
        guard (0..<partyCount).contains(recipient) else { throw CryptoError(.invalidParameter, "recipient \(recipient) is not a party") }
        if partyCount > 1 { cost.rounds += 1 }
        if partyID != recipient {
            let message = MPCWire.bytes(share.words)
            try await channel.send(message, to: recipient)
            cost.messagesSent += 1
            cost.bytesSent += message.count
            return nil
        }
        var sum = share.words
        for peer in 0..<partyCount where peer != partyID {
            let bytes = try await channel.receive(from: peer)
            cost.bytesReceived += bytes.count
            let words = try MPCWire.words(bytes, count: share.count, from: peer)
            for index in sum.indices { sum[index] = sum[index] &+ words[index] }
        }
        return sum
    }

    /// Opens `share` to `recipient` only and decodes it as fixed-point values (nil elsewhere).
    public mutating func open(_ share: ArithmeticShare, to recipient: Int) async throws(CryptoError) -> [Double]? {
        try await openRing(share, to: recipient).map(encoding.decode)
    }

    // MARK: inputs

    /// This party's share of an input of `count` ring elements owned by `owner`, without
    /// communication: a peer's share is drawn from the stream it shares with the owner, and the
    /// owner's share is its value less all of those. `values` is read only at the owner (it
    /// must have `count` elements there) and ignored elsewhere.
    public mutating func inputRing(_ values: [UInt64]?, owner: Int, count: Int) throws(CryptoError) -> ArithmeticShare {
        guard (0..<partyCount).contains(owner) else { throw CryptoError(.invalidParameter, "input owner \(owner) is not a party") }
        if partyID != owner { return ArithmeticShare(words: seeds.words(count: count, sharedWith: owner)) }
        guard let values, values.count == count else {
            throw CryptoError(.invalidParameter, "party \(owner) owns an input of \(count) elements but gave \(values?.count ?? 0)")
        }
        var share = values
        for peer in 0..<partyCount where peer != partyID {
            let mask = seeds.words(count: count, sharedWith: peer)
            for index in share.indices { share[index] = share[index] &- mask[index] }
        }
        return ArithmeticShare(words: share)
    }

    /// This party's share of a fixed-point input owned by `owner` (see
    /// ``inputRing(_:owner:count:)``); throws `.invalidParameter` at the owner for a value
    /// outside the encoding's range.
    public mutating func input(_ values: [Double]?, owner: Int, count: Int) throws(CryptoError) -> ArithmeticShare {
        let encoded: [UInt64]? = partyID == owner ? try values.map { (v: [Double]) throws(CryptoError) in try encoding.encode(v) } : nil
        return try inputRing(encoded, owner: owner, count: count)
    }

    /// A sharing of public ring elements: party 0 holds them, the others zero.
    public func constantRing(_ values: [UInt64]) -> ArithmeticShare {
        ArithmeticShare(words: partyID == 0 ? values : [UInt64](repeating: 0, count: values.count))
    }

    /// A sharing of public fixed-point values; throws for a value outside the encoding's range.
    public func constant(_ values: [Double]) throws(CryptoError) -> ArithmeticShare {
        constantRing(try encoding.encode(values))
    }

    /// A fresh sharing of zeros (no communication; see ``PairwiseSeeds/zeroSharing(count:)``):
    /// adding it to a share rerandomises the share without changing the secret.
    public mutating func zeros(count: Int) -> ArithmeticShare {
        ArithmeticShare(words: seeds.zeroSharing(count: count))
    }

    // MARK: linear operations (local)

    /// Shares of x + y.
    public func add(_ x: ArithmeticShare, _ y: ArithmeticShare) throws(CryptoError) -> ArithmeticShare {
        try Self.checkSameCount(x.count, y.count, "add")
        return ArithmeticShare(words: zip(x.words, y.words).map { $0 &+ $1 })
    }

    /// Shares of x − y.
    public func subtract(_ x: ArithmeticShare, _ y: ArithmeticShare) throws(CryptoError) -> ArithmeticShare {
        try Self.checkSameCount(x.count, y.count, "subtract")
        return ArithmeticShare(words: zip(x.words, y.words).map { $0 &- $1 })
    }

    /// Shares of x + c for public ring elements c (party 0 adds them).
    public func addRing(_ x: ArithmeticShare, _ c: [UInt64]) throws(CryptoError) -> ArithmeticShare {
        try Self.checkSameCount(x.count, c.count, "add a public value to")
        return partyID == 0 ? ArithmeticShare(words: zip(x.words, c).map { $0 &+ $1 }) : x
    }

    /// Shares of x + c for public fixed-point values c.
    public func add(_ x: ArithmeticShare, constant c: [Double]) throws(CryptoError) -> ArithmeticShare {
        try addRing(x, encoding.encode(c))
    }

    /// Shares of k·x for a public integer k (no truncation: the scale of x is kept).
    public func multiply(_ x: ArithmeticShare, byInteger k: Int64) -> ArithmeticShare {
        let factor = UInt64(bitPattern: k)
        return ArithmeticShare(words: x.words.map { $0 &* factor })
    }

    /// Shares of x · c for a public fixed-point scalar c: a local product and a local
    /// truncation (two parties; error at most one unit 2⁻ᶠ plus c's encoding error times |x|).
    public func multiply(_ x: ArithmeticShare, byConstant c: Double) throws(CryptoError) -> ArithmeticShare {
        let factor = try encoding.encode(c)
        return try truncate(ArithmeticShare(words: x.words.map { $0 &* factor }), bits: encoding.fractionalBits)
    }

    /// Shares of x / 2^`bits` by SecureML's local truncation (``AdditiveSharing/truncate(_:party:bits:)``,
    /// whose error bound applies); throws `.invalidParameter` unless there are two parties.
    public func truncate(_ x: ArithmeticShare, bits: Int) throws(CryptoError) -> ArithmeticShare {
        guard partyCount == 2 else {
            throw CryptoError(.invalidParameter, "local truncation needs exactly two parties, not \(partyCount)")
        }
        return ArithmeticShare(words: AdditiveSharing.truncate(x.words, party: partyID, bits: bits))
    }

    /// Shares of the sums of consecutive groups of `groupSize` elements (the rows of a row-major
    /// matrix with `groupSize` columns).
    public func sumGroups(_ x: ArithmeticShare, groupSize: Int) throws(CryptoError) -> ArithmeticShare {
        guard groupSize > 0, x.count % groupSize == 0 else {
            throw CryptoError(.invalidParameter, "\(x.count) elements do not split into groups of \(groupSize)")
        }
        var out = [UInt64](repeating: 0, count: x.count / groupSize)
        for index in x.words.indices { out[index / groupSize] = out[index / groupSize] &+ x.words[index] }
        return ArithmeticShare(words: out)
    }

    static func checkSameCount(_ a: Int, _ b: Int, _ what: String) throws(CryptoError) {
        guard a == b else { throw CryptoError(.invalidParameter, "cannot \(what) shares of \(a) and \(b) elements") }
    }
}
