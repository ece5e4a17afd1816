public import BulwarkTensor
import BulwarkModels
import Foundation

/// HopSkipJump (Chen, Jordan & Wainwright, "HopSkipJumpAttack: A Query-Efficient Decision-Based
/// Attack", IEEE S&P 2020), decision-based (labels only), L2 and L∞.
///
/// From an adversarial starting point (untargeted: uniform noise in the clip range; targeted: an
/// input of the batch already classified as the target, else noise), a binary search finds the
/// decision boundary between it and the clean input. Each iteration t then (1) estimates the
/// boundary's normal by Monte-Carlo: `B_t = 100·√t` probes `x_t + δ_t u` (u Gaussian for L2,
/// uniform for L∞, unit L2 norm; `δ_t = √d·θ·dist` for L2, `d·θ·dist` for L∞, θ = d^{-3/2} resp.
/// d^{-2}) with the mean of the ±1 decisions subtracted as a baseline; (2) steps along it
/// (sign of it for L∞) by `dist/√t`, halving until the point is adversarial; (3) binary-searches
/// back to the boundary (blend toward the clean input for L2, shrinking L∞ box for L∞).
///
/// Every query goes through a per-example ``CountingQueryClassifier`` whose limit is
/// `maxQueries` (default 5000): an example never exceeds it. An example stops once its
/// perturbation is within ε (success), or after `maxIterations` iterations or when its budget
/// is spent; a perturbation still larger than ε is reverted to the clean input (a failure) when
/// `boundedByEpsilon` (default), so results compare with ε-bounded attacks. Probes of one example
/// are evaluated as one batch; examples run one after another.
public struct HopSkipJump: EvasionAttack {
    /// `"hsj"`.
    public var name: String { "hsj" }
    /// False: only decisions (argmax of the query view) are used.
    public var requiresGradients: Bool { false }
    /// Revert perturbations larger than ε (default true).
    public var boundedByEpsilon: Bool
    /// Probes at iteration 1 (paper: 100), growing as √t, capped at `maxProbes`.
    public var initialProbes: Int
    /// Probe cap per iteration (paper: 10 000).
    public var maxProbes: Int
    /// Query budget per example when the configuration sets none.
    public static let defaultQueries = 5000

    /// A HopSkipJump attack.
    public init(boundedByEpsilon: Bool = true, initialProbes: Int = 100, maxProbes: Int = 10_000) {
        self.boundedByEpsilon = boundedByEpsilon
        self.initialProbes = initialProbes
        self.maxProbes = maxProbes
    }

    /// Raised inside one example when its query budget is spent.
    private struct OutOfQueries: Error {}

