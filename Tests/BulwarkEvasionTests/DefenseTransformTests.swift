import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

/// A deterministic batch of images `N × 1 × H × W` with values in [0, 1].
func testImages(_ n: Int, _ h: Int, _ w: Int, seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.uniform([n, 1, h, w], using: &rng)
}

/// Finite-difference check of a recorded transform's pullback: ⟨J v, u⟩ against the directional derivative.
func directionalDerivativeMatches(_ t: any InputTransform, at x: Tensor, seed: UInt64, step h: Float = 1e-2) -> Bool {
    var rng = SeededGenerator(seed: seed)
    let v = Tensor.normal(x.shape, using: &rng)
    let u = Tensor.normal(t.apply(x, seed: 0).shape, using: &rng)
    let tape = Tape()
    let xv = tape.variable(x)
    let y = t.plainGradient(input: xv, output: t.apply(x, seed: 0))
    let g = tape.gradients(of: y, seed: u, wrt: [xv])[0]
    let analytic = zip(g.scalars, v.scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 }
    let plus = t.apply(x + v * h, seed: 0), minus = t.apply(x - v * h, seed: 0)
    let numeric = zip((plus - minus).scalars, u.scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 } / (2 * h)
    return abs(analytic - numeric) <= 1e-3 * max(1, abs(numeric))
}

struct DefenseTransformTests {
    @Test func bitDepthRoundsToLevelsAndHasZeroPlainGradient() {
        let x = Tensor(shape: [1, 1, 1, 6], scalars: [0, 0.2, 0.49, 0.51, 0.8, 1.3])
        #expect(BitDepthReduction(bits: 1).apply(x, seed: 0).scalars == [0, 0, 0, 1, 1, 1])
        let three = BitDepthReduction(bits: 3).apply(x, seed: 0).scalars
        #expect(three.allSatisfy { v in abs(v * 7 - (v * 7).rounded()) < 1e-5 })
        #expect(abs(three[1] - 1.0 / 7) < 1e-6)  // 0.2·7 = 1.4 → 1/7
        let tape = Tape()
        let v = tape.variable(x)
        let y = BitDepthReduction(bits: 1).plainGradient(input: v, output: BitDepthReduction(bits: 1).apply(x, seed: 0))
        #expect(tape.gradients(of: y.sum(), wrt: [v])[0].scalars.allSatisfy { $0 == 0 })
    }

    @Test func bitDepthRoundsTiesToEvenLikeTheLibraryRoundingAtEveryDepth() {
        // Every level, every half-way point between levels (the ties), points just beside them,
        // values outside [0, 1], NaN and random values: the vector rounding must give exactly
        // what `rounded(.toNearestOrEven)` gives.
        for bits in 1...16 {
            let levels = Float((1 << bits) - 1)
            var values: [Float] = [-1, -0.0, 0, 1, 1.5, .infinity, -.infinity, .nan, .ulpOfOne, 1 - .ulpOfOne]
            let step = max(1, Int(levels) / 512)
            for k in stride(from: 0, through: Int(levels), by: step) {
                let tie = (Float(k) + 0.5) / levels
                values += [Float(k) / levels, tie, tie.nextUp, tie.nextDown]
            }
            var rng = SeededGenerator(seed: UInt64(bits))
            values += Tensor.uniform([1000], using: &rng).scalars
            let out = BitDepthReduction(bits: bits).apply(Tensor(shape: [values.count], scalars: values), seed: 0).scalars
            for (x, y) in zip(values, out) {
                let expected = (Swift.min(Swift.max(x, 0), 1) * levels).rounded(.toNearestOrEven) / levels
                #expect(y.bitPattern == expected.bitPattern || (y.isNaN && expected.isNaN), "bits \(bits), x \(x): \(y) vs \(expected)")
            }
        }
    }

    @Test func medianFilterOnKnownImageAndItsGradientRoutesToTheMedian() {
        // 3×3 image, 3×3 window with replicated edges: the centre becomes the median of all nine.
        let x = Tensor(shape: [1, 1, 3, 3], scalars: [9, 1, 8, 2, 7, 3, 6, 4, 5])
        let m = MedianFilter(size: 3).apply(x, seed: 0)
        #expect(m.scalars[4] == 5)
        // Top-left window (replicated): 9 9 1 / 9 9 1 / 2 2 7 → sorted 1 1 2 2 7 9 9 9 9 → median 7.
        #expect(m.scalars[0] == 7)
        let tape = Tape()
        let v = tape.variable(x)
        var seed = [Float](repeating: 0, count: 9)
        seed[4] = 1
        let y = MedianFilter(size: 3).plainGradient(input: v, output: m)
        let g = tape.gradients(of: y, seed: Tensor(shape: [1, 1, 3, 3], scalars: seed), wrt: [v])[0]
        #expect(g.scalars == [0, 0, 0, 0, 0, 0, 0, 0, 1])  // the centre's median is the pixel 5 at index 8
        #expect(directionalDerivativeMatches(MedianFilter(size: 3), at: testImages(2, 6, 6, seed: 1), seed: 2, step: 1e-3))
    }

