public import BulwarkModels
public import BulwarkTensor
import Foundation

/// Functionally-equivalent extraction of a one-hidden-layer ReLU network (Jagielski, Carlini,
/// Berthelot, Kurakin & Papernot, "High Accuracy and High Fidelity Extraction of Neural
/// Networks", USENIX Security 2020; Carlini, Jagielski & Mironov, "Cryptanalytic Extraction of
/// Neural Network Models", CRYPTO 2020), for victims `softmax(W₂ relu(W₁ x + b₁) + b₂)` on
/// tabular or flattened inputs.
///
/// The logit differences `g_i(x) = log p_i − log p_0` are piecewise linear in `x`, with a kink
/// wherever a hidden neuron switches on or off. The attack
/// 1. draws random lines through the pool's region and finds **critical points** on them by
///    bisection: an interval whose midpoint's `g` is not the mean of its ends' holds a kink;
/// 2. at each critical point measures `∂g/∂x_k` on both sides by finite differences; the jump
///    across the kink is `(W₂[:, j] − W₂[0, j]) ⊗ W₁[j]`, a rank-one matrix whose row space is
///    neuron `j`'s weight row up to scale and sign (points where the jump is not rank one —
///    two kinks too close — are dropped); the bias follows from `w·x* + b = 0`;
/// 3. merges critical points of the same neuron (same row and bias up to scale) until
///    ``hiddenWidth`` neurons are found or ``maxLines`` lines are spent;
/// 4. fits the second layer by least squares on the victim's logit differences at random
///    points, first with both `relu(z)` and `relu(−z)` per neuron — which settles each row's
///    sign — then with the chosen signs.
///
/// **Only for victims that answer full-precision probabilities.** Rounded, truncated or noised
/// outputs (an output-hardening defence), top-k answers or labels only destroy the finite
/// differences it relies on, and a victim that is not one hidden ReLU layer has kinks this
/// model cannot explain. The attack is black-box: it cannot check the architecture, so the
/// caller states the hidden width. Precision is that of the victim's `Float` arithmetic: rows
/// come back to about 10⁻³ relative error, not the 2⁻²⁰ of the float64 attacks in the papers.
///
/// Cost per line: 17 grid queries and a few per bisection level per kink; per critical point
/// `2(d + 1)` queries for `d` input features; the second layer `4h + 64` queries.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let victim = try Sequential(inputShape: [6], layers: [Dense(6, 4, rng: &rng), ReLU(), Dense(4, 3, rng: &rng)])
/// var oracle = ExtractionOracle(victim: QueryAdapter(victim), budget: 20_000)
/// let run = try FunctionallyEquivalentExtraction(hiddenWidth: 4).run(oracle: &oracle, pool: Tensor.normal([100, 6], using: &rng))
/// print(run.neuronsRecovered)
/// ```
public struct FunctionallyEquivalentExtraction: Sendable {
    /// Neurons of the victim's hidden layer (h).
    public var hiddenWidth: Int
    /// Most random lines searched for critical points.
    public var maxLines: Int
    /// Queries to spend, or `nil` for as many as the oracle's budget allows.
    public var queries: Int?
    /// Seed of the lines and of the least-squares points.
    public var seed: UInt64

    /// An attack on a victim with `hiddenWidth` hidden ReLU neurons, searching at most
    /// `maxLines` lines (default `20 · hiddenWidth + 20`).
    public init(hiddenWidth: Int, maxLines: Int? = nil, queries: Int? = nil, seed: UInt64 = 0) {
        self.hiddenWidth = hiddenWidth
        self.maxLines = maxLines ?? 20 * hiddenWidth + 20
        self.queries = queries
        self.seed = seed
    }