    /// Runs HopSkipJump on a batch.
    public func run(inputs: Tensor, labels: [Int], model: AttackModel,
                    configuration c: AttackConfiguration) throws(EvasionError) -> AttackResult {
        let (budget, n, d, rowShape) = try validateQueryAttack(inputs: inputs, labels: labels, configuration: c,
                                                                defaultQueries: Self.defaultQueries)
        let start = now()
        let view = model.queryView
        let x0 = inputs.scalars
        var rng = ExampleRandomness(c)
        let cleanPred = view.labels(inputs)  // charged below: one query per example
        var best = x0
        var queries = [Int](repeating: 1, count: n)
        var iterations = [Int](repeating: 0, count: n)
        let theta: Float = c.norm == .l2 ? pow(Float(max(d, 1)), -1.5) : pow(Float(max(d, 1)), -2)

        for i in 0..<n {
            if isSuccess(cleanPred[i], i, labels: labels, targets: c.targets) { continue }
            var oracle = CountingQueryClassifier(OpenedQueryClassifier(base: view), queryLimit: budget - 1)
            var exampleRng = rng.split(for: i)
            let clean = Array(x0[(i * d)..<((i + 1) * d)])
            func adversarial(_ rows: [[Float]]) throws(OutOfQueries) -> [Bool] {
                var flat = [Float](); flat.reserveCapacity(rows.count * d)
                for r in rows { flat += r }
                do {
                    let pred = try oracle.labels(Tensor(shape: [rows.count] + rowShape, scalars: flat))
                    return pred.map { isSuccess($0, i, labels: labels, targets: c.targets) }
                } catch { throw OutOfQueries() }
            }
            func distance(_ x: [Float]) -> Float {
                var s: Float = 0
                for j in 0..<d {
                    let v = x[j] - clean[j]
                    s = c.norm == .l2 ? s + v * v : max(s, abs(v))
                }
                return c.norm == .l2 ? s.squareRoot() : s
            }
            /// Point at fraction t ∈ [0, 1] of the way from `clean` to `x` (L2 blend / L∞ box).
            func between(_ x: [Float], _ t: Float, linfRadius: Float) -> [Float] {
                if c.norm == .l2 { return (0..<d).map { clean[$0] + t * (x[$0] - clean[$0]) } }
                let r = t * linfRadius
                return (0..<d).map { clean[$0] + min(max(x[$0] - clean[$0], -r), r) }
            }
            func boundary(_ x: [Float]) throws(OutOfQueries) -> [Float] {
                let radius = distance(x)
                var lo: Float = 0, hi: Float = 1
                var threshold = theta
                if c.norm == .linf { threshold = min(theta * Float(d), 1e-3) }
                while hi - lo > threshold {
                    let mid = (lo + hi) / 2
                    if try adversarial([between(x, mid, linfRadius: radius)])[0] { hi = mid } else { lo = mid }
                }
                return between(x, hi, linfRadius: radius)
            }
            var current: [Float]? = nil
            do {
                // Starting point.
                if let t = c.targets {
                    for other in 0..<n where other != i && cleanPred[other] == t[i] {
                        let candidate = Array(x0[(other * d)..<((other + 1) * d)])
                        if try adversarial([candidate])[0] { current = candidate; break }
                    }
                }
                var tries = 0
                while current == nil && tries < 100 {
                    tries += 1
                    let noise = (0..<d).map { _ in c.clipMin + (c.clipMax - c.clipMin) * exampleRng.nextUniform() }
                    if try adversarial([noise])[0] { current = noise }
                }
                guard let initial = current else { throw OutOfQueries() }
                var x = try boundary(initial)
                current = x
                var dist = distance(x)
                var t = 0
                while t < c.maxIterations && !(dist <= c.epsilon) {
                    t += 1
                    iterations[i] += 1
                    let delta: Float = t == 1 ? 0.1 * (c.clipMax - c.clipMin)
                        : (c.norm == .l2 ? Float(d).squareRoot() * theta * dist : Float(d) * theta * dist)
                    let remaining = (budget - 1) - oracle.queriesUsed
                    let probes = min(Int(Float(initialProbes) * Float(t).squareRoot()), maxProbes, max(remaining - 20, 0))
                    guard probes >= 2 else { break }
                    // Monte-Carlo estimate of the boundary normal.
                    var directions: [[Float]] = [], candidates: [[Float]] = []
                    directions.reserveCapacity(probes); candidates.reserveCapacity(probes)
                    for _ in 0..<probes {
                        var u = (0..<d).map { _ in c.norm == .l2 ? exampleRng.nextNormal() : 2 * exampleRng.nextUniform() - 1 }
                        let un = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
                        if un > 0 { u = u.map { $0 / un } }
                        let cand = (0..<d).map { min(max(x[$0] + delta * u[$0], c.clipMin), c.clipMax) }
                        directions.append((0..<d).map { (cand[$0] - x[$0]) / delta })
                        candidates.append(cand)
                    }
                    let decisions = try adversarial(candidates)
                    let phi = decisions.map { $0 ? Float(1) : -1 }
                    let meanPhi = phi.reduce(0, +) / Float(phi.count)
                    var grad = [Float](repeating: 0, count: d)
                    let allSame = abs(meanPhi) == 1
                    for (b, u) in directions.enumerated() {
                        let w = allSame ? phi[b] : phi[b] - meanPhi
                        for j in 0..<d { grad[j] += w * u[j] }
                    }
                    let gn = grad.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    guard gn > 0 else { break }
                    let direction = c.norm == .l2 ? grad.map { $0 / gn } : grad.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
                    // Geometric step-size search.
                    var step = dist / Float(t).squareRoot()
                    var moved: [Float]? = nil
                    for _ in 0..<25 {
                        let candidate = (0..<d).map { min(max(x[$0] + step * direction[$0], c.clipMin), c.clipMax) }
                        if try adversarial([candidate])[0] { moved = candidate; break }
                        step /= 2
                    }
                    guard let next = moved else { break }
                    let projected = try boundary(next)
                    let nd = distance(projected)
                    if nd < dist { x = projected; dist = nd; current = x }
                }
            } catch {
                // Budget spent: keep the best boundary point found so far.
            }
            queries[i] += oracle.queriesUsed
            if let x = current {
                if !boundedByEpsilon || distance(x) <= c.epsilon * (1 + 1e-6) {
                    best.replaceSubrange((i * d)..<((i + 1) * d), with: x)
                }
            }
        }
        let adv = Tensor(shape: inputs.shape, scalars: best)
        let advPred = view.labels(adv)
        return AttackResult(adversarial: adv, outcomes: makeOutcomes(
            clean: inputs, adversarial: adv, labels: labels, cleanPredictions: cleanPred, adversarialPredictions: advPred,
            targets: c.targets, queries: queries, iterations: iterations, seconds: now() - start))
    }
}
