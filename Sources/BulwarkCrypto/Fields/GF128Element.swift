/// An element of GF(2¹²⁸) = GF(2)[x] / (x¹²⁸ + x⁷ + x² + x + 1), in PyCryptodome's encoding:
/// bit `i` of the 128-bit integer is the coefficient of `xⁱ`, and the 16-byte form is that
/// integer big-endian (`Crypto.Protocol.SecretSharing._Element`).
///
/// Addition is XOR; multiplication is carry-less with reduction by the field polynomial and
/// runs in constant time (128 masked steps); the inverse is `a^(2¹²⁸ − 2)`.
///
/// ```swift
/// let three = GF128Element(3), five = GF128Element(5)
/// print(three * five == GF128Element(15))  // true: (x + 1)(x² + 1) = x³ + x² + x + 1
/// ```
public struct GF128Element: Sendable, Hashable {
    /// Coefficients of x¹²⁷ … x⁶⁴.
    public var high: UInt64
    /// Coefficients of x⁶³ … x⁰.
    public var low: UInt64

    /// The additive identity.
    public static let zero = GF128Element(high: 0, low: 0)
    /// The multiplicative identity.
    public static let one = GF128Element(high: 0, low: 1)

    /// The element with the given halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The element whose low coefficients are the bits of `value` (how PyCryptodome embeds a
    /// share index).
    public init(_ value: UInt64) { self.init(high: 0, low: value) }

    /// The element encoded by 16 big-endian bytes; throws `malformed` for another length.
    public init(bytes: some Collection<UInt8>) throws(CryptoError) {
        guard bytes.count == 16 else { throw CryptoError(.malformed, "a GF(2^128) element is 16 bytes, got \(bytes.count)") }
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// The 16 big-endian bytes of the element.
    public var bytes: [UInt8] {
        (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? high >> (56 - 8 * i) : low >> (56 - 8 * (i - 8)))) }
    }

    /// The sum (XOR) of two elements.
    public static func + (lhs: Self, rhs: Self) -> Self { Self(high: lhs.high ^ rhs.high, low: lhs.low ^ rhs.low) }

    /// The product of two elements: carry-less multiplication reduced by x¹²⁸ + x⁷ + x² + x + 1.
    public static func * (lhs: Self, rhs: Self) -> Self {
        var vHigh = lhs.high, vLow = lhs.low
        var zHigh: UInt64 = 0, zLow: UInt64 = 0
        for i in 0..<128 {
            let bit = i < 64 ? (rhs.low >> UInt64(i)) & 1 : (rhs.high >> UInt64(i - 64)) & 1
            let take = 0 &- bit
            zHigh ^= vHigh & take
            zLow ^= vLow & take
            let carry = 0 &- (vHigh >> 63)
            vHigh = vHigh << 1 | vLow >> 63
            vLow = (vLow << 1) ^ (0x87 & carry)
        }
        return Self(high: zHigh, low: zLow)
    }

    /// The multiplicative inverse; throws `invalidParameter` for zero.
    public func inverse() throws(CryptoError) -> Self {
        guard self != .zero else { throw CryptoError(.invalidParameter, "zero has no inverse in GF(2^128)") }
        // a^(2^128 − 2) = Π_{i=1}^{127} a^(2^i)
        var result = Self.one
        var square = self
        for _ in 1...127 {
            square = square * square
            result = result * square
        }
        return result
    }
}
