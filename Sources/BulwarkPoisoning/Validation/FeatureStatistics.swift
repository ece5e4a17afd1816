/// A fixed-bin histogram over `[lower, upper]`: `counts[b]` holds the values in bin `b` of
/// `bins` equal-width bins (the last bin includes `upper`); values below or above the range are
/// counted apart, non-finite values are not counted here (``FeatureStatistics/nonFinite``).
public struct Histogram: Codable, Sendable, Equatable {
    /// The left edge of the first bin.
    public var lower: Double
    /// The right edge of the last bin.
    public var upper: Double
    /// Values per bin.
    public var counts: [Int]
    /// Values below `lower`.
    public var below: Int
    /// Values above `upper`.
    public var above: Int

    /// An empty histogram of `bins` bins over `[lower, upper]`; an empty or inverted range
    /// becomes `[lower, lower + 1]`.
    public init(lower: Double, upper: Double, bins: Int) {
        self.lower = lower
        self.upper = upper > lower ? upper : lower + 1
        counts = [Int](repeating: 0, count: max(1, bins))
        below = 0
        above = 0
    }

    /// All counted values.
    public var total: Int { counts.reduce(0, +) + below + above }

    /// The proportions of the cells `[below, bins…, above]`, each at least `floor` (so a
    /// logarithm of them is finite); all zero when the histogram is empty.
    public func proportions(floor: Double = 1e-4) -> [Double] {
        let cells = [below] + counts + [above]
        let n = Double(max(1, total))
        return cells.map { Swift.max(Double($0) / n, floor) }
    }
}

/// Statistics of one feature (tables and flat arrays) or one channel (images, pooled over its
/// pixels): finite values only, with how many were not finite.
public struct FeatureStatistics: Codable, Sendable, Equatable {
    /// The smallest finite value (0 when there is none).
    public var min: Double
    /// The largest finite value (0 when there is none).
    public var max: Double
    /// The mean of the finite values.
    public var mean: Double
    /// The population standard deviation of the finite values.
    public var std: Double
    /// Values that were NaN or infinite.
    public var nonFinite: Int
    /// The histogram of the finite values.
    public var histogram: Histogram

    /// Creates statistics from their parts.
    public init(min: Double, max: Double, mean: Double, std: Double, nonFinite: Int, histogram: Histogram) {
        self.min = min
        self.max = max
        self.mean = mean
        self.std = std
        self.nonFinite = nonFinite
        self.histogram = histogram
    }
}

/// How values are grouped into statistics: per feature or per channel.
public enum StatisticsAxis: String, Codable, Sendable, CaseIterable {
    /// One group per value position of an example: tables (N×F) and arrays whose examples are
    /// not images.
    case feature
    /// One group per channel of an image example C×H×W (rank 3), pooling its H·W pixels.
    case channel

    /// The axis used for examples of `shape`: channels for rank-3 examples, features otherwise.
    public static func `for`(exampleShape shape: [Int]) -> StatisticsAxis {
        shape.count == 3 ? .channel : .feature
    }

    /// The number of groups for examples of `shape`.
    func groupCount(_ shape: [Int]) -> Int {
        self == .channel ? shape[0] : shape.reduce(1, *)
    }

    /// Values per group per example.
    func groupWidth(_ shape: [Int]) -> Int {
        self == .channel ? shape.dropFirst().reduce(1, *) : 1
    }
}

enum StatisticsComputation {
    /// Per-group statistics of `examples`, with histograms of `bins` bins over `ranges[g]`
    /// (nil: each group's own finite min…max).
    ///
    /// Cost: two passes over the values, O(N·D); the loops work on flat buffers, so they stay
    /// fast in debug builds too.
    static func compute(_ examples: ValidationExamples, axis: StatisticsAxis, bins: Int,
                        ranges: [(Double, Double)]?) -> [FeatureStatistics] {
        let shape = examples.exampleShape
        let groups = axis.groupCount(shape), width = axis.groupWidth(shape), size = examples.exampleSize, n = examples.count
        var lo = [Double](repeating: .infinity, count: groups), hi = [Double](repeating: -.infinity, count: groups)
        var sum = [Double](repeating: 0, count: groups), sumSquares = [Double](repeating: 0, count: groups)
        var finite = [Int](repeating: 0, count: groups), nonFinite = [Int](repeating: 0, count: groups)
        examples.values.withUnsafeBufferPointer { v in
            lo.withUnsafeMutableBufferPointer { lo in
            hi.withUnsafeMutableBufferPointer { hi in
            sum.withUnsafeMutableBufferPointer { sum in
            sumSquares.withUnsafeMutableBufferPointer { sq in
            finite.withUnsafeMutableBufferPointer { fin in
            nonFinite.withUnsafeMutableBufferPointer { bad in
                var row = 0
                while row < n {
                    var g = 0
                    while g < groups {
                        var k = row * size + g * width
                        let end = k + width
                        var l = lo[g], h = hi[g], s = 0.0, s2 = 0.0, f = 0, b = 0
                        while k < end {
                            let x = v[k]
                            k += 1
                            if !x.isFinite { b += 1; continue }
                            let d = Double(x)
                            if d < l { l = d }
                            if d > h { h = d }
                            s += d
                            s2 += d * d
                            f += 1
                        }
                        lo[g] = l; hi[g] = h; sum[g] += s; sq[g] += s2; fin[g] += f; bad[g] += b
                        g += 1
                    }
                    row += 1
                }
            }}}}}}
        }
        let edges = (0..<groups).map { g in ranges?[g] ?? (finite[g] > 0 ? (lo[g], hi[g]) : (0, 1)) }
        let empty = edges.map { Histogram(lower: $0.0, upper: $0.1, bins: bins) }
        let lower = empty.map(\.lower), scale = empty.map { Double(bins) / ($0.upper - $0.lower) }, upper = empty.map(\.upper)
        let cells = bins + 2  // below, bins…, above
        var counts = [Int](repeating: 0, count: groups * cells)
        examples.values.withUnsafeBufferPointer { v in
            counts.withUnsafeMutableBufferPointer { c in
                var row = 0
                while row < n {
                    var g = 0
                    while g < groups {
                        var k = row * size + g * width
                        let end = k + width, base = g * cells, low = lower[g], high = upper[g], factor = scale[g]
                        while k < end {
                            let x = v[k]
                            k += 1
                            guard x.isFinite else { continue }
                            let d = Double(x)
                            if d < low { c[base] += 1 } else if d > high { c[base + cells - 1] += 1 } else {
                                c[base + 1 + Swift.min(Int((d - low) * factor), bins - 1)] += 1
                            }
                        }
                        g += 1
                    }
                    row += 1
                }
            }
        }
        return (0..<groups).map { g in
            var histogram = empty[g]
            histogram.below = counts[g * cells]
            histogram.above = counts[g * cells + cells - 1]
            histogram.counts = Array(counts[(g * cells + 1)..<(g * cells + 1 + bins)])
            let count = Double(finite[g])
            let mean = count > 0 ? sum[g] / count : 0
            let variance = count > 0 ? Swift.max(0, sumSquares[g] / count - mean * mean) : 0
            return FeatureStatistics(min: finite[g] > 0 ? lo[g] : 0, max: finite[g] > 0 ? hi[g] : 0, mean: mean,
                                     std: variance.squareRoot(), nonFinite: nonFinite[g], histogram: histogram)
        }
    }
}
