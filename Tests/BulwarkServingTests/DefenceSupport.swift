import BulwarkData
import BulwarkModels
import BulwarkServing
import BulwarkTensor
import Foundation
import Synchronization

/// Whether the Fashion-MNIST test split is installed (Debian package dataset-fashion-mnist).
let defenceFashionPresent = FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz")

/// The Fashion-MNIST test split, loaded once: rows 0..<2000 train the served model, 2000..<3000
/// are the clean reference data the pipeline calibrates on, 5000..<10000 are traffic.
let defenceFashion: LabeledDataset? = try? FashionMNIST.load(.test)

/// A small MLP trained on `inputs` (`N × 1 × 28 × 28`), seeded.
func defenceMLP(inputs: Tensor, labels: [Int], epochs: Int = 4, seed: UInt64 = 7) -> Sequential? {
    var rng = SeededGenerator(seed: seed)
    guard var model = try? Sequential(inputShape: [1, 28, 28], layers: [Flatten(), Dense(784, 32, rng: &rng), Activation(.relu), Dense(32, 10, rng: &rng)]) else {
        return nil
    }
    var adam = Adam(learningRate: 3e-3)
    train(&model, inputs: inputs, labels: labels, optimizer: &adam, configuration: TrainingConfiguration(epochs: epochs, batchSize: 50, seed: seed))
    return model
}

/// The served model: the MLP trained on test rows 0..<2000 (trained once per process).
let defenceModel: Sequential? = defenceFashion.flatMap { d in defenceMLP(inputs: d.inputs.rows(0..<2000), labels: Array(d.labels[0..<2000])) }

/// A Jacobian-augmentation-like query stream (as PRADA's paper attacks): `seeds` start the set;
/// each round every point so far spawns one new query, itself plus `step` × a random sign per
/// pixel, clipped to [0, 1]. Returns the queries in the order sent.
func augmentationStream(seeds: Tensor, rounds: Int, step: Float, seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    let d = seeds.count / seeds.shape[0]
    var points = seeds.scalars
    for _ in 0..<rounds {
        let count = points.count / d
        for p in 0..<count {
            for k in 0..<d { points.append(min(max(points[p * d + k] + (rng.next() & 1 == 0 ? step : -step), 0), 1)) }
        }
    }
    return Tensor(shape: [points.count / d] + Array(seeds.shape.dropFirst()), scalars: points)
}

/// Seconds elapsed running `body`.
func secondsTaken(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// A clock the test moves by hand.
final class DefenceClock: Sendable {
    private let seconds = Mutex(0.0)
    func advance(_ s: Double) { seconds.withLock { $0 += s } }
    var now: Double { seconds.withLock { $0 } }
}
