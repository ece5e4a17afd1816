/// The negacyclic number-theoretic transform modulo one prime: polynomials of Z_p[X]/(X^N + 1)
/// to and from their evaluations at the odd powers of a primitive 2N-th root of unity ψ.
///
/// The forward transform is Cooley–Tukey with the twisting by ψ merged into the butterflies
/// (Longa–Naehrig 2016) and Harvey's lazy butterflies (Harvey 2014, "Faster arithmetic for
/// number-theoretic transforms"): values stay in [0, 4p) between stages and every twiddle
/// product uses its precomputed Shoup quotient. The inverse is Gentleman–Sande with values in
/// [0, 2p) and the factor 1/N merged into the last stage. Output slot k of the forward transform
/// holds the evaluation at ψ^(2·bitreverse(k) + 1). Cost: (N/2)·log2 N butterflies each way.
///
/// ```swift
/// let prime = try CKKSPrimes.generate(bitSizes: [40], polyDegree: 16)[0]
/// let ntt = try CKKSNTT(modulus: CKKSModulus(prime: prime), degree: 16)
/// var values: [UInt64] = Array(0..<16)
/// ntt.forward(&values)
/// ntt.inverse(&values)
/// print(values == Array(0..<16))  // true
/// ```
public struct CKKSNTT: Sendable {
    /// The modulus.
    public let modulus: CKKSModulus
    /// The transform length N (a power of two).
    public let degree: Int
    /// The primitive 2N-th root of unity ψ used.
    public let root: UInt64
    let logDegree: Int
    /// ψ^bitreverse(k), k < N, and their Shoup quotients.
    let rootPowers: [UInt64]
    let rootPowersShoup: [UInt64]
    /// ψ^(−bitreverse(k)) in the order the inverse transform reads them, with Shoup quotients.
    let inverseRootPowers: [UInt64]
    let inverseRootPowersShoup: [UInt64]
    /// N^(−1) and N^(−1)·ψ^(−…) for the merged last inverse stage.
    let inverseDegree: UInt64
    let inverseDegreeShoup: UInt64
    let lastInverseRoot: UInt64
    let lastInverseRootShoup: UInt64

    /// Precomputes the tables for `degree` (a power of two ≥ 4) modulo `modulus`, whose prime
    /// must be 1 mod 2·degree; throws `invalidParameter` otherwise.
    public init(modulus: CKKSModulus, degree: Int) throws(CryptoError) {
        guard degree >= 4, degree & (degree - 1) == 0 else {
            throw CryptoError(.invalidParameter, "NTT length \(degree) is not a power of two ≥ 4")
        }
        let p = modulus.prime
        let twoN = UInt64(2 * degree)
        guard (p - 1) % twoN == 0 else {
            throw CryptoError(.invalidParameter, "prime \(p) is not 1 mod \(twoN): no negacyclic NTT of length \(degree)")
        }
        self.modulus = modulus
        self.degree = degree
        var log = 0
        while (1 << log) < degree { log += 1 }
        logDegree = log
        // The smallest primitive 2N-th root: g^((p−1)/2N) with ψ^N = −1.
        var psi: UInt64 = 0
        var g: UInt64 = 2
        while psi == 0 {
            let candidate = modulus.power(g, (p - 1) / twoN)
            if modulus.power(candidate, UInt64(degree)) == p - 1 { psi = candidate }
            g += 1
        }
        // Take the smallest among the primitive 2N-th roots ψ^(odd) for a canonical choice.
        var best = psi
        let psiSquared = modulus.multiply(psi, psi)
        var current = psi
        for _ in 0..<degree {
            if current < best { best = current }
            current = modulus.multiply(current, psiSquared)
        }
        root = best
        let inverseRoot = modulus.inverse(best)
        var powers = [UInt64](repeating: 0, count: degree)
        var inversePowers = [UInt64](repeating: 0, count: degree)
        var power: UInt64 = 1
        var inversePower: UInt64 = 1
        for i in 0..<degree {
            let r = CKKSNTT.bitReverse(i, bits: log)
            powers[r] = power
            // The inverse reads ψ^(−bitreverse(k)) at index k (k ≥ 1); stored shifted by one.
            inversePowers[r] = inversePower
            power = modulus.multiply(power, best)
            inversePower = modulus.multiply(inversePower, inverseRoot)
        }
        rootPowers = powers
        rootPowersShoup = powers.map { modulus.shoup($0) }
        inverseRootPowers = inversePowers
        inverseRootPowersShoup = inversePowers.map { modulus.shoup($0) }
        inverseDegree = modulus.inverse(UInt64(degree))
        inverseDegreeShoup = modulus.shoup(inverseDegree)
        lastInverseRoot = modulus.multiply(inverseDegree, inversePowers[1])
        lastInverseRootShoup = modulus.shoup(lastInverseRoot)
    }

    static func bitReverse(_ value: Int, bits: Int) -> Int {
        var v = value
        var r = 0
        for _ in 0..<bits {
            r = (r << 1) | (v & 1)
            v >>= 1
        }
        return r
    }

    /// Transforms `values` (N residues in [0, p)) in place to evaluation form, in [0, p).
    public func forward(_ values: inout [UInt64]) {
        precondition(values.count == degree, "NTT input has \(values.count) values, expected \(degree)")
        values.withUnsafeMutableBufferPointer { forward($0.baseAddress!) }
    }

