/// One party's share of a Shamir-shared secret: the evaluation point `x` and, for each field
/// element of the secret, its polynomial's value at `x`.
///
/// A secret of several elements is shared with one independent polynomial per element, all
/// evaluated at the same `x`, so one share carries as many values as the secret has elements.
public struct ShamirShare: Sendable, Hashable, Codable {
    /// The evaluation point: never zero (the secret sits at zero).
    public var x: MersenneField
    /// The polynomials' values at ``x``, one per element of the secret.
    public var values: [MersenneField]

    /// A share at `x` holding `values`.
    public init(x: MersenneField, values: [MersenneField]) {
        self.x = x
        self.values = values
    }
}

/// Shamir's t-of-n secret sharing (Shamir 1979, "How to share a secret") over
/// ``MersenneField`` (p = 2⁶¹ − 1).
///
/// ``split(_:threshold:at:using:)`` hides each element `s` of the secret as the constant term of
/// a random polynomial `f(z) = s + a₁z + … + a_{t−1}z^{t−1}` and hands party `i` the values at
/// its point `xᵢ ≠ 0`. Any `t` shares give `f` back by Lagrange interpolation at zero,
/// `s = Σᵢ yᵢ · Πⱼ≠ᵢ xⱼ / (xⱼ − xᵢ)`; any `t − 1` shares are independent of `s` (they are uniformly
/// distributed whatever `s` is), provided the coefficients are uniformly random and secret.
///
/// Byte secrets (``split(bytes:threshold:at:using:)``) are cut into 7-byte chunks, each read
/// little-endian as one element below 2⁵⁶ < p (so every chunk value is a field element and
/// reconstruction can check the bound); a 32-byte key or seed is four 7-byte chunks and one
/// 4-byte chunk, five elements per share.
///
/// Cost: splitting is `O(n · t)` field operations per element; reconstruction `O(t²)` for the
/// Lagrange weights (one inversion each) plus `O(t)` per element.
///
/// ```swift
/// var generator = ChaCha20Generator()
/// let secret: [UInt8] = Array(repeating: 42, count: 32)
/// let shares = try ShamirSecretSharing.split(bytes: secret, threshold: 3, at: [1, 2, 3, 4, 5], using: &generator)
/// let back = try ShamirSecretSharing.reconstructBytes(from: [shares[4], shares[0], shares[2]], threshold: 3, byteCount: 32)
/// print(back == secret)  // true
/// ```
public enum ShamirSecretSharing {
    /// Bytes per field element when sharing a byte string: 7 bytes, values below 2⁵⁶ < p.
    public static let bytesPerElement = 7

    /// Shares of `secret` for the parties at the distinct, non-zero points `points` (a party's
    /// number plus one, say), any `threshold` of which reconstruct it.
    ///
    /// Throws `invalidParameter` when `threshold` is below 1 or above the number of points, or a
    /// point is zero, and `malformed` when two points are equal.
    public static func split(_ secret: [MersenneField], threshold: Int, at points: [UInt64],
                             using generator: inout some RandomNumberGenerator) throws(CryptoError) -> [ShamirShare] {
        guard threshold >= 1, threshold <= points.count else {
            throw CryptoError(.invalidParameter, "threshold \(threshold) for \(points.count) shares: expected 1 ... \(points.count)")
        }
        let xs = try checkedPoints(points)
        var shares = xs.map { ShamirShare(x: $0, values: []) }
        for index in shares.indices { shares[index].values.reserveCapacity(secret.count) }
        var coefficients = [MersenneField](repeating: .zero, count: threshold)
        for element in secret {
            coefficients[0] = element
            for degree in 1..<threshold { coefficients[degree] = MersenneField.random(using: &generator) }
            for index in shares.indices {
                // Horner's rule at x.
                var value = MersenneField.zero
                for coefficient in coefficients.reversed() { value = value * xs[index] + coefficient }
                shares[index].values.append(value)
            }
        }
        coefficients = coefficients.map { _ in .zero }
        return shares
    }

