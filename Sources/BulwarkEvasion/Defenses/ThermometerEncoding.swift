public import BulwarkTensor

/// Thermometer encoding (Buckman, Roy, Raffel & Goodfellow, "Thermometer Encoding: One Hot Way
/// To Resist Adversarial Examples", ICLR 2018): each component `x ∈ [0, 1]` of channel `c`
/// becomes `levels` binary channels, `τ(x)_k = 1[x ≥ k / levels]` for `k = 1…levels`, so an input
/// `C × H × W` becomes `C·levels × H × W` (channel `c · levels + k − 1`). The classifier behind
/// it must be trained on encoded inputs.
///
/// The encoding is a step function (zero gradient for the naive attacker). BPDA uses Athalye et
/// al.'s soft thermometer `τ̂(x)_k = clamp(levels · x − k + 1, 0, 1)`, a ramp that rises exactly
/// over the interval where `τ_k` steps.
public struct ThermometerEncoding: InputTransform {
    /// Number of levels (binary channels per input channel), 2…256.
    public let levels: Int
    /// A thermometer code with `levels` levels.
    public init(levels: Int = 16) {
        precondition((2...256).contains(levels), "thermometer levels must be 2…256, got \(levels)")
        self.levels = levels
    }
    /// `"thermometer-<levels>"`.
    public var name: String { "thermometer-\(levels)" }
    /// The soft thermometer surrogate.
    public var bpda: GradientApproximation { .surrogate }

    /// `[C·levels] + spatial` for an input `[C] + spatial`.
    public func outputShape(for inputShape: [Int]) -> [Int] {
        guard let c = inputShape.first else { return [levels] }
        return [c * levels] + inputShape.dropFirst()
    }

    /// Encodes with `value(x, k)` for each level (hard or soft).
    func encode(_ input: Tensor, _ value: (Float, Int) -> Float) -> Tensor {
        let n = input.shape[0]
        let c = input.rank > 1 ? input.shape[1] : 1
        let spatial = input.count / Swift.max(n * c, 1)
        let outShape = [n] + outputShape(for: Array(input.shape.dropFirst()))
        var out = [Float](repeating: 0, count: input.count * levels)
        let x = input.scalars
        for i in 0..<n {
            for ch in 0..<c {
                let src = (i * c + ch) * spatial
                for k in 1...levels {
                    let dst = ((i * c + ch) * levels + k - 1) * spatial
                    for s in 0..<spatial { out[dst + s] = value(x[src + s], k) }
                }
            }
        }
        return Tensor(shape: outShape, scalars: out)
    }

    /// The hard code.
    public func apply(_ input: Tensor, seed: UInt64) -> Tensor {
        let l = Float(levels)
        return encode(input) { x, k in x * l >= Float(k) ? 1 : 0 }
    }

    /// Zero: the derivative of a step.
    public func plainGradient(input: Variable, output: Tensor) -> Variable { zeroGradient(input: input, output: output) }

    /// The soft thermometer, differentiable (slope `levels` on each ramp).
    public func surrogate(_ input: Variable) -> Variable {
        let l = Float(levels)
        let soft = encode(input.value) { x, k in Swift.min(Swift.max(l * x - Float(k) + 1, 0), 1) }
        let shape = input.shape, levels = self.levels
        let x = input.value
        return input.tape.record(soft, inputs: [input]) { g in
            let n = shape[0]
            let c = shape.count > 1 ? shape[1] : 1
            let spatial = x.count / Swift.max(n * c, 1)
            var dx = [Float](repeating: 0, count: x.count)
            for i in 0..<n {
                for ch in 0..<c {
                    let src = (i * c + ch) * spatial
                    for k in 1...levels {
                        let dst = ((i * c + ch) * levels + k - 1) * spatial
                        for s in 0..<spatial {
                            let t = l * x.scalars[src + s] - Float(k) + 1
                            if t > 0 && t < 1 { dx[src + s] += l * g.scalars[dst + s] }
                        }
                    }
                }
            }
            return [Tensor(shape: shape, scalars: dx)]
        }
    }
}