    /// Transforms `values` (N residues in [0, p)) in place from evaluation form, in [0, p).
    public func inverse(_ values: inout [UInt64]) {
        precondition(values.count == degree, "NTT input has \(values.count) values, expected \(degree)")
        values.withUnsafeMutableBufferPointer { inverse($0.baseAddress!) }
    }

    /// The forward transform of the N words at `a` (inputs below 4p; outputs in [0, p), or in
    /// [0, 4p) when `lazy`, for callers that reduce later anyway).
    func forward(_ a: UnsafeMutablePointer<UInt64>, lazy: Bool = false) {
        let p = modulus.prime
        let twoP = p &* 2
        let n = degree
        rootPowers.withUnsafeBufferPointer { rootsBuffer in
            rootPowersShoup.withUnsafeBufferPointer { shoupBuffer in
                let roots = rootsBuffer.baseAddress!
                let shoups = shoupBuffer.baseAddress!
                var t = n >> 1
                var m = 1
                // Stages with at least two butterflies per twiddle.
                while t > 1 {
                    var x = a
                    for i in 0..<m {
                        let w = roots[m + i]
                        let ws = shoups[m + i]
                        let y = x + t
                        for j in 0..<t {
                            var u = x[j]
                            u = CKKSModulus.reduceOnce(u, twoP)
                            let v = y[j]
                            let q = v.multipliedFullWidth(by: ws).high
                            let product = v &* w &- q &* p
                            x[j] = u &+ product
                            y[j] = u &+ twoP &- product
                        }
                        x += t << 1
                    }
                    m <<= 1
                    t >>= 1
                }
                // The last stage (one butterfly per twiddle) with the final reduction to [0, p).
                if lazy {
                    for i in 0..<m {
                        let w = roots[m + i]
                        let ws = shoups[m + i]
                        let x = a + 2 * i
                        var u = x[0]
                        u = CKKSModulus.reduceOnce(u, twoP)
                        let v = x[1]
                        let q = v.multipliedFullWidth(by: ws).high
                        let product = v &* w &- q &* p
                        x[0] = u &+ product
                        x[1] = u &+ twoP &- product
                    }
                    return
                }
                for i in 0..<m {
                    let w = roots[m + i]
                    let ws = shoups[m + i]
                    let x = a + 2 * i
                    var u = x[0]
                    u = CKKSModulus.reduceOnce(u, twoP)
                    let v = x[1]
                    let q = v.multipliedFullWidth(by: ws).high
                    let product = v &* w &- q &* p
                    var r0 = u &+ product
                    var r1 = u &+ twoP &- product
                    r0 = CKKSModulus.reduceOnce(r0, twoP)
                    r1 = CKKSModulus.reduceOnce(r1, twoP)
                    x[0] = CKKSModulus.reduceOnce(r0, p)
                    x[1] = CKKSModulus.reduceOnce(r1, p)
                }
            }
        }
    }

    /// The inverse transform of the N words at `a` (inputs below 2p; outputs in [0, p)).
    func inverse(_ a: UnsafeMutablePointer<UInt64>) {
        let p = modulus.prime
        let twoP = p &* 2
        let n = degree
        inverseRootPowers.withUnsafeBufferPointer { rootsBuffer in
            inverseRootPowersShoup.withUnsafeBufferPointer { shoupBuffer in
                let roots = rootsBuffer.baseAddress!
                let shoups = shoupBuffer.baseAddress!
                // The first stage (m = N, one butterfly per twiddle).
                let firstHalf = n >> 1
                for i in 0..<firstHalf {
                    let w = roots[firstHalf + i]
                    let ws = shoups[firstHalf + i]
                    let x = a + 2 * i
                    let u = x[0]
                    let v = x[1]
                    var s = u &+ v
                    s = CKKSModulus.reduceOnce(s, twoP)
                    x[0] = s
                    let d = u &+ twoP &- v
                    let q = d.multipliedFullWidth(by: ws).high
                    x[1] = d &* w &- q &* p
                }
                var t = 2
                var m = firstHalf
                while m > 2 {
                    let h = m >> 1
                    var j1 = 0
                    for i in 0..<h {
                        let w = roots[h + i]
                        let ws = shoups[h + i]
                        var x = a + j1
                        var y = x + t
                        for _ in 0..<t {
                            let u = x.pointee
                            let v = y.pointee
                            var s = u &+ v
                            s = CKKSModulus.reduceOnce(s, twoP)
                            x.pointee = s
                            let d = u &+ twoP &- v
                            let q = d.multipliedFullWidth(by: ws).high
                            y.pointee = d &* w &- q &* p
                            x += 1
                            y += 1
                        }
                        j1 += t << 1
                    }
                    t <<= 1
                    m = h
                }
                // Last stage (m = 2, one twiddle ψ^(−bitreverse(1))) merged with the factor 1/N.
                let nInv = inverseDegree
                let nInvS = inverseDegreeShoup
                let w = lastInverseRoot
                let ws = lastInverseRootShoup
                let half = n >> 1
                for j in 0..<half {
                    let u = a[j]
                    let v = a[j + half]
                    let s = u &+ v
                    let d = u &+ twoP &- v
                    let r0 = s &* nInv &- s.multipliedFullWidth(by: nInvS).high &* p
                    let r1 = d &* w &- d.multipliedFullWidth(by: ws).high &* p
                    a[j] = CKKSModulus.reduceOnce(r0, p)
                    a[j + half] = CKKSModulus.reduceOnce(r1, p)
                }
            }
        }
    }
}
