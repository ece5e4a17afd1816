/// Fixed-point quantisation of `Float` vectors into the ring ℤ/2ᵏℤ, sized so that the sum of up
/// to `maxSummands` quantised vectors never wraps: what secure aggregation masks and sums.
///
/// Each value is clipped to `[−clipRange, clipRange]`, scaled by `scale = M / clipRange` and rounded
/// to the nearest integer `q ∈ [−M, M]`, stored in two's complement modulo 2ᵏ (a `UInt64` whose
/// bits above `k` are zero). The level count is `M = ⌊(2ᵏ⁻¹ − 1) / maxSummands⌋`, so the true sum
/// of `n ≤ maxSummands` vectors lies in `[−nM, nM] ⊆ [−(2ᵏ⁻¹ − 1), 2ᵏ⁻¹ − 1]`: the modular sum
/// (any order, with or without masks that cancel) has one signed reading, and
/// ``dequantize(sum:summands:)`` recovers it exactly. A decoded coordinate outside `[−nM, nM]`
/// cannot come from honest inputs and is refused, which also catches masks that were not removed.
///
/// Error bound: a coordinate of the dequantised sum of `n` vectors is within
/// `n · clipRange / (2M)` of the sum of the clipped inputs (half a level per summand). With the
/// default 32 bits, 100 summands and a clip range of 1, that is about 2.3·10⁻⁵ per coordinate.
///
/// ```swift
/// let quantizer = try FixedPointQuantizer(clipRange: 1, bitWidth: 32, maxSummands: 3)
/// let a = try quantizer.quantize([0.25, -0.5, 0])
/// let b = try quantizer.quantize([0.5, 0.25, 1])
/// let sum = try quantizer.dequantize(sum: quantizer.add(a, b), summands: 2)
/// print(sum)  // ≈ [0.75, -0.25, 1.0]
/// ```
public struct FixedPointQuantizer: Sendable, Hashable, Codable {
    /// Values are clipped to `[−clipRange, clipRange]` before quantisation.
    public let clipRange: Float
    /// The ring is ℤ/2ᵏℤ with k = `bitWidth` (2 ... 64).
    public let bitWidth: Int
    /// The most vectors whose sum must not wrap.
    public let maxSummands: Int
    /// `M`: a clipped value of magnitude `clipRange` quantises to ±M.
    public let levels: UInt64
    /// Quantisation steps per unit, `M / clipRange`.
    public var scale: Double { Double(levels) / Double(clipRange) }
    /// `2ᵏ − 1`: the ring's elements are the integers up to it.
    public var mask: UInt64 { bitWidth == 64 ? .max : (1 << UInt64(bitWidth)) - 1 }

    /// A quantiser for values clipped to `clipRange` in ℤ/2^`bitWidth`ℤ whose sums of up to
    /// `maxSummands` vectors never wrap.
    ///
    /// Throws `invalidParameter` when `clipRange` is not a positive finite number, `bitWidth` is
    /// outside 2 ... 64, `maxSummands` is below 1, or the ring is too small to give each summand at
    /// least one level (`maxSummands > 2ᵏ⁻¹ − 1`).
    public init(clipRange: Float, bitWidth: Int = 32, maxSummands: Int) throws(CryptoError) {
        guard clipRange.isFinite, clipRange > 0 else {
            throw CryptoError(.invalidParameter, "clip range \(clipRange): expected a positive finite number")
        }
        guard (2...64).contains(bitWidth) else { throw CryptoError(.invalidParameter, "bit width \(bitWidth): expected 2 ... 64") }
        guard maxSummands >= 1 else { throw CryptoError(.invalidParameter, "\(maxSummands) summands: expected at least 1") }
        let half = (UInt64(1) << UInt64(bitWidth - 1)) - 1
        guard UInt64(maxSummands) <= half else {
            throw CryptoError(.invalidParameter, "a \(bitWidth)-bit ring cannot hold the sum of \(maxSummands) vectors")
        }
        self.clipRange = clipRange
        self.bitWidth = bitWidth
        self.maxSummands = maxSummands
        levels = half / UInt64(maxSummands)
    }

    /// `values` clipped, scaled, rounded to nearest and reduced modulo 2ᵏ; throws
    /// `invalidParameter` naming the first value that is not finite.
    public func quantize(_ values: [Float]) throws(CryptoError) -> [UInt64] {
        let scale = self.scale, clip = clipRange, mask = self.mask
        var out = [UInt64](repeating: 0, count: values.count)
        for index in values.indices {
            let value = values[index]
            guard value.isFinite else { throw CryptoError(.invalidParameter, "value \(index) is not finite (\(value))") }
            let clipped = Double(Swift.min(Swift.max(value, -clip), clip))
            let level = Int64((clipped * scale).rounded())  // |level| ≤ M < 2⁶³
            out[index] = UInt64(bitPattern: level) & mask
        }
        return out
    }

    /// The coordinate-wise sum of `a` and `b` modulo 2ᵏ; throws `malformed` when their lengths differ.
    public func add(_ a: [UInt64], _ b: [UInt64]) throws(CryptoError) -> [UInt64] {
        guard a.count == b.count else { throw CryptoError(.malformed, "vectors of \(a.count) and \(b.count) values") }
        let mask = self.mask
        return zip(a, b).map { ($0 &+ $1) & mask }
    }

    /// The `Float` sum of the `summands` vectors whose quantised sum modulo 2ᵏ is `sum`.
    ///
    /// Throws `invalidParameter` when `summands` is outside 1 ... ``maxSummands``, and `malformed`
    /// when a coordinate has bits above `k` or decodes outside `[−summands·M, summands·M]` —
    /// impossible for a sum of honest quantised vectors, so a sign of leftover masks or corrupt
    /// input.
    public func dequantize(sum: [UInt64], summands: Int) throws(CryptoError) -> [Float] {
        guard (1...maxSummands).contains(summands) else {
            throw CryptoError(.invalidParameter, "\(summands) summands: expected 1 ... \(maxSummands)")
        }
        let bound = UInt64(summands) * levels
        let shift = UInt64(64 - bitWidth), mask = self.mask, scale = self.scale
        var out = [Float](repeating: 0, count: sum.count)
        for index in sum.indices {
            let raw = sum[index]
            guard raw & ~mask == 0 else { throw CryptoError(.malformed, "sum coordinate \(index) has bits above \(bitWidth)") }
            let signed = Int64(bitPattern: raw << shift) >> Int64(shift)  // sign-extend from bit k−1
            guard signed.magnitude <= bound else {
                throw CryptoError(.malformed, "sum coordinate \(index) is outside what \(summands) clipped inputs can add up to: masks left in or corrupt input")
            }
            out[index] = Float(Double(signed) / scale)
        }
        return out
    }
}
