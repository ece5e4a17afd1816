public import BulwarkTensor

/// Per-pass settings handed to every layer of a forward pass.
public struct ForwardContext {
    /// Training mode: dropout active, batch norm uses and updates batch statistics.
    public var training: Bool
    /// Randomness for dropout and other stochastic layers.
    public var rng: SeededGenerator
    /// Set by a layer that wants its buffers (e.g. running statistics) replaced after the pass.
    public var updatedBuffers: [Tensor]?

    /// A context in training or inference mode.
    public init(training: Bool, seed: UInt64 = 0) {
        self.training = training
        self.rng = SeededGenerator(seed: seed)
    }
}

/// A building block of a ``Sequential`` model.
///
/// Parameters are plain tensors owned by the layer (value semantics); a forward pass receives
/// them as tape variables, so the same code serves training (gradients for parameters),
/// attacks (gradients for inputs) and inference (no gradients).
public protocol Layer: Sendable {
    /// Names of the trainable tensors, matching PyTorch's `state_dict` suffixes (`weight`, `bias`).
    var parameterNames: [String] { get }
    /// Trainable tensors, in the order of ``parameterNames``.
    var parameters: [Tensor] { get set }
    /// Names of non-trainable saved tensors (e.g. `running_mean`).
    var bufferNames: [String] { get }
    /// Non-trainable saved tensors, in the order of ``bufferNames``.
    var buffers: [Tensor] { get set }
    /// Output shape (without the batch axis) for an input shape, or a description of why not.
    func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int]
    /// The forward pass. `parameters` are this layer's parameters as tape variables.
    func forward(_ input: Variable, parameters: ArraySlice<Variable>, context: inout ForwardContext) -> Variable
    /// The inference-mode forward pass on a plain tensor, with no tape: the value of
    /// ``forward(_:parameters:context:)`` with this layer's parameters as constants and
    /// `context.training` false. The default records on a throw-away tape; layers override it
    /// with direct kernels.
    func infer(_ input: Tensor) -> Tensor
    /// A short description such as `Conv2D(1→32, 3×3, pad 1)`.
    var summary: String { get }
    /// Whether, in training mode, one example's output depends on the other examples of the
    /// batch (batch normalisation does). Per-example gradients, and so DP-SGD's clipping, are
    /// meaningless for such a layer. `false` unless a layer says otherwise.
    var mixesExamplesInTraining: Bool { get }
}

extension Layer {
    public var parameterNames: [String] { [] }
    public var parameters: [Tensor] {
        get { [] }
        set { precondition(newValue.isEmpty, "\(summary) has no parameters") }
    }
    public var bufferNames: [String] { [] }
    public var mixesExamplesInTraining: Bool { false }
    public func infer(_ input: Tensor) -> Tensor {
        let tape = Tape()
        var context = ForwardContext(training: false)
        return forward(tape.constant(input), parameters: parameters.map { tape.constant($0) }[...], context: &context).value
    }
    public var buffers: [Tensor] {
        get { [] }
        set { precondition(newValue.isEmpty, "\(summary) has no buffers") }
    }
}

/// Kaiming-uniform initialisation as PyTorch's default for Linear and Conv layers:
/// weights and biases uniform in ±1/√fanIn.
func kaimingUniform(_ shape: [Int], fanIn: Int, using rng: inout SeededGenerator) -> Tensor {
    let bound = 1 / Float(max(fanIn, 1)).squareRoot()
    return Tensor.uniform(shape, low: -bound, high: bound, using: &rng)
}