    /// Extracts the victim behind `oracle`. `pool` (rows of the victim's input shape) only sets
    /// where lines are drawn: through its rows, scaled by its per-feature deviation.
    /// - Throws: ``ExtractionError``: `.invalidParameter` for a bad setting, an empty pool or a
    ///   victim answering zero probabilities (so `log p` is not finite), `.shapeMismatch` when the
    ///   pool does not fit the victim, `.budgetExhausted` when the budget cannot pay for the
    ///   second layer.
    public func run(oracle: inout ExtractionOracle, pool: Tensor,
                    progress: (ExtractionProgress) -> Void = { _ in }) throws(ExtractionError) -> EquivalentExtractionRun {
        let start = Date()
        guard hiddenWidth >= 1, hiddenWidth <= 4096 else { throw ExtractionError(.invalidParameter, "equivalent: hidden width must be in 1…4096, got \(hiddenWidth)") }
        guard maxLines >= 1 else { throw ExtractionError(.invalidParameter, "equivalent: max lines must be at least 1, got \(maxLines)") }
        if let queries, queries < 1 { throw ExtractionError(.invalidParameter, "equivalent: queries must be at least 1, got \(queries)") }
        guard oracle.classCount >= 2 else { throw ExtractionError(.invalidParameter, "equivalent: the victim answers \(oracle.classCount) class; at least 2 are needed") }
        guard pool.rank >= 2, pool.shape[0] > 0 else { throw ExtractionError(.invalidParameter, "equivalent: the query pool is empty") }
        guard Array(pool.shape.dropFirst()) == oracle.inputShape else {
            throw ExtractionError(.shapeMismatch, "equivalent: query pool examples of shape \(Array(pool.shape.dropFirst())) do not fit the victim's input shape \(oracle.inputShape)")
        }
        var search = LineSearch(oracle: oracle, pool: pool, budget: min(queries ?? Int.max, oracle.queriesLeft), seed: seed)
        // the caller's oracle counts (and records) every query sent, also when the attack throws
        defer { oracle = search.oracle }
        let secondLayerQueries = 4 * hiddenWidth + 64
        var candidates: [NeuronEstimate] = []
        var criticalPoints = 0, lines = 0
        func confirmed() -> Int { candidates.filter { $0.count >= 2 }.count }
        while confirmed() < hiddenWidth, lines < maxLines,
              search.queriesLeft >= secondLayerQueries + 64 + 2 * (search.features + 1) {
            lines += 1
            let found = try search.criticalPoints(reserve: secondLayerQueries)
            criticalPoints += found.count
            for point in found {
                guard let (row, bias) = try search.neuron(at: point, reserve: secondLayerQueries) else { continue }
                if let same = candidates.firstIndex(where: { $0.matches(row: row, bias: bias) }) {
                    candidates[same].add(row: row, bias: bias)
                } else {
                    candidates.append(NeuronEstimate(row: row, bias: bias))
                }
            }
            progress(ExtractionProgress(stage: "critical points: \(confirmed()) of \(hiddenWidth) neurons confirmed after \(lines) lines", queriesUsed: search.oracle.queriesUsed))
        }
        // neurons seen at two critical points or more first, then the best of the rest, up to h
        let ranked = candidates.enumerated().sorted { ($0.element.count, -$0.offset) > ($1.element.count, -$1.offset) }.map(\.element)
        let neurons = ranked.prefix(hiddenWidth).map { $0.mean }
        guard search.queriesLeft >= secondLayerQueries else {
            throw ExtractionError(.budgetExhausted, "equivalent: \(search.queriesLeft) queries left, the second layer needs \(secondLayerQueries)")
        }
        progress(ExtractionProgress(stage: "second layer", queriesUsed: search.oracle.queriesUsed))
        let fitted = try search.fitSecondLayer(neurons: neurons, points: secondLayerQueries)
        return EquivalentExtractionRun(substitute: fitted.model, firstLayerWeights: fitted.weights, firstLayerBias: fitted.bias,
                                       neuronsRecovered: neurons.count, criticalPoints: criticalPoints, linesSearched: lines,
                                       queriesUsed: search.used, seconds: Date().timeIntervalSince(start))
    }
}

