public import BulwarkTensor

/// Label-flipping poisoning: the inputs stay as they are and some labels are changed.
///
/// - ``random(inputs:labels:classCount:rate:seed:)``: `round(rate·N)` rows, each relabelled to
///   a uniformly drawn *other* class (an availability attack: it degrades accuracy).
/// - ``targeted(inputs:labels:classCount:pairs:rate:seed:)``: for each `(source, target)` pair,
///   `round(rate·n_source)` rows of the source class relabelled to the target (a targeted
///   confusion between two classes).
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let (x, y) = (Tensor.uniform([40, 1, 28, 28], using: &rng), (0..<40).map { $0 % 10 })
/// let poisoned = try LabelFlipping.targeted(inputs: x, labels: y, classCount: 10, pairs: [(source: 3, target: 5)], rate: 0.2, seed: 1)
/// print(poisoned.poisonIndices.count)
/// ```
public enum LabelFlipping {
    /// Flips `round(rate·N)` labels, each to a uniformly random different class.
    /// - Throws: ``PoisoningError`` for disagreeing counts, labels outside the classes, a rate
    ///   outside [0, 1] or one that selects no row.
    public static func random(inputs: Tensor, labels: [Int], classCount: Int, rate: Double, seed: UInt64) throws(PoisoningError) -> PoisonedData {
        try PoisonSelection.check(inputs: inputs, labels: labels, classCount: classCount, rate: rate)
        var rng = SeededGenerator(seed: seed)
        let chosen = try PoisonSelection.choose(rate: rate, from: Array(labels.indices), what: "examples", rng: &rng)
        var out = labels
        for i in chosen {
            let shift = 1 + Int(rng.next() % UInt64(classCount - 1))
            out[i] = (labels[i] + shift) % classCount
        }
        return PoisonedData(inputs: inputs, labels: out, poisonIndices: chosen)
    }

    /// Flips `round(rate·n_source)` labels of each pair's source class to its target class.
    /// - Throws: ``PoisoningError`` for a class outside the labels, a pair whose source equals
    ///   its target, a source listed twice, or a rate that selects no row of a source class.
    public static func targeted(inputs: Tensor, labels: [Int], classCount: Int, pairs: [(source: Int, target: Int)],
                                rate: Double, seed: UInt64) throws(PoisoningError) -> PoisonedData {
        try PoisonSelection.check(inputs: inputs, labels: labels, classCount: classCount, rate: rate)
        guard !pairs.isEmpty else { throw PoisoningError(.invalidParameter, "targeted label flipping needs at least one source→target pair") }
        var seen = Set<Int>()
        for pair in pairs {
            guard pair.source >= 0, pair.source < classCount else {
                throw PoisoningError(.invalidParameter, "--source-class \(pair.source) is outside 0..<\(classCount)")
            }
            try PoisonSelection.check(targetClass: pair.target, classCount: classCount)
            guard pair.source != pair.target else {
                throw PoisoningError(.invalidParameter, "--source-class and --target-class are both \(pair.source); a flip needs two classes")
            }
            guard seen.insert(pair.source).inserted else {
                throw PoisoningError(.invalidParameter, "source class \(pair.source) appears in two pairs")
            }
        }
        var rng = SeededGenerator(seed: seed)
        var out = labels
        var all: [Int] = []
        for pair in pairs {
            let pool = labels.indices.filter { labels[$0] == pair.source }
            let chosen = try PoisonSelection.choose(rate: rate, from: pool, what: "examples of class \(pair.source)", rng: &rng)
            for i in chosen { out[i] = pair.target }
            all += chosen
        }
        return PoisonedData(inputs: inputs, labels: out, poisonIndices: all.sorted())
    }
}
