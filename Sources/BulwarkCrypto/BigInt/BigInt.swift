import CGMP

/// An arbitrary-precision signed integer backed by GMP's `mpz_t`.
///
/// Immutable: every operation returns a new value, so a `BigInt` can be shared between threads.
/// Its limbs are overwritten with zeros before GMP frees them (`deinit`), so secrets held in a
/// `BigInt` (Paillier's p, q, λ) do not linger in freed memory — copies GMP makes internally
/// during an operation are GMP's own scratch space and are not covered.
///
/// Modular exponentiation comes in two kinds: ``power(_:modulus:)`` (`mpz_powm`, fastest, for
/// public exponents and moduli) and ``powerSecure(_:modulus:)`` (`mpz_powm_sec`, whose timing and
/// memory accesses do not depend on the exponent), which must be used whenever the exponent or
/// the modulus is secret. Paillier's hot exponentiations (fixed moduli n², p², q²) go through
/// `MontgomeryModulus` (OpenSSL's libcrypto) instead, which is faster on this machine's CPU.
///
/// ```swift
/// let a = BigInt(decimal: "123456789012345678901234567890")!
/// let m = BigInt(1_000_000_007)
/// let r = a.power(BigInt(65537), modulus: m)
/// print(r < m)   // true
/// ```
// @unchecked Sendable: the mpz is written only in initialisers and freed in deinit; every
// operation reads it and returns a new value, so no two threads ever write it.
public final class BigInt: @unchecked Sendable {
    /// The owned GMP integer.
    let mpz: UnsafeMutablePointer<__mpz_struct>

    /// A new zero (internal: filled in by the operation that creates it).
    init() {
        mpz = .allocate(capacity: 1)
        __gmpz_init(mpz)
    }

    /// Runs `body` on a fresh result value and returns it.
    @inline(__always)
    static func make(_ body: (UnsafeMutablePointer<__mpz_struct>) -> Void) -> BigInt {
        let r = BigInt()
        body(r.mpz)
        return r
    }

    /// The integer `value`.
    public convenience init(_ value: Int) {
        self.init()
        __gmpz_set_si(mpz, value)
    }

    /// The integer written in base 10 (an optional leading `-`, then digits only); `nil` when
    /// `decimal` is empty or holds any other character.
    public convenience init?(decimal: String) {
        self.init(text: decimal, base: 10)
    }

    /// The integer written in base 16 (an optional leading `-`, then hexadecimal digits in
    /// either case, no `0x`); `nil` for anything else.
    public convenience init?(hex: String) {
        self.init(text: hex, base: 16)
    }

    private convenience init?(text: String, base: Int32) {
        var body = Substring(text)
        if body.first == "-" { body = body.dropFirst() }
        let allowed: (Character) -> Bool = base == 10 ? { $0.isASCII && $0.isNumber } : { $0.isHexDigit }
        guard !body.isEmpty, body.allSatisfy(allowed) else { return nil }
        self.init()
        guard __gmpz_set_str(mpz, text, base) == 0 else { return nil }
    }

    /// The non-negative integer whose big-endian unsigned bytes are `bytes` (empty is zero).
    public convenience init(magnitudeBytes bytes: [UInt8]) {
        self.init()
        if !bytes.isEmpty {
            bytes.withUnsafeBufferPointer { __gmpz_import(mpz, bytes.count, 1, 1, 1, 0, $0.baseAddress) }
        }
    }

    deinit {
        // Wipe the limbs before GMP frees them: secrets must not outlive their owner.
        if let limbs = mpz.pointee._mp_d {
            let count = Int(mpz.pointee._mp_alloc)
            for i in 0..<count { limbs[i] = 0 }
        }
        __gmpz_clear(mpz)
        mpz.deallocate()
    }

    // MARK: conversions

    /// The big-endian bytes of `|self|`, shortest form (zero is `[]`).
    public var magnitudeBytes: [UInt8] {
        let count = (Int(__gmpz_sizeinbase(mpz, 2)) + 7) / 8
        guard signum != 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        var written = 0
        out.withUnsafeMutableBufferPointer { _ = __gmpz_export($0.baseAddress, &written, 1, 1, 1, 0, mpz) }
        return Array(out.prefix(written))
    }

