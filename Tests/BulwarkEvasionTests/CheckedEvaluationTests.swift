import Foundation
import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

/// The checklist run by an evaluation, with and without an input-transform defence.
struct CheckedEvaluationTests {
    let x: Tensor, y: [Int]
    init() {
        let (a, b) = blobs(count: 90, seed: 2)
        x = a.reshaped([90, 1, 4, 4])
        y = b
    }

    var plan: Evaluation { Evaluation(specs: [AttackSpec(.fgsm), AttackSpec(.pgd, maxIterations: 10)], epsilons: [0.1, 0.2], batchSize: 45, seed: 1) }

    @Test func undefendedModelGetsAVerdictAndSkippingLeavesNone() throws {
        let model = ReshapingClassifier(base: trainedMLP)
        let settings = ChecklistSettings(examples: 60, squareQueries: 100)
        let r = try CheckedEvaluation(evaluation: plan, checklist: settings).run(model: model, inputs: x, labels: y)
        let c = try #require(r.checklist)
        #expect(r.checklistExamples == 60)
        #expect(c.epsilon == 0.2)  // the largest ε evaluated
        #expect(c.verdicts.count == MaskingCheck.allCases.count)
        #expect(r.reliable == c.reliable)
        #expect(r.undefended == nil && r.defence == nil)
        #expect(r.evaluation.attacks.count == 4)
        // A plain MLP has healthy gradients and no transform to mask them.
        #expect(!r.failedChecks.contains(.gradientsHealthy))
        #expect(r.reliable == false ? !r.unreliableReasons.isEmpty : r.unreliableReasons.isEmpty)

        // The closing summary quotes the table's pgd cell at the checklist's ε over all 90
        // examples, not the checklist's figure on its 60.
        let cell = try #require(r.evaluation.attacks.first { $0.spec.kind == .pgd && $0.epsilon == 0.2 })
        let summary = try #require(r.summary)
        #expect(summary.contains(String(format: "%.1f%%", cell.metrics.robustAccuracy * 100)), "\(summary)")
        #expect(summary.contains("on 90 examples"), "\(summary)")

        let skipped = try CheckedEvaluation(evaluation: plan, checklist: nil).run(model: model, inputs: x, labels: y)
        #expect(skipped.checklist == nil && skipped.reliable == nil && skipped.failedChecks.isEmpty && skipped.summary == nil)
        // The checklist does not change the figures (timings aside).
        #expect(skipped.evaluation.attacks.map(\.metrics.robustAccuracy) == r.evaluation.attacks.map(\.metrics.robustAccuracy))
    }

    @Test func plainGradientThroughOneBitIsUnreliableAndBPDABreaksTheDefence() throws {
        let model = ReshapingClassifier(base: binarisedMLP)
        let defence = TransformDefence(transform: BitDepthReduction(bits: 1))
        let plan = Evaluation(specs: [AttackSpec(.pgd, maxIterations: 20)], epsilons: [0.25], batchSize: 90, seed: 1)
        let checked = CheckedEvaluation(evaluation: plan, checklist: ChecklistSettings(examples: 60, squareQueries: 100))
        let plain = try checked.run(model: model, defence: defence, gradient: .plain, inputs: x, labels: y)
        #expect(plain.defence == DefenceRecord(transform: "bit-depth-1", gradient: "plain", random: false))
        #expect(plain.reliable == false)
        #expect(plain.failedChecks.contains(.gradientsHealthy))
        #expect(plain.failedChecks.contains(.adaptiveNotMuchStronger))
        #expect(plain.unreliableReasons.contains { $0.hasPrefix("gradients-finite-and-nonzero") })
        let before = try #require(plain.undefended)
        #expect(before.cleanAccuracy == AttackMetrics(outcomes: before.attacks[0].outcomes).cleanAccuracy)

        let adaptive = try checked.run(model: model, defence: defence, gradient: .adaptive, inputs: x, labels: y)
        #expect(adaptive.defence?.gradient == "bpda")
        #expect(!adaptive.failedChecks.contains(.gradientsHealthy))
        let plainRobust = plain.evaluation.attacks[0].metrics.robustAccuracy
        let bpdaRobust = adaptive.evaluation.attacks[0].metrics.robustAccuracy
        #expect(bpdaRobust + 0.2 < plainRobust, "BPDA \(bpdaRobust) vs plain \(plainRobust)")
        // Same predictions either way: only the attacker's gradient differs.
        #expect(plain.evaluation.cleanAccuracy == adaptive.evaluation.cleanAccuracy)
    }

    @Test func randomTransformsAreAttackedWithEOT() throws {
        let defence = TransformDefence(transform: TotalVariationMinimization(lambda: 0.03), eotSamples: 3)
        #expect(defence.adaptiveGradient == .eot(samples: 3))
        #expect(TransformDefence(transform: JPEGCompression(quality: 75)).adaptiveGradient == .bpda)
        #expect(throws: EvasionError.self) {
            try TransformDefence(transform: ThermometerEncoding(levels: 4)).view(of: ReshapingClassifier(base: trainedMLP), gradient: .bpda)
        }
    }

    @Test func sweepEndsAtTheLargeEpsilon() {
        #expect(ChecklistSettings.sweep(epsilon: 0.1, large: 0.5) == [0.05, 0.1, 0.2, 0.5])
        #expect(ChecklistSettings.sweep(epsilon: 0.3, large: 0.5) == [0.15, 0.3, 0.5])
        #expect(ChecklistSettings.sweep(epsilon: 0.5, large: 0.5) == [0.25, 0.5])
    }
}
