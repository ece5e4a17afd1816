public import BulwarkTensor
import Foundation

/// Gaussian spatial smoothing: each pixel becomes the Gaussian-weighted mean (standard
/// deviation `sigma` pixels, window radius `⌈2σ⌉`, edges replicated) of its neighbourhood, per
/// channel.
///
/// A linear map, so its gradient is exact and useful (``GradientApproximation/exact``): this is
/// the control case of the preprocessing defences — plain and BPDA gradients coincide, and a
/// checklist should find nothing masked.
public struct SpatialSmoothing: InputTransform {
    /// Standard deviation of the kernel, in pixels (> 0).
    public let sigma: Float
    /// Gaussian smoothing with `sigma` pixels.
    public init(sigma: Float = 1) {
        precondition(sigma > 0 && sigma.isFinite, "smoothing sigma must be positive")
        self.sigma = sigma
    }
    /// `"gaussian-smoothing-<σ>"`.
    public var name: String { "gaussian-smoothing-\(sigma)" }
    /// Exact: the transform is linear.
    public var bpda: GradientApproximation { .exact }

    var kernel: [Float] {
        let radius = Int((2 * sigma).rounded(.up))
        let w = (-radius...radius).map { Float(exp(-Double($0 * $0) / (2 * Double(sigma * sigma)))) }
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }

    /// Separable blur along rows then columns; `transpose` applies the adjoint (for gradients).
    func blur(_ x: [Float], shape: [Int], transpose: Bool) -> [Float] {
        let p = ImagePlanes(shape, transform: name)
        let k = kernel, radius = k.count / 2
        var tmp = [Float](repeating: 0, count: x.count)
        var out = [Float](repeating: 0, count: x.count)
        // pass 1 along width, pass 2 along height; the adjoint scatters instead of gathering.
        for plane in 0..<p.planes {
            let b = plane * p.planeSize
            for r in 0..<p.height {
                for c in 0..<p.width {
                    for (t, w) in k.enumerated() {
                        let cc = Swift.min(Swift.max(c + t - radius, 0), p.width - 1)
                        if transpose { tmp[b + r * p.width + cc] += w * x[b + r * p.width + c] }
                        else { tmp[b + r * p.width + c] += w * x[b + r * p.width + cc] }
                    }
                }
            }
            for r in 0..<p.height {
                for c in 0..<p.width {
                    for (t, w) in k.enumerated() {
                        let rr = Swift.min(Swift.max(r + t - radius, 0), p.height - 1)
                        if transpose { out[b + rr * p.width + c] += w * tmp[b + r * p.width + c] }
                        else { out[b + r * p.width + c] += w * tmp[b + rr * p.width + c] }
                    }
                }
            }
        }
        return out
    }

    /// The smoothed batch.
    public func apply(_ input: Tensor, seed: UInt64) -> Tensor {
        Tensor(shape: input.shape, scalars: blur(input.scalars, shape: input.shape, transpose: false))
    }

    /// The exact gradient (the adjoint blur).
    public func plainGradient(input: Variable, output: Tensor) -> Variable {
        let shape = input.shape
        return input.tape.record(output, inputs: [input]) { g in
            [Tensor(shape: shape, scalars: self.blur(g.scalars, shape: shape, transpose: true))]
        }
    }
}
