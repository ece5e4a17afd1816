public import BulwarkModels
public import BulwarkTensor

/// `bulwark predict` as a library call: a classifier's logits for every input, computed in
/// batches, and the predicted classes.
///
/// ```swift
/// let model = try ModelExamples.model(at: "cnn.safetensors", architecture: nil)
/// let result = Prediction(model, inputs: Tensor.zeros([2] + model.inputShape))
/// print(result.classes)
/// ```
public struct Prediction: Sendable {
    /// N × classes logits, in input order.
    public var logits: Tensor
    /// The class of each input: the index of its largest logit.
    public var classes: [Int]

    /// Runs `classifier` on `inputs` (N × its input shape), `batchSize` rows at a time.
    public init(_ classifier: any DifferentiableClassifier, inputs x: Tensor, batchSize: Int = 256) {
        let n = x.shape[0], k = classifier.classCount
        var parts: [Tensor] = []
        for start in stride(from: 0, to: n, by: max(1, batchSize)) {
            parts.append(classifier.logits(x.rows(start..<min(n, start + max(1, batchSize)))))
        }
        let y = n == 0 ? Tensor.zeros([0, k]) : Tensor.concatenateRows(parts)
        logits = y
        classes = (0..<n).map { i in (0..<k).max { y.scalars[i * k + $0] < y.scalars[i * k + $1] } ?? 0 }
    }
}
