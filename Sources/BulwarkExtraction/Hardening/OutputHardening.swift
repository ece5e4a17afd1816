public import BulwarkTensor
import Foundation

/// An output-hardening defence: what a victim answers in place of its full probability vector,
/// to make model stealing costlier while keeping the honest user's top-1 answer.
///
/// Each case maps one probability row to another; the ART postprocessors (`ClassLabels`,
/// `HighConfidence`, `Rounded`, `ReverseSigmoid`, `GaussianNoise`) are the reference:
///
/// | case | spec | answer | keeps the argmax |
/// | --- | --- | --- | --- |
/// | ``labelsOnly`` | `labels` | one-hot of the argmax | yes |
/// | ``topK(_:renormalise:)`` | `top-k=K` or `top-k=K,renormalise` | the K largest probabilities, the rest zeroed; the kept ones rescaled to sum to 1 only with `renormalise` | yes |
/// | ``rounding(decimals:)`` | `round=D` | each probability rounded half away from zero to D decimals (no renormalisation, as ART) | up to ties made by rounding (then the lowest index wins) |
/// | ``reverseSigmoid(beta:gamma:)`` | `reverse-sigmoid=BETA[,GAMMA]` | Lee et al. 2019's deceptive perturbation, clipped to [0, 1] and renormalised | yes (see the case) |
/// | ``gaussianNoise(sigma:preserveArgmax:)`` | `noise=SIGMA` or `noise=SIGMA,keep-argmax` | probabilities plus N(0, σ²) noise, negatives set to 0, renormalised | only with `keep-argmax` |
///
/// Ties in the argmax go to the lowest class index, as `Tensor.argmaxRows()` does.
///
/// ```swift
/// let defence = try OutputHardening(parsing: "reverse-sigmoid=0.7,0.4")
/// let probabilities = Tensor(shape: [1, 3], scalars: [0.7, 0.2, 0.1])
/// let answer = defence.apply(to: probabilities, inputs: Tensor.zeros([1, 4]), seed: 0)
/// print(answer.argmaxRows())   // [0]: the top-1 label is kept
/// ```
public enum OutputHardening: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Answer only the label: the one-hot vector of the argmax.
    case labelsOnly
    /// Keep the `k` largest probabilities (ties to the lower class index) and zero the others.
    /// With `renormalise` the kept ones are divided by their sum; without it they are answered
    /// as they were (the vector then sums to less than 1, as ART's `HighConfidence` leaves it).
    case topK(Int, renormalise: Bool)
    /// Each probability rounded to `decimals` decimal places (half away from zero; ART's
    /// `numpy.around` rounds halves to even, which differs only on exact halves). Not renormalised.
    case rounding(decimals: Int)
    /// The reverse-sigmoid perturbation of Lee, Edraki and Qi (2019), "Defending against NN
    /// model stealing attacks using deceptive perturbations": with `s` the logistic function,
    /// `y' = y − β (s(γ s⁻¹(y)) − 1/2)` on `y` clipped to [1e-9, 1 − 1e-9], then clipped to
    /// [0, 1] and divided by its sum (ART's `ReverseSigmoid`, default β = 1, γ = 0.1).
    /// The formula alone can move the argmax when β·γ is large (the map is not monotone near
    /// 0 and 1); when it does, the answer's largest value is swapped into the original argmax,
    /// so the top-1 label is always kept (when clipping leaves a tie at the top, the original
    /// argmax is lifted one ulp above it).
    case reverseSigmoid(beta: Double, gamma: Double)
    /// Gaussian noise of standard deviation `sigma` added to each probability, negatives set
    /// to 0 and the row divided by its sum (ART's `GaussianNoise`, which does not keep the
    /// argmax; with `preserveArgmax` the largest noisy value is swapped into the original
    /// argmax). A row whose noisy values are all ≤ 0 is answered with the one-hot argmax.
    /// Noise is a function of the query row and the wrapper's seed (see
    /// ``HardenedQueryClassifier``): the same query gets the same answer.
    case gaussianNoise(sigma: Double, preserveArgmax: Bool)

    /// The defaults of ART's `ReverseSigmoid`.
    public static let defaultReverseSigmoidGamma = 0.1

    /// Parses a spec: `labels`, `top-k=K[,renormalise]`, `round=D`, `reverse-sigmoid=BETA[,GAMMA]`
    /// or `noise=SIGMA[,keep-argmax]`, and checks its parameters (``validate()``).
    /// - Throws: ``ExtractionError`` (`invalidParameter`) naming the spec and what was expected.
    public init(parsing spec: String) throws(ExtractionError) {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "=", maxSplits: 1).map(String.init)
        let name = parts.first?.lowercased() ?? ""
        let arguments = parts.count == 2 ? parts[1].split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } : []
        func bad(_ expected: String) -> ExtractionError {
            ExtractionError(.invalidParameter, "hardening spec '\(spec.prefix(80))': expected \(expected)")
        }
        switch name {
        case "labels":
            guard parts.count == 1 else { throw bad("'labels' without a value") }
            self = .labelsOnly
        case "top-k":
            guard (1...2).contains(arguments.count), let k = Int(arguments[0]) else { throw bad("top-k=K or top-k=K,renormalise with an integer K") }
            if arguments.count == 2, arguments[1] != "renormalise" { throw bad("top-k=K,renormalise (got option '\(arguments[1].prefix(20))')") }
            self = .topK(k, renormalise: arguments.count == 2)
        case "round":
            guard arguments.count == 1, let d = Int(arguments[0]) else { throw bad("round=D with an integer D") }
            self = .rounding(decimals: d)
        case "reverse-sigmoid":
            guard (1...2).contains(arguments.count), let beta = Double(arguments[0]) else { throw bad("reverse-sigmoid=BETA[,GAMMA] with numbers") }
            var gamma = Self.defaultReverseSigmoidGamma
            if arguments.count == 2 {
                guard let g = Double(arguments[1]) else { throw bad("reverse-sigmoid=BETA[,GAMMA] with numbers") }
                gamma = g
            }
            self = .reverseSigmoid(beta: beta, gamma: gamma)
        case "noise":
            guard (1...2).contains(arguments.count), let sigma = Double(arguments[0]) else { throw bad("noise=SIGMA[,keep-argmax] with a number SIGMA") }
            if arguments.count == 2, arguments[1] != "keep-argmax" { throw bad("noise=SIGMA,keep-argmax (got option '\(arguments[1].prefix(20))')") }
            self = .gaussianNoise(sigma: sigma, preserveArgmax: arguments.count == 2)
        default:
            throw bad("one of labels, top-k=K, round=D, reverse-sigmoid=BETA[,GAMMA], noise=SIGMA")
        }
        try validate()
    }

    /// Checks the parameters: K ≥ 1, 0 ≤ D ≤ 6 (a `Float` holds about 7 decimals), β > 0 and
    /// γ > 0 finite, 0 < σ ≤ 10 finite.
    /// - Throws: ``ExtractionError`` (`invalidParameter`).
    public func validate() throws(ExtractionError) {
        switch self {
        case .labelsOnly: return
        case .topK(let k, _):
            guard k >= 1 else { throw ExtractionError(.invalidParameter, "top-k: K must be at least 1, got \(k)") }
        case .rounding(let d):
            guard (0...6).contains(d) else { throw ExtractionError(.invalidParameter, "round: decimals must be in 0...6, got \(d)") }
        case .reverseSigmoid(let beta, let gamma):
            guard beta.isFinite, beta > 0, gamma.isFinite, gamma > 0 else {
                throw ExtractionError(.invalidParameter, "reverse-sigmoid: BETA and GAMMA must be finite and > 0, got \(beta), \(gamma)")
            }
        case .gaussianNoise(let sigma, _):
            guard sigma.isFinite, sigma > 0, sigma <= 10 else { throw ExtractionError(.invalidParameter, "noise: SIGMA must be in (0, 10], got \(sigma)") }
        }
    }

    /// The spec this value parses from (`top-k=3`, `reverse-sigmoid=1.0,0.1`, …).
    public var description: String {
        switch self {
        case .labelsOnly: "labels"
        case .topK(let k, let renormalise): "top-k=\(k)" + (renormalise ? ",renormalise" : "")
        case .rounding(let d): "round=\(d)"
        case .reverseSigmoid(let beta, let gamma): "reverse-sigmoid=\(beta),\(gamma)"
        case .gaussianNoise(let sigma, let keep): "noise=\(sigma)" + (keep ? ",keep-argmax" : "")
        }
    }

    /// Whether every answer keeps the top-1 label of the victim's probabilities.
    public var preservesArgmax: Bool {
        switch self {
        case .labelsOnly, .topK, .reverseSigmoid: true
        case .rounding: false
        case .gaussianNoise(_, let keep): keep
        }
    }

    /// The hardened answers for `probabilities` (`N × C`), the victim's answers to `inputs`
    /// (`N × …`, read only by ``gaussianNoise(sigma:preserveArgmax:)`` to derive each row's noise
    /// from `seed`). `O(N·C log C)` for top-k, `O(N·C)` otherwise.
    public func apply(to probabilities: Tensor, inputs: Tensor, seed: UInt64) -> Tensor {
        guard probabilities.rank == 2, probabilities.shape[0] > 0, probabilities.shape[1] > 0 else { return probabilities }
        let (n, c) = (probabilities.shape[0], probabilities.shape[1])
        let rowLength = n > 0 && inputs.count % n == 0 ? inputs.count / n : 0
        var out = probabilities.scalars
        out.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<n {
                let row = UnsafeMutableBufferPointer(rebasing: buffer[(r * c)..<((r + 1) * c)])
                let noiseSeed: UInt64
                if case .gaussianNoise = self {
                    noiseSeed = inputs.scalars.withUnsafeBufferPointer { p in
                        Self.rowHash(UnsafeBufferPointer(rebasing: p[(r * rowLength)..<((r + 1) * rowLength)]), seed: seed)
                    }
                } else {
                    noiseSeed = 0
                }
                harden(row, noiseSeed: noiseSeed)
            }
        }
        return Tensor(shape: probabilities.shape, scalars: out)
    }

    /// Hardens one row in place.
    private func harden(_ row: UnsafeMutableBufferPointer<Float>, noiseSeed: UInt64) {
        let top = Self.argmax(row)
        switch self {
        case .labelsOnly:
            for i in row.indices { row[i] = i == top ? 1 : 0 }
        case .topK(let k, let renormalise):
            guard k < row.count else { return }
            // Order by value descending, ties to the lower index; keep the first k.
            let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            var keep = [Bool](repeating: false, count: row.count)
            for i in order.prefix(k) { keep[i] = true }
            var total: Float = 0
            for i in row.indices { if keep[i] { total += row[i] } else { row[i] = 0 } }
            if renormalise, total > 0 { for i in row.indices { row[i] /= total } }
        case .rounding(let d):
            let scale = Self.powerOfTen(d)
            for i in row.indices { row[i] = Float((Double(row[i]) * scale).rounded(.toNearestOrAwayFromZero) / scale) }
        case .reverseSigmoid(let beta, let gamma):
            var values = [Double](repeating: 0, count: row.count)
            for i in row.indices {
                let y = Double(row[i])
                let clipped = Swift.min(Swift.max(y, 1e-9), 1 - 1e-9)
                let logit = Foundation.log(clipped / (1 - clipped))
                let perturbation = beta * (1 / (1 + Foundation.exp(-gamma * logit)) - 0.5)
                values[i] = Swift.min(Swift.max(y - perturbation, 0), 1)
            }
            Self.renormalise(&values, into: row, argmax: top, keepArgmax: true)
        case .gaussianNoise(let sigma, let keep):
            var generator = SeededGenerator(seed: noiseSeed)
            var values = [Double](repeating: 0, count: row.count)
            for i in row.indices { values[i] = Swift.max(0, Double(row[i]) + sigma * Double(generator.nextNormal())) }
            Self.renormalise(&values, into: row, argmax: top, keepArgmax: keep)
        }
    }

    /// Divides `values` by their sum into `row` (one-hot of `argmax` when the sum is 0) and, with
    /// `keepArgmax`, swaps the largest value into `argmax`.
    private static func renormalise(_ values: inout [Double], into row: UnsafeMutableBufferPointer<Float>, argmax: Int, keepArgmax: Bool) {
        let total = values.reduce(0, +)
        guard total > 0, total.isFinite else {
            for i in row.indices { row[i] = i == argmax ? 1 : 0 }
            return
        }
        for i in row.indices { row[i] = Float(values[i] / total) }
        if keepArgmax {
            let now = Self.argmax(row)
            if now != argmax { row.swapAt(now, argmax) }
            // Clipping can leave several classes at the top value; the first of them would win
            // the argmax, so the original argmax is lifted by one ulp above the tie.
            if Self.argmax(row) != argmax { row[argmax] = row[Self.argmax(row)].nextUp }
        }
    }

    /// The first index of the largest value.
    package static func argmax(_ row: UnsafeMutableBufferPointer<Float>) -> Int {
        var best = 0
        for i in row.indices where row[i] > row[best] { best = i }
        return best
    }

    private static func powerOfTen(_ d: Int) -> Double {
        var p = 1.0
        for _ in 0..<d { p *= 10 }
        return p
    }

    /// A 64-bit hash of a query row's bit patterns and `seed` (FNV-1a over the words, then a
    /// SplitMix64 finaliser): the noise seed of that row.
    package static func rowHash(_ row: UnsafeBufferPointer<Float>, seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for value in row {
            h ^= UInt64(value.bitPattern)
            h = h &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 30; h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 27; h = h &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }
}
