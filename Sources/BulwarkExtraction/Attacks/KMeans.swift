package import BulwarkTensor

/// Lloyd's k-means on flattened rows: the coarse actions of Knockoff Nets' adaptive policy when
/// the attacker's pool has no labels of its own.
package enum KMeans {
    /// A cluster index (0..<k) per row of `data` (`N × …`). Centres start at `k` distinct random
    /// rows and are refined for `iterations` rounds on at most `sampleSize` random rows; then
    /// every row is assigned to its nearest centre. Empty clusters keep their centre.
    ///
    /// Cost: `O(iterations · sampleSize · k · features)` plus one `O(N · k · features)` assignment.
    package static func cluster(_ data: Tensor, k: Int, iterations: Int, sampleSize: Int, rng: inout SeededGenerator) -> [Int] {
        let n = data.shape.first ?? 0
        guard n > 0, k > 1 else { return [Int](repeating: 0, count: n) }
        let features = data.count / n
        let flat = data.reshaped([n, features])
        let order = randomPermutation(n, using: &rng)
        let sample = flat.gatherRows(Array(order.prefix(min(n, max(sampleSize, k)))))
        var centres = flat.gatherRows(Array(order.prefix(k)))
        for _ in 0..<iterations {
            let assigned = nearest(sample, centres)
            var sums = [Float](repeating: 0, count: k * features)
            var counts = [Int](repeating: 0, count: k)
            for (r, c) in assigned.enumerated() {
                counts[c] += 1
                for f in 0..<features { sums[c * features + f] += sample.scalars[r * features + f] }
            }
            for c in 0..<k where counts[c] > 0 {
                for f in 0..<features { centres.scalars[c * features + f] = sums[c * features + f] / Float(counts[c]) }
            }
        }
        return nearest(flat, centres)
    }

    /// The nearest centre of each row (squared Euclidean distance, `‖c‖² − 2 x·c`).
    static func nearest(_ rows: Tensor, _ centres: Tensor) -> [Int] {
        let (n, k, features) = (rows.shape[0], centres.shape[0], centres.shape[1])
        let dots = Tensor.matmul(rows, centres, transposeB: true)
        var norms = [Float](repeating: 0, count: k)
        for c in 0..<k { for f in 0..<features { norms[c] += centres.scalars[c * features + f] * centres.scalars[c * features + f] } }
        return (0..<n).map { r in
            var best = 0
            var bestDistance = Float.infinity
            for c in 0..<k {
                let d = norms[c] - 2 * dots.scalars[r * k + c]
                if d < bestDistance { bestDistance = d; best = c }
            }
            return best
        }
    }
}
