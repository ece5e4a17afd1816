import Testing
import Foundation
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

/// Outcomes for `n` examples, all correct when clean, broken where `broken` says.
func outcomes(_ n: Int, broken: Set<Int>) -> [ExampleOutcome] {
    (0..<n).map { i in
        ExampleOutcome(label: 0, cleanPrediction: 0, adversarialPrediction: broken.contains(i) ? 1 : 0, success: broken.contains(i),
                       l0: 0, l2: 0, linf: 0, queries: 1, iterations: 1, seconds: 0)
    }
}

struct ChecklistAssessmentTests {
    let n = 100
    /// A sound evaluation: PGD breaks 60, FGSM 40 of them, everything else finds a subset.
    var sound: MaskingEvidence {
        let pgd = Set(0..<60)
        return MaskingEvidence(norm: .linf, epsilon: 0.1, primaryAttack: "pgd-linf", primary: outcomes(n, broken: pgd),
                               singleStep: outcomes(n, broken: Set(0..<40)), restarts: outcomes(n, broken: Set(0..<61)),
                               blackBox: outcomes(n, broken: Set(0..<50)), transfer: outcomes(n, broken: Set(0..<30)),
                               adaptive: outcomes(n, broken: pgd),
                               sweep: [SweepPoint(epsilon: 0.05, robustAccuracy: 0.7), SweepPoint(epsilon: 0.1, robustAccuracy: 0.4),
                                       SweepPoint(epsilon: 0.5, robustAccuracy: 0)],
                               gradients: GradientHealth(examples: n, zeroFraction: 0, nonFiniteFraction: 0, medianNorm: 1))
    }

    @Test func soundEvidenceIsReliable() throws {
        let r = GradientMaskingChecklist().assess(sound)
        #expect(r.reliable, "\(r.summary)")
        #expect(r.failedChecks.isEmpty && r.notRunChecks.isEmpty)
        #expect(r.verdicts.count == MaskingCheck.allCases.count)
        #expect(abs(r.claimedRobustAccuracy - 0.4) < 1e-12)
        #expect(r.reportableRobustAccuracy == r.claimedRobustAccuracy)
        let data = try JSONEncoder().encode(r)
        #expect(try JSONDecoder().decode(ChecklistReport.self, from: data) == r)
    }

    @Test func eachFailureModeIsNamed() {
        let c = GradientMaskingChecklist()
        var e = sound
        e.singleStep = outcomes(n, broken: Set(0..<80))
        #expect(c.assess(e).failedChecks == [.iterativeBeatsSingleStep])

        e = sound
        e.blackBox = outcomes(n, broken: Set(0..<70))  // stronger overall and finds 10 new
        #expect(c.assess(e).failedChecks == [.whiteBoxBeatsBlackBox, .gradientFreeFindsNothingNew])

        e = sound
        e.blackBox = outcomes(n, broken: Set(0..<50).union(Set(90..<95)))  // weaker overall, but 5 new
        #expect(c.assess(e).failedChecks == [.gradientFreeFindsNothingNew])

        e = sound
        e.transfer = outcomes(n, broken: Set(0..<70))
        #expect(c.assess(e).failedChecks == [.whiteBoxBeatsTransfer])

        e = sound
        e.sweep[2].robustAccuracy = 0.3
        #expect(c.assess(e).failedChecks == [.largeEpsilonReachesZero])

        e = sound
        e.sweep = [SweepPoint(epsilon: 0.05, robustAccuracy: 0.05), SweepPoint(epsilon: 0.1, robustAccuracy: 0.2),
                   SweepPoint(epsilon: 0.5, robustAccuracy: 0.05)]
        #expect(c.assess(e).failedChecks == [.successGrowsWithEpsilon])

        e = sound
        e.gradients = GradientHealth(examples: n, zeroFraction: 0.2, nonFiniteFraction: 0, medianNorm: 0)
        #expect(c.assess(e).failedChecks == [.gradientsHealthy])

        e = sound
        e.restarts = outcomes(n, broken: Set(0..<70))
        #expect(c.assess(e).failedChecks == [.restartsFindNothingNew])

        e = sound
        e.adaptive = outcomes(n, broken: Set(0..<90))
        let r = c.assess(e)
        #expect(r.failedChecks == [.adaptiveNotMuchStronger])
        #expect(!r.reliable && r.reportableRobustAccuracy == nil)
        #expect(abs(r.worstCaseRobustAccuracy - 0.1) < 1e-12)
        #expect(r.summary.contains("UNRELIABLE") && r.summary.contains("adaptive-not-much-stronger"))
    }

    @Test func missingCoreEvidenceIsNotReliable() {
        var e = sound
        e.singleStep = nil
        let r = GradientMaskingChecklist().assess(e)
        #expect(r.failedChecks.isEmpty)
        #expect(r.notRunChecks == [.iterativeBeatsSingleStep])
        #expect(!r.reliable)
        e = sound
        e.transfer = nil
        #expect(GradientMaskingChecklist().assess(e).reliable)  // transfer is optional
    }
}

