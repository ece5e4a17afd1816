/// Shamir's t-of-n secret sharing (Shamir 1979, "How to share a secret") over
/// ``GF128Element``, compatible with PyCryptodome's `Crypto.Protocol.SecretSharing.Shamir`
/// (`ssss=False`) and with the byte framing Flower's SecAgg+ builds on it.
///
/// A 16-byte chunk `s` becomes the constant term of `f(z) = a_{t−1}z^{t−1} + … + a₁z + s` with
/// uniformly random 16-byte coefficients; party `i` (1 … n) gets `f(i)`, where `i` is embedded as
/// the field element whose bits are those of the integer. Any `t` shares give `s` back by
/// Lagrange interpolation at zero; `t − 1` shares are independent of `s`.
///
/// ``split(bytes:threshold:count:using:)`` / ``combine(_:)`` frame a byte string as Flower's
/// `create_shares` / `combine_shares` do: PKCS#7 padding to a multiple of 16 bytes, one sharing
/// per 16-byte chunk, and share `i` laid out as `i` in 4 little-endian bytes followed by the
/// party's 16-byte share of every chunk in order.
///
/// Cost: splitting is `O(n · t)` field multiplications per chunk; combining `O(k²)` per chunk
/// for `k` shares plus one inversion per share.
///
/// ```swift
/// var generator = SystemRandomNumberGenerator()
/// let secret: [UInt8] = Array("a 32-byte seed for the masks....".utf8)
/// let shares = try GF128SecretSharing.split(bytes: secret, threshold: 2, count: 3, using: &generator)
/// print(try GF128SecretSharing.combine([shares[2], shares[0]]) == secret)  // true
/// ```
public enum GF128SecretSharing {
    /// The most shares one split makes (a bound against hostile parameters).
    public static let maximumShareCount = 65_536

    /// Shares of the 16-byte `chunk` for parties 1 … `count`, any `threshold` of which give it
    /// back: `(index, 16-byte share)` pairs, as PyCryptodome's `Shamir.split(threshold, count,
    /// chunk)` returns them.
    ///
    /// Throws `invalidParameter` for a threshold outside `1 ... count`, a count above
    /// ``maximumShareCount`` or a chunk that is not 16 bytes.
    public static func split(chunk: [UInt8], threshold: Int, count: Int,
                             using generator: inout some RandomNumberGenerator) throws(CryptoError) -> [(index: Int, share: [UInt8])] {
        try checkParameters(threshold: threshold, count: count)
        let secret = try GF128Element(bytes: chunk)
        var coefficients: [GF128Element] = []
        coefficients.reserveCapacity(threshold)
        for _ in 1..<threshold { coefficients.append(GF128Element(high: generator.next(), low: generator.next())) }
        coefficients.append(secret)
        return (1...count).map { index in (index, evaluate(coefficients, at: index).bytes) }
    }

    /// The value at `index` of the polynomial with `coefficients`, highest degree first and the
    /// secret last (Horner's rule, as PyCryptodome's `make_share`).
    static func evaluate(_ coefficients: [GF128Element], at index: Int) -> GF128Element {
        let x = GF128Element(UInt64(index))
        var value = GF128Element.zero
        for coefficient in coefficients { value = x * value + coefficient }
        return value
    }

    /// The 16-byte chunk whose shares are `shares` (`(index, 16-byte share)` pairs, all that were
    /// collected: more than the threshold is fine).
    ///
    /// Throws `malformed` for no shares, a share that is not 16 bytes, an index of zero or a
    /// duplicate index. Too few shares give a wrong chunk, not an error (Shamir cannot tell).
    public static func combine(chunkShares shares: [(index: Int, share: [UInt8])]) throws(CryptoError) -> [UInt8] {
        guard !shares.isEmpty else { throw CryptoError(.malformed, "no shares to combine") }
        var points: [(x: GF128Element, y: GF128Element)] = []
        var seen = Set<Int>()
        for (index, share) in shares {
            guard index > 0, index <= Int(UInt32.max) else { throw CryptoError(.malformed, "share index \(index) is outside 1 ... 2^32 - 1") }
            guard seen.insert(index).inserted else { throw CryptoError(.malformed, "duplicate share index \(index)") }
            points.append((GF128Element(UInt64(index)), try GF128Element(bytes: share)))
        }
        var result = GF128Element.zero
        for (j, point) in points.enumerated() {
            var numerator = GF128Element.one, denominator = GF128Element.one
            for (m, other) in points.enumerated() where m != j {
                numerator = numerator * other.x
                denominator = denominator * (point.x + other.x)
            }
            result = result + point.y * numerator * (try denominator.inverse())
        }
        return result.bytes
    }

    /// Shares of a byte string in Flower's framing (see the type's summary): `count` shares,
    /// each `4 + 16 · ⌈(bytes.count + 1) / 16⌉` bytes, any `threshold` of which give it back.
    public static func split(bytes secret: [UInt8], threshold: Int, count: Int,
                             using generator: inout some RandomNumberGenerator) throws(CryptoError) -> [[UInt8]] {
        try checkParameters(threshold: threshold, count: count)
        let padding = 16 - secret.count % 16
        let padded = secret + [UInt8](repeating: UInt8(padding), count: padding)
        var shares: [[UInt8]] = (1...count).map { index in
            var share = [UInt8]()
            share.reserveCapacity(4 + padded.count)
            withUnsafeBytes(of: UInt32(index).littleEndian) { share.append(contentsOf: $0) }
            return share
        }
        for start in stride(from: 0, to: padded.count, by: 16) {
            let parts = try split(chunk: Array(padded[start..<start + 16]), threshold: threshold, count: count, using: &generator)
            for (index, part) in parts { shares[index - 1].append(contentsOf: part) }
        }
        return shares
    }

    /// The byte string whose Flower-framed shares are `shares` (all collected ones).
    ///
    /// Throws `malformed` for no shares, shares of different or impossible lengths, a duplicate
    /// or zero index, or padding that does not check out (too few or wrong shares).
    public static func combine(_ shares: [[UInt8]]) throws(CryptoError) -> [UInt8] {
        guard let first = shares.first else { throw CryptoError(.malformed, "no shares to combine") }
        guard first.count >= 20, (first.count - 4) % 16 == 0 else {
            throw CryptoError(.malformed, "a share is 4 + 16·k bytes, got \(first.count)")
        }
        guard shares.allSatisfy({ $0.count == first.count }) else { throw CryptoError(.malformed, "shares differ in length") }
        let indices = shares.map { share in Int(share[0]) | Int(share[1]) << 8 | Int(share[2]) << 16 | Int(share[3]) << 24 }
        var padded: [UInt8] = []
        for start in stride(from: 4, to: first.count, by: 16) {
            let chunkShares = zip(indices, shares).map { (index: $0, share: Array($1[start..<start + 16])) }
            padded += try combine(chunkShares: chunkShares)
        }
        guard let last = padded.last, last >= 1, last <= 16,
              padded.suffix(Int(last)).allSatisfy({ $0 == last }) else {
            throw CryptoError(.malformed, "failed to combine shares: the padding does not check out")
        }
        return Array(padded.dropLast(Int(last)))
    }

    static func checkParameters(threshold: Int, count: Int) throws(CryptoError) {
        guard count >= 1, count <= maximumShareCount else {
            throw CryptoError(.invalidParameter, "share count \(count) is outside 1 ... \(maximumShareCount)")
        }
        guard threshold >= 1, threshold <= count else {
            throw CryptoError(.invalidParameter, "threshold \(threshold) for \(count) shares: expected 1 ... \(count)")
        }
    }
}
