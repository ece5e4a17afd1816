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
}
