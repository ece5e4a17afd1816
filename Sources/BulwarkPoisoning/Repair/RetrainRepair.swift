public import BulwarkTensor
public import BulwarkModels
import Foundation

/// Clean accuracy and backdoor success of one model, measured by ``RetrainRepair/measure(model:testInputs:testLabels:targetClass:stamp:)``.
public struct BackdoorMeasurement: Codable, Sendable, Equatable {
    /// Accuracy on the clean test inputs.
    public var cleanAccuracy: Double
    /// Fraction of the triggered test inputs whose true class is not the target that the model
    /// classifies as the target.
    public var attackSuccessRate: Double
    /// How many triggered inputs that rate is over.
    public var triggeredInputs: Int
}

/// Before and after a repair: what was removed and what it changed.
public struct RepairReport: Codable, Sendable, Equatable {
    /// The poisoned model.
    public var before: BackdoorMeasurement
    /// The model retrained without the flagged examples.
    public var after: BackdoorMeasurement
    /// Training examples removed.
    public var removedExamples: Int
    /// Training examples kept.
    public var keptExamples: Int
    /// Wall seconds of retraining.
    public var retrainingSeconds: Double
}

/// Repair by retraining: drop the examples a detector flagged and train a fresh model on the rest
/// with the same procedure, then compare clean accuracy and attack success before and after.
///
/// ```swift
/// let poisoned = ZooArchitecture.cnn.makeModel(seed: 0)   // in practice: trained on x, y
/// let (x, y) = (Tensor.zeros([20, 1, 28, 28]), (0..<20).map { $0 % 10 })
/// let (xTest, yTest) = (Tensor.zeros([10, 1, 28, 28]), Array(0..<10))
/// func stampPatch(_ t: Tensor) -> Tensor { var s = t; s.scalars[0] = 1; return s }
/// let flagged = try ActivationClustering().detect(model: poisoned, inputs: x, labels: y).flaggedIndices
/// let plan = SupervisedTraining(configuration: TrainingConfiguration(epochs: 1), optimizer: Adam())
/// let (repaired, report) = try RetrainRepair.repair(poisoned: poisoned, initialModel: ZooArchitecture.cnn.makeModel(seed: 0),
///     procedure: plan, inputs: x, labels: y, flagged: flagged,
///     test: (xTest, yTest), targetClass: 0, stamp: stampPatch)
/// ```
public enum RetrainRepair {
    /// Clean accuracy of `model` on the test set and the success rate of the backdoor: the share
    /// of test inputs whose label is not `targetClass` that, after `stamp` adds the trigger, are
    /// classified as `targetClass`.
    /// - Throws: ``PoisoningError`` when the test set does not fit the model, `stamp` changes its
    ///   shape, or the target class is outside the model's classes.
    public static func measure(model: any DifferentiableClassifier, testInputs: Tensor, testLabels: [Int], targetClass: Int,
                               stamp: (Tensor) -> Tensor) throws(PoisoningError) -> BackdoorMeasurement {
        try DetectionInputs.check("repair test set", inputs: testInputs, exampleShape: model.inputShape, labels: testLabels,
                                  classCount: model.classCount)
        guard targetClass >= 0, targetClass < model.classCount else {
            throw PoisoningError(.invalidParameter, "target class \(targetClass) outside the model's classes 0..<\(model.classCount)")
        }
        let accuracy = model.accuracy(testInputs, labels: testLabels)
        let others = testLabels.indices.filter { testLabels[$0] != targetClass }
        guard !others.isEmpty else { return BackdoorMeasurement(cleanAccuracy: accuracy, attackSuccessRate: 0, triggeredInputs: 0) }
        let triggered = stamp(testInputs.gatherRows(others))
        guard triggered.shape == [others.count] + model.inputShape else {
            throw PoisoningError(.shapeMismatch, "the trigger stamp returned shape \(triggered.shape), expected \([others.count] + model.inputShape)")
        }
        let hits = model.predictions(triggered).filter { $0 == targetClass }.count
        return BackdoorMeasurement(cleanAccuracy: accuracy, attackSuccessRate: Double(hits) / Double(others.count), triggeredInputs: others.count)
    }

    /// Trains `initialModel` with `procedure` on the training set without the `flagged` examples.
    /// - Throws: ``PoisoningError`` when a flagged index is outside the set, nothing would be left,
    ///   or training fails (its ``ModelError`` is the underlying error).
    public static func retrain<P: TrainingProcedure>(initialModel: Sequential, procedure: P, inputs: Tensor, labels: [Int],
                                                     without flagged: [Int]) throws(PoisoningError) -> (model: Sequential, kept: [Int])
        where P.Model == Sequential {
        try DetectionInputs.check("repair training set", inputs: inputs, exampleShape: initialModel.inputShape, labels: labels,
                                  classCount: initialModel.classCount)
        if let bad = flagged.first(where: { $0 < 0 || $0 >= labels.count }) {
            throw PoisoningError(.invalidParameter, "flagged index \(bad) is outside the \(labels.count) training examples")
        }
        let removed = Set(flagged)
        let kept = labels.indices.filter { !removed.contains($0) }
        guard !kept.isEmpty else { throw PoisoningError(.invalidParameter, "every training example is flagged: nothing left to retrain on") }
        var model = initialModel
        do {
            _ = try procedure.train(&model, inputs: inputs.gatherRows(kept), labels: kept.map { labels[$0] })
        } catch {
            throw PoisoningError(.invalidParameter, "retraining failed: \(error.message)", underlying: error)
        }
        return (model, kept)
    }

    /// Measures `poisoned`, retrains without `flagged` (see ``retrain(initialModel:procedure:inputs:labels:without:)``)
    /// and measures the result.
    /// - Throws: ``PoisoningError`` as ``measure(model:testInputs:testLabels:targetClass:stamp:)`` and ``retrain(initialModel:procedure:inputs:labels:without:)``.
    public static func repair<P: TrainingProcedure>(poisoned: any DifferentiableClassifier, initialModel: Sequential, procedure: P,
                                                    inputs: Tensor, labels: [Int], flagged: [Int],
                                                    test: (inputs: Tensor, labels: [Int]), targetClass: Int,
                                                    stamp: (Tensor) -> Tensor) throws(PoisoningError) -> (model: Sequential, report: RepairReport)
        where P.Model == Sequential {
        let before = try measure(model: poisoned, testInputs: test.inputs, testLabels: test.labels, targetClass: targetClass, stamp: stamp)
        let start = Date()
        let (model, kept) = try retrain(initialModel: initialModel, procedure: procedure, inputs: inputs, labels: labels, without: flagged)
        let seconds = Date().timeIntervalSince(start)
        let after = try measure(model: model, testInputs: test.inputs, testLabels: test.labels, targetClass: targetClass, stamp: stamp)
        return (model, RepairReport(before: before, after: after, removedExamples: labels.count - kept.count,
                                    keptExamples: kept.count, retrainingSeconds: seconds))
    }
}