    @Test func spatialSmoothingIsLinearWithExactGradient() {
        let s = SpatialSmoothing(sigma: 1)
        let c = Tensor(repeating: 0.3, shape: [1, 1, 8, 8])
        #expect(s.apply(c, seed: 0).isApproximatelyEqual(to: c, absoluteTolerance: 1e-6))
        #expect(directionalDerivativeMatches(s, at: testImages(2, 7, 9, seed: 3), seed: 4))
        #expect(s.bpda == .exact)
    }

    @Test func jpegKeepsConstantsAndSmoothImagesAndLosesDetailAtLowQuality() {
        let c = Tensor(repeating: 100.0 / 255, shape: [1, 1, 16, 16])
        #expect(JPEGCompression(quality: 50).apply(c, seed: 0).isApproximatelyEqual(to: c, absoluteTolerance: 1.0 / 255 + 1e-6))
        let x = testImages(2, 12, 10, seed: 5)
        let high = JPEGCompression(quality: 100).apply(x, seed: 0)
        let low = JPEGCompression(quality: 10).apply(x, seed: 0)
        let eHigh = (high - x).abs().scalars.max() ?? 1
        let eLow = (low - x).abs().mean().scalar
        #expect(eHigh < 0.02, "quality 100 should be near lossless, max error \(eHigh)")
        #expect(eLow > 0.05, "quality 10 should lose detail of noise, mean error \(eLow)")
        #expect(high.shape == x.shape && low.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Outputs are 8-bit values.
        #expect(low.scalars.allSatisfy { abs($0 * 255 - ($0 * 255).rounded()) < 1e-3 })
        #expect(JPEGCompression(quality: 50).quantisationTable[0] == 16)
        #expect(JPEGCompression(quality: 100).quantisationTable.allSatisfy { $0 == 1 })
    }

    @Test func thermometerEncodesLevelsAndSurrogateRampsWhereTheStepIs() {
        let t = ThermometerEncoding(levels: 4)
        let x = Tensor(shape: [1, 1, 1, 3], scalars: [0.1, 0.5, 1.0])
        let e = t.apply(x, seed: 0)
        #expect(e.shape == [1, 4, 1, 3])
        // channel k (1-based) = 1[x ≥ k/4]
        #expect(e.scalars == [0, 1, 1,   0, 1, 1,   0, 0, 1,   0, 0, 1])
        #expect(t.outputShape(for: [1, 28, 28]) == [4, 28, 28])
        let tape = Tape()
        let v = tape.variable(Tensor(shape: [1, 1, 1, 1], scalars: [0.3]))
        let g = tape.gradients(of: t.surrogate(v).sum(), wrt: [v])[0].scalars[0]
        #expect(g == 4)  // 0.3·4 = 1.2 lies on the ramp of level 2 only
        #expect(t.bpda == .surrogate)
    }

    @Test func totalVariationSmoothsIsRandomAndReproducible() {
        let x = testImages(3, 10, 10, seed: 6)
        let tv = TotalVariationMinimization(lambda: 0.1, keepProbability: 0.6, iterations: 60)
        let a = tv.apply(x, seed: 1), b = tv.apply(x, seed: 1), c = tv.apply(x, seed: 2)
        #expect(a == b)
        #expect(a != c)
        #expect(tv.isRandom && tv.recommendedEOTSamples > 1)
        func variation(_ t: Tensor) -> Float {
            var s: Float = 0
            for i in 0..<t.count where (i % 10) < 9 { s += abs(t.scalars[i + 1] - t.scalars[i]) }
            return s
        }
        #expect(variation(a) < 0.6 * variation(x), "TV \(variation(a)) vs input \(variation(x))")
        #expect(a.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Randomness depends on the row, not on the batch it is in.
        #expect(tv.apply(x.rows(1..<2), seed: 1) == a.rows(1..<2))
    }

    @Test func bpdaGradientIsTheModelGradientAtTheTransformedInput() {
        let (x, y) = blobs(count: 12, seed: 8)
        let images = x.reshaped([12, 1, 4, 4])
        let base = ReshapingClassifier(base: trainedMLP)
        let plain = PreprocessedClassifier(base, transform: BitDepthReduction(bits: 2))
        let bpda = plain.withGradient(.bpda)
        #expect(plain.lossAndInputGradient(images, labels: y).gradient.scalars.allSatisfy { $0 == 0 })
        let g = bpda.lossAndInputGradient(images, labels: y).gradient
        let expected = base.lossAndInputGradient(BitDepthReduction(bits: 2).apply(images, seed: 0), labels: y).gradient
        #expect(g == expected)
        #expect(plain.predictions(images) == base.predictions(BitDepthReduction(bits: 2).apply(images, seed: 0)))
    }
}

/// Views the 16-feature blob MLP as a classifier of 1×4×4 images.
struct ReshapingClassifier<Base: DifferentiableClassifier>: DifferentiableClassifier {
    let base: Base
    var inputShape: [Int] { [1, 4, 4] }
    var classCount: Int { base.classCount }
    func logits(_ input: Variable) -> Variable { base.logits(input.reshaped([input.shape[0], 16])) }
}
