import Foundation

/// A word-sized prime modulus of the CKKS residue number system with its precomputed reduction
/// constants: Barrett's `floor(2^128 / p)` for products of two residues and Shoup's
/// `floor(w · 2^64 / p)` for products by a fixed operand.
///
/// The prime is below 2^62 so that Harvey's lazy butterflies (values kept in [0, 4p)) never
/// overflow a 64-bit word. Arithmetic is constant-time in the operands' values (no data-dependent
/// branches other than conditional subtractions that compile to selects).
///
/// ```swift
/// let modulus = CKKSModulus(prime: 0x3FFF_FFFF_000A_0001)
/// print(modulus.multiply(3, 5))  // 15
/// ```
public struct CKKSModulus: Sendable, Hashable {
    /// The prime p.
    public let prime: UInt64
    /// The high word of floor(2^128 / p).
    let barrettHigh: UInt64
    /// The low word of floor(2^128 / p).
    let barrettLow: UInt64
    /// floor(2^64 / p), for reducing single words.
    let barrettWord: UInt64

    /// Wraps `prime` (an odd number below 2^62; primality is the caller's promise, checked by
    /// ``CKKSPrimes``) with its Barrett constant.
    public init(prime: UInt64) {
        precondition(prime > 2 && prime < (1 << 62), "CKKS primes lie in (2, 2^62)")
        self.prime = prime
        // floor(2^128 / p): divide the three-word number 2^128 by p in two steps.
        let (q1, r1) = prime.dividingFullWidth((high: 1, low: 0))  // 2^64 / p
        let (q0, _) = prime.dividingFullWidth((high: r1, low: 0))
        barrettHigh = q1
        barrettLow = q0
        barrettWord = q1
    }

    /// `x − m` when x ≥ m, else x, without a branch (the optimiser may turn the obvious ternary
    /// into a branch, which mispredicts half the time on random residues); valid for x < 2m, m ≤ 2^63.
    @inline(__always)
    static func reduceOnce(_ x: UInt64, _ m: UInt64) -> UInt64 {
        let r = x &- m
        return r &+ (m & UInt64(bitPattern: Int64(bitPattern: r) >> 63))
    }

    /// The base-2 logarithm of p.
    public var bitLength: Double { log2(Double(prime)) }

    /// `x mod p` for any 128-bit `x` given as (high, low); the result lies in [0, p).
    @inline(__always)
    func reduce(high: UInt64, low: UInt64) -> UInt64 {
        // Estimate q = floor(x · floor(2^128/p) / 2^128) from the three highest partial products.
        let carry = low.multipliedFullWidth(by: barrettLow).high
        let mid1 = low.multipliedFullWidth(by: barrettHigh)
        let (sum1, o1) = mid1.low.addingReportingOverflow(carry)
        let carry2 = mid1.high &+ (o1 ? 1 : 0)
        let mid2 = high.multipliedFullWidth(by: barrettLow)
        let (_, o2) = mid2.low.addingReportingOverflow(sum1)
        let carry3 = mid2.high &+ (o2 ? 1 : 0)
        let quotient = high &* barrettHigh &+ carry2 &+ carry3
        return Self.reduceOnce(low &- quotient &* prime, prime)
    }

    /// `x mod p` for a single word: q = ⌊x·⌊2^64/p⌋/2^64⌋ underestimates ⌊x/p⌋ by at most one, so
    /// one conditional subtraction finishes.
    @inline(__always)
    func reduce(_ x: UInt64) -> UInt64 {
        let q = x.multipliedFullWidth(by: barrettWord).high
        return Self.reduceOnce(x &- q &* prime, prime)
    }

