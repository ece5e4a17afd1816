import Foundation

/// A discretised privacy loss distribution: probability `probabilities[j]` at privacy loss
/// `(lowerIndex + j) · discretization`, plus `infinityMass` at +∞ (Koskela et al. 2020; the dense
/// representation of Google dp-accounting's `DensePLDPmf`).
///
/// Pessimistic throughout: every approximation (discretisation, truncated tails) moves mass to a
/// larger loss or to +∞, so δ(ε) and ε(δ) read from it are upper bounds of the true ones.
struct PrivacyLossPMF: Sendable {
    /// Width of one loss bucket.
    let discretization: Double
    /// Loss index of `probabilities[0]`.
    var lowerIndex: Int
    /// Probability per loss bucket (may hold FFT round-off of order 1e-17).
    var probabilities: [Double]
    /// Mass at privacy loss +∞ (outcomes the other distribution cannot produce, truncated tails).
    var infinityMass: Double

    /// The largest loss window a composition may produce (2^25 buckets, 256 MiB per array).
    static let maximumBuckets = 1 << 25

    /// The distribution of a mechanism that leaks nothing: all mass at loss 0.
    static func identity(discretization: Double) -> PrivacyLossPMF {
        PrivacyLossPMF(discretization: discretization, lowerIndex: 0, probabilities: [1], infinityMass: 0)
    }

    /// The T-fold composition with itself (sum of T independent losses), by one FFT raised to the T-th power.
    ///
    /// As in dp-accounting: the output window is cut to the Chernoff bounds at which at most
    /// `tailMassTruncation` lies outside (orders ±1…±20 divided by the support size), that mass is
    /// added to +∞, and the infinity mass composes as 1 − (1 − m)^T.
    /// Throws when the window would exceed `maximumBuckets`.
    func selfComposed(_ times: Int, tailMassTruncation: Double = 1e-15, plans: FFTPlans = FFTPlans()) throws(PrivacyError) -> PrivacyLossPMF {
        precondition(times >= 1)
        if times == 1 { return self }
        let n = probabilities.count
        let (low, high) = chernoffWindow(times: times, tailMassTruncation: tailMassTruncation)
        let outputCount = high - low + 1
        guard outputCount <= Self.maximumBuckets else {
            throw PrivacyError(parameter: "steps", message: "the composed privacy loss needs \(outputCount) buckets (limit \(Self.maximumBuckets)); use a coarser discretization or the RDP accountant")
        }
        let fft = plans.plan(length: RealFFT.size(atLeast: max(outputCount, n)))
        var (re, im) = fft.forward(probabilities)
        // |X|^T underflows below 1e-320 when |X|² < e^{-2·737/T}: skip those bins (most of the spectrum).
        let negligible = exp(-2 * 737 / Double(times))
        for k in re.indices {
            if re[k] * re[k] + im[k] * im[k] < negligible { re[k] = 0; im[k] = 0; continue }
            (re[k], im[k]) = Self.power(re[k], im[k], times)
        }
        let cyclic = fft.inverse(re: re, im: im)
        let size = fft.length
        var output = [Double](repeating: 0, count: outputCount)
        var source = low % size
        for j in 0..<outputCount {
            output[j] = cyclic[source]
            source += 1
            if source == size { source = 0 }
        }
        let infinity = tailMassTruncation - expm1(Double(times) * log1p(-infinityMass))
        return PrivacyLossPMF(discretization: discretization, lowerIndex: lowerIndex * times + low,
                              probabilities: output, infinityMass: infinity)
    }

    /// The composition with `other` (same discretisation): the convolution by FFT, then tails of total
    /// mass ≤ `tailMassTruncation` cut (the left one moved onto the first kept bucket, the right one to +∞).
    func composed(with other: PrivacyLossPMF, tailMassTruncation: Double = 1e-15, plans: FFTPlans = FFTPlans()) throws(PrivacyError) -> PrivacyLossPMF {
        let infinity = infinityMass + other.infinityMass - infinityMass * other.infinityMass
        var probs: [Double]
        if other.probabilities.count == 1 || probabilities.count == 1 {
            let (single, many) = other.probabilities.count == 1 ? (other.probabilities[0], probabilities) : (probabilities[0], other.probabilities)
            probs = many.map { $0 * single }
        } else {
            let count = probabilities.count + other.probabilities.count - 1
            guard count <= Self.maximumBuckets else {
                throw PrivacyError(parameter: "events", message: "the composed privacy loss needs \(count) buckets (limit \(Self.maximumBuckets))")
            }
            let fft = plans.plan(length: RealFFT.size(atLeast: count))
            let (ar, ai) = fft.forward(probabilities)
            var (br, bi) = fft.forward(other.probabilities)
            for k in br.indices {
                let r = ar[k] * br[k] - ai[k] * bi[k]
                bi[k] = ar[k] * bi[k] + ai[k] * br[k]
                br[k] = r
            }
            probs = Array(fft.inverse(re: br, im: bi).prefix(count))
        }
        var result = PrivacyLossPMF(discretization: discretization, lowerIndex: lowerIndex + other.lowerIndex,
                                    probabilities: probs, infinityMass: infinity)
        result.truncateTails(tailMassTruncation)
        return result
    }

    /// A copy with `truncateTails(mass)` applied.
    func truncatedTails(_ mass: Double) -> PrivacyLossPMF {
        var copy = self
        copy.truncateTails(mass)
        return copy
    }

