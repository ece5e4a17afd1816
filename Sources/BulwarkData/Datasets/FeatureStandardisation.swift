public import BulwarkTensor
import Foundation

/// Per-feature standardisation `(x − mean) / std` learned from training rows, kept so that the
/// same transform is applied to every later input (evaluation, prediction).
///
/// `std` is the population standard deviation (divisor N, as scikit-learn's `StandardScaler`).
/// A feature whose std is 0 (constant in the training data) is only centred: it is divided by
/// 1, never by 0. Statistics are computed in `Double`.
///
/// ```swift
/// let train = Tensor(shape: [3, 2], scalars: [1, 10, 2, 10, 3, 10])
/// let scaling = try FeatureStandardisation.fit(train)              // mean [2, 10], std [0.816…, 0]
/// let scaled = try scaling.apply(to: Tensor(shape: [1, 2], scalars: [4, 11]), label: "new.csv")
/// let json = try scaling.jsonBytes()                               // stable: sorted keys
/// ```
public struct FeatureStandardisation: Codable, Sendable, Equatable {
    /// The mean of each feature.
    public let mean: [Double]
    /// The population standard deviation of each feature (0 for a constant feature).
    public let std: [Double]
    /// The feature (column) names, when known, in order.
    public let featureNames: [String]?

    /// Creates a standardisation from statistics.
    /// - Throws: ``DataError`` `.shapeMismatch` when the lists disagree in length, or
    ///   `.malformed` when a value is not finite or a std is negative.
    public init(mean: [Double], std: [Double], featureNames: [String]? = nil) throws(DataError) {
        guard mean.count == std.count, featureNames.map({ $0.count == mean.count }) ?? true else {
            throw DataError(.shapeMismatch, "standardisation: \(mean.count) means, \(std.count) stds and \(featureNames?.count ?? mean.count) names must agree")
        }
        guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw DataError(.malformed, "standardisation: means and stds must be finite and stds non-negative")
        }
        self.mean = mean
        self.std = std
        self.featureNames = featureNames
    }

    /// Decodes and re-validates (a stored standardisation is untrusted input).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(mean: container.decode([Double].self, forKey: .mean),
                      std: container.decode([Double].self, forKey: .std),
                      featureNames: container.decodeIfPresent([String].self, forKey: .featureNames))
    }

    /// Number of features.
    public var featureCount: Int { mean.count }

    /// The statistics of the columns of `inputs`, an N×F tensor with N ≥ 1.
    /// - Throws: ``DataError`` `.shapeMismatch` for a tensor that is not N×F with N ≥ 1.
    public static func fit(_ inputs: Tensor, featureNames: [String]? = nil) throws(DataError) -> FeatureStandardisation {
        guard inputs.rank == 2, inputs.shape[0] >= 1 else {
            throw DataError(.shapeMismatch, "standardisation needs an N×F table with N ≥ 1, got shape \(inputs.shape)")
        }
        let n = inputs.shape[0], f = inputs.shape[1]
        let x = inputs.scalars
        var mean = [Double](repeating: 0, count: f)
        for r in 0..<n { for c in 0..<f { mean[c] += Double(x[r * f + c]) } }
        for c in 0..<f { mean[c] /= Double(n) }
        var variance = [Double](repeating: 0, count: f)
        for r in 0..<n {
            for c in 0..<f {
                let d = Double(x[r * f + c]) - mean[c]
                variance[c] += d * d
            }
        }
        let std = variance.map { ($0 / Double(n)).squareRoot() }
        return try FeatureStandardisation(mean: mean, std: std, featureNames: featureNames)
    }

    /// `inputs` (N×F, F = ``featureCount``) with every feature standardised.
    /// - Parameter label: names the data in the error message.
    /// - Throws: ``DataError`` `.shapeMismatch` when the feature count differs.
    public func apply(to inputs: Tensor, label: String = "inputs") throws(DataError) -> Tensor {
        guard inputs.rank == 2, inputs.shape[1] == featureCount else {
            throw DataError(.shapeMismatch, "\(label): \(inputs.rank == 2 ? String(inputs.shape[1]) : "shape \(inputs.shape)") features, the standardisation was fitted on \(featureCount)")
        }
        let n = inputs.shape[0], f = featureCount
        let x = inputs.scalars
        let scale = std.map { $0 > 0 ? 1 / $0 : 1 }
        return Tensor(shape: [n, f], unsafeUninitializedCapacity: { out in
            for r in 0..<n {
                for c in 0..<f { out[r * f + c] = Float((Double(x[r * f + c]) - mean[c]) * scale[c]) }
            }
        })
    }

    /// JSON with sorted keys and shortest round-trip numbers: the same statistics always give
    /// the same bytes, so the encoding can be stored (and signed) in a model's metadata.
    public func jsonBytes() throws(DataError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return [UInt8](try encoder.encode(self))
        } catch {
            throw DataError(.malformed, "standardisation cannot be encoded as JSON: \(error)", underlying: error)
        }
    }

    /// Decodes the JSON made by ``jsonBytes()``.
    /// - Throws: ``DataError`` `.malformed` naming `label` for JSON that is not a valid standardisation.
    public static func decodeJSON(_ bytes: [UInt8], label: String = "standardisation") throws(DataError) -> FeatureStandardisation {
        do {
            return try JSONDecoder().decode(FeatureStandardisation.self, from: Data(bytes))
        } catch let error as DataError {
            throw DataError(error.code, "\(label): \(error.message)", underlying: error)
        } catch {
            throw DataError(.malformed, "\(label): not a valid standardisation (\(error))", underlying: error)
        }
    }
}
