public import BulwarkTensor

/// What a poisoning attack returns: the whole training set with the poison in place, the
/// ground truth of which rows were poisoned, and the trigger (for backdoors).
///
/// `inputs` and `labels` have the rows of the clean set in the same order; only the rows in
/// ``poisonIndices`` differ (inputs, labels or both).
public struct PoisonedData: Sendable, Equatable {
    /// The training inputs with the poisoned rows replaced, `N × example shape`.
    public var inputs: Tensor
    /// The training labels with the poisoned rows relabelled (unchanged for clean-label attacks).
    public var labels: [Int]
    /// The poisoned rows, ascending: the ground truth a detector is scored against.
    public var poisonIndices: [Int]
    /// The trigger that activates the backdoor at test time; nil for label flipping and for
    /// the targeted clean-label attacks (feature collision, gradient matching), which need none.
    public var trigger: Trigger?
    /// How far the optimising attacks moved their objective, when they have one.
    public var objective: PoisoningObjective?

    /// A poisoned set.
    public init(inputs: Tensor, labels: [Int], poisonIndices: [Int], trigger: Trigger? = nil, objective: PoisoningObjective? = nil) {
        self.inputs = inputs
        self.labels = labels
        self.poisonIndices = poisonIndices
        self.trigger = trigger
        self.objective = objective
    }
}

/// The objective an optimising attack minimises, before and after it ran, averaged over its
/// poisons: evidence that the attack did what it claims.
public struct PoisoningObjective: Sendable, Equatable, Codable {
    /// What is measured, e.g. `feature distance to victim` or `1 − gradient cosine`.
    public var name: String
    /// Its value on the unperturbed poisons.
    public var before: Double
    /// Its value on the returned poisons.
    public var after: Double

    /// An objective trace.
    public init(name: String, before: Double, after: Double) {
        self.name = name
        self.before = before
        self.after = after
    }
}

/// Checks shared by every attack and the seeded choice of rows to poison.
package enum PoisonSelection {
    /// Checks the inputs and labels agree, labels lie in `0..<classCount` and `rate` is in [0, 1].
    package static func check(inputs: Tensor, labels: [Int], classCount: Int, rate: Double) throws(PoisoningError) {
        guard inputs.rank >= 1, inputs.shape[0] == labels.count else {
            throw PoisoningError(.shapeMismatch, "\(inputs.shape.first ?? 0) inputs but \(labels.count) labels")
        }
        guard classCount >= 2 else { throw PoisoningError(.invalidParameter, "a poisoning attack needs at least 2 classes, got \(classCount)") }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
            throw PoisoningError(.invalidParameter, "label \(labels[bad]) at row \(bad) is outside 0..<\(classCount)")
        }
        guard rate >= 0, rate <= 1, rate.isFinite else {
            throw PoisoningError(.invalidParameter, "--rate must be in [0, 1], got \(rate)")
        }
    }

    /// Checks `target` is a class.
    package static func check(targetClass target: Int, classCount: Int) throws(PoisoningError) {
        guard target >= 0, target < classCount else {
            throw PoisoningError(.invalidParameter, "--target-class \(target) is outside 0..<\(classCount)")
        }
    }

    /// `round(rate × pool.count)` rows of `pool` drawn without replacement, returned ascending.
    /// - Throws: ``PoisoningError`` (`.invalidParameter`) when that is zero rows of a non-empty
    ///   rate, so an attack never silently poisons nothing.
    package static func choose(rate: Double, from pool: [Int], what: String, rng: inout SeededGenerator) throws(PoisoningError) -> [Int] {
        let count = Int((rate * Double(pool.count)).rounded())
        if rate > 0, count == 0 {
            throw PoisoningError(.invalidParameter, "--rate \(rate) of \(pool.count) \(what) selects no example; raise the rate")
        }
        let order = randomPermutation(pool.count, using: &rng)
        return order.prefix(count).map { pool[$0] }.sorted()
    }

    /// Replaces rows `indices` of `inputs` by the rows of `replacement`, in order.
    package static func replacingRows(_ inputs: Tensor, at indices: [Int], with replacement: Tensor) -> Tensor {
        let inner = inputs.shape.dropFirst().reduce(1, *)
        var s = inputs.scalars
        for (r, i) in indices.enumerated() {
            s.replaceSubrange((i * inner)..<((i + 1) * inner), with: replacement.scalars[(r * inner)..<((r + 1) * inner)])
        }
        return Tensor(shape: inputs.shape, scalars: s)
    }
}
