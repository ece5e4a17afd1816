import Foundation
import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

struct MetricsTests {
    func outcome(label: Int, clean: Int, success: Bool, l2: Float = 0) -> ExampleOutcome {
        ExampleOutcome(label: label, cleanPrediction: clean, adversarialPrediction: success ? label + 1 : label,
                       success: success, l0: success ? 2 : 0, l2: l2, linf: l2, queries: 3, iterations: 1, seconds: 0.5)
    }

    @Test func conventions() {
        // 4 examples: 3 correct clean (one broken with l2 1, one broken with l2 3), 1 wrong clean.
        let o = [outcome(label: 0, clean: 0, success: true, l2: 1), outcome(label: 1, clean: 1, success: true, l2: 3),
                 outcome(label: 2, clean: 2, success: false), outcome(label: 0, clean: 1, success: true, l2: 9)]
        let m = AttackMetrics(outcomes: o)
        #expect(m.cleanAccuracy == 0.75)
        #expect(m.robustAccuracy == 0.25)
        #expect(abs(m.attackSuccessRate - 2.0 / 3.0) < 1e-12)
        #expect(m.meanL2 == 2 && m.medianL2 == 2)  // the wrong-at-start example is excluded
        #expect(m.meanQueries == 3 && m.secondsPerExample == 0.5)
    }

    @Test func ensembleIsPerExampleWorstCase() {
        let a = [outcome(label: 0, clean: 0, success: true), outcome(label: 0, clean: 0, success: false), outcome(label: 0, clean: 0, success: false)]
        let b = [outcome(label: 0, clean: 0, success: false), outcome(label: 0, clean: 0, success: true), outcome(label: 0, clean: 0, success: false)]
        #expect(abs(ensembleRobustAccuracy([a, b]) - 1.0 / 3.0) < 1e-12)
        #expect(AttackMetrics(outcomes: a).robustAccuracy > ensembleRobustAccuracy([a, b]))
    }

    @Test func evaluationCurveIsMonotoneAndEnsembleIsWorstCase() throws {
        let (x, y) = blobs(count: 90, seed: 3)
        let plan = Evaluation(specs: [AttackSpec(.fgsm), AttackSpec(.pgd, maxIterations: 10), AttackSpec(.pgd, norm: .l2, maxIterations: 10), AttackSpec(.deepfool, norm: .l2, maxIterations: 20)],
                              epsilons: [0, 0.03, 0.1, 0.3], batchSize: 32, seed: 9)
        var calls: [EvaluationProgress] = []
        let result = try plan.run(model: trainedMLP, inputs: x, labels: y) { calls.append($0) }
        #expect(calls.count == 3 * 4 * 4)
        #expect(calls.last.map { $0.completed == $0.total && $0.secondsRemaining == 0 } == true)
        #expect(result.attacks.count == 16)
        #expect(abs(result.cleanAccuracy - trainedMLP.accuracy(x, labels: y)) < 1e-12)
        for norm in PerturbationNorm.allCases {
            let pts = result.curve.filter { $0.norm == norm }
            #expect(pts.count == 4)
            #expect(pts.first?.robustAccuracy == result.cleanAccuracy)  // ε = 0 breaks nothing
            for (p, q) in zip(pts, pts.dropFirst()) { #expect(q.robustAccuracy <= p.robustAccuracy) }
            for p in pts {
                for cell in result.attacks where cell.spec.norm == norm && cell.epsilon == p.epsilon {
                    #expect(p.robustAccuracy <= cell.metrics.robustAccuracy)
                }
            }
        }
        #expect(result.curve.last.map { $0.robustAccuracy < result.cleanAccuracy } == true)
        // Codable round trip.
        let data = try JSONEncoder().encode(result)
        #expect(try JSONDecoder().decode(EvaluationResult.self, from: data) == result)
    }

    @Test func countingClassifierCountsAndEnforcesBudget() throws {
        let (x, _) = blobs(count: 10, seed: 1)
        var q = CountingQueryClassifier(QueryAdapter(trainedMLP), queryLimit: 25)
        _ = try q.labels(x)
        _ = try q.probabilities(x)
        #expect(q.queriesUsed == 20)
        #expect(throws: QueryBudgetExceeded.self) { _ = try q.labels(x) }
        #expect(q.queriesUsed == 20)
        _ = try q.labels(x.rows(0..<5))
        #expect(q.queriesUsed == 25)
    }
}
