public import BulwarkTensor

/// A fully connected layer `y = x·Wᵀ + b` with `W`: out×in (PyTorch's `nn.Linear` layout).
public struct Dense: Layer {
    /// The lengths of an input and of an output vector.
    public let inputSize: Int, outputSize: Int
    /// The weights, outputSize × inputSize.
    public var weight: Tensor
    /// The bias, one per output.
    public var bias: Tensor

    /// A layer initialised as PyTorch initialises `nn.Linear`.
    public init(_ inputSize: Int, _ outputSize: Int, rng: inout SeededGenerator) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        weight = kaimingUniform([outputSize, inputSize], fanIn: inputSize, using: &rng)
        bias = kaimingUniform([outputSize], fanIn: inputSize, using: &rng)
    }

    public var parameterNames: [String] { ["weight", "bias"] }
    public var parameters: [Tensor] {
        get { [weight, bias] }
        set { weight = newValue[0]; bias = newValue[1] }
    }

    public func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] {
        guard inputShape == [inputSize] else {
            throw ModelError(.shapeMismatch, "\(summary) expects inputs of shape [\(inputSize)], got \(inputShape)")
        }
        return [outputSize]
    }

    public func forward(_ input: Variable, parameters p: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        dense(input, weight: p[p.startIndex], bias: p[p.startIndex + 1])
    }

    public func infer(_ input: Tensor) -> Tensor { infer(input, relu: false) }

    /// Inference with an optional ReLU fused into the bias addition: the values of `infer`
    /// then ReLU, in one pass over the output.
    public func infer(_ input: Tensor, relu: Bool) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == inputSize, "dense: input \(input.shape) does not match \(summary)")
        var y = Tensor.matmul(input, weight, transposeB: true)
        let n = input.shape[0], outF = outputSize
        y.scalars.withUnsafeMutableBufferPointer { p in
            bias.scalars.withUnsafeBufferPointer { pb in
                for r in 0..<n {
                    for c in 0..<outF {
                        let v = p[r * outF + c] + pb[c]
                        p[r * outF + c] = relu ? (v > 0 ? v : 0) : v
                    }
                }
            }
        }
        return y
    }

    public var summary: String { "Dense(\(inputSize)→\(outputSize))" }
}
