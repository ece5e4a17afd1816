public import BulwarkTensor
import BulwarkModels
import Foundation

/// Square Attack (Andriushchenko, Croce, Flammarion & Hein, "Square Attack: a query-efficient
/// black-box adversarial attack via random search", ECCV 2020), score-based, L∞ and L2.
///
/// Random search over the ε-sphere with square-shaped updates: L∞ starts from vertical stripes
/// of ±ε and, each step, resets one random s×s window (all channels, one random sign per channel)
/// to ±ε; L2 starts from a grid of signed pseudo-Gaussian bumps scaled to norm ε and, each step,
/// moves the mass of one window into another window filled with a new signed bump, keeping the
/// total norm at ε. The window side follows the paper's schedule `s = √(p · h · w)` with `p`
/// halved at 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 (of 10 000, rescaled to the
/// budget). A proposal is kept only if it lowers the loss: the logit margin
/// `log p_y − max_{j≠y} log p_j` (untargeted) or cross-entropy of the target (targeted), both
/// computed from the probabilities of the query view.
///
/// Queries: one for the clean input, one for the initial point, one per step, per example, all
/// charged through a ``CountingQueryClassifier``; an example never exceeds `maxQueries`
/// (default 1000) and stops as soon as it succeeds. Inputs of shape `[C, H, W]`, `[H, W]` or `[D]`
/// (treated as one row of D pixels).
public struct SquareAttack: EvasionAttack {
    /// `"square"`.
    public var name: String { "square" }
    /// False: only the query view is used.
    public var requiresGradients: Bool { false }
    /// Initial fraction of pixels changed per step (`nil`: 0.05 for L∞, 0.1 for L2, as in the paper).
    public var initialFraction: Float?
    /// Query budget per example when the configuration sets none.
    public static let defaultQueries = 1000

    /// A Square Attack.
    public init(initialFraction: Float? = nil) { self.initialFraction = initialFraction }