    /// The secret that `shares` hold, interpolated at zero from the first `threshold` of them.
    ///
    /// Throws `insufficientShares` for fewer than `threshold` shares, `malformed` when two
    /// shares have the same point or their value counts differ, and `invalidParameter` for a
    /// zero point or a threshold below 1. More than `threshold` shares are accepted; only the
    /// first `threshold` are used (so a wrong extra share goes unnoticed — Shamir sharing alone
    /// does not detect cheating shareholders).
    public static func reconstruct(from shares: [ShamirShare], threshold: Int) throws(CryptoError) -> [MersenneField] {
        guard threshold >= 1 else { throw CryptoError(.invalidParameter, "threshold \(threshold): expected at least 1") }
        guard shares.count >= threshold else {
            throw CryptoError(.insufficientShares, "\(shares.count) shares for a threshold of \(threshold)")
        }
        // Duplicates are refused among all the shares given, not only the ones used.
        _ = try checkedPoints(shares.map(\.x.value))
        let used = Array(shares.prefix(threshold))
        let length = used[0].values.count
        guard used.allSatisfy({ $0.values.count == length }), shares.allSatisfy({ $0.values.count == length }) else {
            throw CryptoError(.malformed, "shares hold different numbers of values")
        }
        // Lagrange weights at zero: wᵢ = Πⱼ≠ᵢ xⱼ / (xⱼ − xᵢ).
        var weights: [MersenneField] = []
        weights.reserveCapacity(threshold)
        for i in used.indices {
            var numerator = MersenneField.one, denominator = MersenneField.one
            for j in used.indices where j != i {
                numerator *= used[j].x
                denominator *= used[j].x - used[i].x
            }
            weights.append(numerator * (try denominator.inverse()))
        }
        var secret = [MersenneField](repeating: .zero, count: length)
        for (share, weight) in zip(used, weights) {
            for index in 0..<length { secret[index] += share.values[index] * weight }
        }
        return secret
    }

    /// Shares of the byte string `bytes`, cut into 7-byte little-endian chunks (see the type's
    /// documentation); the same checks as ``split(_:threshold:at:using:)``.
    public static func split(bytes: [UInt8], threshold: Int, at points: [UInt64],
                             using generator: inout some RandomNumberGenerator) throws(CryptoError) -> [ShamirShare] {
        var elements: [MersenneField] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + bytesPerElement, bytes.count)
            var value: UInt64 = 0
            for (shift, byte) in bytes[start..<end].enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
            elements.append(MersenneField(value))
            start = end
        }
        return try split(elements, threshold: threshold, at: points, using: &generator)
    }

    /// The `byteCount` bytes that ``split(bytes:threshold:at:using:)`` shared; throws as
    /// ``reconstruct(from:threshold:)`` does, and `malformed` when the shares hold another number
    /// of chunks or a chunk's value does not fit its bytes (shares of another secret, or tampered).
    public static func reconstructBytes(from shares: [ShamirShare], threshold: Int, byteCount: Int) throws(CryptoError) -> [UInt8] {
        let elements = try reconstruct(from: shares, threshold: threshold)
        let chunks = (byteCount + bytesPerElement - 1) / bytesPerElement
        guard byteCount >= 0, elements.count == chunks else {
            throw CryptoError(.malformed, "shares hold \(elements.count) chunks, a \(byteCount)-byte secret needs \(chunks)")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount)
        for (index, element) in elements.enumerated() {
            let width = min(bytesPerElement, byteCount - index * bytesPerElement)
            guard element.value >> (8 * UInt64(width)) == 0 else {
                throw CryptoError(.malformed, "chunk \(index) does not fit in \(width) bytes: shares of another secret or tampered")
            }
            for shift in 0..<width { bytes.append(UInt8(truncatingIfNeeded: element.value >> (8 * UInt64(shift)))) }
        }
        return bytes
    }

    private static func checkedPoints(_ points: [UInt64]) throws(CryptoError) -> [MersenneField] {
        var seen = Set<UInt64>()
        var xs: [MersenneField] = []
        xs.reserveCapacity(points.count)
        for point in points {
            let x = try MersenneField(exactly: point)
            guard x != .zero else { throw CryptoError(.invalidParameter, "share point 0 would reveal the secret") }
            guard seen.insert(point).inserted else { throw CryptoError(.malformed, "two shares at the same point \(point)") }
            xs.append(x)
        }
        return xs
    }
}
