import BulwarkTensor
import Foundation

extension DriftStatistics {
    /// The threshold above which an MMD² between the reference embedding sample and a window of
    /// `windowSize` embeddings counts as drift: the `1 − alpha` quantile of MMD² over
    /// `permutations` random splits of the reference sample into a part of `count − windowSize`
    /// rows and a part of `windowSize` rows (a permutation test run once, on the reference alone,
    /// with a seeded generator, so the same reference and seed give the same threshold).
    ///
    /// The split's first part is smaller than the whole reference the monitor compares with, so
    /// the null spread it measures is a little wider and the threshold errs on the side of fewer
    /// false alarms. `windowSize` is cut to half the reference sample.
    ///
    /// Cost: one `count × count` kernel matrix (O(count²·dimension)), then O(windowSize²) per
    /// permutation. Returns 0 when the sample has fewer than four rows.
    public static func maximumMeanDiscrepancyThreshold(reference: [Float], dimension: Int, bandwidth: Double, windowSize: Int,
                                                       permutations: Int, alpha: Double, seed: UInt64) -> Double {
        guard dimension > 0 else { return 0 }
        let count = reference.count / dimension
        let w = min(windowSize, count / 2)
        guard count >= 4, w >= 2, permutations >= 1 else { return 0 }
        let gamma = 1 / (2 * bandwidth * bandwidth)
        var kernel = [Double](repeating: 1, count: count * count)
        reference.withUnsafeBufferPointer { x in
            for i in 0..<count {
                for j in (i + 1)..<count {
                    let k = exp(-gamma * squaredDistance(x, i, x, j, dimension))
                    kernel[i * count + j] = k
                    kernel[j * count + i] = k
                }
            }
        }
        var rowSums = [Double](repeating: 0, count: count)
        for i in 0..<count { rowSums[i] = kernel[(i * count)..<((i + 1) * count)].reduce(0, +) }
        let total = rowSums.reduce(0, +)
        let a = count - w
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<count)
        var null: [Double] = []
        null.reserveCapacity(permutations)
        for _ in 0..<permutations {
            order.shuffle(using: &generator)
            let part = order[a...]
            var bb = 0.0, bAll = 0.0
            for i in part {
                bAll += rowSums[i]
                for j in part { bb += kernel[i * count + j] }
            }
            let ab = bAll - bb
            let aa = total - 2 * ab - bb
            // Off-diagonal sums: the diagonal of an RBF kernel is 1.
            let mmd = (aa - Double(a)) / Double(a * (a - 1)) + (bb - Double(w)) / Double(w * (w - 1)) - 2 * ab / Double(a * w)
            null.append(mmd)
        }
        null.sort()
        let index = min(permutations - 1, max(0, Int((Double(permutations) * (1 - alpha)).rounded(.up)) - 1))
        return null[index]
    }
}
