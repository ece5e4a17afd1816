public import BulwarkTensor

/// Dirty-label backdoor poisoning: stamp a trigger on a fraction of the examples that are not
/// of the target class and relabel them to the target.
///
/// With a patch trigger this is BadNets (Gu et al. 2017, "BadNets: Identifying Vulnerabilities
/// in the Machine Learning Model Supply Chain"); with a blend trigger it is the blended
/// injection of Chen et al. 2017 ("Targeted Backdoor Attacks on Deep Learning Systems Using
/// Data Poisoning"). A model trained on the result keeps its clean accuracy and answers the
/// target class whenever the trigger is present.
///
/// `rate` is the fraction of the **non-target** examples poisoned: `round(rate·n_nontarget)`
/// rows, drawn from `seed`.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let (x, y) = (Tensor.uniform([40, 1, 28, 28], using: &rng), (0..<40).map { $0 % 10 })
/// let poisoned = try BackdoorPoisoning.poison(inputs: x, labels: y, classCount: 10,
///     trigger: .whiteSquare(size: 3), targetClass: 0, rate: 0.1, seed: 7)
/// ```
public enum BackdoorPoisoning {
    /// The poisoned set: chosen rows stamped with `trigger` and labelled `targetClass`.
    /// - Throws: ``PoisoningError`` for inputs that are not `N×C×H×W`, a trigger that does not
    ///   fit, a target outside the classes, or a rate outside [0, 1] or selecting no row.
    public static func poison(inputs: Tensor, labels: [Int], classCount: Int, trigger: Trigger, targetClass: Int,
                              rate: Double, seed: UInt64) throws(PoisoningError) -> PoisonedData {
        try PoisonSelection.check(inputs: inputs, labels: labels, classCount: classCount, rate: rate)
        try PoisonSelection.check(targetClass: targetClass, classCount: classCount)
        guard inputs.rank == 4 else {
            throw PoisoningError(.shapeMismatch, "a trigger stamps images N×C×H×W, got inputs of shape \(inputs.shape)")
        }
        _ = try trigger.resolved(channels: inputs.shape[1], height: inputs.shape[2], width: inputs.shape[3])
        var rng = SeededGenerator(seed: seed)
        let pool = labels.indices.filter { labels[$0] != targetClass }
        let chosen = try PoisonSelection.choose(rate: rate, from: pool, what: "non-target examples", rng: &rng)
        var out = labels
        for i in chosen { out[i] = targetClass }
        let stamped = chosen.isEmpty ? inputs.gatherRows([]) : try trigger.apply(to: inputs.gatherRows(chosen))
        return PoisonedData(inputs: PoisonSelection.replacingRows(inputs, at: chosen, with: stamped), labels: out,
                            poisonIndices: chosen, trigger: trigger)
    }
}
