import BulwarkModels
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkDP
@testable import BulwarkPrivacy

private func denseModel() throws -> Sequential {
    var rng = SeededGenerator(seed: 3)
    return try Sequential(inputShape: [6], layers: [Dense(6, 5, rng: &rng), ReLU(), Dense(5, 3, rng: &rng)])
}

/// conv 2→3 3×3 pad 1 (36 pixels: direct norm) then conv 3→8 3×3 stride 2 (4 pixels: ghost norm).
private func convModel() throws -> Sequential {
    var rng = SeededGenerator(seed: 4)
    return try Sequential(inputShape: [2, 6, 6], layers: [
        Conv2D(2, 3, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(),
        Conv2D(3, 8, kernel: (3, 3), stride: (2, 2), rng: &rng), Tanh(), Flatten(), Dense(32, 4, rng: &rng),
    ])
}

/// conv → ReLU → 2×2 max-pool and conv → padded 3×3/2 max-pool: both convolutions run fused
/// with their pooling, tapped after it (the convolutions' errors rebuilt from the indices).
private func pooledModel() throws -> Sequential {
    var rng = SeededGenerator(seed: 5)
    return try Sequential(inputShape: [2, 8, 8], layers: [
        Conv2D(2, 3, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), MaxPool2D(kernel: (2, 2)),
        Conv2D(3, 8, kernel: (3, 3), padding: (1, 1), rng: &rng), MaxPool2D(kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        Flatten(), Dense(32, 4, rng: &rng),
    ])
}

private func makeModel(_ kind: String) throws -> Sequential {
    switch kind {
    case "dense": try denseModel()
    case "pooled": try pooledModel()
    default: try convModel()
    }
}

private func batch(_ shape: [Int], n: Int, classes: Int, seed: UInt64) -> (Tensor, [Int]) {
    var rng = SeededGenerator(seed: seed)
    let x = Tensor.normal([n] + shape, using: &rng)
    return (x, (0..<n).map { _ in Int(rng.next() % UInt64(classes)) })
}

@Test(arguments: ["dense", "conv", "pooled"])
func perExampleNormsMatchSingleExampleBackward(_ kind: String) throws {
    let model = try makeModel(kind)
    let (x, y) = batch(model.inputShape, n: 7, classes: model.classCount, seed: 11)
    let per = try PerExampleGradients(model: model, inputs: x, labels: y)
    #expect(per.batchSize == 7)
    for i in 0..<7 {
        let expected = norm(singleExampleGradient(model, x.slice(i), y[i]))
        #expect(abs(per.norms[i] - expected) <= 1e-4 * max(1, expected), "example \(i): \(per.norms[i]) vs \(expected)")
    }
}

@Test(arguments: ["dense", "conv", "pooled"])
func clippedSumEqualsSumOfClippedSingleExampleGradients(_ kind: String) throws {
    let model = try makeModel(kind)
    let (x, y) = batch(model.inputShape, n: 6, classes: model.classCount, seed: 12)
    let per = try PerExampleGradients(model: model, inputs: x, labels: y)
    let c: Float = per.norms.sorted()[3]  // some examples clipped, some not
    let sum = try per.clipped(maxNorm: c)
    #expect(sum.clippedCount == per.norms.filter { $0 > c }.count && sum.clippedCount > 0)
    let expected = clippedSumReference(model, x, y, maxNorm: c)
    #expect(sum.gradients.count == expected.count)
    for k in expected.indices {
        #expect(sum.gradients[k].shape == expected[k].shape)
        let diff = zip(sum.gradients[k].scalars, expected[k].scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(diff < 1e-4, "parameter \(k): max difference \(diff)")
    }
}

@Test func clippingBoundsEveryContribution() throws {
    let model = try convModel()
    let (x, y) = batch(model.inputShape, n: 5, classes: model.classCount, seed: 13)
    let x10 = x * 10  // large inputs: large gradients
    for i in 0..<5 {
        let per = try PerExampleGradients(model: model, inputs: x10.rows(i..<(i + 1)), labels: [y[i]])
        let c: Float = 0.05
        #expect(per.norms[0] > c)
        let g = try per.clipped(maxNorm: c).gradients
        #expect(norm(g) <= c * (1 + 1e-4))
        #expect(norm(g) >= c * 0.999)  // scaled to C exactly, not zeroed
    }
    #expect(throws: PrivacyError.self) { try PerExampleGradients(model: model, inputs: x, labels: y).clipped(maxNorm: 0) }
}

/// Batch normalisation mixes examples, so no per-example gradient exists and clipping bounds
/// nothing: refused with one line, alone, inside a residual block or in the zoo resnet, and by
/// `DPSGD.train` before any step.
@Test func batchNormIsRefused() throws {
    var rng = SeededGenerator(seed: 1)
    let plain = try Sequential(inputShape: [4], layers: [Dense(4, 3, rng: &rng), BatchNorm(channels: 3)])
    let nested = try Sequential(inputShape: [2, 4, 4], layers: [ResidualBlock(2, 4, stride: 2, rng: &rng), GlobalAvgPool(), Flatten(), Dense(4, 3, rng: &rng)])
    var resnet = try ZooArchitecture.resnet.makeModel(exampleShape: [1, 8, 8], classCount: 3, seed: 1)
    for (model, layer) in [(plain, "layer 1 BatchNorm(3)"), (nested, "layer 0 ResidualBlock(2→4, stride 2)"), (resnet, "layer 1 BatchNorm(16)")] {
        let (x, y) = batch(model.inputShape, n: 3, classes: 3, seed: 1)
        do throws(PrivacyError) {
            _ = try PerExampleGradients(model: model, inputs: x, labels: y)
            Issue.record("DP-SGD accepted \(layer)")
        } catch {
            #expect(error.message.contains(layer) && error.message.contains("batch statistics") && !error.message.contains("\n"), "\(error.message)")
        }
    }
    let before = resnet.parameters
    let (x, y) = batch([1, 8, 8], n: 20, classes: 3, seed: 2)
    var sgd = SGD(learningRate: 0.1)
    let config = DPSGDConfiguration(noiseMultiplier: 1, maxGradientNorm: 1, samplingRate: 0.5, epochs: 1, delta: 1e-5,
                                    randomness: .seededInsecure(seed: 3))
    #expect(throws: PrivacyError.self) { try DPSGD.train(&resnet, inputs: x, labels: y, optimizer: &sgd, configuration: config) }
    #expect(resnet.parameters == before)
}

/// The zoo `tabular` model is Dense and ReLU only: per-example gradients are exact and DP-SGD
/// learns a separable set.
@Test func tabularTrainsWithDPSGD() throws {
    var model = try ZooArchitecture.tabular.makeModel(exampleShape: [30], classCount: 2, seed: 5)
    var rng = SeededGenerator(seed: 6)
    let direction = Tensor.normal([30], using: &rng)
    let n = 400
    let labels = (0..<n).map { $0 % 2 }
    let shift = Tensor(shape: [n, 1], scalars: labels.map { $0 == 0 ? -3 : 3 }) * direction.reshaped([1, 30])
        * (1 / direction.scalars.map { $0 * $0 }.reduce(0, +).squareRoot())
    let x = Tensor.normal([n, 30], using: &rng) + shift
    let per = try PerExampleGradients(model: model, inputs: x.rows(0..<4), labels: Array(labels[0..<4]))
    for i in 0..<4 {
        let direct = norm(singleExampleGradient(model, x.rows(i..<(i + 1)).reshaped([30]), labels[i]))
        #expect(abs(per.norms[i] - direct) <= 1e-4 * max(1, direct))
    }
    let config = DPSGDConfiguration(noiseMultiplier: 0.8, maxGradientNorm: 1, samplingRate: 0.1, epochs: 4, delta: 1e-5,
                                    randomness: .seededInsecure(seed: 7))
    var sgd = SGD(learningRate: 0.5, momentum: 0.5)
    let result = try DPSGD.train(&model, inputs: x, labels: labels, optimizer: &sgd, configuration: config)
    #expect(result.epsilon.isFinite && result.epsilon > 0)
    #expect(model.accuracy(x, labels: labels) > 0.9)
}

@Test func poissonBatchSizesHaveTheRateAsMean() throws {
    let sampler = try PoissonSampler(population: 10_000, rate: 0.01)
    var source = DPRandomSource(.seededInsecure(seed: 5))
    var total = 0
    for _ in 0..<200 {
        let b = sampler.sample(using: &source)
        #expect(b == b.sorted() && Set(b).count == b.count && (b.last ?? 0) < 10_000)
        total += b.count
    }
    let mean = Double(total) / 200  // expected 100, standard error 0.7
    #expect(abs(mean - 100) < 4)
    #expect(throws: PrivacyError.self) { try PoissonSampler(population: 10, rate: 0) }
}

@Test func noiseHasTheCalibratedStandardDeviation() throws {
    let model = try denseModel()
    let per = try PerExampleGradients(model: model, inputs: Tensor.zeros([0, 6]), labels: [])
    let sum = try per.clipped(maxNorm: 2)
    #expect(sum.gradients.isEmpty)  // an empty batch has no layer factors
    let (x, y) = batch([6], n: 1, classes: 3, seed: 2)
    let zero = try PerExampleGradients(model: model, inputs: x, labels: y).clipped(maxNorm: 2)
    var source = DPRandomSource(.seededInsecure(seed: 9))
    var values: [Double] = []
    for _ in 0..<400 {
        let noisy = try zero.privatized(noiseMultiplier: 1.5, normalizer: 4, using: &source)
        for (g, s) in zip(noisy.gradients, zero.gradients) {
            for (a, b) in zip(g.scalars, s.scalars) { values.append(Double(a) - Double(b) / 4) }
        }
    }
    let mean = values.reduce(0, +) / Double(values.count)
    let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
    #expect(abs(sd - 1.5 * 2 / 4) < 0.02, "noise sd \(sd)")
    #expect(abs(mean) < 0.02)
}

@Test func trainingReportsTheAccountantsEpsilon() throws {
    var model = try denseModel()
    let (x, y) = batch([6], n: 200, classes: 3, seed: 21)
    var sgd = SGD(learningRate: 0.1)
    let config = DPSGDConfiguration(noiseMultiplier: 1.1, maxGradientNorm: 1, samplingRate: 0.05, epochs: 3, delta: 1e-5,
                                    randomness: .seededInsecure(seed: 1))
    var reported: [Double] = []
    let result = try DPSGD.train(&model, inputs: x, labels: y, optimizer: &sgd, configuration: config, epochEnded: { reported.append($0.epsilon) })
    #expect(result.steps == 3 * 20)
    for (k, eps) in reported.enumerated() {
        let expected = try PrivacyCalibration.epsilon(noiseMultiplier: 1.1, samplingRate: 0.05, steps: 20 * (k + 1), delta: 1e-5)
        #expect(eps == expected)
    }
    #expect(reported == reported.sorted() && reported[0] > 0)
    #expect(result.epsilon == reported.last)
    #expect(try config.plannedEpsilon == result.epsilon)
    #expect(model.parameters != (try denseModel()).parameters)
}

@Test func secureRandomnessIsNotSeeded() {
    var a = DPRandomSource(.secure), b = DPRandomSource(.secure)
    #expect((0..<4).map { _ in a.next() } != (0..<4).map { _ in b.next() })
    #expect(DPRandomness.secure.supportsPrivacyClaim && !DPRandomness.seededInsecure(seed: 1).supportsPrivacyClaim)
}

/// Per-example conv gradients too large to keep are computed in chunks: same norms, none kept,
/// and the clipped sum then takes the second-pass route (covered by the tests above with the
/// default limit).
@Test func chunkedConvNormsEqualMaterialisedOnes() throws {
    var rng = SeededGenerator(seed: 9)
    let x = Tensor.normal([5, 2, 6, 6], using: &rng), e = Tensor.normal([5, 3, 6, 6], using: &rng)
    let g = Conv2DGeometry(kernel: (3, 3), padding: (1, 1))
    let (whole, kept, biases) = PerExampleGradients.convSquaredNorms(input: x, error: e, geometry: g, weightShape: [3, 2, 3, 3])
    let (chunked, none, sameBiases) = PerExampleGradients.convSquaredNorms(input: x, error: e, geometry: g, weightShape: [3, 2, 3, 3], limit: 100)
    #expect(kept?.shape == [5, 3, 18] && none == nil)
    // per-example bias gradients: each example's error summed over its pixels
    #expect(biases.shape == [5, 3] && biases == sameBiases)
    for i in 0..<5 { for oc in 0..<3 {
        let direct = (0..<36).reduce(Float(0)) { $0 + e.scalars[(i * 3 + oc) * 36 + $1] }
        #expect(abs(biases.scalars[i * 3 + oc] - direct) <= 1e-4)
    } }
    for i in 0..<5 { #expect(abs(whole[i] - chunked[i]) <= 1e-5 * max(1, whole[i])) }
}

/// Weights after seeded DP-SGD (recorded again when the noise became the eight-lane Box–Muller
/// with its own word layout, which draws other normals from the same seed), as three sums (Σw, Σw², Σw·(i mod 7 + 1)) to a relative 1e-4: a
/// change of the loop moves them far more, the processor's BLAS kernels far less (bit-exact
/// weights differ between OpenBLAS's kernels, which is not a change of the training).
@Test func seededDPSGDWeightsAreUnchanged() throws {
    var model = try denseModel()
    let (x, y) = batch([6], n: 200, classes: 3, seed: 21)
    var adam = Adam(learningRate: 0.01)
    let config = DPSGDConfiguration(noiseMultiplier: 1.1, maxGradientNorm: 1, samplingRate: 0.05, epochs: 2, delta: 1e-5,
                                    randomness: .seededInsecure(seed: 4))
    try DPSGD.train(&model, inputs: x, labels: y, optimizer: &adam, configuration: config)
    var sums = [0.0, 0.0, 0.0], i = 0
    for t in model.parameters {
        for s in t.scalars {
            let w = Double(s)
            sums[0] += w; sums[1] += w * w; sums[2] += w * Double(i % 7 + 1)
            i += 1
        }
    }
    let recorded = [0.5789750474505126, 2.9717084913022993, 1.5971815972588956]
    for (got, expected) in zip(sums, recorded) { #expect(abs(got - expected) <= 1e-4 * max(abs(got), abs(expected), 1e-3), "\(sums)") }
}

/// DP-SGD as a procedure of the shared train-test-save call: the same weights as the direct
/// call, and every DP parameter and the ε spent in the file's provenance.
@Test func dpsgdProcedureRecordsItsGuaranteeAndMatchesTheDirectCall() throws {
    var rng = SeededGenerator(seed: 23)
    let x = Tensor.uniform([60, 1, 28, 28], using: &rng)
    let y = (0..<60).map { $0 % 10 }
    let config = DPSGDConfiguration(noiseMultiplier: 1.1, maxGradientNorm: 1, samplingRate: 0.25, epochs: 1, delta: 1e-5,
                                    randomness: .seededInsecure(seed: 4))
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-dp-\(UUID().uuidString).safetensors").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let run = try ModelTraining.run(DPSGDProcedure(configuration: config, optimizer: SGD(learningRate: 0.1, momentum: 0.9)),
                                    architecture: .mlp, seed: 2, dataset: "test-images",
                                    training: (x.rows(0..<40), Array(y[0..<40])), test: (x.rows(40..<60), Array(y[40..<60])), saveTo: path)
    var direct = ZooArchitecture.mlp.makeModel(seed: 2)
    var sgd = SGD(learningRate: 0.1, momentum: 0.9)
    let result = try DPSGD.train(&direct, inputs: x.rows(0..<40), labels: Array(y[0..<40]), optimizer: &sgd, configuration: config)
    #expect(direct.parameters == run.model.parameters)
    let read = try #require(try ModelProvenance(metadata: ModelFile.load(path: path).metadata))
    let dp = try #require(read.differentialPrivacy)
    #expect(dp.epsilon == result.epsilon && dp.delta == 1e-5 && dp.noiseMultiplier == 1.1 && dp.maxGradientNorm == 1)
    #expect(dp.samplingRate == 0.25 && dp.steps == result.steps && dp.sampler == "poisson" && dp.mechanism == "dp-sgd")
    #expect(!dp.supportsPrivacyClaim && dp.randomness.hasPrefix("seeded-insecure"))
    #expect(read.optimizer == "sgd" && read.learningRate == 0.1 && read.epochs == 1 && read.seed == 2)
}

/// Noise for a large gradient (its Box–Muller transform split across workers, eight pairs at a
/// time) is Box–Muller computed in double precision on the same words in order — word j the
/// radius and word m + j the angle of pair j, its normals added to p[j] and p[m + j] — to float
/// accuracy; and a secure fill gives distinct, non-zero words.
@Test func parallelNoiseEqualsSerialBoxMuller() {
    let count = 200_001  // odd: the last pair has one output
    let pairs = (count + 1) / 2
    let start = (0..<count).map { Float($0 % 7) - 3 }
    var noisy = start
    var source = DPRandomSource(.seededInsecure(seed: 41))
    noisy.withUnsafeMutableBufferPointer { source.addGaussianNoise(to: $0, standardDeviation: 2, scale: 0.5) }
    var words = DPRandomSource(.seededInsecure(seed: 41))
    var halves: [UInt32] = []
    for _ in 0..<pairs {
        let w = words.next()
        halves += [UInt32(truncatingIfNeeded: w), UInt32(truncatingIfNeeded: w >> 32)]
    }
    var worst = 0.0
    for j in 0..<pairs {
        let (r, a) = (halves[j], halves[pairs + j])
        // the same float uniforms (a float holds 24 bits, which quantises radii near 0), then
        // the transform in double precision
        let u = Double((Float(Int32(r >> 1)) + 1) * (1.0 / 2_147_483_648.0))
        let rho = (-2 * Foundation.log(u)).squareRoot()
        let f = Double(Float(Int32(a & 0x3FFF_FFFF)) * (1.0 / 1_073_741_824.0))
        let phi = Double(a >> 30) * Double.pi / 2 + (f - 0.5) * Double.pi / 2
        let expected0 = (Double(start[j]) + 2 * rho * Foundation.cos(phi)) * 0.5
        worst = max(worst, abs(Double(noisy[j]) - expected0) / max(1, abs(expected0)))
        if pairs + j < count {
            let expected1 = (Double(start[pairs + j]) + 2 * rho * Foundation.sin(phi)) * 0.5
            worst = max(worst, abs(Double(noisy[pairs + j]) - expected1) / max(1, abs(expected1)))
        }
    }
    #expect(worst < 2e-6, "largest error against double-precision Box–Muller: \(worst)")
    var secure = DPRandomSource(.secure)
    var buffer = [UInt64](repeating: 0, count: 100_000)
    buffer.withUnsafeMutableBufferPointer { secure.fill($0) }
    for part in stride(from: 0, to: buffer.count, by: 10_000) {
        let slice = buffer[part..<(part + 10_000)]
        #expect(Set(slice).count == slice.count && !slice.contains(0))
    }
}

/// The noise is standard normal: on two million seeded draws the mean, variance, third and
/// fourth moments match N(0, 1), the Kolmogorov–Smirnov distance to its CDF is below the 1 %
/// critical value, and the tails beyond 3 and 4 standard deviations have their expected mass.
@Test func gaussianNoiseHasTheNormalDistribution() {
    let n = 2_000_000
    var z = [Float](repeating: 0, count: n)
    var source = DPRandomSource(.seededInsecure(seed: 2026))
    z.withUnsafeMutableBufferPointer { source.addGaussianNoise(to: $0, standardDeviation: 1, scale: 1) }
    let values = z.map(Double.init)
    let mean = values.reduce(0, +) / Double(n)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
    let third = values.reduce(0) { $0 + pow($1 - mean, 3) } / Double(n)
    let fourth = values.reduce(0) { $0 + pow($1 - mean, 4) } / Double(n)
    #expect(abs(mean) < 5 / Double(n).squareRoot())
    #expect(abs(variance - 1) < 5 * (2 / Double(n)).squareRoot())
    #expect(abs(third) < 5 * (15 / Double(n)).squareRoot())
    #expect(abs(fourth - 3) < 5 * (96 / Double(n)).squareRoot())
    let sorted = values.sorted()
    var ks = 0.0
    for (i, x) in sorted.enumerated() where i % 7 == 0 {
        let cdf = 0.5 * erfc(-x / 2.0.squareRoot())
        ks = max(ks, abs(cdf - Double(i) / Double(n)), abs(cdf - Double(i + 1) / Double(n)))
    }
    #expect(ks < 1.63 / Double(n).squareRoot(), "KS distance \(ks)")
    let beyond3 = Double(values.filter { abs($0) > 3 }.count) / Double(n)
    let beyond4 = Double(values.filter { abs($0) > 4 }.count) / Double(n)
    #expect(abs(beyond3 - 0.0026998) < 5 * (0.0027 / Double(n)).squareRoot())
    #expect(abs(beyond4 - 6.334e-5) < 5 * (6.334e-5 / Double(n)).squareRoot())
}
