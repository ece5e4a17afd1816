public import BulwarkData
public import BulwarkModels
public import BulwarkTensor

/// The parameters every shard of a certification shares.
public struct SmoothingPlan: Codable, Sendable, Equatable {
    /// Noise standard deviation σ.
    public var sigma: Float
    /// Selection and estimation draws.
    public var n0: Int, n: Int
    /// Failure probability α.
    public var alpha: Double
    /// Noisy copies per forward pass.
    public var batchSize: Int
    /// Radii of the certified-accuracy curve, as given.
    public var radii: [Double]

    /// The plan of `smoothing` with the curve's `radii`.
    public init(_ smoothing: RandomizedSmoothing, radii: [Double]) {
        sigma = smoothing.sigma
        n0 = smoothing.n0
        n = smoothing.n
        alpha = smoothing.alpha
        batchSize = smoothing.batchSize
        self.radii = radii
    }

    /// What differs between two plans, e.g. `"sigma"`, or `nil` when they are equal.
    public func difference(from other: SmoothingPlan) -> String? {
        if sigma != other.sigma { return "sigma" }
        if n0 != other.n0 || n != other.n { return "n0/n" }
        if alpha != other.alpha { return "alpha" }
        if batchSize != other.batchSize { return "batch size" }
        if radii != other.radii { return "radii" }
        return nil
    }
}

/// One shard's part of a randomized-smoothing certification: the certificates (prediction,
/// radius, bound, votes) of its block. ``merge(_:)`` recomputes the curve and the abstention
/// rate over the union, equal to one run's (each example's noise is keyed by its global index).
public struct PartialCertification: Codable, Sendable, Equatable {
    /// The run this is a part of.
    public var run: ShardedRun
    /// The parameters every shard shares.
    public var plan: SmoothingPlan
    /// The shard's result (its block's certificates; curve over the block only).
    public var result: CertificationResult

    /// A part.
    public init(run: ShardedRun, plan: SmoothingPlan, result: CertificationResult) {
        self.run = run
        self.plan = plan
        self.result = result
    }

    /// Combines shards 1…N of one run into the result one run gives (wall seconds summed).
    /// - Throws: ``EvasionError`` in one line naming what differs, or the duplicate or missing shard.
    public static func merge(_ parts: [PartialCertification]) throws(EvasionError) -> CertificationResult {
        let sorted = try shardsInOrder(parts, run: \.run) { part, first in part.plan.difference(from: first.plan) }
        let first = sorted[0]
        for part in sorted {
            let expected = part.run.shard.range(of: part.run.examples).count
            guard part.result.examples.count == expected else {
                throw EvasionError("merge: shard \(part.run.shard) holds \(part.result.examples.count) certificates for a block of \(expected)")
            }
        }
        let examples = sorted.flatMap(\.result.examples)
        let c = first.plan
        return CertificationResult(sigma: c.sigma, n0: c.n0, n: c.n, alpha: c.alpha, seed: first.run.seed, examples: examples,
                                   curve: RandomizedSmoothing.curve(examples, radii: c.radii),
                                   abstentionRate: RandomizedSmoothing.abstentionRate(examples),
                                   seconds: sorted.reduce(0) { $0 + $1.result.seconds })
    }
}

extension RandomizedSmoothing {
    /// Certifies shard `shard` of `inputs`/`labels` (the whole dataset) and returns the part,
    /// recording the dataset's digest and `toolVersion`.
    /// - Throws: ``EvasionError`` as ``certify(inputs:labels:radii:seed:shard:progress:)``.
    public func certify(shard: Shard, toolVersion: String, inputs: Tensor, labels: [Int], radii: [Double], seed: UInt64,
                        progress: (Int, Int) -> Void = { _, _ in }) throws(EvasionError) -> PartialCertification {
        let result = try certify(inputs: inputs, labels: labels, radii: radii, seed: seed, shard: shard, progress: progress)
        let run = ShardedRun(shard: shard, seed: seed, dataDigest: ModelTraining.dataSHA256(inputs: inputs, labels: labels),
                             toolVersion: toolVersion, examples: labels.count)
        return PartialCertification(run: run, plan: SmoothingPlan(self, radii: radii), result: result)
    }
}