    /// Runs the Square Attack on a batch.
    public func run(inputs: Tensor, labels: [Int], model: AttackModel,
                    configuration c: AttackConfiguration) throws(EvasionError) -> AttackResult {
        let (budget, n, d, rowShape) = try validateQueryAttack(inputs: inputs, labels: labels, configuration: c,
                                                                defaultQueries: Self.defaultQueries)
        let start = now()
        let geo = ImageGeometry(rowShape: rowShape, count: d)
        var oracle = CountingQueryClassifier(OpenedQueryClassifier(base: model.queryView), queryLimit: n * budget)
        let x0 = inputs.scalars
        var rng = ExampleRandomness(c)
        let eps = c.epsilon
        let p0 = initialFraction ?? (c.norm == .linf ? 0.05 : 0.1)
        let aim = c.targets ?? labels
        let targeted = c.targets != nil

        // Clean query.
        let cleanP: Tensor
        do { cleanP = try oracle.probabilities(inputs) } catch { throw EvasionError(.queryBudgetExceeded, "square: \(error)", underlying: error) }
        let cleanPred = cleanP.argmaxRows()
        var queries = [Int](repeating: 1, count: n)
        var iterations = [Int](repeating: 0, count: n)
        var best = x0
        var loss = Self.losses(cleanP, classes: aim, targeted: targeted)
        var done = (0..<n).map { isSuccess(cleanPred[$0], $0, labels: labels, targets: c.targets) }
        var active = (0..<n).filter { !done[$0] && budget >= 2 && eps > 0 }

        // Initial point.
        if !active.isEmpty {
            var rows = [Float](); rows.reserveCapacity(active.count * d)
            for i in active {
                let delta = c.norm == .linf ? geo.stripes(epsilon: eps, rng: &rng[i]) : geo.l2Init(epsilon: eps, rng: &rng[i])
                for j in 0..<d { rows.append(min(max(x0[i * d + j] + delta[j], c.clipMin), c.clipMax)) }
            }
            let p: Tensor
            do { p = try oracle.probabilities(Tensor(shape: [active.count] + rowShape, scalars: rows)) } catch { throw EvasionError(.queryBudgetExceeded, "square: \(error)", underlying: error) }
            let l = Self.losses(p, classes: active.map { aim[$0] }, targeted: targeted)
            let pred = p.argmaxRows()
            var keep: [Int] = []
            for (r, i) in active.enumerated() {
                queries[i] += 1
                best.replaceSubrange((i * d)..<((i + 1) * d), with: rows[(r * d)..<((r + 1) * d)])
                loss[i] = l[r]
                if isSuccess(pred[r], i, labels: labels, targets: c.targets) { done[i] = true } else { keep.append(i) }
            }
            active = keep
        }
        let steps = budget - 2
        var step = 0
        while step < steps && !active.isEmpty {
            let p = Self.fraction(p0, step: step, steps: steps)
            var rows = [Float](); rows.reserveCapacity(active.count * d)
            for i in active {
                let cur = Array(best[(i * d)..<((i + 1) * d)]), base = Array(x0[(i * d)..<((i + 1) * d)])
                let proposal = c.norm == .linf
                    ? geo.linfProposal(current: cur, clean: base, epsilon: eps, fraction: p, clipMin: c.clipMin, clipMax: c.clipMax, rng: &rng[i])
                    : geo.l2Proposal(current: cur, clean: base, epsilon: eps, fraction: p, clipMin: c.clipMin, clipMax: c.clipMax, rng: &rng[i])
                rows += proposal
            }
            let probs: Tensor
            do { probs = try oracle.probabilities(Tensor(shape: [active.count] + rowShape, scalars: rows)) } catch { throw EvasionError(.queryBudgetExceeded, "square: \(error)", underlying: error) }
            let l = Self.losses(probs, classes: active.map { aim[$0] }, targeted: targeted)
            let pred = probs.argmaxRows()
            var keep: [Int] = []
            for (r, i) in active.enumerated() {
                queries[i] += 1
                iterations[i] += 1
                if l[r] < loss[i] {
                    loss[i] = l[r]
                    best.replaceSubrange((i * d)..<((i + 1) * d), with: rows[(r * d)..<((r + 1) * d)])
                    if isSuccess(pred[r], i, labels: labels, targets: c.targets) { done[i] = true; continue }
                }
                keep.append(i)
            }
            active = keep
            step += 1
        }
        let adv = Tensor(shape: inputs.shape, scalars: best)
        // Final predictions are read from the model's query view without charging the attack.
        let advPred = model.queryView.labels(adv)
        return AttackResult(adversarial: adv, outcomes: makeOutcomes(
            clean: inputs, adversarial: adv, labels: labels, cleanPredictions: cleanPred, adversarialPredictions: advPred,
            targets: c.targets, queries: queries, iterations: iterations, seconds: now() - start))
    }

    /// The paper's schedule of the fraction p of pixels per step, rescaled to `steps`.
    static func fraction(_ p0: Float, step: Int, steps: Int) -> Float {
        let it = steps > 0 ? Int(Double(step) / Double(steps) * 10_000) : 0
        let bounds = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000]
        var p = p0
        for b in bounds where it > b { p /= 2 }
        return p
    }

    /// Untargeted margin `log p_y − max_{j≠y} log p_j`, or targeted `−log p_t`, per row.
    static func losses(_ probabilities: Tensor, classes: [Int], targeted: Bool) -> [Float] {
        let k = probabilities.shape.count > 1 ? probabilities.shape[1] : 0
        return classes.enumerated().map { r, y in
            let row = probabilities.scalars[(r * k)..<((r + 1) * k)].map { log(max($0, 1e-30)) }
            if targeted { return -row[y] }
            var other: Float = -.infinity
            for j in 0..<k where j != y { other = max(other, row[j]) }
            return row[y] - other
        }
    }
}

