/// Reductions (sum, mean, max, argmax), axis permutation and softmax.
extension Tensor {
    @usableFromInline
    func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < Swift.max(rank, 1), "axis \(axis) out of range for shape \(shape)")
        return a
    }

    /// (outer, mid, inner) extents around `axis`.
    @usableFromInline
    func split(around axis: Int) -> (outer: Int, mid: Int, inner: Int) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    /// Sum over one axis, keeping it with extent 1.
    func sumKeepingAxis(_ axis: Int) -> Tensor {
        let (outer, mid, inner) = split(around: axis)
        var newShape = shape
        newShape[axis] = 1
        return Tensor(shape: newShape, unsafeUninitializedCapacity: { out in
            out.initialize(repeating: 0)
            scalars.withUnsafeBufferPointer { p in
                for o in 0..<outer {
                    let dst = o * inner
                    for m in 0..<mid {
                        let src = (o * mid + m) * inner
                        for i in 0..<inner { out[dst + i] += p[src + i] }
                    }
                }
            }
        })
    }

    /// Sum over `axes` (all axes when `nil`); removes them unless `keepDims`.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = (axes ?? Array(0..<rank)).map(normalizedAxis)
        if rank == 0 { return self }
        var t = self
        for a in Set(ax).sorted() { t = t.sumKeepingAxis(a) }
        if keepDims { return t }
        let kept = shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
        return t.reshaped(kept)
    }

    /// Mean over `axes` (all axes when `nil`).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = (axes ?? Array(0..<rank)).map(normalizedAxis)
        let n = Set(ax).reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Sums `self` down to `target`, the shape it was broadcast from (gradient of broadcasting).
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        precondition(lead >= 0, "cannot reduce \(shape) to \(target)")
        var axes = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        return sum(axes: axes, keepDims: true).reshaped(target)
    }

    /// Maximum along `axis` (removed).
    public func max(axis: Int) -> Tensor {
        let a = normalizedAxis(axis)
        let (outer, mid, inner) = split(around: a)
        var newShape = shape
        newShape.remove(at: a)
        return Tensor(shape: newShape, unsafeUninitializedCapacity: { out in
            scalars.withUnsafeBufferPointer { p in
                for o in 0..<outer {
                    for i in 0..<inner {
                        var m = -Float.infinity
                        for k in 0..<mid { m = Swift.max(m, p[(o * mid + k) * inner + i]) }
                        out[o * inner + i] = m
                    }
                }
            }
        })
    }

    /// Index of the maximum along the last axis of a rank-2 tensor, one per row.
    public func argmaxRows() -> [Int] {
        precondition(rank == 2, "argmaxRows needs a rank-2 tensor, got \(shape)")
        let (n, c) = (shape[0], shape[1])
        return scalars.withUnsafeBufferPointer { p in
            (0..<n).map { r in
                var best = 0
                for k in 1..<Swift.max(c, 1) where p[r * c + k] > p[r * c + best] { best = k }
                return best
            }
        }
    }

    /// The axes permuted: result axis `i` is input axis `permutation[i]`.
    public func transposed(_ permutation: [Int]) -> Tensor {
        precondition(permutation.sorted() == Array(0..<rank), "bad permutation \(permutation) for rank \(rank)")
        let outShape = permutation.map { shape[$0] }
        if rank == 2 && permutation == [1, 0] {
            let (r, c) = (shape[0], shape[1])
            return Tensor(shape: outShape, unsafeUninitializedCapacity: { out in
                scalars.withUnsafeBufferPointer { p in
                    // blocked transpose for cache friendliness
                    let b = 32
                    for i0 in stride(from: 0, to: r, by: b) {
                        for j0 in stride(from: 0, to: c, by: b) {
                            for i in i0..<Swift.min(i0 + b, r) {
                                for j in j0..<Swift.min(j0 + b, c) { out[j * r + i] = p[i * c + j] }
                            }
                        }
                    }
                }
            })
        }
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let srcStrides = permutation.map { inStrides[$0] }
        return Tensor(shape: outShape, unsafeUninitializedCapacity: { out in
            if out.isEmpty { return }
            scalars.withUnsafeBufferPointer { p in
                var index = [Int](repeating: 0, count: rank)
                var src = 0
                for o in 0..<out.count {
                    out[o] = p[src]
                    var d = rank - 1
                    while d >= 0 {
                        index[d] += 1
                        src += srcStrides[d]
                        if index[d] < outShape[d] { break }
                        src -= srcStrides[d] * index[d]
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        })
    }
}
