public import BulwarkPoisoning
import Foundation

/// How drift monitoring turns one input example into the scalar features it compares.
///
/// The rule (``automatic(exampleShape:)``): an example of at most
/// ``perFeatureLimit`` values (a table row with few features) is compared **per feature**, one
/// feature per value; a larger example (an image) is compared through **summary statistics
/// per example**: the mean, standard deviation, minimum and maximum of each channel (`C` channels
/// for a `C×H×W` example, one channel of all values otherwise), `4·C` features. Pixels one by one
/// would give hundreds of weak, strongly dependent tests; per-example summaries catch brightness,
/// contrast, noise and saturation shifts with a handful.
public enum DriftFeatureMode: String, Codable, Sendable, CaseIterable {
    /// One feature per value of the example.
    case perFeature = "per-feature"
    /// Mean, standard deviation, minimum and maximum per channel of each example.
    case summaryStatistics = "summary-statistics"

    /// The largest example (in values) compared per feature by ``automatic(exampleShape:)``.
    public static let perFeatureLimit = 64

    /// The mode the rule above picks for examples of `shape`.
    public static func automatic(exampleShape shape: [Int]) -> DriftFeatureMode {
        shape.reduce(1, *) <= perFeatureLimit ? .perFeature : .summaryStatistics
    }

    /// The number of channels summarised for examples of `shape` (C for rank-3 shapes, else 1).
    static func channelCount(_ shape: [Int]) -> Int { shape.count == 3 ? shape[0] : 1 }

    /// The names of the features of examples of `shape`: `f<i>` per feature, or
    /// `c<k>.mean`, `c<k>.std`, `c<k>.min`, `c<k>.max` per channel.
    public func featureNames(exampleShape shape: [Int]) -> [String] {
        switch self {
        case .perFeature: return (0..<shape.reduce(1, *)).map { "f\($0)" }
        case .summaryStatistics:
            return (0..<Self.channelCount(shape)).flatMap { c in ["mean", "std", "min", "max"].map { "c\(c).\($0)" } }
        }
    }

    /// The features of the `count` examples in `values` (row-major, `count × size`), row-major
    /// `count × featureCount`. Non-finite values are left out of a channel's summaries (a
    /// channel with none gives zeros); per feature, a non-finite value becomes 0.
    /// Cost O(count·size), one pass.
    func extract(_ values: UnsafeBufferPointer<Float>, count: Int, exampleShape shape: [Int]) -> [Double] {
        let size = shape.reduce(1, *)
        switch self {
        case .perFeature:
            var out = [Double](repeating: 0, count: count * size)
            for k in 0..<(count * size) where values[k].isFinite { out[k] = Double(values[k]) }
            return out
        case .summaryStatistics:
            let channels = Self.channelCount(shape), width = size / channels
            var out = [Double](repeating: 0, count: count * channels * 4)
            for row in 0..<count {
                for c in 0..<channels {
                    var k = row * size + c * width
                    let end = k + width
                    var sum = 0.0, squares = 0.0, low = Double.infinity, high = -Double.infinity, finite = 0
                    while k < end {
                        let x = values[k]
                        k += 1
                        guard x.isFinite else { continue }
                        let d = Double(x)
                        sum += d; squares += d * d
                        if d < low { low = d }
                        if d > high { high = d }
                        finite += 1
                    }
                    let base = (row * channels + c) * 4
                    guard finite > 0 else { continue }
                    let mean = sum / Double(finite)
                    out[base] = mean
                    out[base + 1] = max(0, squares / Double(finite) - mean * mean).squareRoot()
                    out[base + 2] = low
                    out[base + 3] = high
                }
            }
            return out
        }
    }
}

/// The reference of one feature: its histogram (for the PSI) and a sorted sample of its values
/// (for the Kolmogorov–Smirnov test).
public struct DriftFeatureReference: Codable, Sendable, Equatable {
    /// The feature's name (``DriftFeatureMode/featureNames(exampleShape:)``).
    public var name: String
    /// Equal-width bins over the reference's min…max; the reference has nothing below or above.
    public var histogram: Histogram
    /// Up to ``DriftReferenceOptions/sampleSize`` reference values, sorted ascending.
    public var sample: [Double]

    /// Creates a feature reference from its parts.
    public init(name: String, histogram: Histogram, sample: [Double]) {
        self.name = name
        self.histogram = histogram
        self.sample = sample
    }
}

extension Histogram {
    /// The cell of `value` among `[below, bins…, above]` (the binning of the data-validation
    /// profile: equal width, the last bin includes `upper`).
    func cell(of value: Double) -> Int {
        if value < lower { return 0 }
        if value > upper { return counts.count + 1 }
        let bins = counts.count
        return 1 + Swift.min(Int((value - lower) * Double(bins) / (upper - lower)), bins - 1)
    }

    /// The counts of `[below, bins…, above]`.
    var cells: [Int] { [below] + counts + [above] }
}
