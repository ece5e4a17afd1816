import BulwarkTensor

/// Row-major strides of `shape`.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= shape[i]
    }
    return strides
}

/// For every element of a tensor of `outShape`, the flat index of the source element in a tensor
/// of `inShape`, or -1 where the output takes a fill value. `map(axis, outIndex)` gives the source
/// coordinate along `axis`, or nil for "fill".
func gatherIndexTable(outShape: [Int], inShape: [Int], map: (Int, Int) -> Int?) -> [Int] {
    let count = Tensor.elementCount(outShape)
    let inStrides = rowMajorStrides(inShape)
    // Precompute the per-axis contribution of each output coordinate.
    let perAxis: [[Int]] = outShape.indices.map { axis in
        (0..<outShape[axis]).map { o in map(axis, o).map { $0 * inStrides[axis] } ?? Int.min / 4 }
    }
    var table = [Int](repeating: 0, count: count)
    var coord = [Int](repeating: 0, count: outShape.count)
    for flat in 0..<count {
        var src = 0, inside = true
        for axis in 0..<outShape.count {
            let v = perAxis[axis][coord[axis]]
            if v < 0 { inside = false } else { src += v }  // (summing the markers could overflow at rank ≥ 5)
        }
        table[flat] = inside ? src : -1
        var axis = outShape.count - 1
        while axis >= 0 {
            coord[axis] += 1
            if coord[axis] < outShape[axis] { break }
            coord[axis] = 0
            axis -= 1
        }
    }
    return table
}

/// Records `y[i] = x[table[i]]` (or `fill` where the table is -1); the pullback scatter-adds.
func recordIndexed(_ x: Variable, outShape: [Int], table: [Int], fill: Float = 0) -> Variable {
    let src = x.value.scalars
    let y = Tensor(shape: outShape, scalars: table.map { $0 < 0 ? fill : src[$0] })
    let inShape = x.shape
    return x.tape.record(y, inputs: [x]) { (g: Tensor) -> [Tensor?] in
        var dx = [Float](repeating: 0, count: Tensor.elementCount(inShape))
        g.scalars.withUnsafeBufferPointer { pg in
            for (i, s) in table.enumerated() where s >= 0 { dx[s] += pg[i] }
        }
        return [Tensor(shape: inShape, scalars: dx)]
    }
}

/// Concatenation of float variables along `axis` (all other dimensions equal).
func concatenate(_ parts: [Variable], axis: Int) -> Variable {
    let first = parts[0]
    var outShape = first.shape
    outShape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
    let outer = first.shape[..<axis].reduce(1, *)
    let inner = first.shape[(axis + 1)...].reduce(1, *)
    var out = [Float](repeating: 0, count: Tensor.elementCount(outShape))
    let widths = parts.map { $0.shape[axis] * inner }
    let rowWidth = widths.reduce(0, +)
    var offset = 0
    for (p, w) in zip(parts, widths) {
        let s = p.value.scalars
        for o in 0..<outer {
            for j in 0..<w { out[o * rowWidth + offset + j] = s[o * w + j] }
        }
        offset += w
    }
    let shapes = parts.map(\.shape)
    return first.tape.record(Tensor(shape: outShape, scalars: out), inputs: parts) { (g: Tensor) -> [Tensor?] in
        var grads: [Tensor?] = []
        var off = 0
        for (shape, w) in zip(shapes, widths) {
            var d = [Float](repeating: 0, count: outer * w)
            for o in 0..<outer { for j in 0..<w { d[o * w + j] = g.scalars[o * rowWidth + off + j] } }
            grads.append(Tensor(shape: shape, scalars: d))
            off += w
        }
        return grads
    }
}
