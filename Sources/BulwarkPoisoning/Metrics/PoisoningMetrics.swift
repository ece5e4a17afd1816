public import BulwarkModels
public import BulwarkTensor

/// How one model fares on the questions a poisoning attack asks.
public struct PoisoningMetrics: Sendable, Codable, Equatable {
    /// Accuracy on the clean test set.
    public var cleanAccuracy: Double
    /// Test examples behind ``cleanAccuracy``.
    public var cleanCount: Int
    /// Attack success rate: the fraction of triggered test inputs whose true class is **not**
    /// the target that the model classifies as the target; nil without a trigger.
    public var attackSuccessRate: Double?
    /// Triggered non-target test inputs behind ``attackSuccessRate``.
    public var triggeredCount: Int?
    /// Targeted misclassification rate: the fraction of the chosen victims classified as the
    /// target (clean-label attacks); nil without victims.
    public var victimTargetRate: Double?
    /// Victims behind ``victimTargetRate``.
    public var victimCount: Int?

    /// A set of metrics.
    public init(cleanAccuracy: Double, cleanCount: Int, attackSuccessRate: Double? = nil, triggeredCount: Int? = nil,
                victimTargetRate: Double? = nil, victimCount: Int? = nil) {
        self.cleanAccuracy = cleanAccuracy
        self.cleanCount = cleanCount
        self.attackSuccessRate = attackSuccessRate
        self.triggeredCount = triggeredCount
        self.victimTargetRate = victimTargetRate
        self.victimCount = victimCount
    }

    /// Fraction of `inputs` classified as `labels`.
    /// - Throws: ``PoisoningError`` (`.shapeMismatch`) when the counts or the model's input shape disagree.
    public static func cleanAccuracy(model: some DifferentiableClassifier, inputs: Tensor, labels: [Int]) throws(PoisoningError) -> Double {
        try checkInputs(inputs, count: labels.count, model: model)
        return model.accuracy(inputs, labels: labels)
    }

    /// Attack success rate: stamps `trigger` on every test input whose label is not
    /// `targetClass` and returns the fraction classified as `targetClass`, with that count.
    /// - Throws: ``PoisoningError`` for a trigger that does not fit, a target outside the
    ///   model's classes, or no non-target input.
    public static func attackSuccessRate(model: some DifferentiableClassifier, inputs: Tensor, labels: [Int], trigger: Trigger,
                                         targetClass: Int) throws(PoisoningError) -> (rate: Double, count: Int) {
        try checkInputs(inputs, count: labels.count, model: model)
        try PoisonSelection.check(targetClass: targetClass, classCount: model.classCount)
        let rows = labels.indices.filter { labels[$0] != targetClass }
        guard !rows.isEmpty else { throw PoisoningError(.invalidParameter, "no test input outside the target class \(targetClass) to trigger") }
        let triggered = try trigger.apply(to: inputs.gatherRows(rows))
        let hits = model.predictions(triggered).filter { $0 == targetClass }.count
        return (Double(hits) / Double(rows.count), rows.count)
    }

    /// Targeted misclassification rate: the fraction of `victims` classified as `targetClass`.
    /// - Throws: ``PoisoningError`` for no victim, victims not matching the model, or a target
    ///   outside its classes.
    public static func victimTargetRate(model: some DifferentiableClassifier, victims: Tensor, targetClass: Int) throws(PoisoningError) -> Double {
        guard victims.rank >= 1, victims.shape[0] > 0 else { throw PoisoningError(.invalidParameter, "no victim to score") }
        try checkInputs(victims, count: victims.shape[0], model: model)
        try PoisonSelection.check(targetClass: targetClass, classCount: model.classCount)
        let p = model.predictions(victims)
        return Double(p.filter { $0 == targetClass }.count) / Double(p.count)
    }

