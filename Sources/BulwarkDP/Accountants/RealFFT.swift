import Foundation

/// A radix-2 fast Fourier transform of real sequences, written for the PLD accountant's convolutions.
///
/// A real sequence of length `2n` is packed into `n` complex numbers (even samples as real parts, odd
/// samples as imaginary parts), transformed by an iterative in-place Cooley–Tukey FFT of size `n`, and
/// unpacked into the `n + 1` non-redundant bins of its Hermitian spectrum. Twiddle factors are computed
/// directly with `cos`/`sin` (no recurrence), so the round-trip error is a few ulps times log₂ n.
/// Cost: O(n log n) time, four arrays of `n` doubles of memory.
struct RealFFT {
    /// Length of the real sequences (a power of two, ≥ 4).
    let length: Int
    /// Complex transform size, `length / 2`.
    let half: Int
    /// cos(π k / half) and sin(π k / half) for k in 0..<half: e^{-2πik/length} = cos − i·sin.
    private let cosTable: [Double]
    private let sinTable: [Double]
    /// Per-stage twiddles of the complex FFT, contiguous: the stage with half-size m holds
    /// cos(πk/m), sin(πk/m) for k in 0..<m at offset m − 1.
    private let stageCos: [Double]
    private let stageSin: [Double]
    /// Bit-reversal permutation of 0..<half.
    private let reversed: [Int32]
    /// Sub-transforms at most this long run all their stages while in cache.
    private static let cacheBlock = 4096

    /// The smallest power of two ≥ `minimum` and ≥ 4.
    static func size(atLeast minimum: Int) -> Int {
        var n = 4
        while n < minimum { n <<= 1 }
        return n
    }

    /// A plan for real sequences of `length` samples (a power of two ≥ 4).
    init(length: Int) {
        precondition(length >= 4 && length & (length - 1) == 0, "RealFFT length must be a power of two >= 4")
        self.length = length
        half = length / 2
        let h = half
        // One quarter of the angles by cos/sin, the rest by symmetry (exact reflections).
        var c = [Double](repeating: 0, count: h), s = [Double](repeating: 0, count: h)
        let quarter = h / 4
        for k in 0...quarter {
            let angle = Double.pi * Double(k) / Double(h)
            c[k] = cos(angle); s[k] = sin(angle)
        }
        if h >= 2 {
            for k in (quarter + 1)...(h / 2) { c[k] = s[h / 2 - k]; s[k] = c[h / 2 - k] }
            for k in (h / 2 + 1)..<h { c[k] = -c[h - k]; s[k] = s[h - k] }
        }
        cosTable = c; sinTable = s
        var sc = [Double](repeating: 1, count: max(h - 1, 1)), ss = [Double](repeating: 0, count: max(h - 1, 1))
        var m = 1
        while m < h {
            let stride = h / m
            for k in 0..<m { sc[m - 1 + k] = c[k * stride]; ss[m - 1 + k] = s[k * stride] }
            m <<= 1
        }
        stageCos = sc; stageSin = ss
        var bits = 0
        while 1 << bits < h { bits += 1 }
        var r = [Int32](repeating: 0, count: h)
        if bits > 0 {
            for i in 1..<h { r[i] = (r[i >> 1] >> 1) | Int32((i & 1) << (bits - 1)) }
        }
        reversed = r
    }

    /// The spectrum X[0...half] of `signal` (zero-padded to `length`), as real and imaginary parts.
    func forward(_ signal: [Double]) -> (re: [Double], im: [Double]) {
        let h = half
        var zr = [Double](repeating: 0, count: h), zi = [Double](repeating: 0, count: h)
        let count = min(signal.count, length)
        reversed.withUnsafeBufferPointer { rev in
            for j in stride(from: 0, to: count - 1, by: 2) { let p = Int(rev[j >> 1]); zr[p] = signal[j]; zi[p] = signal[j + 1] }
            if count & 1 == 1 { zr[Int(rev[count >> 1])] = signal[count - 1] }
        }
        transform(&zr, &zi, inverse: false)
        var xr = [Double](repeating: 0, count: h + 1), xi = [Double](repeating: 0, count: h + 1)
        zr.withUnsafeBufferPointer { zr in
        zi.withUnsafeBufferPointer { zi in
        xr.withUnsafeMutableBufferPointer { xr in
        xi.withUnsafeMutableBufferPointer { xi in
        cosTable.withUnsafeBufferPointer { ct in
        sinTable.withUnsafeBufferPointer { st in
            for k in 0...h {
                let a = k == h ? 0 : k, b = k == 0 ? 0 : h - k
                // E = (Z[k] + conj Z[h−k]) / 2, O = (Z[k] − conj Z[h−k]) / (2i)
                let er = 0.5 * (zr[a] + zr[b]), ei = 0.5 * (zi[a] - zi[b])
                let or = 0.5 * (zi[a] + zi[b]), oi = -0.5 * (zr[a] - zr[b])
                // W^k = cos − i sin (k = h gives W = −1)
                let wr = k == h ? -1 : ct[k], wi = k == h ? 0 : -st[k]
                xr[k] = er + wr * or - wi * oi
                xi[k] = ei + wr * oi + wi * or
            }
        } } } } } }
        return (xr, xi)
    }

