/// Element-wise arithmetic with NumPy broadcasting, and unary maps.
extension Tensor {
    /// The broadcast shape of `a` and `b` (NumPy rules), or `nil` when they are incompatible.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let r = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Strides of `shape` (row-major), expanded to `rank` leading axes, with 0 on broadcast axes of `outShape`.
    @usableFromInline
    static func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
        let r = outShape.count
        var strides = [Int](repeating: 0, count: r)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let o = i + (r - shape.count)
            strides[o] = shape[i] == 1 && outShape[o] != 1 ? 0 : s
            s *= shape[i]
        }
        return strides
    }

    /// Applies `op` element-wise with broadcasting.
    @inlinable @inline(__always)
    public static func zipWith(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        if a.shape == b.shape {
            return Tensor(shape: a.shape, unsafeUninitializedCapacity: { out in
                a.scalars.withUnsafeBufferPointer { pa in
                    b.scalars.withUnsafeBufferPointer { pb in
                        for i in 0..<out.count { out[i] = op(pa[i], pb[i]) }
                    }
                }
            })
        }
        guard let outShape = broadcastShape(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        if b.count == 1 && outShape == a.shape {
            let s = b.scalars[0]
            return Tensor(shape: outShape, unsafeUninitializedCapacity: { out in
                a.scalars.withUnsafeBufferPointer { pa in for i in 0..<out.count { out[i] = op(pa[i], s) } }
            })
        }
        if a.count == 1 && outShape == b.shape {
            let s = a.scalars[0]
            return Tensor(shape: outShape, unsafeUninitializedCapacity: { out in
                b.scalars.withUnsafeBufferPointer { pb in for i in 0..<out.count { out[i] = op(s, pb[i]) } }
            })
        }
        let sa = broadcastStrides(a.shape, to: outShape), sb = broadcastStrides(b.shape, to: outShape)
        let r = outShape.count
        let inner = outShape[r - 1], ia = sa[r - 1], ib = sb[r - 1]
        let outer = elementCount(outShape) / Swift.max(inner, 1)
        return Tensor(shape: outShape, unsafeUninitializedCapacity: { out in
            if out.isEmpty { return }
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    var index = [Int](repeating: 0, count: r)
                    var offA = 0, offB = 0, o = 0
                    for _ in 0..<outer {
                        var xa = offA, xb = offB
                        for _ in 0..<inner {
                            out[o] = op(pa[xa], pb[xb])
                            o += 1; xa += ia; xb += ib
                        }
                        // advance the odometer over the outer axes
                        var d = r - 2
                        while d >= 0 {
                            index[d] += 1
                            offA += sa[d]; offB += sb[d]
                            if index[d] < outShape[d] { break }
                            offA -= sa[d] * index[d]; offB -= sb[d] * index[d]
                            index[d] = 0
                            d -= 1
                        }
                    }
                }
            }
        })
    }

    /// Applies `op` to every element.
    @inlinable @inline(__always)
    public func map(_ op: (Float) -> Float) -> Tensor {
        Tensor(shape: shape, unsafeUninitializedCapacity: { out in
            scalars.withUnsafeBufferPointer { p in for i in 0..<out.count { out[i] = op(p[i]) } }
        })
    }

    /// Element-wise sum, broadcasting NumPy-style (traps when the shapes do not broadcast).
    public static func + (a: Tensor, b: Tensor) -> Tensor { zipWith(a, b, +) }
    /// Element-wise difference, broadcasting NumPy-style (traps when the shapes do not broadcast).
    public static func - (a: Tensor, b: Tensor) -> Tensor { zipWith(a, b, -) }
    /// Element-wise product, broadcasting NumPy-style (traps when the shapes do not broadcast).
    public static func * (a: Tensor, b: Tensor) -> Tensor { zipWith(a, b, *) }
    /// Element-wise quotient, broadcasting NumPy-style (traps when the shapes do not broadcast).
    public static func / (a: Tensor, b: Tensor) -> Tensor { zipWith(a, b, /) }
    /// Adds the scalar `b` to every element.
    public static func + (a: Tensor, b: Float) -> Tensor { a.map { $0 + b } }
    /// Subtracts the scalar `b` from every element.
    public static func - (a: Tensor, b: Float) -> Tensor { a.map { $0 - b } }
    /// Multiplies every element by the scalar `b`.
    public static func * (a: Tensor, b: Float) -> Tensor { a.map { $0 * b } }
    /// Divides every element by the scalar `b`.
    public static func / (a: Tensor, b: Float) -> Tensor { a.map { $0 / b } }
    /// Adds every element of `b` to the scalar `a`.
    public static func + (a: Float, b: Tensor) -> Tensor { b.map { a + $0 } }
    /// Subtracts every element of `b` from the scalar `a`.
    public static func - (a: Float, b: Tensor) -> Tensor { b.map { a - $0 } }
    /// Multiplies the scalar `a` by every element of `b`.
    public static func * (a: Float, b: Tensor) -> Tensor { b.map { a * $0 } }
    /// Negates every element.
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    /// Adds `other` (same shape) into `self` in place.
    public mutating func addInPlace(_ other: Tensor) {
        precondition(shape == other.shape, "addInPlace: \(shape) vs \(other.shape)")
        other.scalars.withUnsafeBufferPointer { po in
            scalars.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] += po[i] } }
        }
    }

    /// Clamps every element into `[low, high]`.
    public func clipped(min low: Float, max high: Float) -> Tensor { map { Swift.min(Swift.max($0, low), high) } }
    /// Element-wise sign (−1, 0 or 1).
    public func sign() -> Tensor { map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }
    /// Element-wise absolute value.
    public func abs() -> Tensor { map { Swift.abs($0) } }
    /// Element-wise square root.
    public func squareRoot() -> Tensor { map { $0.squareRoot() } }
    /// Element-wise maximum of two broadcastable tensors.
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { zipWith(a, b) { Swift.max($0, $1) } }
    /// Element-wise minimum of two broadcastable tensors.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { zipWith(a, b) { Swift.min($0, $1) } }

    /// True when every element differs from `other`'s by at most `absoluteTolerance + relativeTolerance·|other|`.
    public func isApproximatelyEqual(to other: Tensor, absoluteTolerance: Float = 1e-5,
                                     relativeTolerance: Float = 1e-5) -> Bool {
        guard shape == other.shape else { return false }
        for (x, y) in zip(scalars, other.scalars) where !(Swift.abs(x - y) <= absoluteTolerance + relativeTolerance * Swift.abs(y)) {
            return false
        }
        return true
    }
}
