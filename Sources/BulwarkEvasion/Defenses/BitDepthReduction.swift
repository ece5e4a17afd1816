public import BulwarkTensor

/// Feature squeezing by colour-depth reduction (Xu, Evans & Qi, "Feature Squeezing: Detecting
/// Adversarial Examples in Deep Neural Networks", NDSS 2018): each component in [0, 1] is
/// rounded to the nearest of `2^bits` evenly spaced levels, `round(x · (2^b − 1)) / (2^b − 1)`.
///
/// Piecewise constant, so its true gradient is zero almost everywhere: a naive gradient attack
/// sees no signal at all (gradient masking). BPDA replaces it by the identity.
public struct BitDepthReduction: InputTransform {
    /// Bits kept per component, 1…16.
    public let bits: Int
    /// A reduction to `bits` bits (1 = binarisation at 0.5).
    public init(bits: Int) {
        precondition((1...16).contains(bits), "bit depth must be 1…16, got \(bits)")
        self.bits = bits
    }
    /// `"bit-depth-<bits>"`.
    public var name: String { "bit-depth-\(bits)" }
    /// Identity (the squeezed image is the input up to half a level).
    public var bpda: GradientApproximation { .identity }

    /// Rounds every component (clamped to [0, 1]) to the nearest level.
    public func apply(_ input: Tensor, seed: UInt64) -> Tensor {
        let levels = Float((1 << bits) - 1)
        // A plain loop over the storage (a per-element closure cost more than the rounding).
        // Rounding by adding and subtracting 1.5 · 2²³: a scaled value lies in [0, 65535], so the
        // sum lies in [2²³, 2²⁴), where a float's spacing is 1 and the addition itself rounds to
        // the nearest integer, ties to even — exactly `rounded(.toNearestOrEven)`, but as two
        // vector additions instead of a call to rintf per component. NaN stays NaN.
        let shift: Float = 12_582_912   // 1.5 · 2²³
        let scalars = input.scalars
        return Tensor(shape: input.shape, scalars: [Float](unsafeUninitializedCapacity: scalars.count) { out, initialized in
            scalars.withUnsafeBufferPointer { x in
                for i in 0..<x.count { out[i] = ((Swift.min(Swift.max(x[i], 0), 1) * levels + shift) - shift) / levels }
            }
            initialized = scalars.count
        })
    }

    /// Zero: the derivative of rounding.
    public func plainGradient(input: Variable, output: Tensor) -> Variable { zeroGradient(input: input, output: output) }
}
