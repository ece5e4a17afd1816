public import BulwarkTensor
public import BulwarkModels

/// A detector whose score an adaptive attacker can differentiate, so that an attack on the
/// whole pipeline (model + detector) can lower the score while it changes the prediction
/// (Carlini & Wagner, "Adversarial Examples Are Not Easily Detected", AISec 2017).
public protocol DifferentiableDetector: AdversarialDetector {
    /// Scores recorded on `input`'s tape, shape `[N]`. The value may be a smooth surrogate of
    /// ``AdversarialDetector/scores(_:)``; detection is always judged by the real scores.
    func scores(_ input: Variable) -> Variable
}

extension MahalanobisDetector: DifferentiableDetector {
    /// The exact score, differentiated through the layers up to ``layer``; the gradient of the
    /// minimum is that of the nearest class mean (`2 Σ⁻¹ (h − μ_c*)`).
    public func scores(_ input: Variable) -> Variable {
        let tape = input.tape
        var h = input
        var context = ForwardContext(training: false)
        for i in 0...layer {
            let params = model.layers[i].parameters.map { tape.constant($0) }
            h = model.layers[i].forward(h, parameters: params[...], context: &context)
        }
        let n = h.shape.first ?? 0
        let d = dimension
        let f = h.value.scalars
        var score = [Float](repeating: 0, count: n)
        var direction = [Float](repeating: 0, count: n * d)
        var v = [Double](repeating: 0, count: d)
        for i in 0..<n {
            var best = Double.infinity
            var bestClass = 0
            for (c, mu) in means.enumerated() {
                for j in 0..<d { v[j] = Double(f[i * d + j]) - mu[j] }
                let q = quadraticForm(v)
                if q < best { best = q; bestClass = c }
            }
            score[i] = Float(best)
            for j in 0..<d { v[j] = Double(f[i * d + j]) - means[bestClass][j] }
            let w = precisionTimes(v)
            for j in 0..<d { direction[i * d + j] = Float(2 * w[j]) }
        }
        let shape = h.shape
        return tape.record(Tensor(shape: [n], scalars: score), inputs: [h]) { g in
            var out = direction
            for i in 0..<n { for j in 0..<d { out[i * d + j] *= g.scalars[i] } }
            return [Tensor(shape: shape, scalars: out)]
        }
    }

    /// `Σ⁻¹ v` by two triangular solves with the Cholesky factor.
    func precisionTimes(_ v: [Double]) -> [Double] {
        let d = dimension
        var y = [Double](repeating: 0, count: d)
        for i in 0..<d {
            var t = v[i]
            for k in 0..<i { t -= cholesky[i * d + k] * y[k] }
            y[i] = t / cholesky[i * d + i]
        }
        var z = [Double](repeating: 0, count: d)
        for i in stride(from: d - 1, through: 0, by: -1) {
            var t = y[i]
            for k in (i + 1)..<max(i + 1, d) { t -= cholesky[k * d + i] * z[k] }
            z[i] = t / cholesky[i * d + i]
        }
        return z
    }
}

extension FeatureSqueezingDetector: DifferentiableDetector {
    /// A smooth surrogate: the **sum** over squeezers of ‖softmax(f(x)) − softmax(f(squeeze(x)))‖₁
    /// (the real score is the maximum), with BPDA through each squeezer (forward: the squeezer;
    /// backward: its ``InputTransform/bpda`` approximation).
    public func scores(_ input: Variable) -> Variable {
        let p = model.logits(input).softmax(axis: -1)
        var total: Variable?
        for s in squeezers {
            let squeezed = PreprocessedClassifier(ErasedClassifier(model), transform: s, gradient: .bpda).bpdaTransform(input, seed: 0)
            let q = model.logits(squeezed).softmax(axis: -1)
            let distance = (p - q).abs().sum(axes: [1])
            total = total.map { $0 + distance } ?? distance
        }
        return total ?? p.sum(axes: [1]) * 0
    }
}
