import Foundation

/// The shadow-model attack (Shokri, Stronati, Song & Shmatikov 2017, "Membership Inference
/// Attacks against Machine Learning Models").
///
/// Shadow models trained like the target give labelled examples of "output on a training
/// example" and "output on an unseen example"; an attack classifier learns to tell them apart
/// and is then applied to the target's outputs. Here the attack classifier is a logistic
/// regression on (loss, φ, top probability, entropy), standardised, fitted by full-batch
/// gradient descent — the prediction-vector features Shokri et al. use, reduced to
/// label-independent summaries so one classifier serves every class.
public enum ShadowModelAttack {
    /// Membership scores (the attack classifier's log-odds) of the target's statistics.
    public static func scores(target: [ExampleStatistics], pool: ShadowPool, iterations: Int = 500) -> [Double] {
        var xs: [[Double]] = [], ys: [Double] = []
        for s in 0..<pool.count {
            for i in pool.statistics[s].indices {
                xs.append(features(pool.statistics[s][i]))
                ys.append(pool.membership[s][i] ? 1 : 0)
            }
        }
        let model = LogisticRegression(inputs: xs, targets: ys, iterations: iterations)
        return target.map { model.logOdds(features($0)) }
    }

    static func features(_ s: ExampleStatistics) -> [Double] {
        [min(s.loss, 50), max(min(s.scaledConfidence, 50), -50), s.topProbability, s.entropy]
    }
}

/// Binary logistic regression on standardised features (full-batch gradient descent).
struct LogisticRegression {
    var mean: [Double], scale: [Double], weights: [Double], bias: Double

    init(inputs: [[Double]], targets: [Double], iterations: Int, learningRate: Double = 0.5) {
        let d = inputs.first?.count ?? 0
        let n = Double(max(inputs.count, 1))
        mean = (0..<d).map { j in inputs.reduce(0) { $0 + $1[j] } / n }
        let m = mean
        scale = (0..<d).map { j in max((inputs.reduce(0) { $0 + ($1[j] - m[j]) * ($1[j] - m[j]) } / n).squareRoot(), 1e-9) }
        let sc = scale
        let z = inputs.map { x in (0..<d).map { (x[$0] - m[$0]) / sc[$0] } }
        var w = [Double](repeating: 0, count: d), b = 0.0
        for _ in 0..<iterations {
            var gw = [Double](repeating: 0, count: d), gb = 0.0
            for (x, y) in zip(z, targets) {
                let p = 1 / (1 + exp(-(zip(w, x).reduce(b) { $0 + $1.0 * $1.1 })))
                let e = p - y
                for j in 0..<d { gw[j] += e * x[j] }
                gb += e
            }
            for j in 0..<d { w[j] -= learningRate * gw[j] / n }
            b -= learningRate * gb / n
        }
        weights = w
        bias = b
    }

    func logOdds(_ x: [Double]) -> Double {
        var s = bias
        for j in weights.indices { s += weights[j] * (x[j] - mean[j]) / scale[j] }
        return s
    }
}
