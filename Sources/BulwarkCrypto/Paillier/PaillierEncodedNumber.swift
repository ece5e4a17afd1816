import Foundation

/// A signed number encoded for Paillier as python-paillier's `EncodedNumber`: an integer
/// mantissa stored mod n (negative mantissas as n − |m|) and a base-16 exponent, the value being
/// mantissa · 16^exponent.
///
/// Floating-point values get the exponent that keeps all 53 bits of their mantissa
/// (⌊(e − 53) / 4⌋ where 2^(e−1) ≤ |x| < 2^e), integers exponent 0; a `precision` gives
/// exponent ⌊log₁₆ precision⌋ instead, and `maxExponent` caps it. A mantissa of magnitude
/// beyond the key's ``PaillierPublicKey/maxInt`` is refused when encoding and reported as an
/// overflow when decoding.
///
/// ```swift
/// let key = try PaillierPublicKey(n: BigInt(decimal: "1000000000000000000000000000000000000000000000000000000000000000000000000007")!)
/// let e = try PaillierEncodedNumber.encode(-0.5, publicKey: key)
/// print(try e.decode(publicKey: key).decimalString)   // -0.5
/// ```
public struct PaillierEncodedNumber: Sendable, Hashable {
    /// The base of the exponent (16, as `phe`).
    public static let base = 16
    /// Bits of a `Double`'s significand (53).
    static let floatMantissaBits = 53

    /// The mantissa mod n, in [0, n).
    public let encoding: BigInt
    /// The base-16 exponent.
    public let exponent: Int

    /// The encoding `encoding` (already reduced mod n) with `exponent`.
    public init(encoding: BigInt, exponent: Int) {
        self.encoding = encoding
        self.exponent = exponent
    }

    /// Encodes a finite `Double` as `phe`'s `EncodedNumber.encode` does: the exponent from
    /// `precision` (⌊log₁₆ precision⌋) or, without one, the finest exponent that keeps the value
    /// exact; capped by `maxExponent`; the mantissa rounded half to even.
    /// - Throws: ``CryptoError`` `.invalidParameter` for a non-finite value or precision, or a
    ///   mantissa beyond ±``PaillierPublicKey/maxInt``.
    public static func encode(_ value: Double, publicKey: PaillierPublicKey, precision: Double? = nil,
                              maxExponent: Int? = nil) throws(CryptoError) -> PaillierEncodedNumber {
        guard value.isFinite else { throw CryptoError(.invalidParameter, "cannot encode a non-finite number for Paillier") }
        var exponent: Int
        if let precision {
            exponent = try precisionExponent(precision)
        } else {
            let binaryExponent = value == 0 ? 0 : Int(value.exponent) + 1   // frexp's exponent
            exponent = floorDivide(binaryExponent - floatMantissaBits, 4)
        }
        if let maxExponent { exponent = min(exponent, maxExponent) }
        // value = ±m · 2^(k), m < 2^53 an integer
        var mantissa = BigInt(0), shift = 0
        if value != 0 {
            let scaled = Double(sign: .plus, exponent: 52 - value.exponent, significand: value.magnitude)
            mantissa = BigInt(Int(scaled))
            if value < 0 { mantissa = -mantissa }
            shift = Int(value.exponent) - 52
        }
        // int_rep = round(m · 2^shift · 16^(−exponent))
        let total = shift - 4 * exponent
        let intRep = total >= 0 ? mantissa.shifted(left: total) : roundHalfEven(mantissa, dividedByPowerOfTwo: -total)
        return try fromMantissa(intRep, exponent: exponent, publicKey: publicKey)
    }

    /// Encodes an integer exactly with exponent 0 (or, given `precision` or `maxExponent`, the
    /// exponent `phe` picks, rounding half to even when the exponent is positive).
    /// - Throws: ``CryptoError`` `.invalidParameter` when the mantissa exceeds ±``PaillierPublicKey/maxInt``.
    public static func encode(_ value: BigInt, publicKey: PaillierPublicKey, precision: Double? = nil,
                              maxExponent: Int? = nil) throws(CryptoError) -> PaillierEncodedNumber {
        var exponent = 0
        if let precision { exponent = try precisionExponent(precision) }
        if let maxExponent { exponent = min(exponent, maxExponent) }
        let intRep = exponent <= 0 ? value.shifted(left: -4 * exponent) : roundHalfEven(value, dividedByPowerOfTwo: 4 * exponent)
        return try fromMantissa(intRep, exponent: exponent, publicKey: publicKey)
    }

    /// The encoding of a signed mantissa: checked against ±maxInt, reduced mod n.
    static func fromMantissa(_ intRep: BigInt, exponent: Int, publicKey: PaillierPublicKey) throws(CryptoError) -> PaillierEncodedNumber {
        guard intRep.magnitude <= publicKey.maxInt else {
            throw CryptoError(.invalidParameter, "value overflows the Paillier key: its mantissa (\(intRep.bitWidth) bits at exponent \(exponent)) exceeds max_int = n/3 of a \(publicKey.bits)-bit key")
        }
        return PaillierEncodedNumber(encoding: intRep.modulo(publicKey.n), exponent: exponent)
    }

