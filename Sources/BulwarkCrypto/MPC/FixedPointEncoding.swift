/// Fixed-point numbers in the ring ℤ/2⁶⁴ℤ: a real x is the integer round(x · 2ᶠ) in two's
/// complement, with f = ``fractionalBits`` (16 by default, as CrypTen).
///
/// Why not ``FixedPointQuantizer``: that type clips to a range and scales by a level count sized
/// for sums of many vectors (secure aggregation); multiplication in MPC needs a power-of-two
/// scale so that a product, at scale 2²ᶠ, returns to scale 2ᶠ by an arithmetic shift
/// (``AdditiveSharing/truncate(_:party:bits:)``).
///
/// Range and precision: a value must satisfy |x| < 2^(63−f) (2⁴⁷ ≈ 1.4·10¹⁴ for f = 16);
/// its encoding error is at most 2^−(f+1) (half a unit in the last place, 7.6·10⁻⁶ for f = 16).
/// A product of two encodings has scale 2²ᶠ and must satisfy |x·y| < 2^(63−2f) before its
/// truncation (2³¹ for f = 16).
///
/// ```swift
/// let encoding = FixedPointEncoding(fractionalBits: 16)
/// let words = try encoding.encode([1.5, -0.25])
/// print(encoding.decode(words))  // [1.5, -0.25]
/// ```
public struct FixedPointEncoding: Sendable, Hashable, Codable {
    /// f: the number of fractional bits (the scale is 2ᶠ).
    public let fractionalBits: Int

    /// An encoding with `fractionalBits` fractional bits, clamped to 0 ... 40 (default 16).
    public init(fractionalBits: Int = 16) {
        self.fractionalBits = min(max(fractionalBits, 0), 40)
    }

    /// 2ᶠ, the scale.
    public var scale: Double { Double(UInt64(1) << UInt64(fractionalBits)) }

    /// The largest magnitude an encoding can hold, 2^(63−f).
    public var maximumMagnitude: Double { Double(UInt64(1) << UInt64(63 - fractionalBits)) }

    /// The encodings of `values`; throws `.invalidParameter` naming the first value that is not
    /// finite or whose magnitude reaches ``maximumMagnitude``.
    public func encode(_ values: [Double]) throws(CryptoError) -> [UInt64] {
        let scale = self.scale, limit = maximumMagnitude
        var out = [UInt64](repeating: 0, count: values.count)
        for index in values.indices {
            let value = values[index]
            guard value.isFinite, abs(value) < limit else {
                throw CryptoError(.invalidParameter, "value \(index) (\(value)) is outside the fixed-point range ±\(limit) of \(fractionalBits) fractional bits")
            }
            out[index] = UInt64(bitPattern: Int64((value * scale).rounded()))
        }
        return out
    }

    /// The encoding of one value; throws as the array form.
    public func encode(_ value: Double) throws(CryptoError) -> UInt64 {
        try encode([value])[0]
    }

    /// The reals of `words` read as two's-complement integers at scale 2ᶠ.
    public func decode(_ words: [UInt64]) -> [Double] {
        let scale = self.scale
        return words.map { Double(Int64(bitPattern: $0)) / scale }
    }
}
