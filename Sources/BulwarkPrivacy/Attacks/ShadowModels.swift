public import BulwarkModels
public import BulwarkTensor
import Foundation

/// Trains a shadow model on a subset: inputs, labels and a seed in, a classifier out.
/// The caller decides the recipe (architecture, epochs, optimiser), ideally the target's own.
public typealias ShadowTrainer = @Sendable (_ inputs: Tensor, _ labels: [Int], _ seed: UInt64) -> any DifferentiableClassifier

/// A pool of shadow models over a fixed set of candidate examples, each candidate IN exactly
/// half of the shadows (Carlini et al. 2022's balanced assignment), with every shadow's
/// statistics on every candidate. One pool serves LiRA online, LiRA offline and the shadow attack.
public struct ShadowPool: Sendable {
    /// `membership[s][i]`: candidate i was in shadow s's training set.
    public let membership: [[Bool]]
    /// `statistics[s][i]`: shadow s's output statistics on candidate i.
    public let statistics: [[ExampleStatistics]]

    /// Number of shadow models.
    public var count: Int { membership.count }

    /// Trains `count` shadows (an even number ≥ 2) on balanced random halves of the candidates.
    public init(candidates inputs: Tensor, labels: [Int], count: Int, seed: UInt64, trainer: ShadowTrainer,
                progress: (Int) -> Void = { _ in }) throws(PrivacyError) {
        guard count >= 2, count % 2 == 0, count <= 256 else {
            throw PrivacyError(parameter: "shadowModels", message: "expected an even number in 2...256, got \(count)")
        }
        let n = labels.count
        guard n >= 4 else { throw PrivacyError(parameter: "candidates", message: "need at least 4 candidate examples") }
        var rng = SplitMix(seed: seed)
        var member = [[Bool]](repeating: [Bool](repeating: false, count: n), count: count)
        for i in 0..<n {
            var order = Array(0..<count)
            for k in stride(from: count - 1, to: 0, by: -1) { order.swapAt(k, Int(rng.next() % UInt64(k + 1))) }
            for k in order.prefix(count / 2) { member[k][i] = true }
        }
        var stats: [[ExampleStatistics]] = []
        for s in 0..<count {
            let idx = (0..<n).filter { member[s][$0] }
            let model = trainer(inputs.gatherRows(idx), idx.map { labels[$0] }, rng.next())
            stats.append(ExampleStatistics.of(model, inputs: inputs, labels: labels))
            progress(s + 1)
        }
        membership = member
        statistics = stats
    }
}