    /// ⌊log₁₆ precision⌋.
    static func precisionExponent(_ precision: Double) throws(CryptoError) -> Int {
        guard precision.isFinite, precision > 0 else { throw CryptoError(.invalidParameter, "precision \(precision): expected a positive finite number") }
        return Int((log(precision) / log(Double(base))).rounded(.down))
    }

    /// ⌊a / b⌋ for b > 0.
    static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// value / 2^bits rounded to the nearest integer, ties to even (Python's `round`).
    static func roundHalfEven(_ value: BigInt, dividedByPowerOfTwo bits: Int) -> BigInt {
        let q = value.shifted(left: -bits)                       // floor
        let twiceRemainder = (value - q.shifted(left: bits)).shifted(left: 1)
        let divisor = BigInt(1).shifted(left: bits)
        if twiceRemainder > divisor || (twiceRemainder == divisor && q.isOdd) { return q + 1 }
        return q
    }

    /// The signed value: the mantissa (encodings above n − maxInt are negative) and the exponent.
    /// - Throws: ``CryptoError`` `.malformed` when the encoding is not below n, or lies in the
    ///   overflow band (maxInt, n − maxInt): the true result exceeded the key's range, or the
    ///   ciphertext was decrypted with another key.
    public func decode(publicKey: PaillierPublicKey) throws(CryptoError) -> PaillierNumber {
        guard encoding.signum >= 0, encoding < publicKey.n else {
            throw CryptoError(.malformed, "Paillier encoding is not below n: corrupted number")
        }
        if encoding <= publicKey.maxInt { return PaillierNumber(mantissa: encoding, exponent: exponent) }
        if encoding >= publicKey.n - publicKey.maxInt { return PaillierNumber(mantissa: encoding - publicKey.n, exponent: exponent) }
        throw CryptoError(.malformed, "overflow detected in the decrypted number (a result beyond n/3, or a ciphertext of another key)")
    }

    /// The same value at a lower exponent: the encoding times 16^(old − new) mod n.
    /// - Throws: ``CryptoError`` `.invalidParameter` when `exponent` is above the current one.
    public func decreaseExponent(to newExponent: Int, publicKey: PaillierPublicKey) throws(CryptoError) -> PaillierEncodedNumber {
        guard newExponent <= exponent else {
            throw CryptoError(.invalidParameter, "exponent \(newExponent) is above the number's \(exponent): it can only decrease")
        }
        let factor = BigInt(Self.base).power(exponent - newExponent)
        return PaillierEncodedNumber(encoding: (encoding * factor).modulo(publicKey.n), exponent: newExponent)
    }
}

/// An exact decoded Paillier plaintext: mantissa · 16^exponent.
public struct PaillierNumber: Sendable, Hashable, CustomStringConvertible {
    /// The signed mantissa.
    public let mantissa: BigInt
    /// The base-16 exponent.
    public let exponent: Int

    /// The number mantissa · 16^exponent.
    public init(mantissa: BigInt, exponent: Int) {
        self.mantissa = mantissa
        self.exponent = exponent
    }

    /// The exact value in decimal (every mantissa · 16^−k has a finite decimal expansion):
    /// `"-1.5"`, `"42"`, `"0.0625"`; no trailing zeros after the point.
    public var decimalString: String {
        if exponent >= 0 { return (mantissa * BigInt(PaillierEncodedNumber.base).power(exponent)).decimalString }
        let k = -exponent
        // m / 16^k = m · 625^k / 10^(4k)
        let scaled = (mantissa.magnitude * BigInt(625).power(k)).decimalString
        let places = 4 * k
        let padded = String(repeating: "0", count: max(0, places + 1 - scaled.count)) + scaled
        var integerPart = String(padded.dropLast(places))
        var fraction = String(padded.suffix(places))
        while fraction.hasSuffix("0") { fraction.removeLast() }
        if integerPart.isEmpty { integerPart = "0" }
        let sign = mantissa.signum < 0 ? "-" : ""
        return sign + integerPart + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// The nearest `Double` (what `phe`'s `decrypt` returns for a negative exponent); ±infinity
    /// when the value is beyond `Double`'s range.
    public var doubleValue: Double { Double(decimalString) ?? (mantissa.signum < 0 ? -.infinity : .infinity) }

    /// The exact value as an integer, or `nil` when it has a fractional part.
    public var integerValue: BigInt? {
        if exponent >= 0 { return mantissa * BigInt(PaillierEncodedNumber.base).power(exponent) }
        guard let (q, r) = mantissa.floorDivided(by: BigInt(1).shifted(left: -4 * exponent)), r.signum == 0 else { return nil }
        return q
    }

    /// ``decimalString``.
    public var description: String { decimalString }
}