    /// The real sequence of `length` samples whose spectrum is X[0...half] (the inverse of `forward`).
    func inverse(re xr: [Double], im xi: [Double]) -> [Double] {
        let h = half
        precondition(xr.count == h + 1 && xi.count == h + 1)
        var zr = [Double](repeating: 0, count: h), zi = [Double](repeating: 0, count: h)
        xr.withUnsafeBufferPointer { xr in
        xi.withUnsafeBufferPointer { xi in
        zr.withUnsafeMutableBufferPointer { zr in
        zi.withUnsafeMutableBufferPointer { zi in
        cosTable.withUnsafeBufferPointer { ct in
        sinTable.withUnsafeBufferPointer { st in
        reversed.withUnsafeBufferPointer { rev in
            for k in 0..<h {
                let b = h - k
                // E = (X[k] + conj X[h−k]) / 2, O = (X[k] − conj X[h−k]) · W^{−k} / 2, Z = E + i O
                let er = 0.5 * (xr[k] + xr[b]), ei = 0.5 * (xi[k] - xi[b])
                let dr = 0.5 * (xr[k] - xr[b]), di = 0.5 * (xi[k] + xi[b])
                let wr = ct[k], wi = st[k]
                let or = dr * wr - di * wi, oi = dr * wi + di * wr
                let p = Int(rev[k])
                zr[p] = er - oi
                zi[p] = ei + or
            }
        } } } } } } }
        transform(&zr, &zi, inverse: true)
        var out = [Double](repeating: 0, count: length)
        let scale = 1 / Double(h)
        out.withUnsafeMutableBufferPointer { out in
            for k in 0..<h {
                out[2 * k] = zr[k] * scale
                out[2 * k + 1] = zi[k] * scale
            }
        }
        return out
    }

    /// In-place complex FFT of size `half` of data already in bit-reversed order, output in natural order
    /// (unscaled; `inverse` flips the sign of the exponent).
    private func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool) {
        let n = half
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { i in
                stageCos.withUnsafeBufferPointer { ct in
                    stageSin.withUnsafeBufferPointer { st in
                        guard let rb = r.baseAddress, let ib = i.baseAddress, let cb = ct.baseAddress, let sb = st.baseAddress else { return }
                        Pass(r: rb, i: ib, c: cb, s: sb, sign: inverse ? 1 : -1).run(base: 0, size: n)
                    }
                }
            }
        }
    }

    /// Depth-first decimation in time on bit-reversed data, two radix-2 stages per sweep (radix 2²):
    /// a block is finished while it is in cache before the stages that combine blocks stream over memory.
    private struct Pass {
        let r: UnsafeMutablePointer<Double>, i: UnsafeMutablePointer<Double>
        let c: UnsafePointer<Double>, s: UnsafePointer<Double>
        let sign: Double

        func run(base: Int, size: Int) {
            if size <= RealFFT.cacheBlock {
                var m = 1
                while 4 * m <= size {
                    var start = base
                    while start < base + size { twoStages(start, m); start += 4 * m }
                    m <<= 2
                }
                if 2 * m == size { oneStage(base, m) }
                return
            }
            let quarter = size / 4
            for q in 0..<4 { run(base: base + q * quarter, size: quarter) }
            twoStages(base, quarter)
        }

        /// One radix-2 stage on [start, start + 2m): pairs (p, p + m) with twiddle e^{sign·πik/m}.
        @inline(__always)
        func oneStage(_ start: Int, _ m: Int) {
            let wc = c + (m - 1), ws = s + (m - 1)
            let pr = r + start, pi = i + start, qr = r + start + m, qi = i + start + m
            for k in 0..<m {
                let wr = wc[k], wi = sign * ws[k]
                let xr = qr[k] * wr - qi[k] * wi
                let xi = qr[k] * wi + qi[k] * wr
                let ur = pr[k], ui = pi[k]
                pr[k] = ur + xr; pi[k] = ui + xi
                qr[k] = ur - xr; qi[k] = ui - xi
            }
        }

        /// The stages of half-size m and 2m on [start, start + 4m) in one sweep.
        @inline(__always)
        func twoStages(_ start: Int, _ m: Int) {
            let c1 = c + (m - 1), s1 = s + (m - 1), c2 = c + (2 * m - 1), s2 = s + (2 * m - 1)
            let ar = r + start, ai = i + start
            let br = ar + m, bi = ai + m, cr = ar + 2 * m, ci = ai + 2 * m, dr = ar + 3 * m, di = ai + 3 * m
            let sg = sign
            for k in 0..<m {
                let w1r = c1[k], w1i = sg * s1[k], w2r = c2[k], w2i = sg * s2[k]
                // Stage m: (a, b) and (c, d) with w1.
                let tbr = br[k] * w1r - bi[k] * w1i, tbi = br[k] * w1i + bi[k] * w1r
                let tdr = dr[k] * w1r - di[k] * w1i, tdi = dr[k] * w1i + di[k] * w1r
                let a1r = ar[k] + tbr, a1i = ai[k] + tbi, b1r = ar[k] - tbr, b1i = ai[k] - tbi
                let c1r = cr[k] + tdr, c1i = ci[k] + tdi, d1r = cr[k] - tdr, d1i = ci[k] - tdi
                // Stage 2m: (a1, c1) with w2, (b1, d1) with w2·e^{sign·iπ/2} = w2·(sign·i).
                let t3r = c1r * w2r - c1i * w2i, t3i = c1r * w2i + c1i * w2r
                let ur = d1r * w2r - d1i * w2i, ui = d1r * w2i + d1i * w2r
                let t4r = -sg * ui, t4i = sg * ur
                ar[k] = a1r + t3r; ai[k] = a1i + t3i
                cr[k] = a1r - t3r; ci[k] = a1i - t3i
                br[k] = b1r + t4r; bi[k] = b1i + t4i
                dr[k] = b1r - t4r; di[k] = b1i - t4i
            }
        }
    }
}
