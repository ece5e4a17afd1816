public import BulwarkTensor

/// Examples with integer class labels: `inputs` holds N examples along its first axis,
/// `labels[i]` is the class of example `i`, in `0..<classCount`.
///
/// Construction validates these facts once, so code that receives a `LabeledDataset` can
/// rely on them.
///
/// ```swift
/// let data = try FashionMNIST.load(.train)
/// let (train, test) = data.split(testFraction: 0.1, seed: 7)
/// for batch in train.batches(size: 64, shuffleSeed: 1) {
///     print(batch.inputs.shape, batch.labels.count)   // [64, 1, 28, 28] 64
/// }
/// ```
public struct LabeledDataset: Sendable, Equatable {
    /// The examples, N × (example shape).
    public let inputs: Tensor
    /// One class index per example.
    public let labels: [Int]
    /// Number of classes; every label is in `0..<classCount`.
    public let classCount: Int

    /// Creates a dataset after checking that there is one label per example and that every
    /// label lies in `0..<classCount`.
    public init(inputs: Tensor, labels: [Int], classCount: Int) throws(DataError) {
        guard inputs.rank >= 1, inputs.shape[0] == labels.count else {
            throw DataError(.shapeMismatch, "inputs of shape \(inputs.shape) need one label per example, got \(labels.count) labels")
        }
        guard classCount >= 1 else {
            throw DataError(.shapeMismatch, "class count must be at least 1, got \(classCount)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
            throw DataError(.shapeMismatch, "label \(labels[bad]) of example \(bad) is outside 0..<\(classCount)")
        }
        self.inputs = inputs
        self.labels = labels
        self.classCount = classCount
    }

    init(unchecked inputs: Tensor, labels: [Int], classCount: Int) {
        self.inputs = inputs
        self.labels = labels
        self.classCount = classCount
    }

    /// Number of examples.
    public var count: Int { labels.count }
    /// Shape of one example.
    public var exampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    /// How many examples each class has, indexed by class.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The first `n` examples (all of them if `n >= count`).
    public func prefix(_ n: Int) -> LabeledDataset {
        let k = max(0, min(n, count))
        return LabeledDataset(unchecked: inputs.rows(0..<k), labels: Array(labels[0..<k]), classCount: classCount)
    }

    /// The examples at `indices`, in that order.
    /// - Precondition: every index is in `0..<count`.
    public func subset(_ indices: [Int]) -> LabeledDataset {
        LabeledDataset(unchecked: inputs.gatherRows(indices), labels: indices.map { labels[$0] }, classCount: classCount)
    }

    /// A seeded random split into a training part and a test part holding
    /// `round(testFraction × count)` examples. The same seed always gives the same split.
    /// - Precondition: `testFraction` is in `[0, 1]`.
    public func split(testFraction: Double, seed: UInt64) -> (train: LabeledDataset, test: LabeledDataset) {
        precondition(testFraction >= 0 && testFraction <= 1, "testFraction must be in [0, 1], got \(testFraction)")
        var rng = SeededGenerator(seed: seed)
        let order = randomPermutation(count, using: &rng)
        let testCount = Int((testFraction * Double(count)).rounded())
        return (subset(Array(order[testCount...])), subset(Array(order[..<testCount])))
    }

    /// Mini-batches covering every example once; the last batch is smaller when `size` does
    /// not divide ``count``. With a seed the order is a seeded random permutation (the same
    /// seed gives the same batches); without one, the stored order.
    /// - Precondition: `size > 0`.
    public func batches(size: Int, shuffleSeed: UInt64? = nil) -> Batches {
        precondition(size > 0, "batch size must be positive, got \(size)")
        var order = Array(0..<count)
        if let seed = shuffleSeed {
            var rng = SeededGenerator(seed: seed)
            order = randomPermutation(count, using: &rng)
        }
        return Batches(dataset: self, order: order, size: size)
    }

    /// A sequence of mini-batches; see ``LabeledDataset/batches(size:shuffleSeed:)``.
    public struct Batches: Sequence, Sendable {
        let dataset: LabeledDataset
        let order: [Int]
        let size: Int

        /// Number of batches.
        public var count: Int { (order.count + size - 1) / size }

        /// An iterator over the batches.
        public func makeIterator() -> Iterator { Iterator(batches: self, position: 0) }

        /// Yields `(inputs, labels)` pairs.
        public struct Iterator: IteratorProtocol, Sendable {
            let batches: Batches
            var position: Int

            /// The next batch, or nil after the last.
            public mutating func next() -> (inputs: Tensor, labels: [Int])? {
                guard position < batches.order.count else { return nil }
                let end = Swift.min(position + batches.size, batches.order.count)
                let indices = Array(batches.order[position..<end])
                position = end
                return (batches.dataset.inputs.gatherRows(indices), indices.map { batches.dataset.labels[$0] })
            }
        }
    }
}
