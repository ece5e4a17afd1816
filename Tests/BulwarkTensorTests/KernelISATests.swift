import CBulwarkKernels
import Testing
@testable import BulwarkTensor

/// The small-product kernels' AVX-512 forms against their AVX2 forms: the same values, bit for
/// bit, on random shapes with every edge (rows and columns not multiples of the block, masked
/// tails, strides wider than the rows). On a CPU without AVX-512 both calls take the AVX2 form.
/// Switching the forms is process-wide; other tests running meanwhile get the same values
/// either way, which is what is checked here.
@Suite(.serialized) struct KernelISATests {
    private func random(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
    }

    /// C = A·B for a thin inner dimension, both forms, and a reference summed with fused
    /// multiply-adds in p order from zero (the kernels' documented order).
    @Test func smallInnerDimensionProductIsTheSameInEveryForm() {
        var rng = SeededGenerator(seed: 41)
        for _ in 0..<300 {
            let m = Int.random(in: 1...20, using: &rng), n = Int.random(in: 1...100, using: &rng), k = Int.random(in: 1...40, using: &rng)
            let lda = k + Int.random(in: 0...2, using: &rng), ldb = n + Int.random(in: 0...4, using: &rng)
            let a = random(m * lda, &rng), b = random(k * ldb, &rng)
            var expected = [Float](repeating: 7, count: m * ldb)
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k { sum = sum.addingProduct(a[i * lda + p], b[p * ldb + j]) }
                    expected[i * ldb + j] = sum
                }
            }
            for allowed: Int32 in [1, 0] {
                let previous = bulwark_kernels_allow_avx512(allowed)
                defer { _ = bulwark_kernels_allow_avx512(previous) }
                var c = [Float](repeating: 7, count: m * ldb)
                guard bulwark_sgemm_small_k_nn(m, n, k, a, lda, b, ldb, &c, ldb) != 0 else { return }  // no AVX2: BLAS's job
                #expect(c.map(\.bitPattern) == expected.map(\.bitPattern), "m \(m) n \(n) k \(k), AVX-512 allowed: \(allowed)")
            }
        }
    }

    /// C += A·Bᵀ for a few rows (a dense layer on a small batch): both forms agree bit for bit,
    /// odd counts of B's rows and tails of k below eight included.
    @Test func smallBatchDenseProductIsTheSameInEveryForm() {
        var rng = SeededGenerator(seed: 43)
        for _ in 0..<300 {
            let m = Int.random(in: 1...20, using: &rng), n = Int.random(in: 1...40, using: &rng), k = Int.random(in: 1...100, using: &rng)
            let lda = k + Int.random(in: 0...2, using: &rng), ldb = k + Int.random(in: 0...4, using: &rng), ldc = n + Int.random(in: 0...2, using: &rng)
            let a = random(m * lda, &rng), b = random(n * ldb, &rng), start = random(m * ldc, &rng)
            var results: [[UInt32]] = []
            for allowed: Int32 in [1, 0] {
                let previous = bulwark_kernels_allow_avx512(allowed)
                defer { _ = bulwark_kernels_allow_avx512(previous) }
                var c = start
                guard bulwark_sgemm_small_nt(m, n, k, a, lda, b, ldb, &c, ldc) != 0 else { return }
                results.append(c.map(\.bitPattern))
            }
            #expect(results[0] == results[1], "m \(m) n \(n) k \(k)")
            // and the sums are the products' (within float rounding of a length-k sum)
            for i in 0..<m {
                for j in 0..<n {
                    var exact = Double(start[i * ldc + j])
                    for p in 0..<k { exact += Double(a[i * lda + p]) * Double(b[j * ldb + p]) }
                    #expect(abs(Double(Float(bitPattern: results[0][i * ldc + j])) - exact) <= 1e-5 * Double(k + 1))
                }
            }
        }
    }

    /// The patch gather of small-image convolutions: every entry the image's value at the table's
    /// offset, or zero where the table says −1, for pixel counts on and off the vector widths.
    @Test func patchGatherCopiesTheTablesEntriesInEveryForm() {
        var rng = SeededGenerator(seed: 53)
        for _ in 0..<200 {
            let stride = Int.random(in: 1...200, using: &rng), count = Int.random(in: 1...9, using: &rng)
            let rows = Int.random(in: 1...12, using: &rng), pixels = Int.random(in: 1...63, using: &rng)
            let images = random(stride * count, &rng)
            let table: [Int32] = (0..<(rows * pixels)).map { _ in Bool.random(using: &rng) ? -1 : Int32.random(in: 0..<Int32(stride), using: &rng) }
            var expected = [Float](repeating: 0, count: rows * count * pixels)
            for row in 0..<rows {
                for b in 0..<count {
                    for p in 0..<pixels {
                        let k = table[row * pixels + p]
                        expected[row * count * pixels + b * pixels + p] = k < 0 ? 0 : images[b * stride + Int(k)]
                    }
                }
            }
            for allowed: Int32 in [1, 0] {
                let previous = bulwark_kernels_allow_avx512(allowed)
                defer { _ = bulwark_kernels_allow_avx512(previous) }
                var cols = [Float](repeating: .nan, count: rows * count * pixels)
                bulwark_patch_gather(images, stride, count, table, rows, pixels, &cols)
                #expect(cols.map(\.bitPattern) == expected.map(\.bitPattern), "rows \(rows) pixels \(pixels) images \(count)")
            }
        }
    }

    /// A Winograd convolution, a single-channel 3×3 convolution pooled in registers (a
    /// grayscale model's first layer: 28 and 19 columns) and a dense layer through the public
    /// entry points, with and without AVX-512: the same outputs bit for bit.
    @Test func convolutionAndDenseLayerAreTheSameInEveryForm() {
        var rng = SeededGenerator(seed: 47)
        let gray = Tensor(shape: [3, 1, 28, 19], scalars: random(3 * 28 * 19, &rng))
        let grayWeight = Tensor(shape: [6, 1, 3, 3], scalars: random(54, &rng))
        let grayBias = Tensor(shape: [6], scalars: random(6, &rng))
        let pool = Conv2DGeometry(kernel: (2, 2), stride: (2, 2))
        let x = Tensor(shape: [5, 12, 14, 14], scalars: random(5 * 12 * 14 * 14, &rng))
        let w = Tensor(shape: [16, 12, 3, 3], scalars: random(16 * 12 * 9, &rng))
        let g = Conv2DGeometry(kernel: (3, 3), padding: (1, 1))
        let rows = Tensor(shape: [7, 300], scalars: random(7 * 300, &rng))
        let weight = Tensor(shape: [45, 300], scalars: random(45 * 300, &rng))  // out × in, as a dense layer keeps it
        var outputs: [[UInt32]] = []
        for allowed: Int32 in [1, 0] {
            let previous = bulwark_kernels_allow_avx512(allowed)
            defer { _ = bulwark_kernels_allow_avx512(previous) }
            let conv = Convolution.forward(x, w, bias: nil, geometry: g)
            var pooled: [Float] = []
            for relu in [false, true] {
                pooled += Convolution.fusedForward(gray, grayWeight, bias: grayBias, geometry: g, maxPool: pool, relu: relu).scalars
            }
            let dense = Tensor.matmul(rows, weight, transposeB: true)
            outputs.append((conv.scalars + pooled + dense.scalars).map(\.bitPattern))
        }
        #expect(outputs[0] == outputs[1])
    }
}
