import BulwarkModels
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkPrivacy

/// A classifier that "memorises" its training set: input (id, label, difficulty); the true-class
/// margin is difficulty + 4 on training ids and difficulty + 1 otherwise, plus seeded noise.
/// Difficulty varies a lot between examples, so per-example calibration (LiRA) beats a global
/// loss threshold.
struct Memorizer: DifferentiableClassifier {
    let trained: Set<Int>
    let noise: UInt64
    var inputShape: [Int] { [3] }
    var classCount: Int { 2 }

    func logits(_ input: Variable) -> Variable {
        let x = input.value
        let n = x.shape[0]
        var out = [Float](repeating: 0, count: n * 2)
        for i in 0..<n {
            let id = Int(x.scalars[i * 3]), label = Int(x.scalars[i * 3 + 1]), difficulty = x.scalars[i * 3 + 2]
            var rng = SeededGenerator(seed: UInt64(id) &* 7919 &+ noise)
            let margin = difficulty + (trained.contains(id) ? 4 : 1) + 0.3 * rng.nextNormal()
            out[i * 2 + label] = margin
        }
        return input.tape.constant(Tensor(shape: [n, 2], scalars: out))
    }
}

/// `count` examples with ids, labels and difficulties; the first half members of the target.
func memorizerData(count: Int) -> (x: Tensor, y: [Int]) {
    var rng = SeededGenerator(seed: 77)
    var xs: [Float] = [], ys: [Int] = []
    for id in 0..<count {
        let label = Int(rng.next() % 2)
        xs += [Float(id), Float(label), -5 + 10 * rng.nextUniform()]
        ys.append(label)
    }
    return (Tensor(shape: [count, 3], scalars: xs), ys)
}

let memorizerTrainer: ShadowTrainer = { x, _, seed in
    Memorizer(trained: Set((0..<x.shape[0]).map { Int(x.scalars[$0 * 3]) }), noise: seed)
}

@Test func rocMetricsOnKnownScores() throws {
    let m = try MembershipMetrics(memberScores: [3, 4, 5], nonMemberScores: [1, 2, 3.5])
    #expect(abs(m.auc - 8.0 / 9.0) < 1e-12)
    #expect(abs(m.advantage - 2.0 / 3.0) < 1e-12)  // threshold 4: TPR 2/3, FPR 0
    let perfect = try MembershipMetrics(memberScores: [2, 3], nonMemberScores: [0, 1])
    #expect(perfect.auc == 1 && perfect.tprAtFPR0_1Percent == 1 && perfect.advantage == 1)
    let ties = try MembershipMetrics(memberScores: [1, 1], nonMemberScores: [1, 1])
    #expect(ties.auc == 0.5 && ties.advantage == 0)
    #expect(throws: PrivacyError.self) { try MembershipMetrics(memberScores: [], nonMemberScores: [1]) }
    #expect(throws: PrivacyError.self) { try MembershipMetrics(memberScores: [.nan], nonMemberScores: [1]) }
}

@Test func clopperPearsonKnownValues() {
    // k = 0: upper = 1 − α^(1/n)
    #expect(abs(BetaDistribution.clopperPearsonUpper(successes: 0, trials: 10, alpha: 0.05) - (1 - pow(0.05, 0.1))) < 1e-9)
    // the classic two-sided 95% interval for 5/10 is [0.1871, 0.8129]
    #expect(abs(BetaDistribution.clopperPearsonUpper(successes: 5, trials: 10, alpha: 0.025) - 0.812914) < 1e-5)
    #expect(abs(BetaDistribution.clopperPearsonLower(successes: 5, trials: 10, alpha: 0.025) - 0.187086) < 1e-5)
    #expect(BetaDistribution.clopperPearsonUpper(successes: 10, trials: 10, alpha: 0.05) == 1)
}

@Test func empiricalEpsilonFromPerfectAndUselessAttacks() throws {
    let perfect = try EmpiricalEpsilon(memberScores: (0..<1000).map { 2000 + Double($0) }, nonMemberScores: (0..<1000).map(Double.init))
    // 500 evaluation examples per side, no errors: FPR, FNR ≤ 1 − 0.025^(1/500) ≈ 0.00735
    let u = 1 - pow(0.025, 1.0 / 500)
    #expect(abs(perfect.epsilonLowerBound - log((1 - 1e-5 - u) / u)) < 1e-6)
    var rng = SeededGenerator(seed: 1)
    let a = (0..<1000).map { _ in Double(rng.nextNormal()) }, b = (0..<1000).map { _ in Double(rng.nextNormal()) }
    let useless = try EmpiricalEpsilon(memberScores: a, nonMemberScores: b)
    #expect(useless.epsilonLowerBound < 0.3)
}

