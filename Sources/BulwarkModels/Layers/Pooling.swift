public import BulwarkTensor

/// Max pooling over the spatial axes (PyTorch's `nn.MaxPool2d`; stride defaults to the kernel).
public struct MaxPool2D: Layer {
    /// Window size, stride and padding (padding counts as −∞).
    public let geometry: Conv2DGeometry

    /// A max-pooling layer over `kernel` windows; `stride` defaults to `kernel`.
    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) {
        geometry = Conv2DGeometry(kernel: kernel, stride: stride ?? kernel, padding: padding)
    }

    public func outputShape(for s: [Int]) throws(ModelError) -> [Int] { try pooledShape(s, geometry, summary) }

    public func forward(_ input: Variable, parameters: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        maxPool2d(input, geometry: geometry)
    }

    public func infer(_ input: Tensor) -> Tensor { Pooling.maxValues(input, geometry: geometry) }

    public var summary: String { "MaxPool2D(\(geometry.kernelHeight)×\(geometry.kernelWidth))" }
}

/// Average pooling over the spatial axes (PyTorch's `nn.AvgPool2d`).
public struct AvgPool2D: Layer {
    /// Window size, stride and padding (padding counts as 0).
    public let geometry: Conv2DGeometry
    /// Whether padded positions count in a window's divisor (PyTorch's `count_include_pad`).
    public let countIncludePad: Bool

    /// An average-pooling layer over `kernel` windows; `stride` defaults to `kernel`.
    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), countIncludePad: Bool = true) {
        geometry = Conv2DGeometry(kernel: kernel, stride: stride ?? kernel, padding: padding)
        self.countIncludePad = countIncludePad
    }

    public func outputShape(for s: [Int]) throws(ModelError) -> [Int] { try pooledShape(s, geometry, summary) }

    public func forward(_ input: Variable, parameters: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        avgPool2d(input, geometry: geometry, countIncludePad: countIncludePad)
    }

    public var summary: String { "AvgPool2D(\(geometry.kernelHeight)×\(geometry.kernelWidth))" }
}

/// Mean over the spatial axes: C×H×W → C×1×1.
public struct GlobalAvgPool: Layer {
    /// A global average-pooling layer; it has no parameters.
    public init() {}

    public func outputShape(for s: [Int]) throws(ModelError) -> [Int] {
        guard s.count == 3 else { throw ModelError(.shapeMismatch, "GlobalAvgPool expects C×H×W, got \(s)") }
        return [s[0], 1, 1]
    }

    public func forward(_ input: Variable, parameters: ArraySlice<Variable>, context: inout ForwardContext) -> Variable {
        globalAvgPool2d(input)
    }

    public var summary: String { "GlobalAvgPool" }
}

func pooledShape(_ s: [Int], _ g: Conv2DGeometry, _ name: String) throws(ModelError) -> [Int] {
    guard s.count == 3 else { throw ModelError(.shapeMismatch, "\(name) expects C×H×W, got \(s)") }
    let (h, w) = g.outputSize(height: s[1], width: s[2])
    guard h > 0, w > 0 else { throw ModelError(.shapeMismatch, "\(name): input \(s) is smaller than the window") }
    return [s[0], h, w]
}
