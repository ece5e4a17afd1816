public import BulwarkTensor
public import BulwarkModels

/// A concrete ``DifferentiableClassifier`` around an existential one, so generic wrappers such
/// as ``PreprocessedClassifier`` can hold a model loaded at run time (a safetensors or ONNX file).
public struct ErasedClassifier: DifferentiableClassifier {
    /// The wrapped model.
    public let base: any DifferentiableClassifier
    /// Wraps `base`.
    public init(_ base: any DifferentiableClassifier) { self.base = base }
    /// The wrapped model's input shape.
    public var inputShape: [Int] { base.inputShape }
    /// The wrapped model's class count.
    public var classCount: Int { base.classCount }
    /// The wrapped model's logits.
    public func logits(_ input: Tensor) -> Tensor { base.logits(input) }
    /// The wrapped model's differentiable logits.
    public func logits(_ input: Variable) -> Variable { base.logits(input) }
}