    /// `a · b mod p` for residues a, b (any words whose product is below p · 2^64).
    @inline(__always)
    public func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return reduce(high: product.high, low: product.low)
    }

    /// `a + b mod p` for residues in [0, p).
    @inline(__always)
    public func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        Self.reduceOnce(a &+ b, prime)
    }

    /// `a − b mod p` for residues in [0, p).
    @inline(__always)
    public func subtract(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a &- b
        return r &+ (prime & UInt64(bitPattern: Int64(bitPattern: r) >> 63))
    }

    /// `−a mod p` for a residue in [0, p).
    @inline(__always)
    func negate(_ a: UInt64) -> UInt64 {
        a == 0 ? 0 : prime &- a
    }

    /// Shoup's precomputed quotient floor(w · 2^64 / p) for a fixed residue w < p.
    @inline(__always)
    func shoup(_ w: UInt64) -> UInt64 {
        prime.dividingFullWidth((high: w, low: 0)).quotient
    }

    /// `x · w mod p` lazily, in [0, 2p), for any word x, given w's Shoup quotient.
    @inline(__always)
    func multiplyLazy(_ x: UInt64, by w: UInt64, shoup wShoup: UInt64) -> UInt64 {
        let q = x.multipliedFullWidth(by: wShoup).high
        return x &* w &- q &* prime
    }

    /// `x · w mod p` in [0, p), for any word x, given w's Shoup quotient.
    @inline(__always)
    func multiply(_ x: UInt64, by w: UInt64, shoup wShoup: UInt64) -> UInt64 {
        Self.reduceOnce(multiplyLazy(x, by: w, shoup: wShoup), prime)
    }

    /// `base^exponent mod p` by square-and-multiply (public exponents only).
    public func power(_ base: UInt64, _ exponent: UInt64) -> UInt64 {
        var result: UInt64 = 1
        var b = reduce(base)
        var e = exponent
        while e > 0 {
            if e & 1 == 1 { result = multiply(result, b) }
            b = multiply(b, b)
            e >>= 1
        }
        return result
    }

    /// The inverse of a nonzero residue, by Fermat's little theorem (p is prime).
    public func inverse(_ a: UInt64) -> UInt64 {
        power(a, prime - 2)
    }

    /// A signed integer's residue.
    @inline(__always)
    func residue(ofSigned value: Int64) -> UInt64 {
        // Branch-free: reduce |value|, then negate when the sign bit is set.
        let sign = UInt64(bitPattern: value >> 63)  // all ones when negative
        let r = reduce(value.magnitude)
        let negated = Self.reduceOnce(prime &- r, prime)  // p − 0 ↦ 0
        return (r & ~sign) | (negated & sign)
    }
}

/// Deterministic generation of NTT-friendly primes for CKKS: primes p ≡ 1 (mod 2N) of a given
/// bit size, largest first, so the same parameters always give the same moduli.
///
/// ```swift
/// let primes = try CKKSPrimes.generate(bitSizes: [60, 40, 40, 60], polyDegree: 8192)
/// print(primes.count, primes[0] % 16384)  // 4 1
/// ```
public enum CKKSPrimes {
    /// Whether `n` is prime: Miller–Rabin with the first twelve prime bases, which is exact for
    /// every 64-bit integer.
    public static func isPrime(_ n: UInt64) -> Bool {
        if n < 2 { return false }
        let small: [UInt64] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
        for p in small where n % p == 0 { return n == p }
        var d = n - 1
        var s = 0
        while d & 1 == 0 { d >>= 1; s += 1 }
        func mulmod(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let p = a.multipliedFullWidth(by: b)
            return n.dividingFullWidth((high: p.high, low: p.low)).remainder
        }
        witness: for a in small {
            var x: UInt64 = 1
            var base = a % n
            var e = d
            while e > 0 {
                if e & 1 == 1 { x = mulmod(x, base) }
                base = mulmod(base, base)
                e >>= 1
            }
            if x == 1 || x == n - 1 { continue }
            for _ in 1..<max(s, 1) {
                x = mulmod(x, x)
                if x == n - 1 { continue witness }
            }
            return false
        }
        return true
    }

    /// Distinct primes p ≡ 1 (mod 2·polyDegree), 2^(bits−1) < p < 2^bits, one per entry of
    /// `bitSizes`: the entries of one size get that size's largest such primes, the largest going
    /// to the last entry (so the special prime, last, is the largest) — the same moduli, in the
    /// same order, as SEAL's `CoeffModulus::Create`. Throws `invalidParameter` when a size is
    /// outside [20, 61] or no prime of that size remains.
    public static func generate(bitSizes: [Int], polyDegree: Int) throws(CryptoError) -> [UInt64] {
        let step = UInt64(2 * polyDegree)
        var taken = Set<UInt64>()
        var result: [UInt64] = []
        for bits in bitSizes.reversed() {
            guard (20...61).contains(bits) else {
                throw CryptoError(.invalidParameter, "CKKS modulus bit size \(bits) is outside [20, 61]")
            }
            let upper = UInt64(1) << UInt64(bits)
            let lower = UInt64(1) << UInt64(bits - 1)
            // Largest candidate below 2^bits that is 1 mod 2N.
            var candidate = (upper - 1) / step * step + 1
            if candidate >= upper { candidate -= step }
            var found: UInt64?
            while candidate > lower {
                if !taken.contains(candidate) && isPrime(candidate) { found = candidate; break }
                candidate -= step
            }
            guard let prime = found else {
                throw CryptoError(.invalidParameter, "no \(bits)-bit prime ≡ 1 mod \(step) is left for the CKKS modulus chain")
            }
            taken.insert(prime)
            result.append(prime)
        }
        return result.reversed()
    }
}
