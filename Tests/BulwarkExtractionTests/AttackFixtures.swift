import BulwarkExtraction
import BulwarkModels
import BulwarkTensor

/// A small synthetic task the extraction tests steal from: `classes` Gaussian blobs in
/// `features` dimensions (centres drawn from `seed`, unit spread), and a victim MLP trained on
/// it. Everything is generated in code from fixed seeds, so no fixture file is needed.
enum BlobTask {
    static let features = 10, classes = 4

    /// `count` examples (inputs `count × features`, labels) drawn from `seed`.
    static func sample(_ count: Int, seed: UInt64) -> (inputs: Tensor, labels: [Int]) {
        var centresRNG = SeededGenerator(seed: 99)
        let centres = (0..<(classes * features)).map { _ in 0.6 * centresRNG.nextNormal() }
        var rng = SeededGenerator(seed: seed)
        var x = [Float](), y = [Int]()
        for _ in 0..<count {
            let c = Int(rng.next() % UInt64(classes))
            y.append(c)
            for f in 0..<features { x.append(centres[c * features + f] + rng.nextNormal()) }
        }
        return (Tensor(shape: [count, features], scalars: x), y)
    }

    /// The victim: features→16→classes ReLU MLP trained on 800 blob examples.
    static let victim: Sequential = {
        var rng = SeededGenerator(seed: 5)
        // a fixed, valid layer list: building it cannot fail
        var model = (try? Sequential(inputShape: [features], layers: [Flatten(), Dense(features, 16, rng: &rng), ReLU(), Dense(16, classes, rng: &rng)]))
            ?? ZooArchitecture.tabular.makeModel(seed: 0)
        let data = sample(800, seed: 1)
        SubstituteTraining(epochs: 15, batchSize: 32, learningRate: 1e-2, seed: 3).train(&model, inputs: data.inputs, labels: data.labels)
        return model
    }()

    /// A fresh substitute of the zoo's `tabular` architecture for this task.
    static func substitute(seed: UInt64 = 7) -> Sequential {
        (try? ZooArchitecture.tabular.makeModel(exampleShape: [features], classCount: classes, seed: seed)) ?? ZooArchitecture.tabular.makeModel(seed: seed)
    }

    /// Training settings quick enough for debug builds.
    static let training = SubstituteTraining(epochs: 20, batchSize: 32, learningRate: 3e-3, seed: 11)
}
