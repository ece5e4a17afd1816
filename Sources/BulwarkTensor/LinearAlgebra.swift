internal import CBLAS
internal import CBulwarkKernels
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// OpenBLAS runs single-threaded; Bulwark splits large products across its own workers.
/// (OpenBLAS's own threads busy-wait with `sched_yield` and fight Bulwark's batch-parallel loops
/// for the cores, which on a 2-core machine made a convolution step 3× slower.)
///
/// The same one-time set-up keeps large tensor buffers in glibc's heap instead of fresh `mmap`
/// regions: otherwise every step pays the kernel for zeroing tens of megabytes of new pages.
/// It also replaces OpenBLAS's generic fallback kernels on CPUs the library does not recognise
/// (see `OpenBLASKernels`), before the first product runs.
private let blasConfigured: Bool = {
    OpenBLASKernels.repairIfUndetected()
    openblas_set_num_threads(1)
    #if canImport(Glibc)
    _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)  // glibc's maximum on 64-bit
    _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
    #endif
    return true
}()

/// Performs Bulwark's one-time numeric set-up (BLAS threading, allocator tuning) now rather
/// than at the first matrix product. Calling it is optional.
public func configureNumerics() { _ = blasConfigured }

/// Matrix products through OpenBLAS `cblas_sgemm`.
public enum BLAS {
    /// Sets the number of worker threads a single large product is split across
    /// (default: the number of active processors).
    public static func setThreadCount(_ n: Int) { threadCount.store(max(1, n)) }

    static let threadCount = AtomicCount(parallelWorkerCount)

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
        _ = blasConfigured
        let workers = Swift.min(threadCount.load(), currentWorkerCount)
        if workers > 1 && m * n * k >= 1 << 20 && max(m, n) >= 2 * workers {
            // Split C into column blocks (or row blocks when it is tall) computed concurrently.
            let byColumns = n >= m
            let extent = byColumns ? n : m
            let parts = min(workers, extent)
            let (pa, pb, pc) = (UncheckedBox(a), UncheckedBox(b), UncheckedBox(c))
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let lo = extent * p / parts, hi = extent * (p + 1) / parts
                if lo >= hi { return }
                if byColumns {
                    let bOff = tb ? lo * ldb : lo
                    serialGemm(ta, tb, m, hi - lo, k, alpha, pa.value, lda, pb.value + bOff, ldb, beta, pc.value + lo, ldc)
                } else {
                    let aOff = ta ? lo : lo * lda
                    serialGemm(ta, tb, hi - lo, n, k, alpha, pa.value + aOff, lda, pb.value, ldb, beta, pc.value + lo * ldc, ldc)
                }
            }
        } else {
            serialGemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
    }

    static func serialGemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                           _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                           _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        _ = blasConfigured
        var beta = beta
        if beta == 0 {
            // OpenBLAS clears C for β = 0 with scalar stores before accumulating into it (a
            // quarter of an mlp training step); a vectorised clear and β = 1 give the same sums.
            if ldc == n {
                c.update(repeating: 0, count: m * n)
            } else {
                for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) }
            }
            beta = 1
        }
        // A few rows (up to the gateway batcher's default of 32) against a transposed matrix (a
        // small batch through a dense layer): sgemm would repack all of B for them; the small
        // kernel reads B once in place.
        if !ta && tb && m <= 32 && alpha == 1 && k >= 32,
           bulwark_sgemm_small_nt(m, n, k, a, lda, b, ldb, c, ldc) != 0 {
            return
        }
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

/// A thread-safe integer setting.
final class AtomicCount: Sendable {
    private let value: Atomic<Int>
    init(_ v: Int) { value = Atomic(v) }
    func load() -> Int { value.load(ordering: .relaxed) }
    func store(_ v: Int) { value.store(v, ordering: .relaxed) }
}
