import Testing
import BulwarkModels
import BulwarkTensor
import BulwarkPoisoning

@Test func repairRetrainingWithoutFlaggedRemovesBackdoor() throws {
    let task = DetectFixtures.backdoor
    let flagged = try ActivationClustering().detect(model: task.model, inputs: task.inputs, labels: task.labels).flaggedIndices
    let (repaired, report) = try RetrainRepair.repair(poisoned: task.model, initialModel: DetectFixtures.freshModel(),
                                               procedure: DetectFixtures.plan(epochs: 25), inputs: task.inputs, labels: task.labels,
                                               flagged: flagged, test: DetectFixtures.heldOutSourceAndTarget, targetClass: DetectFixtures.target,
                                               stamp: DetectFixtures.stamp)
    #expect(report.before.attackSuccessRate >= 0.9)
    #expect(report.after.attackSuccessRate <= 0.1, "attack success after repair \(report.after.attackSuccessRate)")
    #expect(report.after.cleanAccuracy >= report.before.cleanAccuracy - 0.03)
    let all = DetectFixtures.heldOut
    #expect(repaired.accuracy(all.inputs, labels: all.labels) >= task.model.accuracy(all.inputs, labels: all.labels) - 0.03)
    #expect(report.removedExamples == flagged.count && report.keptExamples == task.labels.count - flagged.count)
}

@Test func repairRefusesOutOfRangeIndices() {
    let task = DetectFixtures.clean(perClass: 2, seed: 1)
    #expect(throws: PoisoningError.self) {
        try RetrainRepair.retrain(initialModel: DetectFixtures.freshModel(), procedure: DetectFixtures.plan(epochs: 1),
                                  inputs: task.inputs, labels: task.labels, without: [8])
    }
}
