import CBulwarkKernels
import Foundation

/// Element-wise non-linearities and softmax on plain tensors.
extension Tensor {
    /// max(x, 0).
    ///
    /// Vectorised and split across workers: on a conv net's first feature maps this pass
    /// moves as many bytes as the convolution that produced them.
    public func relu() -> Tensor {
        Tensor(shape: shape, unsafeUninitializedCapacity: { out in
            scalars.withUnsafeBufferPointer { p in
                let (src, dst) = (UncheckedBox(p.baseAddress!), SharedPointer(out.baseAddress!))
                parallelChunks(p.count) { range in
                    let zero = SIMD16<Float>(repeating: 0)
                    let raw = UnsafeRawPointer(src.value), rawOut = UnsafeMutableRawPointer(dst.base)
                    var i = range.lowerBound
                    while i + 16 <= range.upperBound {
                        let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                        rawOut.storeBytes(of: v.replacing(with: zero, where: .!(v .> zero)), toByteOffset: i &* 4, as: SIMD16<Float>.self)
                        i &+= 16
                    }
                    while i < range.upperBound { let v = src.value[i]; dst.base[i] = v > 0 ? v : 0; i &+= 1 }
                }
            }
        })
    }

    /// The ReLU backward pass: `gradient` where `output` > 0, else 0 (shapes must match).
    public static func reluGradient(_ gradient: Tensor, output: Tensor) -> Tensor {
        precondition(gradient.shape == output.shape, "reluGradient: \(gradient.shape) vs \(output.shape)")
        return Tensor(shape: gradient.shape, unsafeUninitializedCapacity: { out in
            gradient.scalars.withUnsafeBufferPointer { pg in
                output.scalars.withUnsafeBufferPointer { py in
                    let (g, y, dst) = (UncheckedBox(pg.baseAddress!), UncheckedBox(py.baseAddress!), SharedPointer(out.baseAddress!))
                    parallelChunks(pg.count) { range in
                        let zero = SIMD16<Float>(repeating: 0)
                        let rg = UnsafeRawPointer(g.value), ry = UnsafeRawPointer(y.value), rawOut = UnsafeMutableRawPointer(dst.base)
                        var i = range.lowerBound
                        while i + 16 <= range.upperBound {
                            let gv = rg.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                            let yv = ry.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                            rawOut.storeBytes(of: gv.replacing(with: zero, where: .!(yv .> zero)), toByteOffset: i &* 4, as: SIMD16<Float>.self)
                            i &+= 16
                        }
                        while i < range.upperBound { dst.base[i] = y.value[i] > 0 ? g.value[i] : 0; i &+= 1 }
                    }
                }
            }
        })
    }
    /// x for x > 0, αx otherwise.
    public func leakyRelu(alpha: Float = 0.01) -> Tensor { map { $0 > 0 ? $0 : alpha * $0 } }
    /// x for x > 0, α(eˣ − 1) otherwise.
    public func elu(alpha: Float = 1) -> Tensor { map { $0 > 0 ? $0 : alpha * (Foundation.exp($0) - 1) } }
    /// 1 / (1 + e⁻ˣ), computed without overflow for large |x|.
    public func sigmoid() -> Tensor {
        map { $0 >= 0 ? 1 / (1 + Foundation.exp(-$0)) : Foundation.exp($0) / (1 + Foundation.exp($0)) }
    }
    /// Hyperbolic tangent, eight lanes at a time in C (within a few float ulps of the correctly
    /// rounded value; libm's scalar `tanhf` was a quarter of a small tanh mlp's inference).
    public func tanh() -> Tensor {
        Tensor(shape: shape, unsafeUninitializedCapacity: { out in
            scalars.withUnsafeBufferPointer { x in
                if let source = x.baseAddress, let target = out.baseAddress { bulwark_tanh(source, x.count, target) }
            }
        })
    }
    /// eˣ.
    public func exp() -> Tensor { map { Foundation.exp($0) } }
    /// Natural logarithm.
    public func log() -> Tensor { map { Foundation.log($0) } }
    /// The error function.
    public func erf() -> Tensor { map { Foundation.erf($0) } }
    /// xᵖ.
    public func pow(_ p: Float) -> Tensor {
        if p == 2 { return map { $0 * $0 } }
        return map { Foundation.pow($0, p) }
    }

    /// Softmax along `axis` (numerically stable: the maximum is subtracted first).
    public func softmax(axis: Int = -1) -> Tensor { softmaxCore(axis: axis, log: false) }
    /// log(softmax) along `axis`, computed stably.
    public func logSoftmax(axis: Int = -1) -> Tensor { softmaxCore(axis: axis, log: true) }

    func softmaxCore(axis: Int, log: Bool) -> Tensor {
        let a = normalizedAxis(axis)
        let (outer, mid, inner) = split(around: a)
        return Tensor(shape: shape, unsafeUninitializedCapacity: { out in
            scalars.withUnsafeBufferPointer { p in
                for o in 0..<outer {
                    for i in 0..<inner {
                        let base = o * mid * inner + i
                        var m = -Float.infinity
                        for k in 0..<mid { m = Swift.max(m, p[base + k * inner]) }
                        var s: Float = 0
                        for k in 0..<mid {
                            let e = Foundation.exp(p[base + k * inner] - m)
                            out[base + k * inner] = e
                            s += e
                        }
                        if log {
                            let ls = Foundation.log(s) + m
                            for k in 0..<mid { out[base + k * inner] = p[base + k * inner] - ls }
                        } else {
                            let inv = 1 / s
                            for k in 0..<mid { out[base + k * inner] *= inv }
                        }
                    }
                }
            }
        })
    }
}
