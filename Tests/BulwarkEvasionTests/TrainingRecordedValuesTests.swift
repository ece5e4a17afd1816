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

/// Weights after training with each defence, recorded with the epoch loops as they were before
/// the trainer gained its per-step hook: the same seed must give bit-identical weights.
struct TrainingRecordedValuesTests {
    let train: (Tensor, [Int]) = blobs(count: 300, seed: 1)
    let config = TrainingConfiguration(epochs: 2, batchSize: 50, seed: 3)

    func fingerprint(_ d: TrainingDefense) -> UInt64 {
        var m = freshBlobMLP(seed: 7)
        var opt = Adam(learningRate: 1e-2)
        AdversarialTraining(defense: d, configuration: config, epsilonWarmupEpochs: 1)
            .train(&m, inputs: train.0, labels: train.1, optimizer: &opt)
        return parameterFingerprint(m)
    }

    @Test func adversarialTrainingWeightsAreUnchanged() {
        let cases: [(TrainingDefense, UInt64)] = [
            (.standard, 2_011_378_720_805_473_468), (.gaussianNoise(sigma: 0.3), 17_496_803_138_722_048_125),
            (.pgd(epsilon: 0.1, steps: 3, stepSize: nil), 6_175_655_416_002_252_455),
            (.fast(epsilon: 0.1, stepSize: nil), 1_431_280_471_619_671_849), (.trades(epsilon: 0.1, steps: 3, beta: 6), 7_357_944_297_568_483_977),
        ]
        for (d, expected) in cases {
            let got = fingerprint(d)
            #expect(got == expected, "\(d.name)")
        }
    }

    @Test func distillationWeightsAreUnchanged() {
        var teacher = freshBlobMLP(seed: 8), student = freshBlobMLP(seed: 7)
        DefensiveDistillation(temperature: 10, configuration: config)
            .train(teacher: &teacher, student: &student, inputs: train.0, labels: train.1, makeOptimizer: { Adam(learningRate: 1e-2) })
        #expect(parameterFingerprint(teacher) == 5_396_199_703_085_510_696)
        #expect(parameterFingerprint(student) == 10_176_216_683_211_615_325)
    }
}
