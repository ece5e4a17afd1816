import BulwarkModels
import BulwarkTensor

/// A tiny poisoned task made here, so the detector tests need no files: 8×8 grey images of four
/// classes (a bright bar: row 2, row 5, column 2 or column 5, over uniform noise in [0, 0.3]) and a
/// BadNets-style 2×2 white patch in the bottom-right corner stamped on examples of the source
/// class 2 that are relabelled to the target class 0 (one source class: with three, the tiny
/// model's penultimate layer keeps the poison split by source class and 2-means cuts off only
/// one of them — activation clustering then finds about 40 % of it).
enum DetectFixtures {
    static let side = 8, classes = 4, target = 0, source = 2

    /// One clean image of `label`.
    static func image(_ label: Int, _ rng: inout SeededGenerator) -> [Float] {
        var pixels = (0..<(side * side)).map { _ in Float.random(in: 0..<0.3, using: &rng) }
        for k in 0..<side {
            switch label {
            case 0: pixels[2 * side + k] = 1
            case 1: pixels[5 * side + k] = 1
            case 2: pixels[k * side + 2] = 1
            default: pixels[k * side + 5] = 1
            }
        }
        return pixels
    }

    /// The trigger: the 2×2 bottom-right pixels set to 1, on every image of an N×1×8×8 batch.
    static func stamp(_ x: Tensor) -> Tensor {
        var out = x
        let n = x.shape[0]
        for i in 0..<n { for r in 6..<8 { for c in 6..<8 { out.scalars[i * side * side + r * side + c] = 1 } } }
        return out
    }

    /// `perClass` clean examples of each class, shuffled by `seed`.
    static func clean(perClass: Int, seed: UInt64) -> (inputs: Tensor, labels: [Int]) {
        var rng = SeededGenerator(seed: seed)
        var pixels: [Float] = [], labels: [Int] = []
        for i in 0..<(perClass * classes) {
            labels.append(i % classes)
            pixels += image(i % classes, &rng)
        }
        return (Tensor(shape: [labels.count, 1, side, side], scalars: pixels), labels)
    }

    /// A clean set with `poisonCount` examples of the source class stamped and relabelled to 0.
    static func poisoned(perClass: Int, poisonCount: Int, seed: UInt64) -> (inputs: Tensor, labels: [Int], poison: [Int]) {
        var (x, y) = clean(perClass: perClass, seed: seed)
        let candidates = y.indices.filter { y[$0] == source }
        var rng = SeededGenerator(seed: seed &+ 1)
        let poison = Array(randomPermutation(candidates.count, using: &rng).prefix(poisonCount).map { candidates[$0] }).sorted()
        let stamped = stamp(x.gatherRows(poison))
        let width = side * side
        for (k, i) in poison.enumerated() {
            for j in 0..<width { x.scalars[i * width + j] = stamped.scalars[k * width + j] }
            y[i] = target
        }
        return (x, y, poison)
    }

    /// A fresh `tabular` MLP (64 → 64 → 32 → 4) for 1×8×8 inputs.
    static func freshModel(seed: UInt64 = 1) -> Sequential {
        (try? ZooArchitecture.tabular.makeModel(exampleShape: [1, side, side], classCount: classes, seed: seed))
            ?? ZooArchitecture.mlp.makeModel(seed: seed)
    }

    /// The training plan every fixture model uses.
    static func plan(epochs: Int) -> SupervisedTraining<Adam, StandardTrainingStep> {
        SupervisedTraining(configuration: TrainingConfiguration(epochs: epochs, batchSize: 32, seed: 3), optimizer: Adam(learningRate: 3e-3))
    }

    /// The backdoor task: 100 examples per class, 30 of them poison (23 % of the target class).
    static let backdoor: (inputs: Tensor, labels: [Int], poison: [Int], model: Sequential) = {
        let (x, y, poison) = poisoned(perClass: 100, poisonCount: 30, seed: 11)
        var model = freshModel()
        _ = try? plan(epochs: 25).train(&model, inputs: x, labels: y)
        return (x, y, poison, model)
    }()

    /// Clean held-out images (not in any training set).
    static let heldOut = clean(perClass: 60, seed: 99)

    /// The held-out images of the source and target classes: the backdoor is source-specific, so
    /// attack success is measured on the source class (the non-target inputs here).
    static let heldOutSourceAndTarget: (inputs: Tensor, labels: [Int]) = {
        let keep = heldOut.labels.indices.filter { heldOut.labels[$0] == source || heldOut.labels[$0] == target }
        return (heldOut.inputs.gatherRows(keep), keep.map { heldOut.labels[$0] })
    }()
}
