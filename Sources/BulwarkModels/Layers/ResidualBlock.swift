public import BulwarkTensor

/// A basic residual block (He et al. 2016): `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`.
///
/// Both convolutions are 3×3 with padding 1 and no bias (batch normalisation follows each);
/// the first has the block's stride. The shortcut is the identity when the block keeps the
/// shape, otherwise a 1×1 convolution with the stride (no bias) followed by batch
/// normalisation. Tensors are named as PyTorch names those of the usual
/// `BasicBlock(nn.Module)` with attributes `conv1`, `bn1`, `conv2`, `bn2` and
/// `shortcut = nn.Sequential(Conv2d, BatchNorm2d)`: `conv1.weight`, `bn1.running_mean`,
/// `shortcut.0.weight`, `shortcut.1.bias`, …
public struct ResidualBlock: Layer {
    /// The channels in and out, and the stride of the first convolution and of the shortcut.
    public let inputChannels: Int, outputChannels: Int, stride: Int
    /// The kernels of the two 3×3 convolutions: out × in × 3 × 3 and out × out × 3 × 3.
    public var conv1: Tensor, conv2: Tensor
    /// The batch normalisations after each convolution.
    public var bn1: BatchNorm, bn2: BatchNorm
    /// The 1×1 convolution kernel (out × in × 1 × 1) and batch normalisation of the projection
    /// shortcut; `nil` for the identity shortcut.
    public var projection: (kernel: Tensor, bn: BatchNorm)?

    /// A block initialised as PyTorch initialises its modules (Kaiming-uniform kernels, batch
    /// normalisation with scale 1, offset 0). The shortcut is a projection when
    /// `stride ≠ 1` or the channel counts differ.
    public init(_ inputChannels: Int, _ outputChannels: Int, stride: Int = 1, rng: inout SeededGenerator) {
        precondition(inputChannels > 0 && outputChannels > 0 && stride > 0, "channels and stride must be positive")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.stride = stride
        conv1 = kaimingUniform([outputChannels, inputChannels, 3, 3], fanIn: inputChannels * 9, using: &rng)
        bn1 = BatchNorm(channels: outputChannels)
        conv2 = kaimingUniform([outputChannels, outputChannels, 3, 3], fanIn: outputChannels * 9, using: &rng)
        bn2 = BatchNorm(channels: outputChannels)
        if stride != 1 || inputChannels != outputChannels {
            projection = (kaimingUniform([outputChannels, inputChannels, 1, 1], fanIn: inputChannels, using: &rng),
                          BatchNorm(channels: outputChannels))
        }
    }

    var geometry1: Conv2DGeometry { Conv2DGeometry(kernel: (3, 3), stride: (stride, stride), padding: (1, 1)) }
    var geometry2: Conv2DGeometry { Conv2DGeometry(kernel: (3, 3), stride: (1, 1), padding: (1, 1)) }
    var shortcutGeometry: Conv2DGeometry { Conv2DGeometry(kernel: (1, 1), stride: (stride, stride)) }

    public var parameterNames: [String] {
        ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"]
            + (projection == nil ? [] : ["shortcut.0.weight", "shortcut.1.weight", "shortcut.1.bias"])
    }

    public var parameters: [Tensor] {
        get {
            [conv1] + bn1.parameters + [conv2] + bn2.parameters + (projection.map { [$0.kernel] + $0.bn.parameters } ?? [])
        }
        set {
            precondition(newValue.count == parameterNames.count, "\(summary) has \(parameterNames.count) parameters")
            conv1 = newValue[0]
            bn1.parameters = Array(newValue[1...2])
            conv2 = newValue[3]
            bn2.parameters = Array(newValue[4...5])
            if projection != nil {
                projection?.kernel = newValue[6]
                projection?.bn.parameters = Array(newValue[7...8])
            }
        }
    }

    public var bufferNames: [String] {
        ["bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var"]
            + (projection == nil ? [] : ["shortcut.1.running_mean", "shortcut.1.running_var"])
    }

    public var buffers: [Tensor] {
        get { bn1.buffers + bn2.buffers + (projection?.bn.buffers ?? []) }
        set {
            precondition(newValue.count == bufferNames.count, "\(summary) has \(bufferNames.count) buffers")
            bn1.buffers = Array(newValue[0...1])
            bn2.buffers = Array(newValue[2...3])
            if projection != nil { projection?.bn.buffers = Array(newValue[4...5]) }
        }
    }

    /// True: the block's batch normalisations use batch statistics in training.
    public var mixesExamplesInTraining: Bool { true }

    public func outputShape(for s: [Int]) throws(ModelError) -> [Int] {
        guard s.count == 3, s[0] == inputChannels else {
            throw ModelError(.shapeMismatch, "\(summary) expects C×H×W inputs with C = \(inputChannels), got \(s)")
        }
        guard s[1] > 0, s[2] > 0 else { throw ModelError(.shapeMismatch, "\(summary): empty input \(s)") }
        let (h, w) = geometry1.outputSize(height: s[1], width: s[2])
        return [outputChannels, h, w]
    }

    public func forward(_ input: Variable, parameters p: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        let q = Array(p)
        var updated = buffers
        // Runs one batch normalisation and records the running statistics it reports at
        // `slot` of `updated` (training mode only).
        func normalise(_ x: Variable, _ bn: BatchNorm, _ params: ArraySlice<Variable>, slot: Int) -> Variable {
            context.updatedBuffers = nil
            let y = bn.forward(x, parameters: params, context: &context)
            if let b = context.updatedBuffers { updated[slot] = b[0]; updated[slot + 1] = b[1] }
            return y
        }
        var h = conv2d(input, weight: q[0], bias: nil, geometry: geometry1)
        h = normalise(h, bn1, q[1...2], slot: 0).relu()
        h = conv2d(h, weight: q[3], bias: nil, geometry: geometry2)
        h = normalise(h, bn2, q[4...5], slot: 2)
        var shortcut = input
        if let projection {
            shortcut = conv2d(input, weight: q[6], bias: nil, geometry: shortcutGeometry)
            shortcut = normalise(shortcut, projection.bn, q[7...8], slot: 4)
        }
        context.updatedBuffers = context.training ? updated : nil
        return (h + shortcut).relu()
    }

    public var summary: String {
        "ResidualBlock(\(inputChannels)→\(outputChannels)\(stride == 1 ? "" : ", stride \(stride)"))"
    }
}
