public import BulwarkTensor

/// The seam every attack and defence meets: a classifier that maps a batch of inputs to logits
/// and is differentiable with respect to its **inputs**.
///
/// Models built in Bulwark, models imported from ONNX and models wrapped by a defence conform,
/// so every white-box attack runs on all of them.
public protocol DifferentiableClassifier: Sendable {
    /// Shape of one example, without the batch axis (e.g. `[1, 28, 28]`).
    var inputShape: [Int] { get }
    /// Number of classes (the width of the logits).
    var classCount: Int { get }
    /// Logits for a batch `N × inputShape` → `N × classCount` (inference mode).
    func logits(_ input: Tensor) -> Tensor
    /// Differentiable logits: records the forward pass on `input`'s tape (inference mode).
    func logits(_ input: Variable) -> Variable
}

extension DifferentiableClassifier {
    /// The default plain forward pass: a tape on which nothing requires a gradient.
    public func logits(_ input: Tensor) -> Tensor {
        let tape = Tape()
        return logits(tape.constant(input)).value
    }

    /// Predicted class per example, computed in batches of `batchSize`.
    public func predictions(_ input: Tensor, batchSize: Int = 256) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(input.shape.first ?? 0)
        let n = input.shape.first ?? 0
        for start in stride(from: 0, to: n, by: batchSize) {
            out += logits(input.rows(start..<min(n, start + batchSize))).argmaxRows()
        }
        return out
    }

    /// Fraction of examples whose predicted class equals the label.
    public func accuracy(_ input: Tensor, labels: [Int], batchSize: Int = 256) -> Double {
        precondition(input.shape.first == labels.count, "accuracy: \(input.shape) inputs for \(labels.count) labels")
        if labels.isEmpty { return 0 }
        let p = predictions(input, batchSize: batchSize)
        return Double(zip(p, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// Mean softmax cross-entropy over the batch and its gradient with respect to the input.
    public func lossAndInputGradient(_ input: Tensor, labels: [Int]) -> (loss: Float, gradient: Tensor) {
        let tape = Tape()
        let x = tape.variable(input)
        let loss = softmaxCrossEntropy(logits: logits(x), labels: labels)
        return (loss.value.scalar, tape.gradients(of: loss, wrt: [x])[0])
    }
}