/// What ``FunctionallyEquivalentExtraction`` returns.
public struct EquivalentExtractionRun: Sendable {
    /// The extracted network: flatten, dense d→h', ReLU, dense h'→classes (h' neurons recovered).
    public var substitute: Sequential
    /// The recovered first-layer rows, `h' × d`, each of unit norm, signs resolved by the fit.
    public var firstLayerWeights: Tensor
    /// The recovered first-layer biases, on the rows' scale.
    public var firstLayerBias: Tensor
    /// Distinct hidden neurons recovered (h').
    public var neuronsRecovered: Int
    /// Critical points found on the lines (several may belong to one neuron).
    public var criticalPoints: Int
    /// Random lines searched.
    public var linesSearched: Int
    /// Queries sent.
    public var queriesUsed: Int
    /// Wall seconds.
    public var seconds: Double
}

/// The query-side machinery of ``FunctionallyEquivalentExtraction``: lines, bisection, finite
/// differences and least squares, all asked through one oracle.
struct LineSearch {
    var oracle: ExtractionOracle
    let features: Int
    let budget: Int
    let usedBefore: Int
    let pool: [Float]
    let poolRows: Int
    let deviation: [Float]
    var rng: SeededGenerator
    /// The current line: origin and direction (scaled), t ∈ [−1, 1].
    var origin: [Float] = [], direction: [Float] = []

    init(oracle: ExtractionOracle, pool: Tensor, budget: Int, seed: UInt64) {
        self.oracle = oracle
        self.budget = budget
        usedBefore = oracle.queriesUsed
        poolRows = pool.shape[0]
        features = pool.count / max(poolRows, 1)
        self.pool = pool.scalars
        var mean = [Double](repeating: 0, count: features), square = [Double](repeating: 0, count: features)
        for r in 0..<poolRows {
            for f in 0..<features {
                let v = Double(pool.scalars[r * features + f])
                mean[f] += v
                square[f] += v * v
            }
        }
        let rows = Double(poolRows)
        deviation = zip(mean, square).map { sum, sumOfSquares in
            let m = sum / rows
            let s = (max(0, sumOfSquares / rows - m * m)).squareRoot()
            return Float(s > 1e-6 ? s : 1)
        }
        rng = SeededGenerator(seed: seed)
    }

    var used: Int { oracle.queriesUsed - usedBefore }
    var queriesLeft: Int { budget - used }

    /// `log p_i − log p_0` for each row of `points` (`N × features`), `N × (C − 1)`.
    mutating func logitDifferences(_ points: [Float], rows: Int) throws(ExtractionError) -> [[Double]] {
        let p = try oracle.query(Tensor(shape: [rows] + oracle.inputShape, scalars: points))
        let c = oracle.classCount
        return try (0..<rows).map { (r: Int) throws(ExtractionError) -> [Double] in
            let p0 = Double(p.scalars[r * c])
            let out = (1..<c).map { Foundation.log(Double(p.scalars[r * c + $0])) - Foundation.log(p0) }
            guard out.allSatisfy(\.isFinite) else {
                throw ExtractionError(.invalidParameter, "equivalent: the victim answered a zero probability, so log p is not finite; it needs full-precision probabilities")
            }
            return out
        }
    }

