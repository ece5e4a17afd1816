import Testing
import BulwarkModels
import BulwarkTensor
import BulwarkPoisoning

// Each detector on a tiny model trained on planted poison (DetectFixtures): 400 8×8 images,
// 30 of them (from class 2) carrying a 2×2 corner patch and relabelled to class 0.

@Test func detectFixtureBackdoorIsLearnt() throws {
    let task = DetectFixtures.backdoor
    let test = DetectFixtures.heldOutSourceAndTarget
    let m = try RetrainRepair.measure(model: task.model, testInputs: test.inputs, testLabels: test.labels,
                                      targetClass: DetectFixtures.target, stamp: DetectFixtures.stamp)
    #expect(task.model.accuracy(DetectFixtures.heldOut.inputs, labels: DetectFixtures.heldOut.labels) >= 0.95)
    #expect(m.attackSuccessRate >= 0.9)
}

@Test func detectActivationClusteringFindsPlantedBackdoor() throws {
    let task = DetectFixtures.backdoor
    let result = try ActivationClustering().detect(model: task.model, inputs: task.inputs, labels: task.labels)
    let q = try DetectionQuality(flagged: result.flaggedIndices, poisonIndices: task.poison, count: task.labels.count)
    // Bound: precision and recall ≥ 0.9 on this separable task.
    #expect(q.precision >= 0.9, "precision \(q.precision)")
    #expect(q.recall >= 0.9, "recall \(q.recall); classes \(result.classes)")
    #expect(result.scores.count == task.labels.count)
    #expect(result.classes.first { $0.label == 0 }?.flagged ?? 0 > 0)
}

@Test func detectActivationClusteringSilhouetteRule() throws {
    let task = DetectFixtures.backdoor
    let result = try ActivationClustering(rule: .silhouette(minimum: 0.3)).detect(model: task.model, inputs: task.inputs, labels: task.labels)
    let q = try DetectionQuality(flagged: result.flaggedIndices, poisonIndices: task.poison, count: task.labels.count)
    #expect(q.recall >= 0.9, "recall \(q.recall); classes \(result.classes)")
    #expect(q.precision >= 0.5, "precision \(q.precision)")
}

@Test func detectSpectralSignaturesFindsPlantedBackdoor() throws {
    let task = DetectFixtures.backdoor
    // ε = the poison share of the target class (30 / 130); 1.5·ε of every class is removed.
    let result = try SpectralSignatures(expectedPoisonRate: 30.0 / 130).detect(model: task.model, inputs: task.inputs, labels: task.labels)
    let q = try DetectionQuality(flagged: result.flaggedIndices, poisonIndices: task.poison, count: task.labels.count)
    #expect(q.recall >= 0.9, "recall \(q.recall)")
    // In the target class 45 are removed for 30 poison: precision there ≥ 0.6.
    let inTarget = result.flaggedIndices.filter { task.labels[$0] == DetectFixtures.target }
    let hits = Set(inTarget).intersection(task.poison).count
    #expect(Double(hits) / Double(max(inTarget.count, 1)) >= 0.6)
}

@Test func detectLossOutliersFindFlippedLabels() throws {
    // Label flipping: 12 examples of class 1 labelled 2; a short training run does not memorise them.
    var (x, y) = DetectFixtures.clean(perClass: 100, seed: 21)
    let flipped = Array(y.indices.filter { y[$0] == 1 }.prefix(12))
    for i in flipped { y[i] = 2 }
    var model = DetectFixtures.freshModel()
    _ = try DetectFixtures.plan(epochs: 6).train(&model, inputs: x, labels: y)
    let result = try LossOutliers().detect(model: model, inputs: x, labels: y)
    let q = try DetectionQuality(flagged: result.flaggedIndices, poisonIndices: flipped, count: y.count)
    #expect(q.recall >= 0.9, "recall \(q.recall)")
    #expect(q.precision >= 0.8, "precision \(q.precision)")
    #expect(throws: PoisoningError.self) { try LossOutliers().detect(model: model, inputs: x, labels: Array(y.dropFirst())) }
}

@Test func detectSTRIPHitsRequestedFalseRejectionAndFlagsTriggers() throws {
    let task = DetectFixtures.backdoor
    let held = DetectFixtures.heldOut  // 240 images: 120 overlays, 120 calibration
    let strip = try STRIP(model: task.model, background: held.inputs.rows(0..<120))
    let calibration = held.inputs.rows(120..<240)
    let threshold = try strip.calibrate(clean: calibration, falseRejectionRate: 0.05)
    let onCalibration = try strip.detect(calibration, threshold: threshold)
    // ⌊0.05 · 120⌋ = 6 calibration inputs fall below the threshold (no ties in continuous entropies).
    #expect(onCalibration.flaggedIndices.count == 6)
    let others = held.labels.indices.filter { $0 >= 120 && held.labels[$0] == DetectFixtures.source }
    let triggered = DetectFixtures.stamp(held.inputs.gatherRows(others))
    let onTriggered = try strip.detect(triggered, threshold: threshold)
    let rate = Double(onTriggered.flaggedIndices.count) / Double(others.count)
    // Bound ≥ 0.5 (chance would be the 0.05 false-rejection rate; this tiny 8×8 model gives about 0.6).
    #expect(rate >= 0.5, "STRIP flagged \(rate) of triggered inputs")
}

@Test func detectNeuralCleanseFlagsTargetClass() throws {
    let task = DetectFixtures.backdoor
    let clean = DetectFixtures.heldOut.inputs.rows(0..<128)
    let result = try NeuralCleanse(steps: 120, examples: 128).run(model: task.model, cleanInputs: clean)
    let norms = result.triggers.map(\.maskL1)
    #expect(result.detection.flaggedIndices == [DetectFixtures.target], "mask L1 per class \(norms), index \(result.detection.scores)")
    #expect(norms.indices.min { norms[$0] < norms[$1] } == DetectFixtures.target)
}
