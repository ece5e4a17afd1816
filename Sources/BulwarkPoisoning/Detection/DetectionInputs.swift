import BulwarkTensor
import BulwarkModels

/// Checks shared by the detectors, and the per-class views of features they work on.
enum DetectionInputs {
    /// Throws unless `inputs` is `N × exampleShape` with `N == labels.count > 0` and every label is
    /// in `0..<classCount`.
    static func check(_ method: String, inputs: Tensor, exampleShape: [Int], labels: [Int]?, classCount: Int) throws(PoisoningError) {
        guard inputs.rank >= 1, Array(inputs.shape.dropFirst()) == exampleShape else {
            throw PoisoningError(.shapeMismatch, "\(method): inputs of shape \(inputs.shape), expected N×\(exampleShape) for this model")
        }
        guard inputs.shape[0] > 0 else { throw PoisoningError(.invalidParameter, "\(method): no inputs") }
        if let bad = inputs.scalars.first(where: { !$0.isFinite }) {
            throw PoisoningError(.invalidParameter, "\(method): inputs hold a non-finite value (\(bad))")
        }
        guard let labels else { return }
        guard labels.count == inputs.shape[0] else {
            throw PoisoningError(.shapeMismatch, "\(method): \(labels.count) labels for \(inputs.shape[0]) inputs")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
            throw PoisoningError(.invalidParameter, "\(method): label \(bad) outside the model's classes 0..<\(classCount)")
        }
    }

    /// Example indices of each label present, ascending by label.
    static func byClass(_ labels: [Int]) -> [(label: Int, indices: [Int])] {
        var groups: [Int: [Int]] = [:]
        for (i, y) in labels.enumerated() { groups[y, default: []].append(i) }
        return groups.keys.sorted().map { ($0, groups[$0] ?? []) }
    }

    /// Rows `indices` of an `N × d` feature tensor as a row-major `[Double]` matrix.
    static func rows(_ features: Tensor, _ indices: [Int]) -> [Double] {
        let d = features.shape[1]
        var out = [Double](repeating: 0, count: indices.count * d)
        features.scalars.withUnsafeBufferPointer { f in
            for (r, i) in indices.enumerated() { for j in 0..<d { out[r * d + j] = Double(f[i * d + j]) } }
        }
        return out
    }

    /// Activations of `model` after `layer` (default the penultimate layer) as `N × d`.
    static func features(_ method: String, model: Sequential, inputs: Tensor, labels: [Int], layer: Int?, batchSize: Int) throws(PoisoningError) -> Tensor {
        try check(method, inputs: inputs, exampleShape: model.inputShape, labels: labels, classCount: model.classCount)
        guard batchSize > 0 else { throw PoisoningError(.invalidParameter, "\(method): batch size \(batchSize) must be positive") }
        do {
            return try model.activations(inputs, afterLayer: layer, batchSize: batchSize)
        } catch {
            throw PoisoningError(.invalidParameter, "\(method): \(error.message)", underlying: error)
        }
    }

    /// Throws unless `features` is `labels.count × d` with finite values.
    static func checkFeatures(_ method: String, _ features: Tensor, labels: [Int]) throws(PoisoningError) {
        guard features.rank == 2, features.shape[0] == labels.count, features.shape[0] > 0, features.shape[1] > 0 else {
            throw PoisoningError(.shapeMismatch, "\(method): features of shape \(features.shape) for \(labels.count) labels, expected N×d")
        }
        if let bad = features.scalars.first(where: { !$0.isFinite }) {
            throw PoisoningError(.invalidParameter, "\(method): features hold a non-finite value (\(bad))")
        }
        if let bad = labels.first(where: { $0 < 0 }) { throw PoisoningError(.invalidParameter, "\(method): negative label \(bad)") }
    }
}