    /// Points `origin + t · direction` for each `t`.
    func points(_ ts: [Double]) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(ts.count * features)
        for t in ts { for f in 0..<features { out.append(origin[f] + Float(t) * direction[f]) } }
        return out
    }

    /// Critical points (values of t) on a fresh random line, found by batched bisection.
    mutating func criticalPoints(reserve: Int) throws(ExtractionError) -> [Double] {
        let row = Int(rng.next() % UInt64(poolRows))
        origin = (0..<features).map { pool[row * features + $0] }
        direction = (0..<features).map { 2 * deviation[$0] * rng.nextNormal() }
        let grid = (0...16).map { -1 + Double($0) / 8 }
        // a line reaching where the victim's softmax underflows is halved (up to five times)
        var g: [[Double]] = []
        for attempt in 0..<6 {
            guard queriesLeft - reserve >= grid.count else { return [] }
            do {
                g = try logitDifferences(points(grid), rows: grid.count)
                break
            } catch where error.code == .invalidParameter && attempt < 5 {
                direction = direction.map { $0 / 2 }
            }
        }
        var scale = 1.0
        for row in g { for v in row { scale = max(scale, 1 + abs(v)) } }
        var intervals: [Interval] = (0..<16).map { Interval(a: grid[$0], b: grid[$0 + 1], ga: g[$0], gb: g[$0 + 1]) }
        var narrow: [Interval] = []
        while !intervals.isEmpty {
            guard queriesLeft - reserve >= intervals.count else { break }
            let mids: [Double] = intervals.map { ($0.a + $0.b) / 2 }
            let gm = try logitDifferences(points(mids), rows: mids.count)
            var next: [Interval] = []
            for (i, iv) in intervals.enumerated() {
                guard iv.deviation(atMidpoint: gm[i]) > 4e-6 * scale else { continue }
                let halves = [Interval(a: iv.a, b: mids[i], ga: iv.ga, gb: gm[i]), Interval(a: mids[i], b: iv.b, ga: gm[i], gb: iv.gb)]
                if iv.b - iv.a < 2e-3 { narrow.append(iv) } else { next += halves }
            }
            intervals = next
        }
        // each narrow interval: the lines through its ends and one more point outside each end
        // meet at the kink (Carlini et al.'s refinement), far more precisely than bisection could
        var found: [Double] = []
        let candidates = narrow
        guard !candidates.isEmpty, queriesLeft - reserve >= 2 * candidates.count else { return [] }
        let outside = candidates.flatMap { [$0.a - ($0.b - $0.a), $0.b + ($0.b - $0.a)] }
        let go = try logitDifferences(points(outside), rows: outside.count)
        for (i, iv) in candidates.enumerated() {
            let w = iv.b - iv.a
            var best = 0, bestJump = 0.0
            var left = [Double](), right = [Double]()
            for k in iv.ga.indices {
                left.append((iv.ga[k] - go[2 * i][k]) / w)
                right.append((go[2 * i + 1][k] - iv.gb[k]) / w)
                if abs(left[k] - right[k]) > bestJump { bestJump = abs(left[k] - right[k]); best = k }
            }
            guard bestJump > 0 else { continue }
            // ga + sL (t − a) = gb + sR (t − b)
            let t = (iv.gb[best] - iv.ga[best] + left[best] * iv.a - right[best] * iv.b) / (left[best] - right[best])
            if t >= iv.a - w / 2, t <= iv.b + w / 2 { found.append(t) }
        }
        return found
    }

    /// The weight row (unit norm, largest component positive) and bias of the neuron whose kink
    /// lies at `t` on the current line, or `nil` when the jump is not rank one.
    mutating func neuron(at t: Double, reserve: Int) throws(ExtractionError) -> (row: [Double], bias: Double)? {
        let delta = 0.02, length = direction.map { Double($0 * $0) }.reduce(0, +).squareRoot()
        // a step h along one coordinate moves a pre-activation by w_k·h ≈ (‖w‖/√d)·h, well inside the
        // margin δ·(w·D) ≈ δ‖w‖‖D‖/√d when h < δ‖D‖; d^⅓ (not d^½) keeps room for uneven rows
        let h = Float(0.5 * delta * length / Foundation.pow(Double(max(1, features)), 1.0 / 3))
        guard queriesLeft - reserve >= 2 * (features + 1) else { return nil }
        let base = points([t - delta, t + delta])
        var batch = base
        for side in 0..<2 {
            for k in 0..<features {
                var p = Array(base[(side * features)..<((side + 1) * features)])
                p[k] += h
                batch += p
            }
        }
        let g = try logitDifferences(batch, rows: 2 + 2 * features)
        let outputs = g[0].count
        // jump[i][k] = slope on the + side − slope on the − side, for output i and feature k
        var jump = [[Double]](repeating: [Double](repeating: 0, count: features), count: outputs)
        for k in 0..<features {
            for i in 0..<outputs {
                let minus = (g[2 + k][i] - g[0][i]) / Double(h)
                let plus = (g[2 + features + k][i] - g[1][i]) / Double(h)
                jump[i][k] = plus - minus
            }
        }
        // row space of the rank-one jump: the strongest row, then every row aligned with it
        let norms = jump.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        guard let strongest = norms.indices.max(by: { norms[$0] < norms[$1] }), norms[strongest] > 0 else { return nil }
        var row = [Double](repeating: 0, count: features)
        for i in 0..<outputs {
            let dot = zip(jump[i], jump[strongest]).reduce(0) { $0 + $1.0 * $1.1 }
            for k in 0..<features { row[k] += (dot >= 0 ? 1 : -1) * jump[i][k] }
        }
        let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return nil }
        row = row.map { $0 / norm }
        // rank one: each output's jump lies along the row
        var residual = 0.0, total = 0.0
        for i in 0..<outputs {
            let dot = zip(jump[i], row).reduce(0) { $0 + $1.0 * $1.1 }
            for k in 0..<features {
                let r = jump[i][k] - dot * row[k]
                residual += r * r
                total += jump[i][k] * jump[i][k]
            }
        }
        guard residual <= 0.01 * total else { return nil }
        if let largest = row.indices.max(by: { abs(row[$0]) < abs(row[$1]) }), row[largest] < 0 { row = row.map { -$0 } }
        let point = points([t])
        let bias = -zip(row, point).reduce(0) { $0 + $1.0 * Double($1.1) }
        return (row, bias)
    }

    /// Least-squares second layer over `points` random points; returns the extracted network.
    mutating func fitSecondLayer(neurons: [(row: [Double], bias: Double)], points count: Int) throws(ExtractionError)
        -> (model: Sequential, weights: Tensor, bias: Tensor) {
        var xs = [Float]()
        xs.reserveCapacity(count * features)
        for _ in 0..<count {
            let row = Int(rng.next() % UInt64(poolRows))
            for f in 0..<features { xs.append(pool[row * features + f] + deviation[f] * rng.nextNormal()) }
        }
        let g = try logitDifferences(xs, rows: count)
        let h = neurons.count
        func preactivation(_ r: Int, _ j: Int) -> Double {
            var s = neurons[j].bias
            for f in 0..<features { s += neurons[j].row[f] * Double(xs[r * features + f]) }
            return s
        }
        let z = (0..<count).map { r in (0..<h).map { preactivation(r, $0) } }
        // both signs per neuron, then keep the sign that carries the larger output weights
        let both = leastSquares(design: z.map { zr in zr.map { max(0, $0) } + zr.map { max(0, -$0) } + [1] }, targets: g)
        let signs = (0..<h).map { j -> Double in
            let positive = both[j].reduce(0) { $0 + $1 * $1 }, negative = both[h + j].reduce(0) { $0 + $1 * $1 }
            return positive >= negative ? 1 : -1
        }
        let a = leastSquares(design: z.map { zr in (0..<h).map { max(0, signs[$0] * zr[$0]) } + [1] }, targets: g)
        let c = oracle.classCount
        var w1 = [Float](), b1 = [Float](), w2 = [Float](repeating: 0, count: c * h), b2 = [Float](repeating: 0, count: c)
        for j in 0..<h {
            w1 += neurons[j].row.map { Float(signs[j] * $0) }
            b1.append(Float(signs[j] * neurons[j].bias))
        }
        for i in 1..<c {
            for j in 0..<h { w2[i * h + j] = Float(a[j][i - 1]) }
            b2[i] = Float(a[h][i - 1])
        }
        var init_ = SeededGenerator(seed: 0)
        var first = Dense(features, max(h, 1), rng: &init_), second = Dense(max(h, 1), c, rng: &init_)
        if h > 0 {
            first.weight = Tensor(shape: [h, features], scalars: w1)
            first.bias = Tensor(shape: [h], scalars: b1)
            second.weight = Tensor(shape: [c, h], scalars: w2)
        } else {
            first.weight = Tensor.zeros([1, features])
            first.bias = Tensor.zeros([1])
            second.weight = Tensor.zeros([c, 1])
        }
        second.bias = Tensor(shape: [c], scalars: b2)
        let model: Sequential
        do { model = try Sequential(inputShape: oracle.inputShape, layers: [Flatten(), first, ReLU(), second]) } catch {
            throw ExtractionError(.shapeMismatch, "equivalent: \(error.message)", underlying: error)
        }
        return (model, Tensor(shape: [h, features], scalars: w1), Tensor(shape: [h], scalars: b1))
    }
}

