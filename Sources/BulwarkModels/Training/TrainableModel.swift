public import BulwarkTensor

/// The training seam: a classifier with named trainable parameters (and non-trainable buffers)
/// and a forward pass that takes those parameters as tape variables.
///
/// The trainer (``trainStep(_:optimizer:inputs:labels:context:)``, ``train(_:inputs:labels:optimizer:configuration:step:progress:)``),
/// every ``TrainingStep`` and the training defences are generic over it, so a model built in
/// Bulwark (``Sequential``) and a model imported from ONNX (``ONNXModel``) train the same way.
///
/// A conforming type guarantees: ``parameters`` and ``parameterNames`` have equal length and a
/// stable order; setting ``parameters`` to tensors of the same shapes replaces them one-to-one;
/// ``forward(_:parameters:context:)`` with the parameters as tape constants and
/// `context.training == false` computes ``DifferentiableClassifier/logits(_:)-(Variable)``.
///
/// ```swift
/// var model = ZooArchitecture.cnn.makeModel(seed: 0)      // or try ONNXModel(contentsOf: url)
/// let (x, y) = (Tensor.zeros([8, 1, 28, 28]), [Int](repeating: 3, count: 8))
/// var sgd = SGD(learningRate: 0.01)
/// var context = ForwardContext(training: true)
/// let (loss, _) = trainStep(&model, optimizer: &sgd, inputs: x, labels: y, context: &context)
/// ```
public protocol TrainableModel: DifferentiableClassifier {
    /// What a training-mode forward pass reports about buffers to replace (running statistics).
    associatedtype BufferUpdates

    /// A stable name for each trainable tensor, in the order of ``parameters``.
    var parameterNames: [String] { get }
    /// The trainable tensors.
    var parameters: [Tensor] { get set }
    /// Every saved tensor (parameters, then or among them buffers) with its name.
    var namedTensors: [(name: String, tensor: Tensor)] { get }

    /// The forward pass with ``parameters`` supplied as tape variables (same order). In training
    /// mode (`context.training`) batch normalisation uses batch statistics and the returned
    /// updates hold the new running statistics.
    func forward(_ input: Variable, parameters: [Variable], context: inout ForwardContext)
        -> (output: Variable, bufferUpdates: BufferUpdates)

    /// Installs the buffer updates returned by ``forward(_:parameters:context:)``.
    mutating func applyBufferUpdates(_ updates: BufferUpdates)
}
