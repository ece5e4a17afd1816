public import BulwarkModels
public import BulwarkTensor
import Foundation

/// How magnitude pruning chooses the weights to zero.
public enum PruningScope: String, Codable, Sendable, CaseIterable {
    /// The smallest |w| over all weight tensors together.
    case global
    /// The smallest |w| of each weight tensor separately.
    case perLayer = "per-layer"
}

/// One row of a robustness table: a model changed by one removal attack, and whether the
/// ownership evidence survived it.
public struct RobustnessRow: Codable, Sendable, Equatable {
    /// What was done to the model (`original`, `prune-global-30%`, `fine-tune-1-epoch`,
    /// `key-noise-σ0.1`, or a name a caller chooses, e.g. an extraction attack).
    public var modification: String
    /// Key inputs matched.
    public var matches: Int
    /// Key size.
    public var keySize: Int
    /// p-value of the ownership test.
    public var pValue: Double
    /// Whether the claim is still verified.
    public var verified: Bool
    /// Test accuracy of the modified model, when test data was given (a removal attack that
    /// ruins the model is not a successful removal).
    public var testAccuracy: Double?

    enum CodingKeys: String, CodingKey {
        case modification, matches, verified
        case keySize = "key_size", pValue = "p_value", testAccuracy = "test_accuracy"
    }
}

/// The robustness of ownership evidence, after the SoK of Lukas et al. 2022 (IEEE S&P, "SoK:
/// How robust is image classification deep neural network watermarking?"): verification re-run
/// on each modified model. Rows are appended with ``record(_:model:key:threshold:test:transform:)``,
/// so a caller adds rows for its own removal attacks (distillation, extraction).
public struct RobustnessTable: Codable, Sendable, Equatable {
    /// The rows, in the order recorded.
    public var rows: [RobustnessRow] = []
    /// An empty table.
    public init() {}

    /// Verifies `model` against `key` (key inputs passed through `transform` when given) and
    /// appends a row named `modification`.
    /// - Throws: ``ExtractionError`` from ``OwnershipVerifier/verify(model:key:threshold:transform:)``.
    public mutating func record(_ modification: String, model: any DifferentiableClassifier, key: OwnershipKey, threshold: Double,
                                test: (inputs: Tensor, labels: [Int])? = nil, transform: ((Tensor) -> Tensor)? = nil) throws(ExtractionError) {
        let v = try OwnershipVerifier.verify(model: model, key: key, threshold: threshold, transform: transform)
        rows.append(RobustnessRow(modification: modification, matches: v.matches, keySize: v.keySize, pValue: v.pValue, verified: v.verified,
                                  testAccuracy: test.map { model.accuracy($0.inputs, labels: $0.labels) }))
    }

    /// The table as aligned text, one row per line.
    public var text: String {
        var lines = ["modification                 matches      p-value  verified  test acc"]
        for r in rows {
            let name = r.modification.padding(toLength: 28, withPad: " ", startingAt: 0)
            let m = "\(r.matches)/\(r.keySize)".padding(toLength: 8, withPad: " ", startingAt: 0)
            let acc = r.testAccuracy.map { String(format: "%.4f", $0) } ?? "-"
            lines.append("\(name) \(m) \(String(format: "%12.3e", r.pValue))  \(r.verified ? "yes" : "no ")       \(acc)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Removal attacks on ownership evidence and the table of their effect.
///
/// ```swift
/// let model = ZooArchitecture.mlp.makeModel(seed: 0)
/// let pruned = OwnershipRobustness.pruned(model, fraction: 0.3, scope: .global)
/// ```
public enum OwnershipRobustness {
    /// Magnitude pruning: zeroes the `fraction` of weights with the smallest |w|, over every
    /// weight tensor together (`.global`) or within each (`.perLayer`). Weights are the
    /// parameters of rank ≥ 2 (dense and convolution kernels); biases and normalisation
    /// parameters are kept. Ties at the cut are zeroed in parameter order up to the exact count.
    public static func pruned<M: TrainableModel>(_ model: M, fraction: Double, scope: PruningScope) -> M {
        let fraction = min(max(fraction.isNaN ? 0 : fraction, 0), 1)
        var parameters = model.parameters
        let weightIndices = parameters.indices.filter { parameters[$0].shape.count >= 2 }
        func prune(_ groups: [Int]) {
            var entries: [(magnitude: Float, tensor: Int, element: Int)] = []
            for t in groups { for (e, v) in parameters[t].scalars.enumerated() { entries.append((abs(v), t, e)) } }
            let cut = Int((fraction * Double(entries.count)).rounded(.down))
            guard cut > 0 else { return }
            entries.sort { $0.magnitude < $1.magnitude || ($0.magnitude == $1.magnitude && ($0.tensor, $0.element) < ($1.tensor, $1.element)) }
            for entry in entries.prefix(cut) { parameters[entry.tensor].scalars[entry.element] = 0 }
        }
        switch scope {
        case .global: prune(weightIndices)
        case .perLayer: for t in weightIndices { prune([t]) }
        }
        var out = model
        out.parameters = parameters
        return out
    }

    /// `inputs` plus Gaussian noise of standard deviation `sigma` (seeded), clipped to [0, 1]:
    /// an attacker's attempt to make the trigger unrecognisable at query time.
    public static func noised(_ inputs: Tensor, sigma: Float, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: inputs.shape, scalars: inputs.scalars.map { min(max($0 + sigma * rng.nextNormal(), 0), 1) })
    }

    /// The standard table: the unmodified model; magnitude pruning at each of `pruneFractions`
    /// (`scope`); fine-tuning with `fineTune` on its clean data when given; and the key inputs
    /// noised at each of `noiseSigmas`. Each row is ``RobustnessTable/record(_:model:key:threshold:test:transform:)``.
    /// - Throws: ``ExtractionError`` from verification or from fine-tuning (wrapping its error).
    public static func evaluate<M: TrainableModel, P: TrainingProcedure>(
        model: M, key: OwnershipKey, threshold: Double = OwnershipVerifier.defaultThreshold,
        pruneFractions: [Double] = [0.3, 0.6], scope: PruningScope = .global,
        fineTune: (procedure: P, data: (inputs: Tensor, labels: [Int]))?, noiseSigmas: [Float] = [0.1],
        test: (inputs: Tensor, labels: [Int])? = nil, seed: UInt64 = 0) throws(ExtractionError) -> RobustnessTable where P.Model == M {
        var table = RobustnessTable()
        try table.record("original", model: model, key: key, threshold: threshold, test: test)
        for f in pruneFractions {
            try table.record("prune-\(scope.rawValue)-\(Int((f * 100).rounded()))%", model: pruned(model, fraction: f, scope: scope), key: key,
                             threshold: threshold, test: test)
        }
        if let fineTune {
            var tuned = model
            do { _ = try fineTune.procedure.train(&tuned, inputs: fineTune.data.inputs, labels: fineTune.data.labels) } catch {
                throw ExtractionError(.invalidParameter, "fine-tuning failed: \(error.message)", underlying: error)
            }
            try table.record("fine-tune", model: tuned, key: key, threshold: threshold, test: test)
        }
        for (i, sigma) in noiseSigmas.enumerated() {
            try table.record("key-noise-σ\(sigma)", model: model, key: key, threshold: threshold, test: test) { x in
                noised(x, sigma: sigma, seed: seed &+ UInt64(i))
            }
        }
        return table
    }
}
