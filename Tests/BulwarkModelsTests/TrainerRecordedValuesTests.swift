import Testing
import BulwarkTensor
import BulwarkModels

/// FNV-1a over the bit patterns of every parameter: equal only for bit-identical weights.
func modelFingerprint(_ model: Sequential) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for t in model.parameters {
        for s in t.scalars {
            h ^= UInt64(s.bitPattern)
            h = h &* 0x0000_0100_0000_01b3
        }
    }
    return h
}

/// A tiny three-class problem and MLP, fixed by seeds.
func tinyProblem() throws -> (model: Sequential, inputs: Tensor, labels: [Int]) {
    var rng = SeededGenerator(seed: 11)
    let model = try Sequential(inputShape: [8], layers: [Dense(8, 12, rng: &rng), ReLU(), Dense(12, 3, rng: &rng)])
    let x = Tensor.normal([90, 8], using: &rng)
    let y = (0..<90).map { i in (x.scalars[i * 8] > 0 ? 1 : 0) + (x.scalars[i * 8 + 1] > 0.5 ? 1 : 0) }
    return (model, x, y)
}

@Test func plainTrainingWeightsAreUnchanged() throws {
    var (model, x, y) = try tinyProblem()
    var adam = Adam(learningRate: 0.01)
    let summaries = train(&model, inputs: x, labels: y, optimizer: &adam, configuration: TrainingConfiguration(epochs: 3, batchSize: 16, seed: 5))
    #expect(modelFingerprint(model) == 9_143_859_314_488_345_069)
    #expect(summaries.map(\.loss) == [1.0240199327468873, 0.9465014669630263, 0.8743630912568834])
}