/// Channel × height × width view of one flat example, for window-shaped updates.
struct ImageGeometry {
    let channels: Int, height: Int, width: Int

    init(rowShape: [Int], count d: Int) {
        if rowShape.count == 3 { (channels, height, width) = (rowShape[0], rowShape[1], rowShape[2]) }
        else if rowShape.count == 2 { (channels, height, width) = (1, rowShape[0], rowShape[1]) }
        else { (channels, height, width) = (1, 1, d) }
    }

    @inline(__always) func index(_ ch: Int, _ r: Int, _ col: Int) -> Int { (ch * height + r) * width + col }

    /// Window side for fraction `p` of the pixels, clamped to the image.
    func side(_ p: Float, minimum: Int) -> (Int, Int) {
        let s = Int((p * Float(height * width)).squareRoot().rounded())
        let sh = min(max(s, minimum), max(height - 1, 1)), sw = min(max(s, minimum), max(width - 1, 1))
        return (min(sh, height), min(sw, width))
    }

    /// L∞ initialisation: one random ±ε per (channel, column).
    func stripes(epsilon: Float, rng: inout SeededGenerator) -> [Float] {
        var out = [Float](repeating: 0, count: channels * height * width)
        for ch in 0..<channels {
            for col in 0..<width {
                let v: Float = rng.nextUniform() < 0.5 ? -epsilon : epsilon
                for r in 0..<height { out[index(ch, r, col)] = v }
            }
        }
        return out
    }

    /// L∞ proposal: one random window of each channel reset to a random ±ε (resampled until it
    /// changes the current point).
    func linfProposal(current: [Float], clean: [Float], epsilon: Float, fraction p: Float, clipMin: Float, clipMax: Float,
                      rng: inout SeededGenerator) -> [Float] {
        let (sh, sw) = side(p, minimum: 1)
        let r0 = Int(rng.next() % UInt64(height - sh + 1)), c0 = Int(rng.next() % UInt64(width - sw + 1))
        var out = current
        for _ in 0..<10 {
            var changed = false
            for ch in 0..<channels {
                let v: Float = rng.nextUniform() < 0.5 ? -epsilon : epsilon
                for r in r0..<(r0 + sh) {
                    for col in c0..<(c0 + sw) {
                        let j = index(ch, r, col)
                        out[j] = min(max(clean[j] + v, clipMin), clipMax)
                        if abs(out[j] - current[j]) > 1e-7 { changed = true }
                    }
                }
            }
            if changed { break }
        }
        return out
    }

    /// A bump that decays as 1/(ring+1)² from the centre of an `h × w` rectangle, unit L2 norm.
    static func bump(_ h: Int, _ w: Int) -> [Float] {
        var out = [Float](repeating: 0, count: h * w)
        guard h > 0, w > 0 else { return out }
        let ch = h / 2, cw = w / 2
        for r in 0..<h {
            for col in 0..<w {
                let ring = max(abs(r - ch), abs(col - cw))
                let v = 1 / Float((ring + 1) * (ring + 1))
                out[r * w + col] = v
            }
        }
        let s = out.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return out.map { $0 / s }
    }

    /// The paper's update shape: two halves of opposite sign, each a bump, unit norm, randomly transposed.
    static func signedPair(_ s1: Int, _ s2: Int, rng: inout SeededGenerator) -> [Float] {
        var out = [Float](repeating: 0, count: s1 * s2)
        let top = s1 / 2
        let a = bump(top, s2), b = bump(s1 - top, s2)
        for r in 0..<top { for col in 0..<s2 { out[r * s2 + col] = a[r * s2 + col] } }
        for r in 0..<(s1 - top) { for col in 0..<s2 { out[(top + r) * s2 + col] = -b[r * s2 + col] } }
        let norm = out.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { out = out.map { $0 / norm } }
        if s1 == s2 && rng.nextUniform() < 0.5 {
            var t = out
            for r in 0..<s1 { for col in 0..<s2 { t[col * s1 + r] = out[r * s2 + col] } }
            out = t
        }
        return out
    }

