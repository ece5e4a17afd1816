public import Foundation
internal import Crypto

/// Encrypted sums of `Float` vectors (federated updates, histograms, scores) under Paillier:
/// each contributor encrypts its vector with the key holder's public key, an aggregator that
/// holds no key adds the ciphertexts, and only the key holder decrypts — and only the sum.
///
/// **Packing.** Values are quantised by a ``FixedPointQuantizer`` (clip range, `k` bits, at most
/// `maxSummands` contributors) and stored *offset* (`q + M ∈ [0, 2M]`, never negative), then
/// ``slotsPerCiphertext`` of them are packed into one plaintext, `Σⱼ uⱼ · 2^(k·j)`. A sum of up
/// to `maxSummands` offset values stays below `2ᵏ` (the quantiser sizes `M` so), so slots never
/// carry into each other and the packed plaintext stays below `n`. A 2048-bit key with 32-bit
/// slots holds 63 values per ciphertext: a 100 000-value update is 1 588 encryptions instead of
/// the 100 000 of one-value-per-ciphertext encoding (python-paillier's `EncryptedNumber`).
///
/// **Trust model.** The aggregator sees only ciphertexts and the number of contributors. The key
/// holder must never receive an individual contribution (it could decrypt it): route sums only.
/// Ciphertexts are not authenticated — a contributor can submit any vector within the clip
/// range (bound its influence with the clip range, as DP-FedAvg does), and a malicious
/// aggregator can drop contributions; ``EncryptedVectorSum/summands`` is what it claims to have
/// added, and a claim inconsistent with the decrypted slots is refused as `malformed`.
///
/// Error: each coordinate of the decrypted sum is within `summands · clipRange / (2M)` of the sum
/// of the clipped inputs (see ``FixedPointQuantizer``).
///
/// ```swift
/// let (publicKey, privateKey) = try PaillierKeyPair.generate(bits: 1024, insecureForTests: true)
/// let scheme = try PaillierVectorAggregation(publicKey: publicKey, clipRange: 1, bitWidth: 32, maxSummands: 10)
/// let a = try scheme.encrypt([0.25, -0.5, 0.125])
/// let b = try scheme.encrypt([0.5, 0.25, -1])
/// let total = try scheme.add(a, b)                        // the aggregator: no key needed
/// let sum = try scheme.decryptSum(total, privateKey: privateKey)  // ≈ [0.75, -0.25, -0.875]
/// ```
public struct PaillierVectorAggregation: Sendable {
    /// The key holder's public key.
    public let publicKey: PaillierPublicKey
    /// How values are clipped and quantised (the slot width is its `bitWidth`).
    public let quantizer: FixedPointQuantizer
    /// Values packed into one ciphertext: `⌊(bits(n) − 1) / k⌋`.
    public let slotsPerCiphertext: Int

    /// A packing of `bitWidth`-bit slots for sums of up to `maxSummands` vectors whose values
    /// are clipped to `[−clipRange, clipRange]`.
    ///
    /// Throws `invalidParameter` for a quantiser setting ``FixedPointQuantizer`` refuses, or a
    /// slot wider than the key's plaintext space.
    public init(publicKey: PaillierPublicKey, clipRange: Float, bitWidth: Int = 32, maxSummands: Int) throws(CryptoError) {
        let quantizer = try FixedPointQuantizer(clipRange: clipRange, bitWidth: bitWidth, maxSummands: maxSummands)
        let slots = (publicKey.n.bitWidth - 1) / bitWidth
        guard slots >= 1 else {
            throw CryptoError(.invalidParameter, "a \(bitWidth)-bit slot does not fit a \(publicKey.n.bitWidth)-bit Paillier plaintext")
        }
        self.publicKey = publicKey
        self.quantizer = quantizer
        slotsPerCiphertext = slots
    }

