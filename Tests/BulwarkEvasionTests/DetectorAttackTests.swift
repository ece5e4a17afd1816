import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

struct ROCAndPipelineMetricTests {
    @Test func detectorROCThresholdsReproduceTheirRates() {
        // The shared curve's thresholds mean "flag strictly above", as the detector's operating point does.
        let roc = ROCCurve(positives: [2, 3], negatives: [0, 1]).points
        for p in roc {
            let op = DetectionMetrics.operatingPoint(threshold: p.threshold, benign: [0, 1], adversarial: [2, 3])
            #expect(op.falsePositiveRate == p.falsePositiveRate && op.truePositiveRate == p.truePositiveRate)
        }
    }

    @Test func pipelineMetricsCountOnlyUndetectedMisclassifications() {
        // 5 examples: #4 wrong when clean; #0 still correct; #1 fooled + flagged; #2, #3 fooled, unflagged.
        let m = PipelineMetrics(attack: "t", labels: [0, 0, 0, 0, 0], cleanPredictions: [0, 0, 0, 0, 1],
                                adversarialPredictions: [0, 1, 1, 1, 1], adversarialScores: [0, 5, 1, 0, 9],
                                benignScores: [0, 0, 0, 0, 0], threshold: 2, seconds: 0)
        #expect(m.modelRobustAccuracy == 0.2)
        #expect(m.fooledModel == 3)
        #expect(abs(m.detectionRate - 1.0 / 3) < 1e-12)
        #expect(m.pipelineRobustAccuracy == 0.4)
        #expect(m.undetectedSuccessRate == 0.5)
    }
}

struct DetectorAwareAttackTests {
    @Test func mahalanobisDifferentiableScoreIsExactAndItsGradientMatchesFiniteDifferences() throws {
        let (x, y) = blobs(count: 300, seed: 1)
        let det = try MahalanobisDetector(model: trainedMLP, layer: 1, inputs: x, labels: y)
        let (tx, _) = blobs(count: 6, seed: 9)
        let tape = Tape()
        let v = tape.variable(tx)
        let s = det.scores(v)
        let real = det.scores(tx)
        for (a, b) in zip(s.value.scalars, real) { #expect(abs(Double(a) - b) <= 1e-3 * max(1, b)) }
        let g = tape.gradients(of: s.sum(), wrt: [v])[0]
        #expect(g.scalars.contains { $0 != 0 })
        // Directional derivative along the gradient of row 0 vs a central difference.
        let h: Float = 1e-3
        var plus = tx.scalars, minus = tx.scalars
        let row = Array(g.scalars[0..<16])
        let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for j in 0..<16 { plus[j] += h * row[j] / norm; minus[j] -= h * row[j] / norm }
        let numeric = (det.scores(Tensor(shape: tx.shape, scalars: plus))[0] - det.scores(Tensor(shape: tx.shape, scalars: minus))[0]) / Double(2 * h)
        #expect(abs(numeric - Double(norm)) <= 0.05 * Double(norm), "numeric \(numeric) vs analytic \(norm)")
    }

    @Test func featureSqueezingGradientFlowsThroughBPDA() {
        let (tx, _) = blobs(count: 8, seed: 6)
        let det = FeatureSqueezingDetector(model: ReshapingClassifier(base: binarisedMLP), squeezers: [BitDepthReduction(bits: 1)])
        let tape = Tape()
        let v = tape.variable(tx.reshaped([8, 1, 4, 4]))
        let s = det.scores(v)
        #expect(s.shape == [8])
        // One squeezer: the surrogate (sum over squeezers) equals the real score (max over squeezers).
        for (a, b) in zip(s.value.scalars, det.scores(tx.reshaped([8, 1, 4, 4]))) { #expect(abs(Double(a) - b) < 1e-5) }
        #expect(tape.gradients(of: s.sum(), wrt: [v])[0].scalars.contains { $0 != 0 })
    }

    @Test func adaptiveAttackEvadesTheDetectorMoreThanPlainPGD() throws {
        let (fx, fy) = blobs(count: 300, seed: 1)
        let det = try MahalanobisDetector(model: trainedMLP, layer: 1, inputs: fx, labels: fy)
        let (cal, _) = blobs(count: 150, seed: 11)
        let (tx, ty) = blobs(count: 120, seed: 6)
        let r = try DetectorEvaluation(epsilon: 0.3, iterations: 30, targetFalsePositiveRate: 0.05, seed: 4)
            .run(model: trainedMLP, detector: det, calibration: cal, inputs: tx, labels: ty)
        #expect(r.calibrationExamples == 150 && r.examples == 120)
        #expect(r.falsePositiveRate <= 0.15, "FPR \(r.falsePositiveRate) on held-out clean data")
        #expect(r.roc.first?.falsePositiveRate == 0 && r.roc.last?.truePositiveRate == 1)
        #expect(r.nonAdaptive.fooledModel > 0)
        #expect(r.adaptive.detectionRate < r.nonAdaptive.detectionRate, "adaptive \(r.adaptive.detectionRate) vs \(r.nonAdaptive.detectionRate)")
        #expect(r.adaptive.pipelineRobustAccuracy <= r.nonAdaptive.pipelineRobustAccuracy)
        #expect(r.adaptive.undetectedSuccessRate > r.nonAdaptive.undetectedSuccessRate)
        // Adversarial inputs stay in the ε-ball: the model-only robust accuracy is not above clean accuracy.
        #expect(r.adaptive.modelRobustAccuracy <= r.cleanAccuracy)
    }
}