    /// The value in base `radix` (2 … 62; lower-case letters up to base 36).
    public func toString(radix: Int32) -> String {
        let size = __gmpz_sizeinbase(mpz, radix) + 2
        var buffer = [CChar](repeating: 0, count: size)
        buffer.withUnsafeMutableBufferPointer { _ = __gmpz_get_str($0.baseAddress, radix, mpz) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The value in base 10.
    public var decimalString: String { toString(radix: 10) }

    /// The value in base 16, lower case, without a prefix.
    public var hexString: String { toString(radix: 16) }

    /// The value as an `Int`, or `nil` when it does not fit.
    public var intValue: Int? {
        guard __gmpz_fits_slong_p(mpz) != 0 else { return nil }
        return __gmpz_get_si(mpz)
    }

    /// −1, 0 or 1.
    public var signum: Int {
        mpz.pointee._mp_size < 0 ? -1 : (mpz.pointee._mp_size > 0 ? 1 : 0)
    }

    /// The number of bits of `|self|` (0 for zero).
    public var bitWidth: Int { signum == 0 ? 0 : Int(__gmpz_sizeinbase(mpz, 2)) }

    /// Whether the value is odd.
    public var isOdd: Bool { __gmpz_tstbit(mpz, 0) == 1 }

    // MARK: arithmetic

    /// The sum.
    public static func + (a: BigInt, b: BigInt) -> BigInt { make { __gmpz_add($0, a.mpz, b.mpz) } }
    /// The difference.
    public static func - (a: BigInt, b: BigInt) -> BigInt { make { __gmpz_sub($0, a.mpz, b.mpz) } }
    /// The product.
    public static func * (a: BigInt, b: BigInt) -> BigInt { make { __gmpz_mul($0, a.mpz, b.mpz) } }
    /// The negation.
    public static prefix func - (a: BigInt) -> BigInt { make { __gmpz_neg($0, a.mpz) } }
    /// The sum with a small integer.
    public static func + (a: BigInt, b: Int) -> BigInt { a + BigInt(b) }
    /// The difference with a small integer.
    public static func - (a: BigInt, b: Int) -> BigInt { a - BigInt(b) }
    /// The product with a small integer.
    public static func * (a: BigInt, b: Int) -> BigInt { make { __gmpz_mul_si($0, a.mpz, b) } }

    /// The absolute value.
    public var magnitude: BigInt { BigInt.make { __gmpz_abs($0, mpz) } }

    /// `self · 2^bits` (a negative `bits` shifts right, rounding toward −∞).
    public func shifted(left bits: Int) -> BigInt {
        if bits >= 0 { return BigInt.make { __gmpz_mul_2exp($0, mpz, mp_bitcnt_t(bits)) } }
        return BigInt.make { __gmpz_fdiv_q_2exp($0, mpz, mp_bitcnt_t(-bits)) }
    }

    /// `self^exponent` for a small non-negative exponent.
    public func power(_ exponent: Int) -> BigInt {
        precondition(exponent >= 0, "BigInt.power: negative exponent")
        return BigInt.make { __gmpz_pow_ui($0, mpz, UInt(exponent)) }
    }

    /// Floor division and its remainder (`remainder` has the divisor's sign), or `nil` for a
    /// zero divisor.
    public func floorDivided(by divisor: BigInt) -> (quotient: BigInt, remainder: BigInt)? {
        guard divisor.signum != 0 else { return nil }
        let q = BigInt(), r = BigInt()
        __gmpz_fdiv_qr(q.mpz, r.mpz, mpz, divisor.mpz)
        return (q, r)
    }

    /// `self mod modulus` in `0 ..< |modulus|`; the modulus must not be zero.
    public func modulo(_ modulus: BigInt) -> BigInt {
        precondition(modulus.signum != 0, "BigInt.modulo: zero modulus")
        return BigInt.make { __gmpz_mod($0, mpz, modulus.mpz) }
    }

    /// `self · other mod modulus` in `0 ..< |modulus|`.
    public func multiplied(by other: BigInt, modulo modulus: BigInt) -> BigInt {
        BigInt.make {
            __gmpz_mul($0, mpz, other.mpz)
            __gmpz_mod($0, $0, modulus.mpz)
        }
    }

    /// `self^exponent mod modulus` with `mpz_powm`: fast, but its timing depends on the exponent.
    /// Use only when the exponent and the modulus are public. A negative exponent needs an
    /// invertible base; the modulus must not be zero.
    public func power(_ exponent: BigInt, modulus: BigInt) -> BigInt {
        precondition(modulus.signum != 0, "BigInt.power: zero modulus")
        return BigInt.make { __gmpz_powm($0, mpz, exponent.mpz, modulus.mpz) }
    }

    /// `self^exponent mod modulus` with `mpz_powm_sec`: timing and memory accesses independent
    /// of the exponent's value, for secret exponents or secret moduli (Paillier's p − 1, p²).
    /// - Throws: ``CryptoError`` `.invalidParameter` when the exponent is not positive or the
    ///   modulus is not odd (what `mpz_powm_sec` requires).
    public func powerSecure(_ exponent: BigInt, modulus: BigInt) throws(CryptoError) -> BigInt {
        guard exponent.signum > 0 else { throw CryptoError(.invalidParameter, "secure modular power: the exponent must be positive") }
        guard modulus.isOdd, modulus.signum > 0 else {
            throw CryptoError(.invalidParameter, "secure modular power: the modulus must be odd and positive")
        }
        return BigInt.make { __gmpz_powm_sec($0, mpz, exponent.mpz, modulus.mpz) }
    }

    /// The inverse of `self` modulo `modulus` in `0 ..< |modulus|`, or `nil` when there is none.
    public func inverse(modulo modulus: BigInt) -> BigInt? {
        let r = BigInt()
        guard modulus.signum != 0, __gmpz_invert(r.mpz, mpz, modulus.mpz) != 0 else { return nil }
        return r
    }

    /// The greatest common divisor (non-negative).
    public func gcd(_ other: BigInt) -> BigInt { BigInt.make { __gmpz_gcd($0, mpz, other.mpz) } }

    /// The integer square root `⌊√self⌋`; the value must not be negative.
    public var squareRoot: BigInt {
        precondition(signum >= 0, "BigInt.squareRoot: negative value")
        return BigInt.make { __gmpz_sqrt($0, mpz) }
    }

    // MARK: primes and randomness

    /// Whether the value is (probably) prime: GMP's Baillie–PSW test followed by
    /// `rounds − 24` Miller–Rabin rounds (`mpz_probab_prime_p`); a composite passes with
    /// probability below 4^−rounds.
    public func isProbablePrime(rounds: Int = 40) -> Bool {
        __gmpz_probab_prime_p(mpz, Int32(rounds)) != 0
    }

    /// The next prime above the value (`mpz_nextprime`: probable primes).
    public func nextPrime() -> BigInt { BigInt.make { __gmpz_nextprime($0, mpz) } }

    /// A uniformly random integer in `0 ..< bound`, from the system's CSPRNG (rejection
    /// sampling on the bound's bit width; never GMP's own generator).
    /// - Throws: ``CryptoError`` `.invalidParameter` when `bound` is not positive.
    public static func random(below bound: BigInt) throws(CryptoError) -> BigInt {
        guard bound.signum > 0 else { throw CryptoError(.invalidParameter, "random below a bound: expected a positive bound") }
        let bits = bound.bitWidth
        while true {
            let candidate = randomBits(bits)
            if candidate < bound { return candidate }
        }
    }

    /// A uniformly random integer in `0 ..< 2^bits` from the system's CSPRNG.
    public static func randomBits(_ bits: Int) -> BigInt {
        precondition(bits >= 0, "BigInt.randomBits: negative bit count")
        var generator = SystemRandomNumberGenerator()
        let byteCount = (bits + 7) / 8
        var bytes = [UInt8](repeating: 0, count: byteCount)
        var i = 0
        while i < byteCount {
            var word = generator.next()
            for _ in 0..<8 where i < byteCount {
                bytes[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        let excess = byteCount * 8 - bits
        if excess > 0 { bytes[0] &= UInt8(0xFF) >> UInt8(excess) }
        let value = BigInt(magnitudeBytes: bytes)
        for j in bytes.indices { bytes[j] = 0 }
        return value
    }

    /// A random probable prime of exactly `bits` bits whose two top bits are set (so the product
    /// of two such primes has exactly `2·bits` bits), from the system's CSPRNG.
    /// - Throws: ``CryptoError`` `.invalidParameter` when `bits` is below 16.
    public static func randomPrime(bits: Int) throws(CryptoError) -> BigInt {
        guard bits >= 16 else { throw CryptoError(.invalidParameter, "random prime of \(bits) bits: expected at least 16") }
        while true {
            let start = randomBits(bits)
            __gmpz_setbit(start.mpz, mp_bitcnt_t(bits - 1))
            __gmpz_setbit(start.mpz, mp_bitcnt_t(bits - 2))
            let p = start.nextPrime()
            if p.bitWidth == bits && p.isProbablePrime() { return p }
        }
    }
}

extension BigInt: Equatable, Comparable, Hashable, CustomStringConvertible {
    /// Whether the two integers are equal.
    public static func == (a: BigInt, b: BigInt) -> Bool { __gmpz_cmp(a.mpz, b.mpz) == 0 }
    /// Whether `a < b`.
    public static func < (a: BigInt, b: BigInt) -> Bool { __gmpz_cmp(a.mpz, b.mpz) < 0 }
    /// Hashes the value's sign and magnitude.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(signum)
        hasher.combine(magnitudeBytes)
    }
    /// The value in base 10.
    public var description: String { decimalString }
}
