import Foundation

/// The Likelihood Ratio Attack (Carlini, Chien, Nasr, Song, Terzis & Tramèr 2022, "Membership
/// Inference Attacks From First Principles").
///
/// For each candidate the logit-scaled confidence φ of the target model is compared with φ of
/// shadow models that did (IN) and did not (OUT) train on it. With few shadows (fewer than 64)
/// the paper recommends one variance shared by all examples, which is what this does: per-example
/// means, global IN and OUT variances.
public enum LiRA {
    /// Online scores: log N(φ; μ_in, σ_in²) − log N(φ; μ_out, σ_out²).
    public static func onlineScores(target: [ExampleStatistics], pool: ShadowPool) -> [Double] {
        let (muIn, varIn) = moments(pool, inside: true)
        let (muOut, varOut) = moments(pool, inside: false)
        return target.indices.map { i in
            let x = target[i].scaledConfidence
            return logNormal(x, muIn[i], varIn) - logNormal(x, muOut[i], varOut)
        }
    }

    /// Offline scores (OUT shadows only): the one-sided z-score (φ − μ_out)/σ_out.
    public static func offlineScores(target: [ExampleStatistics], pool: ShadowPool) -> [Double] {
        let (muOut, varOut) = moments(pool, inside: false)
        let sd = varOut.squareRoot()
        return target.indices.map { (target[$0].scaledConfidence - muOut[$0]) / sd }
    }

    /// Per-example means and the pooled variance of φ over the IN (or OUT) shadows.
    static func moments(_ pool: ShadowPool, inside: Bool) -> ([Double], Double) {
        let n = pool.statistics.first?.count ?? 0
        var means = [Double](repeating: 0, count: n)
        var squares = 0.0, dof = 0
        for i in 0..<n {
            let xs = (0..<pool.count).filter { pool.membership[$0][i] == inside }.map { pool.statistics[$0][i].scaledConfidence }
            let m = xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count)
            means[i] = m
            squares += xs.reduce(0) { $0 + ($1 - m) * ($1 - m) }
            dof += max(0, xs.count - 1)
        }
        return (means, max(squares / Double(max(dof, 1)), 1e-6))
    }

    static func logNormal(_ x: Double, _ mu: Double, _ variance: Double) -> Double {
        -0.5 * log(2 * Double.pi * variance) - (x - mu) * (x - mu) / (2 * variance)
    }
}