/// The running estimate of one hidden neuron: the sum of the unit rows (signs aligned) and biases
/// measured at its critical points.
struct NeuronEstimate {
    var rowSum: [Double], biasSum: Double, count: Int

    init(row: [Double], bias: Double) {
        rowSum = row
        biasSum = bias
        count = 1
    }

    /// The mean row (unit norm) and the bias on its scale.
    var mean: (row: [Double], bias: Double) {
        let norm = rowSum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? (rowSum.map { $0 / norm }, biasSum / norm) : (rowSum, biasSum)
    }

    /// Whether `row` (unit norm) and `bias` describe this neuron's hyperplane, up to sign.
    func matches(row: [Double], bias: Double) -> Bool {
        let m = mean
        let cosine = zip(m.row, row).reduce(0) { $0 + $1.0 * $1.1 }
        return abs(cosine) > 0.99 && abs(m.bias - (cosine < 0 ? -bias : bias)) < 0.05 * (1 + abs(bias))
    }

    /// Adds one more measurement, its sign aligned with the estimate's.
    mutating func add(row: [Double], bias: Double) {
        let sign: Double = zip(rowSum, row).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? -1 : 1
        for k in rowSum.indices { rowSum[k] += sign * row[k] }
        biasSum += sign * bias
        count += 1
    }
}