    /// Ciphertexts needed for a vector of `length` values.
    public func ciphertextCount(length: Int) -> Int {
        length <= 0 ? 0 : length / slotsPerCiphertext + (length % slotsPerCiphertext == 0 ? 0 : 1)  // no overflow near Int.max
    }

    /// One contributor's vector, clipped, quantised, packed and encrypted (ciphertexts on all cores).
    ///
    /// Throws `invalidParameter` for an empty vector or a value that is not finite.
    public func encrypt(_ values: [Float]) throws(CryptoError) -> EncryptedVectorSum {
        guard !values.isEmpty else { throw CryptoError(.invalidParameter, "encrypted aggregation: an empty vector") }
        let quantised = try quantizer.quantize(values)
        let offset = quantizer.levels, k = quantizer.bitWidth, shift = UInt64(64 - k)
        // Two's complement k-bit values back to signed, then offset into [0, 2M].
        let unsigned = quantised.map { UInt64(bitPattern: (Int64(bitPattern: $0 << shift) >> Int64(shift)) + Int64(offset)) }
        let slots = slotsPerCiphertext
        let plaintexts = (0..<ciphertextCount(length: values.count)).map { block in
            Self.pack(unsigned[(block * slots)..<min(unsigned.count, (block + 1) * slots)], bitWidth: k)
        }
        let key = publicKey
        let ciphertexts = try parallelMap(plaintexts.count) { i throws(CryptoError) in
            try key.encrypt(PaillierEncodedNumber(encoding: plaintexts[i], exponent: 0))
        }
        return EncryptedVectorSum(ciphertexts: ciphertexts, length: values.count, summands: 1)
    }

    /// The encrypted sum of two encrypted sums (the aggregator's step; no key needed).
    ///
    /// Throws `invalidParameter` when the vectors differ in length or layout, or the total
    /// number of contributors would exceed `maxSummands` (the slots could then carry).
    public func add(_ a: EncryptedVectorSum, _ b: EncryptedVectorSum) throws(CryptoError) -> EncryptedVectorSum {
        try check(a)
        try check(b)
        guard a.length == b.length else {
            throw CryptoError(.invalidParameter, "encrypted aggregation: adding a \(a.length)-value vector to a \(b.length)-value one")
        }
        let summands = a.summands + b.summands
        guard summands <= quantizer.maxSummands else {
            throw CryptoError(.invalidParameter, "encrypted aggregation: \(summands) contributors exceed the \(quantizer.maxSummands) this packing was sized for")
        }
        let key = publicKey
        let ciphertexts = try parallelMap(a.ciphertexts.count) { i throws(CryptoError) in try key.add(a.ciphertexts[i], b.ciphertexts[i]) }
        return EncryptedVectorSum(ciphertexts: ciphertexts, length: a.length, summands: summands)
    }

    /// The encrypted sum of many contributions (see ``add(_:_:)``).
    /// - Throws: ``CryptoError`` `.invalidParameter` for no contributions or any ``add(_:_:)`` error.
    public func sum(_ contributions: [EncryptedVectorSum]) throws(CryptoError) -> EncryptedVectorSum {
        guard var total = contributions.first else { throw CryptoError(.invalidParameter, "encrypted aggregation: no contributions") }
        try check(total)
        for contribution in contributions.dropFirst() { total = try add(total, contribution) }
        return total
    }

