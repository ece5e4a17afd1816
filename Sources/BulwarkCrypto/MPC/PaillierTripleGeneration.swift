/// Dealer-free Beaver triples for two parties through Paillier encryption (Gilboa,
/// "Two Party RSA Key Generation", CRYPTO 1999, the product-sharing step): an ``MPCPreprocessing``
/// source that makes each batch of triples with its peer over the channel.
///
/// Party 0 holds a Paillier key pair, party 1 its public key (sent in the first batch). For
/// elementwise triples each party draws its shares aᵢ, bᵢ uniformly in ℤ/2⁶⁴ℤ; then
/// 1. party 0 sends Enc(a₀) and Enc(b₀);
/// 2. party 1 returns Enc(a₀·b₁ + b₀·a₁ + r) = Enc(a₀)^b₁ · Enc(b₀)^a₁ · Enc(r), with r uniform
///    in [0, 2^(129 + σ)) and σ = ``statisticalSecurityBits``, and keeps −r mod 2⁶⁴;
/// 3. party 0 decrypts and keeps the plaintext mod 2⁶⁴.
/// The two kept values add up to a₀b₁ + a₁b₀ mod 2⁶⁴, and cᵢ = aᵢbᵢ + keptᵢ. The Paillier
/// plaintext space ℤₙ is not ℤ/2⁶⁴ℤ: the products are computed over the integers (below 2¹²⁹)
/// and masked by r, which is why r is σ bits longer than them and n must exceed 2^(131 + σ)
/// (a 1024-bit or larger key does; party 1 refuses keys below 1024 bits unless told the run is
/// a test). Matrix triples work the same way with Enc(A₀), Enc(B₀) and one returned ciphertext
/// per output element, the mask σ + log₂(2·inner) + 1 bits longer than the 2¹²⁸ products.
///
/// Cost: 2 rounds per batch (3 for the first, which carries the key); party 0 sends two
/// ciphertexts (2·⌈log₂ n / 8⌉ bytes each, 512 bytes for a 2048-bit key) per triple and party 1
/// one; party 1 does two modular exponentiations per triple (2·rows·inner·columns for a
/// matrix triple), party 0 one decryption.
///
/// Trust model: no third party. Against a semi-honest peer, party 1 sees only ciphertexts
/// under party 0's key (semantic security of Paillier, decisional composite residuosity) and
/// party 0 sees a₀b₁ + b₀a₁ + r, statistically within 2^−σ of uniform given its own shares.
/// A malicious party can make the triples wrong (nothing is verified; SPDZ-style MACs would
/// be needed), which corrupts the result but does not reveal the other party's inputs in the
/// Beaver openings. Binary (AND) triples are not made here: pass a `binarySource` (a dealer)
/// for comparisons, or their requests throw `.invalidParameter`.
///
/// ```swift
/// let (_, key) = try PaillierKeyPair.generate(bits: 512, insecureForTests: true)
/// let channels = InProcessChannel.network(parties: 2)
/// func run(_ source: PaillierTripleGeneration, _ channel: InProcessChannel) async throws -> BeaverTriple {
///     var source = source, cost = MPCCost()
///     return try await source.beaverTriples(count: 2, channel: channel, cost: &cost)
/// }
/// async let triple1 = run(PaillierTripleGeneration(allowInsecureKeysForTests: true), channels[1])
/// let t0 = try await run(PaillierTripleGeneration(privateKey: key), channels[0])
/// let other = try await triple1
/// let a = zip(t0.a, other.a).map { $0 &+ $1 }, b = zip(t0.b, other.b).map { $0 &+ $1 }
/// print(zip(a, b).map { $0 &* $1 } == zip(t0.c, other.c).map { $0 &+ $1 })  // true
/// ```
public struct PaillierTripleGeneration: MPCPreprocessing {
    /// σ: the statistical distance of party 0's view from uniform is at most 2^−σ (40).
    public static let statisticalSecurityBits = 40

    private let privateKey: PaillierPrivateKey?
    private var peerKey: PaillierPublicKey?
    private let allowInsecureKeys: Bool
    private var generator: ChaCha20Generator
    private var binarySource: (any MPCPreprocessing)?

    /// Party 0's source, holding the Paillier key pair whose public half it sends to party 1.
    /// `generator` draws this party's triple shares (system-seeded by default).
    public init(privateKey: PaillierPrivateKey, binarySource: (any MPCPreprocessing)? = nil,
                generator: ChaCha20Generator = ChaCha20Generator()) {
        self.privateKey = privateKey
        peerKey = nil
        allowInsecureKeys = false
        self.generator = generator
        self.binarySource = binarySource
    }

