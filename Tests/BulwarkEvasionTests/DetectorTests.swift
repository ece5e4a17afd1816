import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

struct DetectorMetricTests {
    @Test func thresholdMeetsTheTargetFalseAlarmRate() {
        let benign = (0..<100).map { Double($0) }
        let t = DetectionMetrics.threshold(benign: benign, falsePositiveRate: 0.05)
        #expect(t == 94)  // 95…99 flagged: 5%
        let m = DetectionMetrics(benign: benign, adversarial: [50, 96, 97, 200], targetFalsePositiveRate: 0.05)
        #expect(m.atTarget.falsePositiveRate == 0.05)
        #expect(m.atTarget.truePositiveRate == 0.75)
    }
}

struct DetectorTests {
    @Test func mahalanobisSeparatesOffDistributionInputs() throws {
        let (x, y) = blobs(count: 300, seed: 1)
        let det = try MahalanobisDetector(model: trainedMLP, layer: 1, inputs: x, labels: y)  // after the first ReLU
        #expect(det.dimension == 32)
        let (clean, _) = blobs(count: 100, seed: 4)
        var rng = SeededGenerator(seed: 3)
        let off = Tensor.uniform([100, 16], using: &rng)
        let m = det.evaluate(benign: clean, adversarial: off, targetFalsePositiveRate: 0.05)
        #expect(m.rocAUC > 0.9, "AUC \(m.rocAUC)")
        #expect(m.atTarget.falsePositiveRate <= 0.05)
        #expect(throws: EvasionError.self) { try MahalanobisDetector(model: trainedMLP, layer: 9, inputs: x, labels: y) }
    }

    @Test func mahalanobisFlagsPGDExamplesMoreThanCleanOnes() throws {
        let (x, y) = blobs(count: 300, seed: 1)
        let det = try MahalanobisDetector(model: trainedMLP, layer: 1, inputs: x, labels: y)
        let (tx, ty) = blobs(count: 120, seed: 6)
        let adv = try ProjectedGradientDescent().run(inputs: tx, labels: ty, model: .whiteBox(trainedMLP),
                                                     configuration: AttackConfiguration(epsilon: 0.25, maxIterations: 20, seed: 2))
        #expect(det.evaluate(benign: tx, adversarial: adv.adversarial).rocAUC > 0.6)
    }

    @Test func featureSqueezingScoresAdversarialImagesHigher() throws {
        // Images 1×4×4 of the blobs; the model sees them through a reshape. Squeezing by 1 bit
        // moves the clean ones little (the model is trained on binarised inputs); PGD examples
        // found without the squeezer in the loop sit near the decision boundary and move a lot.
        let (tx, ty) = blobs(count: 120, seed: 6)
        let images = tx.reshaped([120, 1, 4, 4])
        let model = ReshapingClassifier(base: binarisedMLP)
        let adv = try ProjectedGradientDescent().run(inputs: images, labels: ty, model: .whiteBox(model),
                                                     configuration: AttackConfiguration(epsilon: 0.2, maxIterations: 20, seed: 2))
        let det = FeatureSqueezingDetector(model: model, squeezers: [BitDepthReduction(bits: 1)])
        let m = det.evaluate(benign: images, adversarial: adv.adversarial, targetFalsePositiveRate: 0.1)
        #expect(m.rocAUC > 0.7, "AUC \(m.rocAUC)")
        #expect(det.name == "feature-squeezing(bit-depth-1)")
        #expect(det.scores(images).allSatisfy { $0 >= 0 && $0 <= 2 })
    }

    @Test func featureSqueezingScoresFromPrecomputedProbabilitiesMatchTheDetectorsOwnPasses() throws {
        let (tx, _) = blobs(count: 40, seed: 8)
        let images = tx.reshaped([40, 1, 4, 4])
        let model = ReshapingClassifier(base: binarisedMLP)
        let det = FeatureSqueezingDetector(model: model, squeezers: [BitDepthReduction(bits: 1), BitDepthReduction(bits: 2)])
        // By definition, with one forward pass per squeezer, computed here independently.
        let p = model.logits(images).softmax(axis: -1).scalars
        let byDefinition = (0..<40).map { r -> Double in
            det.squeezers.map { s -> Double in
                let q = model.logits(s.apply(images.rows(r..<r + 1), seed: 0)).softmax(axis: -1).scalars
                return (0..<model.classCount).reduce(0.0) { $0 + Double(abs(p[r * model.classCount + $1] - q[$1])) }
            }.max() ?? 0
        }
        let squeezed = det.squeezedInputs(images)
        #expect(squeezed.shape == [80, 1, 4, 4])
        let folded = det.scores(probabilities: model.logits(images).softmax(axis: -1), squeezedProbabilities: model.logits(squeezed).softmax(axis: -1))
        for (a, b) in zip(folded, byDefinition) { #expect(abs(a - b) < 1e-5) }
        for (a, b) in zip(det.scores(images), byDefinition) { #expect(abs(a - b) < 1e-5) }
        #expect(byDefinition.contains { $0 > 0.01 })   // the squeezers do move some answers
        // A row whose probabilities are not numbers scores NaN (fired), never 0.
        var broken = model.logits(images).softmax(axis: -1).scalars
        broken[0] = .nan
        let nanScores = det.scores(probabilities: Tensor(shape: [40, model.classCount], scalars: broken), squeezedProbabilities: model.logits(squeezed).softmax(axis: -1))
        #expect(nanScores[0].isNaN)
        #expect(!nanScores[1].isNaN)
    }
}