    /// The decrypted sum (the key holder's step; decryption on all cores).
    ///
    /// Throws `malformed` for ciphertexts of another key, a slot that no `summands` honest
    /// contributions could produce (a false contributor count, or a corrupted ciphertext), and
    /// `invalidParameter` when `summands` is outside 1 … `maxSummands`.
    public func decryptSum(_ sum: EncryptedVectorSum, privateKey: PaillierPrivateKey) throws(CryptoError) -> [Float] {
        guard privateKey.publicKey == publicKey else {
            throw CryptoError(.invalidParameter, "encrypted aggregation: the private key is not the one these vectors were encrypted to")
        }
        try check(sum)
        let plaintexts = try parallelMap(sum.ciphertexts.count) { i throws(CryptoError) in
            try privateKey.decryptEncoded(sum.ciphertexts[i]).encoding
        }
        let k = quantizer.bitWidth, slots = slotsPerCiphertext
        let offset = UInt64(sum.summands) * quantizer.levels
        var signed: [UInt64] = []
        signed.reserveCapacity(sum.length)
        for (block, plaintext) in plaintexts.enumerated() {
            let count = min(slots, sum.length - block * slots)
            guard plaintext.bitWidth <= count * k else {
                throw CryptoError(.malformed, "encrypted aggregation: ciphertext \(block) holds more than \(count) slots (corrupt, or not this packing)")
            }
            for value in Self.unpack(plaintext, count: count, bitWidth: k) {
                guard value <= 2 * offset else {
                    throw CryptoError(.malformed, "encrypted aggregation: a slot exceeds what \(sum.summands) contributors can add up to (a false contributor count, or a corrupt ciphertext)")
                }
                // Back to a k-bit two's complement sum, as the quantiser decodes it.
                signed.append(UInt64(bitPattern: Int64(value) - Int64(offset)) & quantizer.mask)
            }
        }
        return try quantizer.dequantize(sum: signed, summands: sum.summands)
    }

    /// The decrypted mean, ``decryptSum(_:privateKey:)`` divided by the number of contributors.
    /// - Throws: see ``decryptSum(_:privateKey:)``.
    public func decryptMean(_ sum: EncryptedVectorSum, privateKey: PaillierPrivateKey) throws(CryptoError) -> [Float] {
        let total = try decryptSum(sum, privateKey: privateKey)
        let n = Float(sum.summands)
        return total.map { $0 / n }
    }

    private func check(_ sum: EncryptedVectorSum) throws(CryptoError) {
        guard sum.length >= 1, sum.ciphertexts.count == ciphertextCount(length: sum.length) else {
            throw CryptoError(.invalidParameter, "encrypted aggregation: \(sum.ciphertexts.count) ciphertexts for \(sum.length) values, expected \(ciphertextCount(length: sum.length)) at \(slotsPerCiphertext) per ciphertext")
        }
        guard (1...quantizer.maxSummands).contains(sum.summands) else {
            throw CryptoError(.invalidParameter, "encrypted aggregation: \(sum.summands) contributors, expected 1 … \(quantizer.maxSummands)")
        }
    }

    /// `Σⱼ values[j] · 2^(k·j)` (each value below 2ᵏ), as a non-negative integer.
    static func pack(_ values: ArraySlice<UInt64>, bitWidth k: Int) -> BigInt {
        let totalBits = values.count * k
        var bytes = [UInt8](repeating: 0, count: (totalBits + 7) / 8)  // little-endian while filling
        var bit = 0
        for value in values {
            for b in 0..<k where (value >> UInt64(b)) & 1 == 1 {
                let position = bit + b
                bytes[position / 8] |= 1 << UInt8(position % 8)
            }
            bit += k
        }
        return BigInt(magnitudeBytes: bytes.reversed())
    }

    /// The `count` k-bit slots of a packed non-negative integer, least significant first.
    static func unpack(_ packed: BigInt, count: Int, bitWidth k: Int) -> [UInt64] {
        let bytes = Array(packed.magnitudeBytes.reversed())  // little-endian
        var out = [UInt64](repeating: 0, count: count)
        for slot in 0..<count {
            var value: UInt64 = 0
            for b in 0..<k {
                let position = slot * k + b
                guard position / 8 < bytes.count else { break }
                if (bytes[position / 8] >> UInt8(position % 8)) & 1 == 1 { value |= 1 << UInt64(b) }
            }
            out[slot] = value
        }
        return out
    }
}