@Test func liraUsesPerExampleCalibrationAndBeatsTheLossThreshold() throws {
    let (x, y) = memorizerData(count: 400)
    let target = Memorizer(trained: Set(0..<200), noise: 999)
    let pool = try ShadowPool(candidates: x, labels: y, count: 8, seed: 3, trainer: memorizerTrainer)
    for i in 0..<400 { #expect((0..<8).filter { pool.membership[$0][i] }.count == 4) }  // balanced
    let stats = ExampleStatistics.of(target, inputs: x, labels: y)
    func auc(_ s: [Double]) throws -> Double { try MembershipMetrics(memberScores: Array(s[..<200]), nonMemberScores: Array(s[200...])).auc }
    let loss = try auc(ThresholdAttack.lossScores(stats))
    let online = try auc(LiRA.onlineScores(target: stats, pool: pool))
    let offline = try auc(LiRA.offlineScores(target: stats, pool: pool))
    let shadow = try auc(ShadowModelAttack.scores(target: stats, pool: pool))
    #expect(online > 0.99 && offline > 0.99, "LiRA online \(online), offline \(offline)")
    #expect(loss < 0.9 && loss > 0.55, "loss threshold \(loss)")
    #expect(shadow > 0.55, "shadow \(shadow)")
    #expect(throws: PrivacyError.self) { try ShadowPool(candidates: x, labels: y, count: 3, seed: 0, trainer: memorizerTrainer) }
}

@Test func exampleStatisticsAreStable() {
    let s = ExampleStatistics(logits: [1000, 0, -1000], label: 0)
    #expect(s.loss.isFinite && s.loss < 1e-6 && s.scaledConfidence > 999)
    let t = ExampleStatistics(logits: [0, 0], label: 1)
    #expect(abs(t.confidence - 0.5) < 1e-12 && abs(t.scaledConfidence) < 1e-12 && abs(t.entropy - log(2)) < 1e-12)
}

@Test func attributeInferenceRecoversAFeatureTheModelUses() throws {
    // logits = [−4·x0, 4·x0]: the label is x0, so the lowest-loss guess of x0 is the label
    let model = try Sequential(inputShape: [2], layers: [{
        var rng = SeededGenerator(seed: 0)
        var d = Dense(2, 2, rng: &rng)
        d.weight = Tensor(shape: [2, 2], scalars: [-4, 0, 4, 0])
        d.bias = Tensor([0, 0])
        return d
    }()])
    var rng = SeededGenerator(seed: 5)
    let rows = (0..<40).map { _ in Float(rng.next() % 2) }
    let x = Tensor(shape: [40, 2], scalars: rows.flatMap { [$0, rng.nextUniform()] })
    let y = rows.map { Int($0) }
    let r = try AttributeInference.run(model, members: (x.rows(0..<20), Array(y[..<20])), nonMembers: (x.rows(20..<40), Array(y[20...])),
                                       featureIndex: 0, candidates: [0, 1])
    #expect(r.memberAccuracy == 1 && r.nonMemberAccuracy == 1 && r.baselineAccuracy < 1)
    #expect(throws: PrivacyError.self) { try AttributeInference.run(model, members: (x, y), nonMembers: (x, y), featureIndex: 5, candidates: [0, 1]) }
}

@Test func modelInversionFindsTheClassesEvidence() throws {
    // class 0 likes pixel 0, class 1 likes pixel 3
    var rng = SeededGenerator(seed: 0)
    var d = Dense(4, 2, rng: &rng)
    d.weight = Tensor(shape: [2, 4], scalars: [3, 0, 0, -1, -1, 0, 0, 3])
    d.bias = Tensor([0, 0])
    let model = try Sequential(inputShape: [4], layers: [d])
    let images = try ModelInversion.reconstruct(model, classes: [0, 1], steps: 200)
    #expect(images[0].pixels[0] > 0.95 && images[0].pixels[3] < 0.05)
    #expect(images[1].pixels[3] > 0.95 && images[1].pixels[0] < 0.05)
    #expect(images.allSatisfy { $0.confidence > 0.9 && $0.pixels.allSatisfy { $0 >= 0 && $0 <= 1 } })
}
