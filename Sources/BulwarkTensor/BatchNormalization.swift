/// Batch normalisation over the channel axis (axis 1) of N×C or N×C×H×W inputs
/// (Ioffe & Szegedy 2015).
public enum BatchNormalization {
    /// Per-channel statistics of a batch: mean and biased variance over every axis but 1.
    public static func statistics(_ x: Tensor) -> (mean: [Float], variance: [Float]) {
        let (n, c) = (x.shape[0], x.shape[1])
        let inner = x.count / Swift.max(1, n * c)
        let m = Float(Swift.max(1, n * inner))
        var mean = [Float](repeating: 0, count: c), variance = [Float](repeating: 0, count: c)
        x.scalars.withUnsafeBufferPointer { p in
            for ch in 0..<c {
                var s: Double = 0
                for i in 0..<n { let b = (i * c + ch) * inner; for k in 0..<inner { s += Double(p[b + k]) } }
                let mu = Float(s / Double(m))
                var v: Double = 0
                for i in 0..<n { let b = (i * c + ch) * inner; for k in 0..<inner { let d = p[b + k] - mu; v += Double(d * d) } }
                mean[ch] = mu
                variance[ch] = Float(v / Double(m))
            }
        }
        return (mean, variance)
    }
}

/// Batch normalisation: `γ·(x − μ)/√(σ² + ε) + β` per channel.
///
/// In training mode μ and σ² are the batch statistics (and are returned, so a layer can update
/// its running averages); otherwise the given running statistics are used.
public func batchNorm(_ x: Variable, scale gamma: Variable, offset beta: Variable,
                      runningMean: [Float], runningVariance: [Float], epsilon: Float,
                      training: Bool) -> (output: Variable, batchMean: [Float], batchVariance: [Float]) {
    let vx = x.value
    precondition(vx.rank >= 2, "batchNorm needs N×C×…, got \(vx.shape)")
    let (n, c) = (vx.shape[0], vx.shape[1])
    precondition(gamma.shape == [c] && beta.shape == [c], "batchNorm: scale/offset must be [\(c)]")
    let inner = vx.count / Swift.max(1, n * c)
    let (mean, variance) = training ? BatchNormalization.statistics(vx) : (runningMean, runningVariance)
    precondition(mean.count == c && variance.count == c, "batchNorm: statistics must have \(c) channels")
    let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
    let g = gamma.value.scalars, b = beta.value.scalars
    // x̂ is kept for the backward pass.
    let xhat = Tensor(shape: vx.shape, unsafeUninitializedCapacity: { out in
        vx.scalars.withUnsafeBufferPointer { p in
            for i in 0..<n { for ch in 0..<c {
                let base = (i * c + ch) * inner, mu = mean[ch], s = invStd[ch]
                for k in 0..<inner { out[base + k] = (p[base + k] - mu) * s }
            } }
        }
    })
    let y = Tensor(shape: vx.shape, unsafeUninitializedCapacity: { out in
        xhat.scalars.withUnsafeBufferPointer { p in
            for i in 0..<n { for ch in 0..<c {
                let base = (i * c + ch) * inner, gg = g[ch], bb = b[ch]
                for k in 0..<inner { out[base + k] = p[base + k] * gg + bb }
            } }
        }
    })
    let m = Float(Swift.max(1, n * inner))
    let out = x.tape.record(y, inputs: [x, gamma, beta]) { dy, needs in
        var sumG = [Float](repeating: 0, count: c), sumGX = [Float](repeating: 0, count: c)
        dy.scalars.withUnsafeBufferPointer { pg in
            xhat.scalars.withUnsafeBufferPointer { px in
                for i in 0..<n { for ch in 0..<c {
                    let base = (i * c + ch) * inner
                    var s: Float = 0, sx: Float = 0
                    for k in 0..<inner { s += pg[base + k]; sx += pg[base + k] * px[base + k] }
                    sumG[ch] += s; sumGX[ch] += sx
                } }
            }
        }
        var dx: Tensor?
        if needs[0] {
            dx = Tensor(shape: vx.shape, unsafeUninitializedCapacity: { out in
                dy.scalars.withUnsafeBufferPointer { pg in
                    xhat.scalars.withUnsafeBufferPointer { px in
                        for i in 0..<n { for ch in 0..<c {
                            let base = (i * c + ch) * inner
                            let k1 = g[ch] * invStd[ch]
                            if training {
                                let a = sumG[ch] / m, bcoef = sumGX[ch] / m
                                for k in 0..<inner { out[base + k] = k1 * (pg[base + k] - a - px[base + k] * bcoef) }
                            } else {
                                for k in 0..<inner { out[base + k] = k1 * pg[base + k] }
                            }
                        } }
                    }
                }
            })
        }
        return [dx, needs[1] ? Tensor(sumGX) : nil, needs[2] ? Tensor(sumG) : nil]
    }
    return (out, mean, variance)
}
