public import BulwarkModels
public import BulwarkTensor

/// A model DP-SGD can train: one whose per-example gradients come in factored form from one
/// forward and one backward pass (``PerExampleGradients``). ``DPSGD`` and ``DPSGDProcedureOf``
/// take any conforming model; Bulwark's are the zoo's ``Sequential`` (Dense and Conv2D layers)
/// and an imported ``ONNXModel`` (Gemm, MatMul, Conv and bias Add nodes).
///
/// ```swift
/// let model = try ZooArchitecture.tabular.makeModel(exampleShape: [4], classCount: 2)
/// try model.checkPerExampleGradients()
/// let per = try model.perExampleGradients(inputs: Tensor.zeros([3, 4]), labels: [0, 1, 0])
/// print(per.norms)
/// ```
public protocol PerExampleDifferentiable: TrainableModel {
    /// Refuses, before any training step, a model with a parameter that has no per-example
    /// gradient (batch normalisation, an unsupported layer or node) — with a ``PrivacyError``
    /// naming the layer or node.
    func checkPerExampleGradients() throws(PrivacyError)

    /// The unclipped per-example gradients of a batch (one forward and one backward pass).
    func perExampleGradients(inputs: Tensor, labels: [Int]) throws(PrivacyError) -> PerExampleGradients
}

extension Sequential: PerExampleDifferentiable {
    /// Refuses batch normalisation and trainable layers other than Dense and Conv2D with groups 1.
    public func checkPerExampleGradients() throws(PrivacyError) { try PerExampleGradients.checkLayers(of: self) }

    /// ``PerExampleGradients/init(model:inputs:labels:)`` on this model.
    public func perExampleGradients(inputs: Tensor, labels: [Int]) throws(PrivacyError) -> PerExampleGradients {
        try PerExampleGradients(model: self, inputs: inputs, labels: labels)
    }
}

extension ONNXModel: PerExampleDifferentiable {
    /// Refuses a graph with batch normalisation, weight sharing or a parameter in a node layout
    /// without per-example gradients; then runs a batch of two zero examples through the tapped
    /// graph, so that run-time layouts (a data input's rank, the batch axis) are checked before
    /// any step too.
    public func checkPerExampleGradients() throws(PrivacyError) {
        _ = try PerExampleGradients.parameterNodes(of: self)
        _ = try PerExampleGradients(model: self, inputs: Tensor.zeros([2] + inputShape), labels: [0, 0])
    }

    /// The ONNX form of ``PerExampleGradients`` `init(model:inputs:labels:)` on this model.
    public func perExampleGradients(inputs: Tensor, labels: [Int]) throws(PrivacyError) -> PerExampleGradients {
        try PerExampleGradients(model: self, inputs: inputs, labels: labels)
    }
}
