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
    /// without per-example gradients; then a graph whose examples see each other (a batch of
    /// three probe examples must give each example's logits alone, to 1e-3 relative: this
    /// catches, e.g., centring by the batch mean); then runs a batch of two zero examples
    /// through the tapped graph, so that run-time layouts (a data input's rank, the batch axis)
    /// are checked before any step too. Cost: six forward passes and one backward pass.
    public func checkPerExampleGradients() throws(PrivacyError) {
        _ = try PerExampleGradients.parameterNodes(of: self)
        let width = Tensor.elementCount(inputShape)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let values = (0..<(3 * width)).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 23) - 1
        }
        let probe = Tensor(shape: [3] + inputShape, scalars: values)
        let together = logits(probe)
        let scale = 1 + (together.scalars.map { abs($0) }.filter(\.isFinite).max() ?? 0)
        for i in 0..<3 {
            let alone = logits(probe.rows(i..<(i + 1))).scalars
            let joint = together.scalars[(i * classCount)..<((i + 1) * classCount)]
            if zip(alone, joint).contains(where: { abs($0 - $1) > 1e-3 * scale }) {
                throw PrivacyError(parameter: "model", message: "the graph mixes examples: example \(i)'s logits change with the other examples in its batch, so per-example clipping does not bound DP-SGD's sensitivity")
            }
        }
        _ = try PerExampleGradients(model: self, inputs: Tensor.zeros([2] + inputShape), labels: [0, 0])
    }

    /// The ONNX form of ``PerExampleGradients`` `init(model:inputs:labels:)` on this model.
    public func perExampleGradients(inputs: Tensor, labels: [Int]) throws(PrivacyError) -> PerExampleGradients {
        try PerExampleGradients(model: self, inputs: inputs, labels: labels)
    }
}
