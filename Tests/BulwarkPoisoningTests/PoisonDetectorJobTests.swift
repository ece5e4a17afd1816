import BulwarkModels
import BulwarkTensor
import Foundation
import Testing

@testable import BulwarkPoisoning

/// A trigger written as mask and pattern (what `bulwark poison` saves) reads back as the same
/// stamp, for patches and blends; malformed masks are refused with one line.
@Test func triggerFromMaskAndPatternRoundTrips() throws {
    var rng = SeededGenerator(seed: 3)
    let images = Tensor.uniform([4, 3, 10, 12], using: &rng)
    let triggers: [Trigger] = [
        .checkerboard(size: 3, position: .bottomRight),
        try Trigger.patch(.noise(seed: 2), size: 4, position: .at(x: 2, y: 5), channels: 3),
        try Trigger.blend(.noise(seed: 1), alpha: 0.2, channels: 3, height: 10, width: 12),
    ]
    for trigger in triggers {
        let mask = try trigger.mask(channels: 3, height: 10, width: 12), pattern = try trigger.pattern(channels: 3, height: 10, width: 12)
        let again = try Trigger(mask: mask, pattern: pattern)
        #expect(again.kind == trigger.kind)
        #expect(try again.apply(to: images).scalars == trigger.apply(to: images).scalars)
    }
    var holey = [Float](repeating: 0, count: 16)
    holey[0] = 1; holey[15] = 1  // two corners: not one rectangle
    let bad = #expect(throws: PoisoningError.self) {
        try Trigger(mask: Tensor(shape: [1, 4, 4], scalars: holey), pattern: Tensor.zeros([1, 4, 4]))
    }
    #expect(bad?.message == "the trigger mask is not one rectangle of ones on every channel (a patch)")
    let zeros = #expect(throws: PoisoningError.self) { try Trigger(mask: Tensor.zeros([1, 4, 4]), pattern: Tensor.zeros([1, 4, 4])) }
    #expect(zeros?.message == "the trigger mask is all zeros: it stamps nothing")
    let shapes = #expect(throws: PoisoningError.self) { try Trigger(mask: Tensor.zeros([1, 4, 4]), pattern: Tensor.zeros([1, 4, 5])) }
    #expect(shapes?.code == .shapeMismatch)
}

/// Detector results join a data check: per-example flags into the union, class flags not; the
/// summary is the scores' spread.
@Test func dataCheckReportAddsDetections() throws {
    var report = DataCheckReport(count: 6, findings: [], flaggedIndices: [5], scores: [:], methods: [], comparedWithReference: false)
    let spectral = PoisonDetectionResult(method: "spectral-signatures", scores: [1, 4, 2, 8, 0, 3], flaggedIndices: [3, 1], threshold: 3.5)
    let cleanse = PoisonDetectionResult(method: "neural-cleanse", unit: .class, scores: [0.1, 2.5], flaggedIndices: [1])
    report.add(detections: [spectral, cleanse])
    #expect(report.flaggedIndices == [1, 3, 5])
    #expect(report.methods.map(\.method) == ["spectral-signatures", "neural-cleanse"])
    #expect(report.methods[0].flagged == [1, 3])
    #expect(report.methods[0].summary == ScoreSummary([0, 1, 2, 3, 4, 8]))
    #expect(report.methods[0].summary.median == 2.5 && report.methods[0].summary.mean == 3 && report.methods[0].summary.max == 8)
    #expect(report.methods[0].threshold == 3.5)
    #expect(report.methods[1].unit == "class" && report.methods[1].flagged == [1])
}

/// The job refuses what a method cannot run on, in one line, instead of skipping it.
@Test func poisonDetectorJobRefusesMissingInputs() throws {
    let model = ZooArchitecture.cnn.makeModel(seed: 0)
    let x = Tensor.zeros([4, 1, 28, 28]), y = [0, 1, 2, 3]
    let strip = #expect(throws: PoisoningError.self) { try PoisonDetectorJob.run(.strip, model: model, inputs: x, labels: y) }
    #expect(strip?.message == "method strip needs clean held-out images")
    let all = #expect(throws: PoisoningError.self) { try PoisonDetectorJob.run(.all, model: model, inputs: x, labels: y) }
    #expect(all?.code == .invalidParameter)
    #expect(DataCheckMethod.all.needsCleanImages && !DataCheckMethod.spectral.needsCleanImages)
    let loss = try PoisonDetectorJob.runAll([.loss, .loss], model: model, inputs: x, labels: y)
    #expect(loss.count == 1 && loss[0].scores.count == 4)
}