    /// All metrics of `model` on a test set: clean accuracy, plus attack success with a trigger
    /// and the victims' target rate with victims.
    /// - Throws: as the individual metrics.
    public static func measure(model: some DifferentiableClassifier, testInputs: Tensor, testLabels: [Int], targetClass: Int,
                               trigger: Trigger? = nil, victims: Tensor? = nil) throws(PoisoningError) -> PoisoningMetrics {
        var m = PoisoningMetrics(cleanAccuracy: try cleanAccuracy(model: model, inputs: testInputs, labels: testLabels), cleanCount: testLabels.count)
        if let trigger {
            let asr = try attackSuccessRate(model: model, inputs: testInputs, labels: testLabels, trigger: trigger, targetClass: targetClass)
            m.attackSuccessRate = asr.rate
            m.triggeredCount = asr.count
        }
        if let victims {
            m.victimTargetRate = try victimTargetRate(model: model, victims: victims, targetClass: targetClass)
            m.victimCount = victims.shape[0]
        }
        return m
    }

    private static func checkInputs(_ inputs: Tensor, count: Int, model: some DifferentiableClassifier) throws(PoisoningError) {
        guard inputs.rank >= 1, inputs.shape[0] == count else {
            throw PoisoningError(.shapeMismatch, "\(inputs.shape.first ?? 0) test inputs but \(count) labels")
        }
        try ModelInputs.check(inputs: inputs, model: model)
    }
}

/// A poisoned model against the same architecture trained on clean data: the attack's effect.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let (xt, yt) = (Tensor.uniform([20, 1, 28, 28], using: &rng), (0..<20).map { $0 % 10 })
/// let (backdooredModel, cleanModel) = (ZooArchitecture.cnn.makeModel(seed: 1), ZooArchitecture.cnn.makeModel(seed: 2))
/// let evaluation = try PoisoningEvaluation(poisoned: backdooredModel, clean: cleanModel, testInputs: xt, testLabels: yt,
///                                          targetClass: 0, trigger: .whiteSquare(size: 3))
/// print(evaluation.poisoned.attackSuccessRate!, evaluation.cleanAccuracyDelta!)
/// ```
public struct PoisoningEvaluation: Sendable, Codable, Equatable {
    /// The target class scored.
    public var targetClass: Int
    /// Metrics of the model trained on poisoned data.
    public var poisoned: PoisoningMetrics
    /// Metrics of the model trained on clean data, when given.
    public var clean: PoisoningMetrics?
    /// Poisoned minus clean clean-accuracy (negative: the poison cost accuracy).
    public var cleanAccuracyDelta: Double?
    /// Poisoned minus clean attack success rate (the clean model's is the trigger's natural effect).
    public var attackSuccessDelta: Double?
    /// Poisoned minus clean victim target rate.
    public var victimTargetDelta: Double?

    /// Measures both models on one test set; the deltas are nil where either side is.
    /// - Throws: as ``PoisoningMetrics/measure(model:testInputs:testLabels:targetClass:trigger:victims:)``.
    public init(poisoned: some DifferentiableClassifier, clean: (any DifferentiableClassifier)?, testInputs: Tensor, testLabels: [Int],
                targetClass: Int, trigger: Trigger? = nil, victims: Tensor? = nil) throws(PoisoningError) {
        let p = try PoisoningMetrics.measure(model: poisoned, testInputs: testInputs, testLabels: testLabels, targetClass: targetClass,
                                             trigger: trigger, victims: victims)
        var c: PoisoningMetrics?
        if let clean {
            c = try PoisoningMetrics.measure(model: clean, testInputs: testInputs, testLabels: testLabels, targetClass: targetClass,
                                             trigger: trigger, victims: victims)
        }
        self.init(targetClass: targetClass, poisoned: p, clean: c)
    }

    /// Combines already measured metrics.
    public init(targetClass: Int, poisoned: PoisoningMetrics, clean: PoisoningMetrics?) {
        self.targetClass = targetClass
        self.poisoned = poisoned
        self.clean = clean
        cleanAccuracyDelta = clean.map { poisoned.cleanAccuracy - $0.cleanAccuracy }
        attackSuccessDelta = Self.delta(poisoned.attackSuccessRate, clean?.attackSuccessRate)
        victimTargetDelta = Self.delta(poisoned.victimTargetRate, clean?.victimTargetRate)
    }

    private static func delta(_ a: Double?, _ b: Double?) -> Double? {
        guard let a, let b else { return nil }
        return a - b
    }
}
