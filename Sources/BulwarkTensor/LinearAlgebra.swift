internal import CBLAS

/// Matrix products through OpenBLAS `cblas_sgemm`.
public enum BLAS {
    /// Sets the number of threads OpenBLAS uses for one product.
    public static func setThreadCount(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// C[m×n] = α·op(A)·op(B) + β·C, row-major; `lda`, `ldb`, `ldc` default to the packed strides.
    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
                            b: UnsafePointer<Float>, ldb: Int? = nil,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<(m * (ldc ?? n)) { c[i] = beta == 0 ? 0 : beta * c[i] }
            return
        }
        _gemm(transposeA, transposeB, m, n, k, alpha, a, lda ?? (transposeA ? m : k),
              b, ldb ?? (transposeB ? k : n), beta, c, ldc ?? n)
    }

    @usableFromInline
    static func _gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Tensor {
    /// The matrix product of rank-2 tensors, optionally transposing either operand.
    ///
    /// Cost: one `sgemm`, 2·m·n·k floating-point operations.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul needs rank-2 tensors, got \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let kb = transposeB ? b.shape[1] : b.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == kb, "matmul inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        if m == 0 || n == 0 || k == 0 { return .zeros([m, n]) }
        return Tensor(shape: [m, n], unsafeUninitializedCapacity: { out in
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                              a: pa.baseAddress!, b: pb.baseAddress!, c: out.baseAddress!)
                }
            }
        })
    }
}