/// The blob data binarised, and an MLP trained on binarised inputs (a model deployed behind
/// 1-bit depth reduction, as the defence would be).
let binarisedMLP: Sequential = {
    var rng = SeededGenerator(seed: 17)
    guard var model = try? Sequential(inputShape: [16], layers: [Dense(16, 32, rng: &rng), Activation(.relu), Dense(32, 3, rng: &rng)]) else {
        preconditionFailure("test MLP is inconsistent")
    }
    let (x, y) = blobs(count: 600, seed: 1)
    var opt = Adam(learningRate: 1e-2)
    train(&model, inputs: BitDepthReduction(bits: 1).apply(x.reshaped([600, 1, 4, 4]), seed: 0).reshaped([600, 16]), labels: y,
          optimizer: &opt, configuration: TrainingConfiguration(epochs: 15, batchSize: 50, seed: 3))
    return model
}()

struct ChecklistOnModelsTests {
    let x: Tensor, y: [Int]
    init() {
        let (a, b) = blobs(count: 120, seed: 2)
        x = a.reshaped([120, 1, 4, 4])
        y = b
    }

    @Test func oneBitDepthLooksStrongUnderPlainPGDIsBrokenByBPDAAndIsFlagged() throws {
        let base = ReshapingClassifier(base: binarisedMLP)
        let naive = PreprocessedClassifier(base, transform: BitDepthReduction(bits: 1), gradient: .plain)
        let adaptive = naive.withGradient(.bpda)
        #expect(naive.accuracy(x, labels: y) > 0.8)
        let runner = ChecklistRunner(epsilon: 0.15, sweep: [0.05, 0.15, 0.3, 0.5], iterations: 20, restarts: 1,
                                     squareQueries: 300, batchSize: 60, seed: 5)
        let e = try runner.evidence(model: naive, adaptive: adaptive, transferSource: ReshapingClassifier(base: trainedMLP), inputs: x, labels: y)
        let plainFigure = AttackMetrics(outcomes: e.primary).robustAccuracy
        let bpdaFigure = AttackMetrics(outcomes: e.adaptive ?? []).robustAccuracy
        // The naive attacker sees a zero gradient: the defence looks strong ...
        #expect(plainFigure > 0.6, "plain PGD robust accuracy \(plainFigure)")
        // ... and BPDA breaks it.
        #expect(bpdaFigure < plainFigure - 0.3, "BPDA robust accuracy \(bpdaFigure) vs plain \(plainFigure)")
        let report = runner.checklist.assess(e)
        #expect(!report.reliable, "\(report.summary)")
        #expect(report.failedChecks.contains(.gradientsHealthy))
        #expect(report.failedChecks.contains(.adaptiveNotMuchStronger))
        #expect(report.reportableRobustAccuracy == nil)
        #expect(report.worstCaseRobustAccuracy <= bpdaFigure)
    }

    @Test func undefendedModelEvaluationIsReliable() throws {
        let model = ReshapingClassifier(base: trainedMLP)
        let runner = ChecklistRunner(epsilon: 0.1, sweep: [0.05, 0.1, 0.2, 0.5], iterations: 20, restarts: 1,
                                     squareQueries: 300, batchSize: 60, seed: 5)
        let report = try runner.run(model: model, inputs: x, labels: y)
        #expect(report.reliable, "\(report.summary) \(report.verdicts.filter { $0.status == .failed }.map(\.detail))")
        #expect(report.reportableRobustAccuracy != nil)
    }

    @Test func adaptiveGradientOfASmoothTransformChangesNothing() throws {
        // Gaussian smoothing is differentiable: plain and BPDA gradients coincide.
        let base = ReshapingClassifier(base: trainedMLP)
        let naive = PreprocessedClassifier(base, transform: SpatialSmoothing(sigma: 0.5), gradient: .plain)
        #expect(naive.lossAndInputGradient(x, labels: y).gradient == naive.withGradient(.bpda).lossAndInputGradient(x, labels: y).gradient)
    }

    @Test func eotAveragesRandomDraws() {
        let base = ReshapingClassifier(base: trainedMLP)
        let tv = TotalVariationMinimization(lambda: 0.05, keepProbability: 0.5, iterations: 10)
        let one = PreprocessedClassifier(base, transform: tv, gradient: .bpda)
        let eot = one.withGradient(.eot(samples: 8))
        let g1 = one.lossAndInputGradient(x, labels: y).gradient
        let g8 = eot.lossAndInputGradient(x, labels: y).gradient
        #expect(g1 != g8)
        #expect(g8.scalars.allSatisfy { $0.isFinite })
        #expect(AttackerGradient.eot(samples: 8).label == "bpda+eot(8)")
    }
}
