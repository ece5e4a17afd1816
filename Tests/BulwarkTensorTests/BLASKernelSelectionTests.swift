import Foundation
import Testing
@testable import BulwarkTensor

/// OpenBLAS's kernel family after Bulwark's numeric set-up, and products computed with it.
@Suite struct BLASKernelSelectionTests {
    @Test func preferredCoreFollowsTheFlags() {
        let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"]
        #expect(OpenBLASKernels.preferredCore(flags: avx512) == "SkylakeX")
        #expect(OpenBLASKernels.preferredCore(flags: ["sse3", "avx", "avx2", "fma"]) == "Haswell")
        #expect(OpenBLASKernels.preferredCore(flags: ["sse3", "avx", "avx2"]) == nil)  // AVX2 without FMA
        #expect(OpenBLASKernels.preferredCore(flags: ["sse3", "avx512f"]) == nil)
    }

    /// On a CPU with AVX2 + FMA the set-up never leaves OpenBLAS on a generic fallback core
    /// (the Emerald Rapids case: 0.3.21 picks "Prescott" there).
    @Test func setupLeavesNoFallbackKernelsWhenTheCPUSupportsBetter() throws {
        configureNumerics()
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              OpenBLASKernels.preferredCore(flags: OpenBLASKernels.cpuFlags()) != nil,
              let name = blasCoreName else { return }  // nothing to repair on this machine or library
        #expect(!OpenBLASKernels.fallbackCores.contains(name.lowercased()), "OpenBLAS core \(name)")
    }

    /// Products large enough for the blocked kernels (and the parallel split) against a
    /// double-precision reference, for every transpose combination.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func largeMatmulAgainstNaive(transposeA: Bool, transposeB: Bool) {
        var rng = SeededGenerator(seed: 17)
        let (m, k, n) = (67, 301, 129)
        let a = Tensor.normal(transposeA ? [k, m] : [m, k], using: &rng)
        let b = Tensor.normal(transposeB ? [n, k] : [k, n], using: &rng)
        let c = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
        #expect(c.shape == [m, n])
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transposeA ? a.scalars[p * m + i] : a.scalars[i * k + p]
                    let bv = transposeB ? b.scalars[j * k + p] : b.scalars[p * n + j]
                    s += Double(av) * Double(bv)
                }
                worst = max(worst, abs(Double(c.scalars[i * n + j]) - s))
            }
        }
        #expect(worst < 1e-3)
    }

    /// A few rows against a transposed matrix (the small-batch kernel's case) against a
    /// double-precision reference: every row count up to the kernel's limit and one past it, odd
    /// column counts, inner lengths with and without a tail, strided operands and an
    /// accumulating product (β = 1).
    @Test func smallBatchTimesTransposedAgainstNaive() {
        var rng = SeededGenerator(seed: 23)
        for (k, n) in [(32, 1), (37, 5), (100, 7), (1568, 10)] {
            for m in [1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31, 32, 33] {
                let (lda, ldb, ldc) = (k + 3, k + 5, n + 2)
                let a = (0..<(m * lda)).map { _ in Float.random(in: -1...1, using: &rng) }
                let b = (0..<(n * ldb)).map { _ in Float.random(in: -1...1, using: &rng) }
                let start = (0..<(m * ldc)).map { _ in Float.random(in: -1...1, using: &rng) }
                var c = start
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(transposeA: false, transposeB: true, m: m, n: n, k: k, a: pa.baseAddress!, lda: lda,
                              b: pb.baseAddress!, ldb: ldb, beta: 1, c: pc.baseAddress!, ldc: ldc)
                } } }
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var s = Double(start[i * ldc + j])
                        for p in 0..<k { s += Double(a[i * lda + p]) * Double(b[j * ldb + p]) }
                        worst = max(worst, abs(Double(c[i * ldc + j]) - s))
                    }
                    for j in n..<ldc { #expect(c[i * ldc + j] == start[i * ldc + j], "padding between rows is not written") }
                }
                #expect(worst < 1e-3, "m \(m), n \(n), k \(k)")
            }
        }
    }

    /// A row's product does not depend on the rows computed with it (up to the kernel's limit): a
    /// served request's answer is the same whatever batch it joined.
    @Test func smallBatchRowsDoNotDependOnTheirNeighbours() {
        var rng = SeededGenerator(seed: 29)
        let (k, n) = (1568, 100)
        let w = Tensor.normal([n, k], using: &rng)
        let x = Tensor.normal([32, k], using: &rng)
        let batched = Tensor.matmul(x, w, transposeB: true)
        for m in [1, 3, 8, 16] {
            for first in [0, 5, 16] {
                let rows = x.rows(first..<first + m)
                #expect(Tensor.matmul(rows, w, transposeB: true).scalars == Array(batched.scalars[first * n..<(first + m) * n]))
            }
        }
    }
}
