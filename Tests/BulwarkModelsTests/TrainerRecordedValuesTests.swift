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

/// Three sums over every parameter — Σw, Σw², Σw·(i mod 7 + 1) — that tell trained weights apart
/// without being bit-exact: BLAS picks its kernels by processor, and their rounding differs in the
/// last bits, which is not a change of the training loop.
func weightSummary(_ parameters: [Tensor]) -> [Double] {
    var sum = 0.0, squares = 0.0, weighted = 0.0, i = 0
    for t in parameters {
        for s in t.scalars {
            let w = Double(s)
            sum += w; squares += w * w; weighted += w * Double(i % 7 + 1)
            i += 1
        }
    }
    return [sum, squares, weighted]
}

/// Whether `a` and `b` agree to a relative `tolerance` (of the larger magnitude, at least 1e-3).
func agree(_ a: [Double], _ b: [Double], tolerance: Double) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(abs($0), abs($1), 1e-3) }
}

/// Recorded with the epoch loops as they are; a change of the loop (order, steps, optimizer
/// state) moves these by far more than the tolerance, the processor's BLAS kernels by far less.
@Test func plainTrainingWeightsAreUnchanged() throws {
    var (model, x, y) = try tinyProblem()
    var adam = Adam(learningRate: 0.01)
    let summaries = train(&model, inputs: x, labels: y, optimizer: &adam, configuration: TrainingConfiguration(epochs: 3, batchSize: 16, seed: 5))
    let summary = weightSummary(model.parameters)
    #expect(agree(summary, [1.085817044833675, 7.210101383734885, 2.2399553768336773], tolerance: 1e-4), "\(summary)")
    #expect(agree(summaries.map(\.loss), [1.0240199327468873, 0.9465014669630263, 0.8743630912568834], tolerance: 1e-5))
}
