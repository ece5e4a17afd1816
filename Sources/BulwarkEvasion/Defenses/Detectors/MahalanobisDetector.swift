public import BulwarkTensor
public import BulwarkModels

/// The Mahalanobis detector (Lee, Lee, Lee & Shin, "A Simple Unified Framework for Detecting
/// Out-of-Distribution Samples and Adversarial Attacks", NeurIPS 2018), on one hidden layer:
/// fit class-conditional Gaussians with a shared covariance to the layer's activations on
/// clean training data; the score of an input is its smallest Mahalanobis distance
/// `min_c (h − μ_c)ᵀ Σ⁻¹ (h − μ_c)` to a class mean (higher = more suspicious).
///
/// Not included: the paper's input pre-processing and its logistic-regression ensemble of
/// layers. Σ is regularised by `ridge · mean(diag Σ) · I` so it is always invertible.
/// Fitting costs one forward pass over the data plus an O(d³) Cholesky factorisation.
public struct MahalanobisDetector: AdversarialDetector {
    /// The model whose activations are used.
    public let model: Sequential
    /// Activations after this layer (index into `model.layers`) are the features.
    public let layer: Int
    /// Class means, `classes × d`.
    public let means: [[Double]]
    /// Lower-triangular Cholesky factor of the regularised shared covariance, row-major `d × d`.
    let cholesky: [Double]
    /// Feature width.
    public let dimension: Int

    /// `"mahalanobis(layer <k>)"`.
    public var name: String { "mahalanobis(layer \(layer))" }

    /// Fits the detector on clean `inputs` with their `labels`.
    /// - Throws: ``EvasionError`` when the layer index is out of range, a class has no examples,
    ///   or the covariance cannot be factorised.
    public init(model: Sequential, layer: Int, inputs: Tensor, labels: [Int], ridge: Double = 1e-3) throws(EvasionError) {
        guard model.layers.indices.contains(layer) else { throw EvasionError("mahalanobis: layer \(layer) outside 0..<\(model.layers.count)") }
        guard inputs.shape.first == labels.count, !labels.isEmpty else { throw EvasionError("mahalanobis: \(labels.count) labels for inputs \(inputs.shape)") }
        let f = Self.features(model, layer: layer, inputs)
        let n = labels.count, d = f.count / n
        let k = model.classCount
        var sums = [[Double]](repeating: [Double](repeating: 0, count: d), count: k)
        var counts = [Int](repeating: 0, count: k)
        for (i, y) in labels.enumerated() {
            guard y >= 0 && y < k else { throw EvasionError("mahalanobis: label \(y) outside 0..<\(k)") }
            counts[y] += 1
            for j in 0..<d { sums[y][j] += Double(f[i * d + j]) }
        }
        if let missing = counts.firstIndex(of: 0) { throw EvasionError("mahalanobis: class \(missing) has no fitting examples") }
        let mu = (0..<k).map { c in sums[c].map { $0 / Double(counts[c]) } }
        var cov = [Double](repeating: 0, count: d * d)
        var centred = [Double](repeating: 0, count: d)
        for (i, y) in labels.enumerated() {
            for j in 0..<d { centred[j] = Double(f[i * d + j]) - mu[y][j] }
            for a in 0..<d where centred[a] != 0 {
                let ca = centred[a]
                for b in 0...a { cov[a * d + b] += ca * centred[b] }
            }
        }
        var trace = 0.0
        for a in 0..<d { for b in 0...a { cov[a * d + b] /= Double(n); cov[b * d + a] = cov[a * d + b] }; trace += cov[a * d + a] }
        let shift = ridge * max(trace / Double(d), 1e-12)
        for a in 0..<d { cov[a * d + a] += shift }
        guard let l = Self.choleskyFactor(cov, d) else { throw EvasionError("mahalanobis: covariance is not positive definite") }
        self.model = model
        self.layer = layer
        self.means = mu
        self.cholesky = l
        self.dimension = d
    }

    /// Activations after `layer`, flattened per row.
    public static func features(_ model: Sequential, layer: Int, _ inputs: Tensor) -> [Float] {
        var out: [Float] = []
        let n = inputs.shape.first ?? 0
        for start in stride(from: 0, to: n, by: 256) {
            let tape = Tape()
            var x = tape.constant(inputs.rows(start..<min(n, start + 256)))
            var context = ForwardContext(training: false)
            for i in 0...layer {
                let params = model.layers[i].parameters.map { tape.constant($0) }
                x = model.layers[i].forward(x, parameters: params[...], context: &context)
            }
            out += x.value.scalars
        }
        return out
    }

    /// `L` with `L Lᵀ = A` (A symmetric positive definite, row-major), or `nil`.
    static func choleskyFactor(_ a: [Double], _ d: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var s = a[i * d + j]
                for k in 0..<j { s -= l[i * d + k] * l[j * d + k] }
                if i == j {
                    guard s > 0 else { return nil }
                    l[i * d + i] = s.squareRoot()
                } else {
                    l[i * d + j] = s / l[j * d + j]
                }
            }
        }
        return l
    }

    /// `‖L⁻¹ v‖²`, i.e. `vᵀ Σ⁻¹ v`, by forward substitution.
    func quadraticForm(_ v: [Double]) -> Double {
        let d = dimension
        var y = [Double](repeating: 0, count: d)
        var s = 0.0
        for i in 0..<d {
            var t = v[i]
            for k in 0..<i { t -= cholesky[i * d + k] * y[k] }
            y[i] = t / cholesky[i * d + i]
            s += y[i] * y[i]
        }
        return s
    }

    /// Smallest Mahalanobis distance (squared) to a class mean, per row.
    public func scores(_ inputs: Tensor) -> [Double] {
        let f = Self.features(model, layer: layer, inputs)
        let n = inputs.shape.first ?? 0
        let d = dimension
        var out: [Double] = []
        out.reserveCapacity(n)
        var v = [Double](repeating: 0, count: d)
        for i in 0..<n {
            var best = Double.infinity
            for mu in means {
                for j in 0..<d { v[j] = Double(f[i * d + j]) - mu[j] }
                best = min(best, quadraticForm(v))
            }
            out.append(best)
        }
        return out
    }
}