/// An encrypted sum of `summands` packed vectors of `length` values (one contribution has
/// `summands` 1), as ``PaillierVectorAggregation`` makes and adds them.
public struct EncryptedVectorSum: Sendable, Hashable {
    /// The packed ciphertexts, ``PaillierVectorAggregation/slotsPerCiphertext`` values each.
    public let ciphertexts: [PaillierCiphertext]
    /// Values in the vector.
    public let length: Int
    /// Contributions added into it.
    public let summands: Int

    /// A sum as received from elsewhere (checked against the packing when it is used).
    public init(ciphertexts: [PaillierCiphertext], length: Int, summands: Int) {
        self.ciphertexts = ciphertexts
        self.length = length
        self.summands = summands
    }
}

extension PaillierVectorAggregation {
    /// The format tag of ``encode(_:)``'s JSON.
    public static let format = "bulwark-paillier-packed-v1"

    private struct Wire: Codable {
        var format: String
        var key: String
        var bitWidth: Int
        var clipRange: Float
        var maxSummands: Int
        var length: Int
        var summands: Int
        var ciphertexts: [String]
    }

    /// The public key's fingerprint: the first 16 hex digits of SHA-256 over n's big-endian bytes.
    public var keyFingerprint: String {
        SHA256.hash(data: publicKey.n.magnitudeBytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// `sum` as one line of JSON for transport between contributors, aggregator and key holder:
    /// the key's fingerprint and the packing (so a receiver with another key or other settings
    /// refuses it), the counts and the ciphertexts as decimal strings.
    public func encode(_ sum: EncryptedVectorSum) -> Data {
        let wire = Wire(format: Self.format, key: keyFingerprint, bitWidth: quantizer.bitWidth, clipRange: quantizer.clipRange, maxSummands: quantizer.maxSummands,
                        length: sum.length, summands: sum.summands, ciphertexts: sum.ciphertexts.map(\.value.decimalString))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a struct of strings and numbers cannot fail.
        return (try? encoder.encode(wire)) ?? Data()
    }

    /// Reads ``encode(_:)``'s JSON, checking the packing against this one and every ciphertext
    /// against the public key.
    ///
    /// Throws `malformed` for JSON that is not this format or a ciphertext that is not one of this
    /// key, and `invalidParameter` when the key, the packing or the counts differ from this one's.
    public func decode(_ data: Data) throws(CryptoError) -> EncryptedVectorSum {
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: data)
        } catch {
            throw CryptoError(.malformed, "encrypted aggregation: not a \(Self.format) JSON object")
        }
        guard wire.format == Self.format else {
            throw CryptoError(.malformed, "encrypted aggregation: format \"\(wire.format)\", expected \"\(Self.format)\"")
        }
        guard wire.key == keyFingerprint else {
            throw CryptoError(.invalidParameter, "encrypted aggregation: encrypted to key \(wire.key), not this key (\(keyFingerprint))")
        }
        guard wire.bitWidth == quantizer.bitWidth, wire.clipRange == quantizer.clipRange, wire.maxSummands == quantizer.maxSummands else {
            throw CryptoError(.invalidParameter, "encrypted aggregation: packed with \(wire.bitWidth)-bit slots, clip \(wire.clipRange), \(wire.maxSummands) contributors; expected \(quantizer.bitWidth), \(quantizer.clipRange), \(quantizer.maxSummands)")
        }
        var ciphertexts: [PaillierCiphertext] = []
        ciphertexts.reserveCapacity(wire.ciphertexts.count)
        for (index, text) in wire.ciphertexts.enumerated() {
            guard let value = BigInt(decimal: text) else {
                throw CryptoError(.malformed, "encrypted aggregation: ciphertext \(index) is not a decimal integer")
            }
            ciphertexts.append(try publicKey.ciphertext(value: value, exponent: 0))
        }
        let sum = EncryptedVectorSum(ciphertexts: ciphertexts, length: wire.length, summands: wire.summands)
        try check(sum)
        return sum
    }
}
