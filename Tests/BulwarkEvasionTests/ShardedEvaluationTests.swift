import BulwarkData
import BulwarkModels
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkEvasion

/// An outcome without its wall time (the only field a shard may legitimately change).
private func timeless(_ o: ExampleOutcome) -> ExampleOutcome {
    var o = o
    o.seconds = 0
    return o
}

private func timeless(_ r: EvaluationResult) -> EvaluationResult {
    var r = r
    r.seconds = 0
    for k in r.attacks.indices {
        r.attacks[k].outcomes = r.attacks[k].outcomes.map(timeless)
        r.attacks[k].metrics = AttackMetrics(outcomes: r.attacks[k].outcomes)
    }
    return r
}

private let shardPlan = Evaluation(specs: [AttackSpec(.fgsm), AttackSpec(.pgd, maxIterations: 5, restarts: 1), AttackSpec(.square, maxQueries: 30)],
                                   epsilons: [0.05, 0.15], batchSize: 7, seed: 11)

@Test func fourShardsOfAnEvaluationMergeIntoOneRun() throws {
    let (x, y) = blobs(count: 50, seed: 4)
    var plan = shardPlan
    plan.keptExamples = 16
    let checked = CheckedEvaluation(evaluation: plan, checklist: ChecklistSettings(examples: 12, restarts: 1, squareQueries: 20))
    let whole = try checked.run(model: trainedMLP, inputs: x, labels: y)
    // shards in a scrambled order, each through JSON as the CLI writes and reads them
    let parts = try [3, 1, 4, 2].map { k in
        let part = try checked.run(shard: Shard(index: k, count: 4), toolVersion: "test", model: trainedMLP, inputs: x, labels: y)
        return try JSONDecoder().decode(PartialEvaluation.self, from: JSONEncoder().encode(part))
    }
    #expect(parts.map { $0.result.checklist != nil } == [false, true, false, false])
    let merged = try PartialEvaluation.merge(parts)
    #expect(timeless(merged.result.evaluation) == timeless(whole.evaluation))
    #expect(merged.result.evaluation.attacks.map(\.metrics.robustAccuracy) == whole.evaluation.attacks.map(\.metrics.robustAccuracy))
    #expect(merged.result.checklist == whole.checklist)
    // the gallery's rows: the same kept adversarial examples and originals
    for (a, b) in zip(merged.result.evaluation.attacks, whole.evaluation.attacks) {
        #expect(a.adversarialExamples?.scalars == b.adversarialExamples?.scalars)
        #expect(a.adversarialExamples?.shape == [16, 16])
    }
    #expect(merged.keptInputs.scalars == x.rows(0..<16).scalars && merged.keptLabels == Array(y[..<16]))
}

@Test func evaluationFiguresDoNotDependOnTheBatchSize() throws {
    let (x, y) = blobs(count: 30, seed: 5)
    var small = shardPlan
    small.batchSize = 4
    var large = shardPlan
    large.batchSize = 30
    let a = try small.run(model: trainedMLP, inputs: x, labels: y), b = try large.run(model: trainedMLP, inputs: x, labels: y)
    var aa = timeless(a), bb = timeless(b)
    aa.batchSize = 0
    bb.batchSize = 0
    #expect(aa == bb)
}

@Test func evaluationMergeRefusesPartsOfDifferentRuns() throws {
    let (x, y) = blobs(count: 20, seed: 6)
    let checked = CheckedEvaluation(evaluation: Evaluation(specs: [AttackSpec(.fgsm)], epsilons: [0.1], batchSize: 8, seed: 1), checklist: nil)
    func part(_ k: Int, _ n: Int, seed: UInt64 = 1, eps: Float = 0.1, labels: [Int]? = nil) throws -> PartialEvaluation {
        var c = checked
        c.evaluation.seed = seed
        c.evaluation.epsilons = [eps]
        return try c.run(shard: Shard(index: k, count: n), toolVersion: "test", model: trainedMLP, inputs: x, labels: labels ?? y)
    }
    let one = try part(1, 3), two = try part(2, 3), three = try part(3, 3)
    #expect(try PartialEvaluation.merge([one, two, three]).result.evaluation.examples == 20)
    func message(_ parts: [PartialEvaluation]) -> String {
        do { _ = try PartialEvaluation.merge(parts); return "" } catch { return error.message }
    }
    #expect(message([one, three]) == "merge: missing shard 2/3")
    #expect(message([one, two, two, three]) == "merge: shard 2/3 given twice (parts 2 and 3)")
    #expect(message([one, try part(2, 3, seed: 2), three]).contains("differ in seed (1 vs 2)"))
    #expect(message([one, try part(2, 3, eps: 0.2), three]).contains("differs from shard 1 in epsilons"))
    #expect(message([one, try part(2, 3, labels: y.map { ($0 + 1) % 3 }), three]).contains("differ in dataset digest"))
    #expect(message([one, try part(2, 4), three]).contains("differ in shard count (3 vs 4)"))
}

@Test func fourShardsOfACertificationMergeIntoOneRun() throws {
    let (x, y) = blobs(count: 18, seed: 7)
    let smoothing = try RandomizedSmoothing(base: trainedMLP, sigma: 0.1, n0: 20, n: 100, alpha: 0.01, batchSize: 64)
    let radii = [0, 0.05, 0.1]
    let whole = try smoothing.certify(inputs: x, labels: y, radii: radii, seed: 5)
    let parts = try (1...4).reversed().map { k in
        try smoothing.certify(shard: Shard(index: k, count: 4), toolVersion: "test", inputs: x, labels: y, radii: radii, seed: 5)
    }
    var merged = try PartialCertification.merge(parts)
    #expect(merged.examples == whole.examples)
    #expect(merged.curve == whole.curve && merged.abstentionRate == whole.abstentionRate)
    merged.seconds = whole.seconds
    #expect(merged == whole)
    var other = parts
    other[0].plan.sigma = 0.2
    #expect(throws: EvasionError.self) { try PartialCertification.merge(other) }
    #expect(throws: EvasionError.self) { try PartialCertification.merge(Array(parts.dropLast())) }
}
