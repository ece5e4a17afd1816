public import BulwarkTensor

/// Median smoothing, the local-smoothing squeezer of Xu et al. (NDSS 2018) and ART's
/// `SpatialSmoothing`: each pixel becomes the median of the `size × size` window around it
/// (per channel, edges replicated; for even sizes the window reaches one pixel further
/// down/right and the lower median is taken).
///
/// Its true gradient routes each output's gradient to the one input pixel that is the median
/// (that is the naive attacker's gradient); BPDA uses the identity.
public struct MedianFilter: InputTransform {
    /// Window side, 2…7.
    public let size: Int
    /// A median filter with a `size × size` window.
    public init(size: Int = 3) {
        precondition((2...7).contains(size), "median window must be 2…7, got \(size)")
        self.size = size
    }
    /// `"median-<size>x<size>"`.
    public var name: String { "median-\(size)x\(size)" }
    /// Identity.
    public var bpda: GradientApproximation { .identity }

    /// The filtered batch.
    public func apply(_ input: Tensor, seed: UInt64) -> Tensor { filter(input).output }

    /// The exact (almost-everywhere) gradient: each output pixel's gradient goes to its median's source pixel.
    public func plainGradient(input: Variable, output: Tensor) -> Variable {
        let source = filter(input.value).source
        let shape = input.shape
        return input.tape.record(output, inputs: [input]) { g in
            var dx = [Float](repeating: 0, count: g.count)
            for (o, s) in source.enumerated() { dx[s] += g.scalars[o] }
            return [Tensor(shape: shape, scalars: dx)]
        }
    }

    /// Filtered values and, per output, the flat index of the input pixel that is its median.
    func filter(_ input: Tensor) -> (output: Tensor, source: [Int]) {
        let p = ImagePlanes(input.shape, transform: name)
        let lo = (size - 1) / 2, hi = size / 2
        var out = [Float](repeating: 0, count: input.count)
        var source = [Int](repeating: 0, count: input.count)
        var window: [(Float, Int)] = []
        window.reserveCapacity(size * size)
        let x = input.scalars
        for plane in 0..<p.planes {
            let base = plane * p.planeSize
            for r in 0..<p.height {
                for c in 0..<p.width {
                    window.removeAll(keepingCapacity: true)
                    for dr in -lo...hi {
                        let rr = Swift.min(Swift.max(r + dr, 0), p.height - 1)
                        for dc in -lo...hi {
                            let cc = Swift.min(Swift.max(c + dc, 0), p.width - 1)
                            let k = base + rr * p.width + cc
                            window.append((x[k], k))
                        }
                    }
                    window.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                    let m = window[(window.count - 1) / 2]
                    out[base + r * p.width + c] = m.0
                    source[base + r * p.width + c] = m.1
                }
            }
        }
        return (Tensor(shape: input.shape, scalars: out), source)
    }
}
