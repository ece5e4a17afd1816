import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

/// FNV-1a over the bit patterns of every parameter: equal only for bit-identical weights.
func parameterFingerprint(_ model: Sequential) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for t in model.parameters {
        for s in t.scalars {
            h ^= UInt64(s.bitPattern)
            h = h &* 0x0000_0100_0000_01b3
        }
    }
    return h
}

/// Three sums over every parameter — Σw, Σw², Σw·(i mod 7 + 1) — that tell trained weights apart
/// without being bit-exact: BLAS picks its kernels by processor, and their rounding differs in the
/// last bits, which is not a change of the training loop.
func recordedSummary(_ model: Sequential) -> [Double] {
    var sum = 0.0, squares = 0.0, weighted = 0.0, i = 0
    for t in model.parameters {
        for s in t.scalars {
            let w = Double(s)
            sum += w; squares += w * w; weighted += w * Double(i % 7 + 1)
            i += 1
        }
    }
    return [sum, squares, weighted]
}

/// Whether `a` and `b` agree to a relative `tolerance` (of the larger magnitude, at least 1e-3).
func agreeRecorded(_ a: [Double], _ b: [Double], tolerance: Double) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(abs($0), abs($1), 1e-3) }
}

/// Weights after training with each defence, recorded with the epoch loops as they are: a change
/// of a loop (order, steps, perturbation) moves the sums by far more than the tolerance, the
/// processor's BLAS kernels by far less (OpenBLAS's Nehalem, Sandybridge and Haswell kernels moved
/// them by at most 4e-7 relative, against the tolerance of 1e-4).
struct TrainingRecordedValuesTests {
    let train: (Tensor, [Int]) = blobs(count: 300, seed: 1)
    let config = TrainingConfiguration(epochs: 2, batchSize: 50, seed: 3)

    func summary(_ d: TrainingDefense) -> [Double] {
        var m = freshBlobMLP(seed: 7)
        var opt = Adam(learningRate: 1e-2)
        AdversarialTraining(defense: d, configuration: config, epsilonWarmupEpochs: 1)
            .train(&m, inputs: train.0, labels: train.1, optimizer: &opt)
        return recordedSummary(m)
    }

    @Test func adversarialTrainingWeightsAreUnchanged() {
        let cases: [(TrainingDefense, [Double])] = [
            (.standard, [2.4481694132555276, 15.55140672160578, 14.473099443828687]),
            (.gaussianNoise(sigma: 0.3), [1.6589173722313717, 15.388337573308524, 11.044999606790952]),
            (.pgd(epsilon: 0.1, steps: 3, stepSize: nil), [1.307294059311971, 14.23043708144478, 7.442464967723936]),
            (.fast(epsilon: 0.1, stepSize: nil), [1.6596131464466453, 14.441055509288173, 9.3047941098921]),
            (.trades(epsilon: 0.1, steps: 3, beta: 6), [1.9357637052889913, 15.350727922712812, 12.009174832841381]),
        ]
        for (d, expected) in cases {
            let got = summary(d)
            #expect(agreeRecorded(got, expected, tolerance: 1e-4), "\(d.name): \(got)")
        }
    }

    @Test func distillationWeightsAreUnchanged() {
        var teacher = freshBlobMLP(seed: 8), student = freshBlobMLP(seed: 7)
        DefensiveDistillation(temperature: 10, configuration: config)
            .train(teacher: &teacher, student: &student, inputs: train.0, labels: train.1, makeOptimizer: { Adam(learningRate: 1e-2) })
        #expect(agreeRecorded(recordedSummary(teacher), [8.54857421736233, 16.767246765464314, 25.95977356750518], tolerance: 1e-4))
        #expect(agreeRecorded(recordedSummary(student), [2.3618522093165666, 14.511804064495486, 11.75605004793033], tolerance: 1e-4))
    }
}
