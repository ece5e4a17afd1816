import BulwarkModels
import BulwarkTensor

/// Tiny 1×6×6 images of three classes: class c has a bright row at 2c (plus noise), so a small
/// model separates them; deterministic from `seed`.
func stripeImages(count: Int, seed: UInt64) -> (inputs: Tensor, labels: [Int]) {
    var rng = SeededGenerator(seed: seed)
    var x: [Float] = [], y: [Int] = []
    for i in 0..<count {
        let c = i % 3
        y.append(c)
        for r in 0..<6 {
            for _ in 0..<6 {
                let base: Float = r == 2 * c ? 0.8 : 0.2
                x.append(min(max(base + 0.1 * rng.nextNormal(), 0), 1))
            }
        }
    }
    return (Tensor(shape: [count, 1, 6, 6], scalars: x), y)
}

/// A small MLP trained in-test on the stripes (trained once per process).
let stripeModel: Sequential = {
    var rng = SeededGenerator(seed: 5)
    guard var model = try? Sequential(inputShape: [1, 6, 6],
                                      layers: [Flatten(), Dense(36, 16, rng: &rng), Activation(.relu), Dense(16, 3, rng: &rng)]) else {
        preconditionFailure("test MLP is inconsistent")
    }
    let (x, y) = stripeImages(count: 300, seed: 1)
    var opt = Adam(learningRate: 1e-2)
    train(&model, inputs: x, labels: y, optimizer: &opt, configuration: TrainingConfiguration(epochs: 10, batchSize: 30, seed: 2))
    return model
}()

/// A hand-made classifier on 1×4×4 images: class 1 when the bottom-right pixel is above 0.5,
/// else class 0 — so a white patch there is a perfect backdoor.
struct CornerClassifier: DifferentiableClassifier {
    var inputShape: [Int] { [1, 4, 4] }
    var classCount: Int { 2 }
    func logits(_ input: Variable) -> Variable {
        let tape = input.tape
        var w = [Float](repeating: 0, count: 2 * 16)
        w[16 + 15] = 10
        let weight = tape.constant(Tensor(shape: [2, 16], scalars: w))
        return matmul(input.flattened(), weight, transposeB: true) + tape.constant(Tensor([0, -5]))
    }
}
