public import BulwarkTensor

/// A 2-D convolution layer with stride, zero padding, dilation and groups (PyTorch's `nn.Conv2d`).
public struct Conv2D: Layer {
    /// The channels in and out, and the number of groups they are split into (each divides
    /// both channel counts).
    public let inputChannels: Int, outputChannels: Int, groups: Int
    /// Kernel size, stride, padding and dilation.
    public let geometry: Conv2DGeometry
    /// The kernels: outputChannels × (inputChannels / groups) × kernel height × kernel width.
    public var weight: Tensor
    /// One bias per output channel.
    public var bias: Tensor

    /// A convolution initialised as PyTorch initialises `nn.Conv2d`.
    public init(_ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1,
                rng: inout SeededGenerator) {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0, "channels must divide groups")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.groups = groups
        geometry = Conv2DGeometry(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
        let fanIn = inputChannels / groups * kernel.0 * kernel.1
        weight = kaimingUniform([outputChannels, inputChannels / groups, kernel.0, kernel.1], fanIn: fanIn, using: &rng)
        bias = kaimingUniform([outputChannels], fanIn: fanIn, using: &rng)
    }

    public var parameterNames: [String] { ["weight", "bias"] }
    public var parameters: [Tensor] {
        get { [weight, bias] }
        set { weight = newValue[0]; bias = newValue[1] }
    }

    public func outputShape(for s: [Int]) throws(ModelError) -> [Int] {
        guard s.count == 3, s[0] == inputChannels else {
            throw ModelError(.shapeMismatch, "\(summary) expects C×H×W inputs with C = \(inputChannels), got \(s)")
        }
        let (h, w) = geometry.outputSize(height: s[1], width: s[2])
        guard h > 0, w > 0 else { throw ModelError(.shapeMismatch, "\(summary): input \(s) is smaller than the kernel") }
        return [outputChannels, h, w]
    }

    public func forward(_ input: Variable, parameters p: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        conv2d(input, weight: p[p.startIndex], bias: p[p.startIndex + 1], geometry: geometry, groups: groups)
    }

    public func infer(_ input: Tensor) -> Tensor {
        Convolution.forward(input, weight, bias: bias, geometry: geometry, groups: groups)
    }

    /// Inference with the max pooling (`maxPool` windows) and ReLU that follow this layer in a
    /// network fused in: the values of `infer` then pooling then ReLU, without writing the
    /// full-resolution output (``Convolution/fusedForward(_:_:bias:geometry:groups:maxPool:relu:)``).
    public func infer(_ input: Tensor, maxPool: Conv2DGeometry?, relu: Bool) -> Tensor {
        Convolution.fusedForward(input, weight, bias: bias, geometry: geometry, groups: groups, maxPool: maxPool, relu: relu)
    }

    public var summary: String {
        let g = geometry
        var s = "Conv2D(\(inputChannels)→\(outputChannels), \(g.kernelHeight)×\(g.kernelWidth)"
        if g.strideHeight != 1 || g.strideWidth != 1 { s += ", stride \(g.strideHeight)×\(g.strideWidth)" }
        if g.padTop != 0 || g.padLeft != 0 { s += ", pad \(g.padTop)×\(g.padLeft)" }
        if g.dilationHeight != 1 || g.dilationWidth != 1 { s += ", dilation \(g.dilationHeight)×\(g.dilationWidth)" }
        if groups != 1 { s += ", groups \(groups)" }
        return s + ")"
    }
}
