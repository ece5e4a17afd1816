/// An element of the prime field 𝔽ₚ with p = 2⁶¹ − 1, the Mersenne prime that Bulwark's Shamir
/// sharing works over.
///
/// Why this prime: a product of two elements fits in 122 bits, and reducing it modulo a Mersenne
/// prime needs no division — `(hi·2⁶¹ + lo) ≡ hi + lo (mod p)` — so multiplication is one 64×64→128
/// multiply, two shifts and two conditional subtractions. The field has 2⁶¹ − 1 ≈ 2.3·10¹⁸
/// elements, far more than the parties of any federation (a share's x coordinate is a party's
/// number plus one), and secrets wider than 56 bits are cut into 56-bit chunks (see
/// ``ShamirSecretSharing``).
///
/// Values are kept canonical (`0 ..< p`): two elements are equal exactly when their ``value``s are.
///
/// ```swift
/// let a = MersenneField(5)
/// let b = try a.inverse()          // 5⁻¹ mod 2⁶¹ − 1
/// print((a * b).value)             // 1
/// print((MersenneField(0) - a).value == MersenneField.modulus - 5)  // true
/// ```
public struct MersenneField: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The prime p = 2⁶¹ − 1.
    public static let modulus: UInt64 = (1 << 61) - 1

    /// The canonical representative, in `0 ..< modulus`.
    public let value: UInt64

    /// The additive identity.
    public static let zero = MersenneField(canonical: 0)
    /// The multiplicative identity.
    public static let one = MersenneField(canonical: 1)

    @inline(__always) init(canonical: UInt64) { value = canonical }

    /// The element congruent to `value` (any `UInt64`, reduced modulo p).
    @inlinable public init(_ value: UInt64) {
        // value = hi·2⁶¹ + lo with hi < 8, so hi + lo < 2p and one subtraction suffices.
        let folded = (value & Self.modulus) &+ (value >> 61)
        self.value = folded >= Self.modulus ? folded &- Self.modulus : folded
    }

    @usableFromInline init(unchecked value: UInt64) { self.value = value }

    /// The element whose representative is exactly `value`; throws `invalidParameter` when
    /// `value` is not below p (a share or message that claims a non-canonical element).
    public init(exactly value: UInt64) throws(CryptoError) {
        guard value < Self.modulus else {
            throw CryptoError(.invalidParameter, "field element \(value) is not below the modulus 2^61-1")
        }
        self.value = value
    }

    /// A uniformly random element drawn from `generator` by rejection (61 random bits, redrawn in
    /// the one case, all ones, that equals p).
    public static func random(using generator: inout some RandomNumberGenerator) -> MersenneField {
        while true {
            let candidate = generator.next() >> 3
            if candidate < modulus { return MersenneField(canonical: candidate) }
        }
    }

    /// The sum modulo p.
    @inlinable public static func + (lhs: Self, rhs: Self) -> Self {
        let sum = lhs.value &+ rhs.value  // < 2p < 2⁶³: no overflow
        return Self(unchecked: sum >= modulus ? sum &- modulus : sum)
    }

    /// The difference modulo p.
    @inlinable public static func - (lhs: Self, rhs: Self) -> Self {
        lhs.value >= rhs.value ? Self(unchecked: lhs.value &- rhs.value) : Self(unchecked: lhs.value &+ modulus &- rhs.value)
    }

    /// The additive inverse.
    @inlinable public static prefix func - (operand: Self) -> Self { zero - operand }

    /// The product modulo p: a 122-bit product folded twice at bit 61.
    @inlinable public static func * (lhs: Self, rhs: Self) -> Self {
        let (high, low) = lhs.value.multipliedFullWidth(by: rhs.value)
        // product = high·2⁶⁴ + low = (high·8 + low>>61)·2⁶¹ + (low & p)
        let upper = (high << 3) | (low >> 61)   // < 2⁶¹
        let sum = (low & modulus) &+ upper      // < 2p
        return Self(unchecked: sum >= modulus ? sum &- modulus : sum)
    }

    /// Adds `rhs` in place.
    @inlinable public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }
    /// Subtracts `rhs` in place.
    @inlinable public static func -= (lhs: inout Self, rhs: Self) { lhs = lhs - rhs }
    /// Multiplies by `rhs` in place.
    @inlinable public static func *= (lhs: inout Self, rhs: Self) { lhs = lhs * rhs }

    /// `self` raised to `exponent` by square-and-multiply (64 squarings at most).
    public func power(_ exponent: UInt64) -> Self {
        var result = Self.one
        var base = self
        var remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 { result *= base }
            base *= base
            remaining >>= 1
        }
        return result
    }

    /// The multiplicative inverse, `self^(p−2)` by Fermat's little theorem; throws
    /// `invalidParameter` for zero, which has none.
    public func inverse() throws(CryptoError) -> Self {
        guard value != 0 else { throw CryptoError(.invalidParameter, "zero has no inverse in the field") }
        return power(Self.modulus - 2)
    }

    /// The representative in decimal.
    public var description: String { String(value) }

    /// Decodes a representative and refuses one that is not canonical.
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(UInt64.self)
        self = try Self(exactly: raw)
    }

    /// Encodes the representative as one unsigned integer.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