    /// Cuts a prefix and a suffix of mass ≤ `mass`/2 each; the prefix's mass goes to the first kept bucket
    /// (a larger loss), the suffix's to +∞ (dp-accounting's pessimistic `_truncate_tails`).
    mutating func truncateTails(_ mass: Double) {
        guard mass > 0, !probabilities.isEmpty else { return }
        func prefixLength<C: Collection>(_ values: C) -> Int where C.Element == Double {
            var sum = 0.0, index = 0
            for v in values {
                sum += v
                if sum > mass / 2 { return index }
                index += 1
            }
            return index
        }
        let left = prefixLength(probabilities)
        let right = max(probabilities.count - prefixLength(probabilities.reversed()), left + 1)
        let leftMass = probabilities[..<left].reduce(0, +)
        let rightMass = right < probabilities.count ? probabilities[right...].reduce(0, +) : 0
        var kept = Array(probabilities[left..<min(right, probabilities.count)])
        if kept.isEmpty { kept = [0] }
        kept[0] += leftMass
        probabilities = kept
        lowerIndex += left
        infinityMass += rightMass
    }

    /// δ(ε) = m∞ + Σ_{loss > ε} p · (1 − e^{ε − loss}), the ε-hockey-stick divergence.
    func delta(epsilon: Double) -> Double {
        var delta = infinityMass
        for (j, p) in probabilities.enumerated() {
            let loss = Double(lowerIndex + j) * discretization
            if loss > epsilon { delta += -expm1(epsilon - loss) * p }
        }
        return delta
    }

    /// The smallest ε ≥ 0 with δ(ε) ≤ `delta`; +∞ when the infinity mass alone exceeds δ.
    ///
    /// Walks the losses downwards accumulating the upper mass Σp and the lower mass Σp·e^{−loss};
    /// stops at the first loss below log((upper − δ)/lower), the solution of δ(ε) = δ on that piece.
    func epsilon(delta: Double) -> Double {
        if infinityMass > delta { return .infinity }
        var upper = infinityMass, lower = 0.0
        var j = probabilities.count - 1
        while j >= 0 {
            let loss = Double(lowerIndex + j) * discretization
            if upper > delta, lower > 0, log((upper - delta) / lower) >= loss { break }
            let p = probabilities[j]
            upper += p
            lower += exp(-loss) * p
            if upper >= delta, lower == 0 { return max(0, loss) }
            j -= 1
        }
        if upper <= lower + delta { return 0 }
        return log((upper - delta) / lower)
    }

    /// The index window [low, high] (relative to T·lowerIndex) outside which the T-fold convolution holds
    /// at most `tailMassTruncation` (Chernoff bound with the moment generating function of the buckets).
    func chernoffWindow(times: Int, tailMassTruncation: Double) -> (Int, Int) {
        let n = probabilities.count
        var high = (n - 1) * times, low = 0
        guard tailMassTruncation > 0 else { return (low, high) }
        let logTail = log(2 / tailMassTruncation)
        for k in [-20, -19, -18, -17, -16, -15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1,
                  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20] {
            let order = Double(k) / Double(n)
            let logMGF = logMomentGenerating(order)
            let bound = (Double(times) * logMGF + logTail) / order
            guard bound.isFinite else { continue }
            if order > 0 { high = min(high, Int(min(bound.rounded(.up), Double(Int.max / 2)))) }
            if order < 0 { low = max(low, Int(max(bound.rounded(.down), -Double(Int.max / 2)))) }
        }
        return (low, max(high, low))
    }

    /// log Σ_j p_j e^{j·t} (the bucket-index MGF), with the largest exponent factored out.
    private func logMomentGenerating(_ t: Double) -> Double {
        let n = probabilities.count
        let peak = t > 0 ? Double(n - 1) * t : 0
        var sum = 0.0
        probabilities.withUnsafeBufferPointer { p in
            // e^{j t − peak} by a running product, re-anchored every 256 terms against drift.
            let ratio = exp(t)
            var factor = 1.0
            for j in 0..<n {
                if j & 255 == 0 { factor = exp(Double(j) * t - peak) }
                if p[j] > 0 { sum += p[j] * factor }
                factor *= ratio
            }
        }
        return log(sum) + peak
    }

    /// (re + i·im)^n by binary exponentiation.
    static func power(_ re: Double, _ im: Double, _ n: Int) -> (Double, Double) {
        var rr = 1.0, ri = 0.0, br = re, bi = im, e = n
        while e > 0 {
            if e & 1 == 1 { (rr, ri) = (rr * br - ri * bi, rr * bi + ri * br) }
            e >>= 1
            if e > 0 { (br, bi) = (br * br - bi * bi, 2 * br * bi) }
        }
        return (rr, ri)
    }
}

/// FFT plans reused within one accounting call (REMOVE and ADD, bisection probes usually share sizes).
/// A local cache, never shared between threads.
final class FFTPlans {
    private var plans: [Int: RealFFT] = [:]

    /// An empty cache.
    init() {}

    /// The plan for real sequences of `length` samples, built on first use.
    func plan(length: Int) -> RealFFT {
        if let plan = plans[length] { return plan }
        let plan = RealFFT(length: length)
        plans[length] = plan
        return plan
    }
}