/// A piece `[a, b]` of a line with the logit differences at its ends.
struct Interval {
    var a: Double, b: Double
    var ga: [Double], gb: [Double]

    /// The largest distance of the midpoint's values from the chord between the ends: zero (up
    /// to rounding) when `g` is linear on the interval.
    func deviation(atMidpoint gm: [Double]) -> Double {
        var worst = 0.0
        for i in gm.indices { worst = max(worst, abs(gm[i] - (ga[i] + gb[i]) / 2)) }
        return worst
    }
}

/// Least squares `min ‖X A − Y‖²` by the normal equations with a tiny ridge (Cholesky), one
/// column of `A` per target column. `design` is `N × p`, `targets` `N × q`; returns `p × q`.
func leastSquares(design: [[Double]], targets: [[Double]]) -> [[Double]] {
    let p = design.first?.count ?? 0, q = targets.first?.count ?? 0
    var gram = [Double](repeating: 0, count: p * p), rhs = [Double](repeating: 0, count: p * q)
    for (x, y) in zip(design, targets) {
        for a in 0..<p where x[a] != 0 {
            for b in 0..<p { gram[a * p + b] += x[a] * x[b] }
            for k in 0..<q { rhs[a * q + k] += x[a] * y[k] }
        }
    }
    let trace = (0..<p).reduce(0.0) { $0 + gram[$1 * p + $1] }
    for a in 0..<p { gram[a * p + a] += 1e-10 * max(trace, 1) / Double(max(p, 1)) }
    // Cholesky: gram = L Lᵀ
    var l = [Double](repeating: 0, count: p * p)
    for i in 0..<p {
        for j in 0...i {
            var s = gram[i * p + j]
            for k in 0..<j { s -= l[i * p + k] * l[j * p + k] }
            l[i * p + j] = i == j ? max(s, 1e-300).squareRoot() : s / l[j * p + j]
        }
    }
    var solution = [[Double]](repeating: [Double](repeating: 0, count: q), count: p)
    for k in 0..<q {
        var y = [Double](repeating: 0, count: p)
        for i in 0..<p {
            var s = rhs[i * q + k]
            for j in 0..<i { s -= l[i * p + j] * y[j] }
            y[i] = s / l[i * p + i]
        }
        for i in stride(from: p - 1, through: 0, by: -1) {
            var s = y[i]
            for j in (i + 1)..<p { s -= l[j * p + i] * solution[j][k] }
            solution[i][k] = s / l[i * p + i]
        }
    }
    return solution
}
