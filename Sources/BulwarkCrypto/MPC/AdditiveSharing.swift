/// Additive secret sharing over the ring ℤ/2⁶⁴ℤ: x = x₀ + x₁ + … + xₙ₋₁ mod 2⁶⁴, all arithmetic
/// wrapping (`&+`, `&*`).
///
/// ``share(_:parties:using:)`` draws the first n − 1 shares uniformly and sets the last to the
/// difference, so any n − 1 shares are uniform and independent of the secret (perfect
/// secrecy against a coalition of up to n − 1 parties). Linear operations (sums, public
/// scalars) are local; products need a Beaver triple and one round (``MPCParty``).
///
/// Fixed point: with ``FixedPointEncoding`` at f fractional bits, a product of shares has scale
/// 2²ᶠ and is brought back by ``truncate(_:party:bits:)``, the local truncation of SecureML
/// (Mohassel and Zhang, "SecureML: A System for Scalable Privacy-Preserving Machine Learning",
/// IEEE S&P 2017, Theorem 1), for two parties.
///
/// ```swift
/// var generator = try ChaCha20Generator(seed: [UInt8](repeating: 3, count: 32))
/// let shares = AdditiveSharing.share([5, 7], parties: 3, using: &generator)
/// print(try AdditiveSharing.reconstruct(shares))  // [5, 7]
/// ```
public enum AdditiveSharing {
    /// `parties` additive shares of `secret` (one array per party, each of the secret's length);
    /// `parties` is at least 1.
    public static func share(_ secret: [UInt64], parties: Int, using generator: inout some RandomNumberGenerator) -> [[UInt64]] {
        let count = max(parties, 1)
        var shares = [[UInt64]](repeating: [], count: count)
        var last = secret
        for party in 0..<(count - 1) {
            var share = [UInt64](repeating: 0, count: secret.count)
            for index in share.indices {
                share[index] = generator.next()
                last[index] = last[index] &- share[index]
            }
            shares[party] = share
        }
        shares[count - 1] = last
        return shares
    }

    /// The secret of `shares` (their wrapping sum); throws `.malformed` when the shares'
    /// lengths differ and `.insufficientShares` for no shares.
    public static func reconstruct(_ shares: [[UInt64]]) throws(CryptoError) -> [UInt64] {
        guard let first = shares.first else { throw CryptoError(.insufficientShares, "no additive shares to reconstruct from") }
        var sum = first
        for share in shares.dropFirst() {
            guard share.count == sum.count else { throw CryptoError(.malformed, "additive shares of \(sum.count) and \(share.count) elements") }
            for index in sum.indices { sum[index] = sum[index] &+ share[index] }
        }
        return sum
    }

    /// Party `party`'s share of x / 2^`bits` (rounded down, give or take one unit), from its share
    /// of x, for two parties — SecureML's local truncation: party 0 shifts its share right,
    /// party 1 negates, shifts and negates back.
    ///
    /// Error bound (SecureML Theorem 1): if |x| < 2^ℓₓ, the two truncated shares add up to
    /// ⌊x / 2^bits⌋ or ⌊x / 2^bits⌋ + 1 — at most one unit, 2^−f after a fixed-point product —
    /// except with probability at most 2^(ℓₓ + 1 − 64) per element, when the result is off by
    /// about 2^(64 − bits) (a wild value). For a product at scale 2³² (f = 16) of magnitude below
    /// 2¹⁰, ℓₓ = 42 and the failure rate is 2⁻²¹ per element.
    @inlinable
    public static func truncate(_ share: [UInt64], party: Int, bits: Int) -> [UInt64] {
        let shift = UInt64(min(max(bits, 0), 63))
        if party == 0 { return share.map { $0 >> shift } }
        return share.map { 0 &- ((0 &- $0) >> shift) }
    }
}

/// Binary (XOR) secret sharing of 64-bit words: x = x₀ ⊕ x₁ ⊕ … ⊕ xₙ₋₁, each word 64 shared
/// bits. XOR and NOT are local; AND needs a binary Beaver triple and one round.
///
/// As for ``AdditiveSharing``, any n − 1 shares are uniform and independent of the secret.
///
/// ```swift
/// var generator = try ChaCha20Generator(seed: [UInt8](repeating: 4, count: 32))
/// let shares = BinarySharing.share([0b1011], parties: 2, using: &generator)
/// print(try BinarySharing.reconstruct(shares))  // [11]
/// ```
public enum BinarySharing {
    /// `parties` XOR shares of `secret`.
    public static func share(_ secret: [UInt64], parties: Int, using generator: inout some RandomNumberGenerator) -> [[UInt64]] {
        let count = max(parties, 1)
        var shares = [[UInt64]](repeating: [], count: count)
        var last = secret
        for party in 0..<(count - 1) {
            var share = [UInt64](repeating: 0, count: secret.count)
            for index in share.indices {
                share[index] = generator.next()
                last[index] ^= share[index]
            }
            shares[party] = share
        }
        shares[count - 1] = last
        return shares
    }

    /// The secret of `shares` (their XOR); throws as ``AdditiveSharing/reconstruct(_:)``.
    public static func reconstruct(_ shares: [[UInt64]]) throws(CryptoError) -> [UInt64] {
        guard let first = shares.first else { throw CryptoError(.insufficientShares, "no XOR shares to reconstruct from") }
        var sum = first
        for share in shares.dropFirst() {
            guard share.count == sum.count else { throw CryptoError(.malformed, "XOR shares of \(sum.count) and \(share.count) words") }
            for index in sum.indices { sum[index] ^= share[index] }
        }
        return sum
    }
}
