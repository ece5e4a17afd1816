public import BulwarkModels
package import BulwarkTensor
import Foundation

/// What an extraction attack returns: the stolen substitute and what stealing it cost.
public struct ExtractionRun<Model: TrainableModel> {
    /// The substitute, trained on the transfer set.
    public var substitute: Model
    /// Queries the attack sent to the victim (one per input row), never more than the oracle's budget.
    public var queriesUsed: Int
    /// Rows of the transfer set the substitute was trained on.
    public var transferSetSize: Int
    /// Wall seconds of the attack: querying, selection and substitute training.
    public var seconds: Double

    /// A run's outcome.
    public init(substitute: Model, queriesUsed: Int, transferSetSize: Int, seconds: Double) {
        self.substitute = substitute
        self.queriesUsed = queriesUsed
        self.transferSetSize = transferSetSize
        self.seconds = seconds
    }
}

/// Where an extraction attack is, reported while it queries and trains.
public struct ExtractionProgress: Sendable {
    /// What the attack is doing (`querying`, `training`, `round 2 of 6`, …).
    public var stage: String
    /// Queries spent so far.
    public var queriesUsed: Int
    /// The trainer's progress while the substitute trains; `nil` while querying.
    public var training: TrainingProgress?

    /// A progress report.
    public init(stage: String, queriesUsed: Int, training: TrainingProgress? = nil) {
        self.stage = stage
        self.queriesUsed = queriesUsed
        self.training = training
    }
}

extension ExtractionOracle {
    /// The victim's answers for every row of `inputs`, asked in batches of `batchSize` rows.
    /// - Throws: ``ExtractionError`` from ``query(_:)`` (a spent budget, a wrong shape).
    package mutating func queryInBatches(_ inputs: Tensor, batchSize: Int = 256) throws(ExtractionError) -> Tensor {
        let n = inputs.shape.first ?? 0
        guard n > 0 else { return Tensor.zeros([0, classCount]) }
        var parts: [Tensor] = []
        for start in stride(from: 0, to: n, by: max(1, batchSize)) {
            parts.append(try query(inputs.rows(start..<min(n, start + max(1, batchSize)))))
        }
        return parts.count == 1 ? parts[0] : Tensor.concatenateRows(parts)
    }
}

/// Checks shared by the attacks: the pool's example shape matches the victim, the substitute's
/// input shape and classes match the victim, and the pool is not empty.
package func checkExtractionInputs<Model: DifferentiableClassifier>(attack: String, pool: Tensor, oracle: ExtractionOracle,
                                                                    substitute: Model) throws(ExtractionError) {
    guard pool.rank >= 2, let rows = pool.shape.first, rows > 0 else {
        throw ExtractionError(.invalidParameter, "\(attack): the query pool is empty")
    }
    guard Array(pool.shape.dropFirst()) == oracle.inputShape else {
        throw ExtractionError(.shapeMismatch, "\(attack): query pool examples of shape \(Array(pool.shape.dropFirst())) do not fit the victim's input shape \(oracle.inputShape)")
    }
    guard substitute.inputShape == oracle.inputShape, substitute.classCount == oracle.classCount else {
        throw ExtractionError(.shapeMismatch, "\(attack): the substitute takes \(substitute.inputShape) and answers \(substitute.classCount) classes; the victim takes \(oracle.inputShape) and answers \(oracle.classCount)")
    }
    guard oracle.queriesLeft >= 1 else {
        throw ExtractionError(.budgetExhausted, "\(attack): the oracle has no queries left (budget \(oracle.budget ?? 0))")
    }
}
