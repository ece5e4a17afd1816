import BulwarkTensor

/// ONNX MatMul on operands of rank ≥ 2 whose leading (batch) axes broadcast numpy-style:
/// `a`: A… × M × K, `b`: B… × K × N → broadcast(A…, B…) × M × N. The caller checks the shapes
/// (inner sizes equal, batch axes broadcastable, result size bounded).
/// Pullback per batch entry: dA += dY · Bᵀ, dB += Aᵀ · dY (summed over broadcast copies).
func batchedMatmul(_ a: Variable, _ b: Variable, batchShape: [Int]) -> Variable {
    let (ra, rb) = (a.shape.count, b.shape.count)
    let (m, k, n) = (a.shape[ra - 2], a.shape[ra - 1], b.shape[rb - 1])
    let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
    let count = batchShape.reduce(1, *)
    // For each output batch entry, the batch entry of a and of b it reads (size-1 axes repeat).
    func sources(_ operand: [Int]) -> [Int] {
        let offset = batchShape.count - operand.count
        let strides = rowMajorStrides(operand)
        var out = [Int](repeating: 0, count: count)
        var coord = [Int](repeating: 0, count: batchShape.count)
        for t in 0..<count {
            var s = 0
            for (i, d) in operand.enumerated() where d != 1 { s += coord[i + offset] * strides[i] }
            out[t] = s
            var axis = batchShape.count - 1
            while axis >= 0 {
                coord[axis] += 1
                if coord[axis] < batchShape[axis] { break }
                coord[axis] = 0
                axis -= 1
            }
        }
        return out
    }
    let ia = sources(aBatch), ib = sources(bBatch)
    let av = a.value.scalars, bv = b.value.scalars
    func matrix(_ s: [Float], _ index: Int, _ rows: Int, _ cols: Int) -> Tensor {
        Tensor(shape: [rows, cols], scalars: Array(s[(index * rows * cols)..<((index + 1) * rows * cols)]))
    }
    var out: [Float] = []
    out.reserveCapacity(count * m * n)
    for t in 0..<count { out += Tensor.matmul(matrix(av, ia[t], m, k), matrix(bv, ib[t], k, n)).scalars }
    let (aShape, bShape) = (a.shape, b.shape)
    return a.tape.record(Tensor(shape: batchShape + [m, n], scalars: out), inputs: [a, b]) { (g: Tensor) -> [Tensor?] in
        var da = [Float](repeating: 0, count: av.count), db = [Float](repeating: 0, count: bv.count)
        let gs = g.scalars
        for t in 0..<count {
            let gt = matrix(gs, t, m, n)
            let dat = Tensor.matmul(gt, matrix(bv, ib[t], k, n), transposeB: true).scalars
            let dbt = Tensor.matmul(matrix(av, ia[t], m, k), gt, transposeA: true).scalars
            for j in 0..<(m * k) { da[ia[t] * m * k + j] += dat[j] }
            for j in 0..<(k * n) { db[ib[t] * k * n + j] += dbt[j] }
        }
        return [Tensor(shape: aShape, scalars: da), Tensor(shape: bShape, scalars: db)]
    }
}
