public import BulwarkTensor

/// An element-wise activation layer.
public struct Activation: Layer {
    /// The function applied.
    public enum Kind: Sendable, Equatable {
        /// `max(0, x)`.
        case relu
        /// `x` for `x > 0`, `alpha · x` otherwise.
        case leakyRelu(alpha: Float)
        /// `1 / (1 + e^−x)`.
        case sigmoid
        /// The hyperbolic tangent.
        case tanh
        /// `e^xᵢ / Σⱼ e^xⱼ` over the last axis.
        case softmax
        /// `x²` (gradient `2x`): the activation homomorphic encryption computes with one
        /// multiplication.
        case square
        /// `a·x² + b·x + c` (gradient `2a·x + b`): a polynomial activation (see
        /// ``ZooActivation/poly``).
        case quadratic(a: Float, b: Float, c: Float)
    }
    /// The function this layer applies.
    public let kind: Kind

    /// A layer that applies `kind` to every element (to every row, for `.softmax`).
    public init(_ kind: Kind) { self.kind = kind }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] { inputShape }

    public func forward(_ input: Variable, parameters: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        switch kind {
        case .relu: input.relu()
        case .leakyRelu(let a): input.leakyRelu(alpha: a)
        case .sigmoid: input.sigmoid()
        case .tanh: input.tanh()
        case .softmax: input.softmax(axis: -1)
        case .square: input * input
        case .quadratic(let a, let b, let c): (input * input) * a + input * b + c
        }
    }

    public func infer(_ input: Tensor) -> Tensor {
        switch kind {
        case .relu: input.relu()
        case .leakyRelu(let a): input.leakyRelu(alpha: a)
        case .sigmoid: input.sigmoid()
        case .tanh: input.tanh()
        case .softmax: input.softmax(axis: -1)
        case .square: input.map { $0 * $0 }
        case .quadratic(let a, let b, let c): input.map { x in (a * x + b) * x + c }
        }
    }

    public var summary: String {
        switch kind {
        case .relu: "ReLU"
        case .leakyRelu(let a): "LeakyReLU(\(a))"
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .softmax: "Softmax"
        case .square: "Square"
        case .quadratic(let a, let b, let c): "Quadratic(\(a)x² + \(b)x + \(c))"
        }
    }
}

/// ReLU layer.
public func ReLU() -> Activation { Activation(.relu) }
/// Leaky ReLU layer.
public func LeakyReLU(alpha: Float = 0.01) -> Activation { Activation(.leakyRelu(alpha: alpha)) }
/// Sigmoid layer.
public func Sigmoid() -> Activation { Activation(.sigmoid) }
/// Tanh layer.
public func Tanh() -> Activation { Activation(.tanh) }
/// Square layer, `x²` element-wise.
public func Square() -> Activation { Activation(.square) }
/// Quadratic layer, `a·x² + b·x + c` element-wise.
public func Quadratic(_ a: Float, _ b: Float, _ c: Float) -> Activation { Activation(.quadratic(a: a, b: b, c: c)) }
/// Softmax layer (over the last axis).
public func Softmax() -> Activation { Activation(.softmax) }

/// Flattens every axis after the batch axis.
public struct Flatten: Layer {
    /// A flatten layer; it has no parameters.
    public init() {}
    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] { [inputShape.reduce(1, *)] }
    public func forward(_ input: Variable, parameters: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        input.flattened()
    }
    public func infer(_ input: Tensor) -> Tensor { input.reshaped([input.shape[0], -1]) }
    public var summary: String { "Flatten" }
}

/// Inverted dropout: in training, zeroes each element with probability `rate` and scales the
/// rest by 1/(1 − rate); the identity at inference.
public struct Dropout: Layer {
    /// The probability that an element is zeroed in training, in [0, 1).
    public let rate: Float

    /// A dropout layer; `rate` must be in [0, 1) (0 makes it the identity).
    public init(rate: Float) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)")
        self.rate = rate
    }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] { inputShape }

    public func forward(_ input: Variable, parameters: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        guard context.training, rate > 0 else { return input }
        let keep = 1 - rate
        let mask = Tensor.bernoulli(input.shape, probability: keep, using: &context.rng) * (1 / keep)
        return input * input.tape.constant(mask)
    }

    public func infer(_ input: Tensor) -> Tensor { input }

    public var summary: String { "Dropout(\(rate))" }
}

/// Batch normalisation over channels (PyTorch's `nn.BatchNorm1d/2d`, momentum 0.1, biased
/// batch variance for normalisation and unbiased for the running average).
public struct BatchNorm: Layer {
    /// The number of channels (the first axis of an input).
    public let channels: Int
    /// `epsilon` is added to the variance before the square root; `momentum` is the weight of
    /// the current batch in the running averages.
    public let epsilon: Float, momentum: Float
    /// The learned per-channel scale (γ, PyTorch's `weight`) and offset (β, `bias`).
    public var scale: Tensor, offset: Tensor
    /// The per-channel running mean and variance used at inference (buffers, not parameters).
    public var runningMean: Tensor, runningVariance: Tensor

    /// A batch normalisation layer with scale 1, offset 0, running mean 0 and running variance 1.
    public init(channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        self.channels = channels
        self.epsilon = epsilon
        self.momentum = momentum
        scale = .ones([channels]); offset = .zeros([channels])
        runningMean = .zeros([channels]); runningVariance = .ones([channels])
    }

    public var parameterNames: [String] { ["weight", "bias"] }
    public var parameters: [Tensor] {
        get { [scale, offset] }
        set { scale = newValue[0]; offset = newValue[1] }
    }
    public var bufferNames: [String] { ["running_mean", "running_var"] }
    public var buffers: [Tensor] {
        get { [runningMean, runningVariance] }
        set { runningMean = newValue[0]; runningVariance = newValue[1] }
    }

    public func outputShape(for s: [Int]) throws(ModelError) -> [Int] {
        guard s.first == channels else { throw ModelError(.shapeMismatch, "\(summary) expects \(channels) channels first, got \(s)") }
        return s
    }

    public func forward(_ input: Variable, parameters p: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        let r = batchNorm(input, scale: p[p.startIndex], offset: p[p.startIndex + 1],
                          runningMean: runningMean.scalars, runningVariance: runningVariance.scalars,
                          epsilon: epsilon, training: context.training)
        if context.training {
            let m = input.value.count / max(1, channels)
            let unbias = m > 1 ? Float(m) / Float(m - 1) : 1
            let mean = zip(runningMean.scalars, r.batchMean).map { (1 - momentum) * $0 + momentum * $1 }
            let variance = zip(runningVariance.scalars, r.batchVariance).map { (1 - momentum) * $0 + momentum * $1 * unbias }
            context.updatedBuffers = [Tensor(mean), Tensor(variance)]
        }
        return r.output
    }

    /// True: training-mode outputs are normalised with the statistics of the whole batch.
    public var mixesExamplesInTraining: Bool { true }

    public var summary: String { "BatchNorm(\(channels))" }
}
