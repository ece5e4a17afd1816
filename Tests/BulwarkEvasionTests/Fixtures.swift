import BulwarkTensor
import BulwarkModels

/// A linear classifier `z = x Wᵀ + b`, whose minimal adversarial perturbations are known in
/// closed form for two classes: L2 = |m| / ‖w₁ − w₀‖₂, L∞ = |m| / ‖w₁ − w₀‖₁, m the logit margin.
struct LinearClassifier: DifferentiableClassifier {
    let weight: Tensor  // classes × d
    let bias: Tensor    // classes
    var inputShape: [Int] { [weight.shape[1]] }
    var classCount: Int { weight.shape[0] }

    func logits(_ input: Variable) -> Variable {
        let tape = input.tape
        return matmul(input, tape.constant(weight), transposeB: true) + tape.constant(bias)
    }
}

/// Three Gaussian blobs in 16 dimensions with means inside [0.2, 0.8]; deterministic.
func blobs(count: Int, seed: UInt64) -> (Tensor, [Int]) {
    var rng = SeededGenerator(seed: 99)
    let d = 16, k = 3
    let means = (0..<k).map { _ in (0..<d).map { _ in 0.2 + 0.6 * rng.nextUniform() } }
    var data = SeededGenerator(seed: seed)
    var x: [Float] = [], y: [Int] = []
    for i in 0..<count {
        let c = i % k
        y.append(c)
        for j in 0..<d { x.append(min(max(means[c][j] + 0.12 * data.nextNormal(), 0), 1)) }
    }
    return (Tensor(shape: [count, d], scalars: x), y)
}

/// A small MLP trained in-test on the blobs (cached: trained once per process).
let trainedMLP: Sequential = {
    var rng = SeededGenerator(seed: 7)
    guard var model = try? Sequential(inputShape: [16], layers: [Dense(16, 32, rng: &rng), Activation(.relu), Dense(32, 3, rng: &rng)]) else {
        preconditionFailure("test MLP is inconsistent")
    }
    let (x, y) = blobs(count: 600, seed: 1)
    var opt = Adam(learningRate: 1e-2)
    train(&model, inputs: x, labels: y, optimizer: &opt, configuration: TrainingConfiguration(epochs: 15, batchSize: 50, seed: 3))
    return model
}()