    /// Party 1's source: it receives party 0's public key with the first batch and refuses one
    /// below ``PaillierKeyPair/minimumSecureBits`` unless `allowInsecureKeysForTests`.
    public init(allowInsecureKeysForTests: Bool = false, binarySource: (any MPCPreprocessing)? = nil,
                generator: ChaCha20Generator = ChaCha20Generator()) {
        privateKey = nil
        peerKey = nil
        allowInsecureKeys = allowInsecureKeysForTests
        self.generator = generator
        self.binarySource = binarySource
    }

    // MARK: MPCPreprocessing

    /// This party's shares of `count` elementwise triples, made with the peer (see the type).
    public mutating func beaverTriples(count: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BeaverTriple {
        let a = randomWords(count), b = randomWords(count)
        let cross = try await crossTerms(left: a, right: b, shape: (count, 1, 1), elementwise: true, channel: channel, cost: &cost)
        let c = (0..<count).map { a[$0] &* b[$0] &+ cross[$0] }
        return BeaverTriple(a: a, b: b, c: c)
    }

    /// This party's shares of a matrix triple, made with the peer (see the type).
    public mutating func matrixTriple(rows: Int, inner: Int, columns: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> MatrixBeaverTriple {
        let a = randomWords(rows * inner), b = randomWords(inner * columns)
        let cross = try await crossTerms(left: a, right: b, shape: (rows, inner, columns), elementwise: false, channel: channel, cost: &cost)
        var c = RingMatrix.multiply(a, b, rows: rows, inner: inner, columns: columns)
        for index in c.indices { c[index] = c[index] &+ cross[index] }
        return MatrixBeaverTriple(rows: rows, inner: inner, columns: columns, a: a, b: b, c: c)
    }

    /// Binary triples from `binarySource`; throws `.invalidParameter` without one.
    public mutating func binaryTriples(count: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BinaryBeaverTriple {
        guard var source = binarySource else {
            throw CryptoError(.invalidParameter, "Paillier triple generation makes no binary (AND) triples: give it a binary source (a dealer) for comparisons")
        }
        defer { binarySource = source }
        return try await source.binaryTriples(count: count, channel: channel, cost: &cost)
    }

    // MARK: the protocol

    private mutating func randomWords(_ count: Int) -> [UInt64] {
        (0..<count).map { _ in generator.next() }
    }

    /// This party's additive share of the cross terms: a₀∘b₁ + b₀∘a₁ elementwise, or
    /// A₀·B₁ + A₁·B₀ for matrices (`left` is a/A, `right` b/B).
    private mutating func crossTerms(left: [UInt64], right: [UInt64], shape: (rows: Int, inner: Int, columns: Int), elementwise: Bool,
                                     channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> [UInt64] {
        guard channel.partyCount == 2 else { throw CryptoError(.invalidParameter, "Paillier triple generation needs exactly two parties, not \(channel.partyCount)") }
        let outputs = elementwise ? shape.rows : shape.rows * shape.columns
        if channel.partyID == 0 {
            guard let privateKey else { throw CryptoError(.invalidParameter, "party 0 of Paillier triple generation needs the private key") }
            let key = privateKey.publicKey
            if peerKey == nil {
                try await send(key.n.magnitudeBytes, to: 1, channel: channel, cost: &cost)
                peerKey = key
            }
            let width = Self.ciphertextWidth(key)
            let encrypted = try parallelMap(left.count + right.count) { (index: Int) throws(CryptoError) -> BigInt in
                let word = index < left.count ? left[index] : right[index - left.count]
                return try key.encrypt(PaillierEncodedNumber(encoding: Self.bigInt(word), exponent: 0)).value
            }
            try await send(Self.pack(encrypted, width: width), to: 1, channel: channel, cost: &cost)
            let reply = try await receive(from: 1, channel: channel, cost: &cost)
            let masked = try Self.unpack(reply, count: outputs, width: width, key: key)
            let plain = try parallelMap(outputs) { (index: Int) throws(CryptoError) -> UInt64 in
                Self.lowWord(try privateKey.decryptEncoded(PaillierCiphertext(value: masked[index], exponent: 0)).encoding)
            }
            return plain
        }
        if peerKey == nil {
            let bytes = try await receive(from: 0, channel: channel, cost: &cost)
            let key = try PaillierPublicKey(n: BigInt(magnitudeBytes: bytes))
            let needed = allowInsecureKeys ? 256 : PaillierKeyPair.minimumSecureBits
            guard key.bits >= needed else {
                throw CryptoError(.invalidParameter, "party 0's Paillier key has \(key.bits) bits: expected at least \(needed)")
            }
            peerKey = key
        }
        guard let key = peerKey else { throw CryptoError(.invalidParameter, "no Paillier key from party 0") }
        let width = Self.ciphertextWidth(key)
        let firstCount = elementwise ? shape.rows : shape.rows * shape.inner
        let secondCount = elementwise ? shape.rows : shape.inner * shape.columns
        let message = try await receive(from: 0, channel: channel, cost: &cost)
        let ciphertexts = try Self.unpack(message, count: firstCount + secondCount, width: width, key: key)
        let encryptedLeft = Array(ciphertexts[0..<firstCount]), encryptedRight = Array(ciphertexts[firstCount...])
        // Products below 2¹²⁸ each; a sum of 2·inner of them below 2^(129 + log₂ inner).
        let terms = elementwise ? 2 : 2 * shape.inner
        let maskBits = 128 + (terms - 1).bitWidthOfValue + 1 + Self.statisticalSecurityBits
        guard key.bits > maskBits + 2 else {
            throw CryptoError(.invalidParameter, "a \(key.bits)-bit Paillier key is too small for \(maskBits)-bit masks")
        }
        let masks = (0..<outputs).map { _ in BigInt.randomBits(maskBits) }
        let nSquare = key.nSquare
        let reply = try parallelMap(outputs) { (output: Int) throws(CryptoError) -> BigInt in
            var product = try key.encrypt(PaillierEncodedNumber(encoding: masks[output], exponent: 0)).value
            func accumulate(_ base: BigInt, _ exponent: UInt64) throws(CryptoError) {
                guard exponent != 0 else { return }
                product = product.multiplied(by: try key.nSquareModulus.powerSecure(base, Self.bigInt(exponent)), modulo: nSquare)
            }
            if elementwise {
                try accumulate(encryptedLeft[output], right[output])   // Enc(a₀)^b₁
                try accumulate(encryptedRight[output], left[output])   // Enc(b₀)^a₁
            } else {
                let row = output / shape.columns, column = output % shape.columns
                for k in 0..<shape.inner {
                    try accumulate(encryptedLeft[row * shape.inner + k], right[k * shape.columns + column])   // Enc(A₀[i,k])^B₁[k,j]
                    try accumulate(encryptedRight[k * shape.columns + column], left[row * shape.inner + k])  // Enc(B₀[k,j])^A₁[i,k]
                }
            }
            return product
        }
        try await send(Self.pack(reply, width: width), to: 0, channel: channel, cost: &cost)
        return masks.map { 0 &- Self.lowWord($0) }
    }

    private func send(_ bytes: [UInt8], to peer: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) {
        try await channel.send(bytes, to: peer)
        cost.messagesSent += 1
        cost.bytesSent += bytes.count
        cost.rounds += 1
    }

    private func receive(from peer: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> [UInt8] {
        let bytes = try await channel.receive(from: peer)
        cost.bytesReceived += bytes.count
        return bytes
    }

    // MARK: encoding

    static func ciphertextWidth(_ key: PaillierPublicKey) -> Int { (key.nSquare.bitWidth + 7) / 8 }

    static func bigInt(_ word: UInt64) -> BigInt {
        BigInt(magnitudeBytes: (0..<8).map { UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * $0)) })
    }

    /// The value modulo 2⁶⁴ of a non-negative integer.
    static func lowWord(_ value: BigInt) -> UInt64 {
        var word: UInt64 = 0
        for byte in value.magnitudeBytes.suffix(8) { word = word << 8 | UInt64(byte) }
        return word
    }

    static func pack(_ values: [BigInt], width: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(values.count * width)
        for value in values {
            let bytes = value.magnitudeBytes
            out += [UInt8](repeating: 0, count: width - bytes.count) + bytes
        }
        return out
    }

    static func unpack(_ bytes: [UInt8], count: Int, width: Int, key: PaillierPublicKey) throws(CryptoError) -> [BigInt] {
        guard bytes.count == count * width else {
            throw CryptoError(.malformed, "Paillier triple message has \(bytes.count) bytes, expected \(count) ciphertexts of \(width)")
        }
        var out = [BigInt]()
        out.reserveCapacity(count)
        for index in 0..<count {
            let value = BigInt(magnitudeBytes: Array(bytes[(index * width)..<((index + 1) * width)]))
            out.append(try key.ciphertext(value: value, exponent: 0).value)
        }
        return out
    }
}

extension Int {
    /// The number of bits of a non-negative value (0 for 0).
    fileprivate var bitWidthOfValue: Int { self <= 0 ? 0 : Int.bitWidth - leadingZeroBitCount }
}
