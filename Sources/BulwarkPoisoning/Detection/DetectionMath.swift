import BulwarkTensor

/// Small dense linear algebra and statistics the detectors share: robust location and scale,
/// symmetric eigen-decomposition, the top singular vector, 2-means and the silhouette.
///
/// Matrices are row-major `[Double]`. `package` so the tests can check each piece against
/// known answers; not part of the public API.
package enum DetectionMath {
    /// The median (the mean of the two middle values for an even count); 0 for no values.
    package static func median(_ values: [Double]) -> Double {
        if values.isEmpty { return 0 }
        let s = values.sorted()
        let m = s.count / 2
        return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
    }

    /// The median absolute deviation from the median (unscaled).
    package static func medianAbsoluteDeviation(_ values: [Double]) -> Double {
        let m = median(values)
        return median(values.map { abs($0 - m) })
    }

    /// 1.4826: the MAD of a normal sample times this estimates its standard deviation.
    package static let madConsistency = 1.4826

    /// Robust z-scores `(v − median) / (1.4826 · MAD)`; when the MAD is 0 the scale falls back to
    /// the mean absolute deviation, and to 1 when that is 0 too (all values equal → all 0).
    package static func robustZScores(_ values: [Double]) -> [Double] {
        let m = median(values)
        var scale = madConsistency * medianAbsoluteDeviation(values)
        if !(scale > 0) {
            scale = values.isEmpty ? 1 : values.reduce(0) { $0 + abs($1 - m) } / Double(values.count) * 1.2533
        }
        if !(scale > 0) { scale = 1 }
        return values.map { ($0 - m) / scale }
    }

    /// Column means of an `n × d` matrix.
    package static func columnMeans(_ x: [Double], rows n: Int, columns d: Int) -> [Double] {
        var mean = [Double](repeating: 0, count: d)
        if n == 0 { return mean }
        for i in 0..<n { for j in 0..<d { mean[j] += x[i * d + j] } }
        return mean.map { $0 / Double(n) }
    }

    /// `x` with its column means subtracted.
    package static func centred(_ x: [Double], rows n: Int, columns d: Int) -> [Double] {
        let mean = columnMeans(x, rows: n, columns: d)
        var out = x
        for i in 0..<n { for j in 0..<d { out[i * d + j] -= mean[j] } }
        return out
    }

    /// `xᵀx` (`d × d`) of an `n × d` matrix, through one `sgemm` when the matrix is large.
    package static func gram(_ x: [Double], rows n: Int, columns d: Int) -> [Double] {
        if n * d * d > 1 << 20 {
            let t = Tensor(shape: [n, d], scalars: x.map(Float.init))
            return Tensor.matmul(t, t, transposeA: true).scalars.map(Double.init)
        }
        var g = [Double](repeating: 0, count: d * d)
        for i in 0..<n {
            for a in 0..<d {
                let xa = x[i * d + a]
                if xa == 0 { continue }
                for b in a..<d { g[a * d + b] += xa * x[i * d + b] }
            }
        }
        for a in 0..<d { for b in 0..<a { g[a * d + b] = g[b * d + a] } }
        return g
    }

    /// Eigenvalues (descending) and unit eigenvectors (rows, same order) of a symmetric `d × d`
    /// matrix, by cyclic Jacobi rotations until the off-diagonal mass is below `1e-12` of the
    /// total (at most 50 sweeps). Cost: about 10·d³ per sweep-set; d ≤ a few hundred here.
    package static func symmetricEigen(_ a: [Double], dimension d: Int) -> (values: [Double], vectors: [[Double]]) {
        var m = a
        var v = [Double](repeating: 0, count: d * d)
        for i in 0..<d { v[i * d + i] = 1 }
        let total = m.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<50 {
            var off = 0.0
            for p in 0..<d { for q in (p + 1)..<max(d, p + 1) { off += m[p * d + q] * m[p * d + q] } }
            if off <= 1e-24 * max(total, 1e-300) || off == 0 { break }
            for p in 0..<d {
                for q in (p + 1)..<max(d, p + 1) {
                    let apq = m[p * d + q]
                    if abs(apq) < 1e-300 { continue }
                    let theta = (m[q * d + q] - m[p * d + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<d {
                        let mkp = m[k * d + p], mkq = m[k * d + q]
                        m[k * d + p] = c * mkp - s * mkq
                        m[k * d + q] = s * mkp + c * mkq
                    }
                    for k in 0..<d {
                        let mpk = m[p * d + k], mqk = m[q * d + k]
                        m[p * d + k] = c * mpk - s * mqk
                        m[q * d + k] = s * mpk + c * mqk
                    }
                    for k in 0..<d {
                        let vkp = v[k * d + p], vkq = v[k * d + q]
                        v[k * d + p] = c * vkp - s * vkq
                        v[k * d + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<d).sorted { m[$0 * d + $0] > m[$1 * d + $1] }
        return (order.map { m[$0 * d + $0] }, order.map { j in (0..<d).map { v[$0 * d + j] } })
    }

    /// Projects the rows of the centred `n × d` matrix onto its top `k` principal axes (PCA by
    /// the eigenvectors of `xᵀx`): an `n × min(k, d)` matrix.
    package static func principalComponents(_ centred: [Double], rows n: Int, columns d: Int, keep k: Int) -> (scores: [Double], width: Int) {
        let kept = min(k, d)
        let axes = symmetricEigen(gram(centred, rows: n, columns: d), dimension: d).vectors.prefix(kept)
        var out = [Double](repeating: 0, count: n * kept)
        for i in 0..<n {
            for (j, axis) in axes.enumerated() {
                var s = 0.0
                for c in 0..<d { s += centred[i * d + c] * axis[c] }
                out[i * kept + j] = s
            }
        }
        return (out, kept)
    }

    /// The top right singular vector of an `n × d` matrix (the top eigenvector of `xᵀx`), by
    /// power iteration from a fixed start until the direction changes by less than `1e-10`
    /// (at most `iterations` steps), with the sign fixed so its largest entry is positive.
    package static func topRightSingularVector(_ x: [Double], rows n: Int, columns d: Int, iterations: Int = 500) -> [Double] {
        let g = gram(x, rows: n, columns: d)
        var v = (0..<d).map { 1 / Double(d).squareRoot() + 1e-3 * Double($0 % 7) }
        normalise(&v)
        for _ in 0..<iterations {
            var w = [Double](repeating: 0, count: d)
            for a in 0..<d { var s = 0.0; for b in 0..<d { s += g[a * d + b] * v[b] }; w[a] = s }
            guard normalise(&w) else { break }
            var change = 0.0
            for a in 0..<d { change = max(change, abs(abs(w[a]) - abs(v[a]))) }
            v = w
            if change < 1e-10 { break }
        }
        if let big = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[big] < 0 { v = v.map { -$0 } }
        return v
    }

    /// Scales `v` to unit length; false (unchanged) when it is zero.
    @discardableResult
    package static func normalise(_ v: inout [Double]) -> Bool {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0, norm.isFinite else { return false }
        for i in v.indices { v[i] /= norm }
        return true
    }

    /// 2-means on the rows of an `n × d` matrix: Lloyd's algorithm (at most 100 rounds) from
    /// several starts — the row farthest from the mean with the row farthest from it, and
    /// `restarts` k-means++ draws from a generator seeded with `seed` — keeping the split with
    /// the smallest within-cluster sum of squares (as scikit-learn's `n_init`). Deterministic.
    /// Returns the cluster (0 or 1) of each row.
    package static func twoMeans(_ x: [Double], rows n: Int, columns d: Int, restarts: Int = 4, seed: UInt64 = 0) -> [Int] {
        guard n >= 2 else { return [Int](repeating: 0, count: n) }
        func row(_ i: Int) -> [Double] { Array(x[(i * d)..<(i * d + d)]) }
        func distance(_ i: Int, _ c: [Double]) -> Double {
            var s = 0.0
            for j in 0..<d { let t = x[i * d + j] - c[j]; s += t * t }
            return s
        }
        var starts: [(Int, Int)] = []
        let mean = columnMeans(x, rows: n, columns: d)
        let first = (0..<n).max { distance($0, mean) < distance($1, mean) } ?? 0
        let firstRow = row(first)
        starts.append((first, (0..<n).max { distance($0, firstRow) < distance($1, firstRow) } ?? 1))
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<max(0, restarts) {
            let a = Int(rng.next() % UInt64(n))
            let ra = row(a)
            let weights = (0..<n).map { distance($0, ra) }
            let total = weights.reduce(0, +)
            var pick = total * Double(rng.next() >> 11) / Double(1 << 53), b = 0
            while b < n - 1 && pick >= weights[b] { pick -= weights[b]; b += 1 }
            starts.append((a, b))
        }
        var best: (cost: Double, assignment: [Int]) = (.infinity, [])
        for (a, b) in starts {
            var centres = [row(a), row(b)]
            var assignment = [Int](repeating: -1, count: n)
            for _ in 0..<100 {
                var moved = false
                for i in 0..<n {
                    let c = distance(i, centres[0]) <= distance(i, centres[1]) ? 0 : 1
                    if c != assignment[i] { assignment[i] = c; moved = true }
                }
                if !moved { break }
                var sums = [[Double]](repeating: [Double](repeating: 0, count: d), count: 2)
                var counts = [0, 0]
                for i in 0..<n {
                    counts[assignment[i]] += 1
                    for j in 0..<d { sums[assignment[i]][j] += x[i * d + j] }
                }
                for c in 0..<2 where counts[c] > 0 { centres[c] = sums[c].map { $0 / Double(counts[c]) } }
            }
            let cost = (0..<n).reduce(0.0) { $0 + distance($1, centres[assignment[$1]]) }
            if cost < best.cost { best = (cost, assignment) }
        }
        return best.assignment
    }

    /// The mean silhouette (Rousseeuw 1987) of a 2-cluster assignment, on at most `sampleLimit`
    /// rows spread evenly over the matrix (exact when `n ≤ sampleLimit`); 0 when a cluster is
    /// empty. Cost: O(m²·d) for m sampled rows.
    package static func silhouette(_ x: [Double], rows n: Int, columns d: Int, assignment: [Int], sampleLimit: Int = 1500) -> Double {
        let stride = max(1, (n + sampleLimit - 1) / sampleLimit)
        let rows = Array(Swift.stride(from: 0, to: n, by: stride))
        var total = 0.0
        for i in rows {
            var sums = [0.0, 0.0], counts = [0, 0]
            for k in rows where k != i {
                var s = 0.0
                for j in 0..<d { let t = x[i * d + j] - x[k * d + j]; s += t * t }
                sums[assignment[k]] += s.squareRoot()
                counts[assignment[k]] += 1
            }
            let own = assignment[i], other = 1 - own
            guard counts[other] > 0 else { return 0 }
            if counts[own] == 0 { continue }  // a singleton scores 0
            let a = sums[own] / Double(counts[own]), b = sums[other] / Double(counts[other])
            let m = max(a, b)
            total += m > 0 ? (b - a) / m : 0
        }
        return rows.isEmpty ? 0 : total / Double(rows.count)
    }
}
