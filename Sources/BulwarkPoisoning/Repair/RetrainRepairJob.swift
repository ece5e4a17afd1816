public import BulwarkTensor
public import BulwarkModels

/// Repair by retraining as one call: a fresh zoo model of the poisoned one's shape, trained with
/// Adam on the training set without the flagged examples, measured before and after on a clean
/// test set stamped with the trigger (``RetrainRepair/repair(poisoned:initialModel:procedure:inputs:labels:flagged:test:targetClass:stamp:)``).
///
/// ```swift
/// let poisoned = ZooArchitecture.cnn.makeModel(seed: 0)   // in practice: trained on x, y
/// let (x, y) = (Tensor.zeros([20, 1, 28, 28]), (0..<20).map { $0 % 10 })
/// let (xt, yt) = (Tensor.zeros([10, 1, 28, 28]), Array(0..<10))
/// let job = RetrainRepairJob(architecture: .cnn, configuration: TrainingConfiguration(epochs: 1))
/// let (model, report) = try job.run(poisoned: poisoned, inputs: x, labels: y, flagged: [3, 7],
///                                   test: (xt, yt), targetClass: 0, trigger: .whiteSquare(size: 3))
/// print(report.after.attackSuccessRate)
/// ```
public struct RetrainRepairJob: Sendable {
    /// The architecture of the retrained model.
    public var architecture: ZooArchitecture
    /// Epochs, batch size and seed of retraining (the seed also initialises the model).
    public var configuration: TrainingConfiguration
    /// Adam's learning rate.
    public var learningRate: Float

    /// A job retraining `architecture` with `configuration` and Adam at `learningRate`.
    public init(architecture: ZooArchitecture, configuration: TrainingConfiguration = TrainingConfiguration(),
                learningRate: Float = ZooArchitecture.defaultLearningRate) {
        self.architecture = architecture
        self.configuration = configuration
        self.learningRate = learningRate
    }

    /// Retrains without `flagged` and measures clean accuracy and attack success of `poisoned`
    /// and of the retrained model.
    /// - Throws: ``PoisoningError`` when the architecture cannot take the poisoned model's input
    ///   shape and classes, the trigger does not fit the test images, a setting is out of range,
    ///   or as ``RetrainRepair/repair(poisoned:initialModel:procedure:inputs:labels:flagged:test:targetClass:stamp:)``.
    public func run(poisoned: any DifferentiableClassifier, inputs: Tensor, labels: [Int], flagged: [Int],
                    test: (inputs: Tensor, labels: [Int]), targetClass: Int, trigger: Trigger) throws(PoisoningError) -> (model: Sequential, report: RepairReport) {
        guard configuration.epochs >= 1, configuration.batchSize >= 1 else {
            throw PoisoningError(.invalidParameter, "repair: epochs and batch size must be at least 1")
        }
        guard learningRate > 0, learningRate.isFinite else {
            throw PoisoningError(.invalidParameter, "repair: learning rate must be a positive number, got \(learningRate)")
        }
        let initial: Sequential
        do {
            initial = try architecture.makeModel(exampleShape: poisoned.inputShape, classCount: poisoned.classCount, seed: configuration.seed)
        } catch {
            throw PoisoningError(.shapeMismatch, "repair: \(error.message)", underlying: error)
        }
        // the stamp below cannot throw, so the trigger is checked against the test images first
        guard test.inputs.rank >= 1, test.inputs.shape[0] > 0 else { throw PoisoningError(.invalidParameter, "repair: the test set is empty") }
        _ = try trigger.apply(to: test.inputs.rows(0..<1))
        let procedure = SupervisedTraining(configuration: configuration, optimizer: Adam(learningRate: learningRate))
        return try RetrainRepair.repair(poisoned: poisoned, initialModel: initial, procedure: procedure, inputs: inputs, labels: labels,
                                        flagged: flagged, test: test, targetClass: targetClass,
                                        stamp: { batch in (try? trigger.apply(to: batch)) ?? batch })
    }
}