    /// L2 initialisation: a grid of signed bumps (side h/5), scaled to norm ε.
    func l2Init(epsilon: Float, rng: inout SeededGenerator) -> [Float] {
        var out = [Float](repeating: 0, count: channels * height * width)
        let sh = max(height / 5, 1), sw = max(width / 5, 1)
        let shape = Self.signedPair(sh, sw, rng: &rng)
        var r0 = 0
        while r0 + sh <= height {
            var c0 = 0
            while c0 + sw <= width {
                for ch in 0..<channels {
                    let sign: Float = rng.nextUniform() < 0.5 ? -1 : 1
                    for r in 0..<sh { for col in 0..<sw { out[index(ch, r0 + r, c0 + col)] += sign * shape[r * sw + col] } }
                }
                c0 += sw
            }
            r0 += sh
        }
        let norm = out.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? out.map { $0 / norm * epsilon } : out
    }

    /// L2 proposal: window 1 gets a new signed bump plus its old (normalised) content, window 2 is
    /// emptied, and the freed norm budget moves into window 1; the total is rescaled to ε.
    func l2Proposal(current: [Float], clean: [Float], epsilon: Float, fraction p: Float, clipMin: Float, clipMax: Float,
                    rng: inout SeededGenerator) -> [Float] {
        var (sh, sw) = side(p, minimum: 3)
        if sh % 2 == 0 && sh > 1 { sh -= 1 }
        if sw % 2 == 0 && sw > 1 { sw -= 1 }
        let r1 = Int(rng.next() % UInt64(height - sh + 1)), c1 = Int(rng.next() % UInt64(width - sw + 1))
        let r2 = Int(rng.next() % UInt64(height - sh + 1)), c2 = Int(rng.next() % UInt64(width - sw + 1))
        var delta = zip(current, clean).map { $0 - $1 }
        let total = delta.reduce(0) { $0 + $1 * $1 }
        let shape = Self.signedPair(sh, sw, rng: &rng)
        func inWindow(_ r: Int, _ col: Int, _ r0: Int, _ c0: Int) -> Bool { r >= r0 && r < r0 + sh && col >= c0 && col < c0 + sw }
        for ch in 0..<channels {
            var n1: Float = 0, nBoth: Float = 0
            for r in 0..<height {
                for col in 0..<width {
                    let v = delta[index(ch, r, col)]
                    let w1 = inWindow(r, col, r1, c1), w2 = inWindow(r, col, r2, c2)
                    if w1 { n1 += v * v }
                    if w1 || w2 { nBoth += v * v }
                }
            }
            n1 = n1.squareRoot()
            let sign: Float = rng.nextUniform() < 0.5 ? -1 : 1
            var fresh = [Float](repeating: 0, count: sh * sw)
            for r in 0..<sh {
                for col in 0..<sw {
                    fresh[r * sw + col] = sign * shape[r * sw + col] + delta[index(ch, r1 + r, c1 + col)] / (n1 + 1e-10)
                }
            }
            let fn = fresh.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let target = (max(epsilon * epsilon - total, 0) / Float(channels) + nBoth).squareRoot()
            for r in 0..<height { for col in 0..<width where inWindow(r, col, r2, c2) { delta[index(ch, r, col)] = 0 } }
            for r in 0..<sh {
                for col in 0..<sw { delta[index(ch, r1 + r, c1 + col)] = fn > 0 ? fresh[r * sw + col] / fn * target : 0 }
            }
        }
        let norm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let scale: Float = norm > 0 ? epsilon / norm : 0
        return (0..<delta.count).map { min(max(clean[$0] + delta[$0] * scale, clipMin), clipMax) }
    }
}
