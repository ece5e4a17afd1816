public import BulwarkTensor

/// An element-wise activation layer.
public struct Activation: Layer {
    /// The function applied.
    public enum Kind: Sendable, Equatable {
        case relu, leakyRelu(alpha: Float), sigmoid, tanh, softmax
    }
    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] { inputShape }

    public func forward(_ input: Variable, parameters: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        switch kind {
        case .relu: input.relu()
        case .leakyRelu(let a): input.leakyRelu(alpha: a)
        case .sigmoid: input.sigmoid()
        case .tanh: input.tanh()
        case .softmax: input.softmax(axis: -1)
        }
    }

    public var summary: String {
        switch kind {
        case .relu: "ReLU"
        case .leakyRelu(let a): "LeakyReLU(\(a))"
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .softmax: "Softmax"
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
/// Softmax layer (over the last axis).
public func Softmax() -> Activation { Activation(.softmax) }

/// Flattens every axis after the batch axis.
public struct Flatten: Layer {
    public init() {}
    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] { [inputShape.reduce(1, *)] }
    public func forward(_ input: Variable, parameters: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        input.flattened()
    }
    public var summary: String { "Flatten" }
}

/// Inverted dropout: in training, zeroes each element with probability `rate` and scales the
/// rest by 1/(1 − rate); the identity at inference.
public struct Dropout: Layer {
    public let rate: Float

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

    public var summary: String { "Dropout(\(rate))" }
}

/// Batch normalisation over channels (PyTorch's `nn.BatchNorm1d/2d`, momentum 0.1, biased
/// batch variance for normalisation and unbiased for the running average).
public struct BatchNorm: Layer {
    public let channels: Int
    public let epsilon: Float, momentum: Float
    public var scale: Tensor, offset: Tensor
    public var runningMean: Tensor, runningVariance: Tensor

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

    public var summary: String { "BatchNorm(\(channels))" }
}
