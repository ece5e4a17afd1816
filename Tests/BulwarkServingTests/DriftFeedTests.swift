import BulwarkModels
import BulwarkServing
import BulwarkTensor
import Foundation
import Synchronization
import Testing

/// A classifier that counts its forward passes (the drift monitor must not add any when the
/// request's own logits are given).
private final class CountingClassifier: DifferentiableClassifier {
    let base: Sequential
    let passes = Atomic<Int>(0)
    init(_ base: Sequential) { self.base = base }
    var inputShape: [Int] { base.inputShape }
    var classCount: Int { base.classCount }
    func logits(_ input: Variable) -> Variable {
        passes.add(1, ordering: .relaxed)
        return base.logits(input)
    }
}

/// Through ``InferenceProtection``: a logits reference's monitor takes the logits recorded with
/// each request (no forward pass of its own), sees every example, and evaluates MMD on them; a
/// request recorded without logits is still embedded by running the model.
@Test func driftFeedTakesTheRequestsLogitsAsEmbeddings() async throws {
    let images = SyntheticImages()
    let model = try driftTestModel()
    let counting = CountingClassifier(model)
    let reference = try DriftReference.make(inputs: images.batch(600, seed: 1).inputs, model: model, modelName: "synthetic",
                                            options: DriftReferenceOptions(embeddingSampleSize: 200, embeddingSource: .logits))
    #expect(reference.embeddingSource == .logits && reference.embeddingDimension == 10)
    let configuration = DriftMonitorConfiguration(windowSize: 200, evaluationInterval: 100, mmdWindowSize: 100, mmdPermutations: 100)
    let protection = try InferenceProtection(settings: ProtectionSettings(driftReferences: ["synthetic": reference],
                                                                          driftConfiguration: configuration, embeddingEvery: 1))
    let served = ServedModel(name: "synthetic", version: 1, sha256: String(repeating: "0", count: 64), platform: "bulwark",
                             inputName: "input", classifier: counting)
    let (inputs, _) = images.batch(300, seed: 2)

    func waitForExamples(_ count: Int) async throws -> DriftReport {
        for _ in 0..<500 {
            if let report = protection.driftReport(model: "synthetic"), report.examplesSeen >= count { return report }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ServingError(.unavailable, "the drift monitor saw \(protection.driftReport(model: "synthetic")?.examplesSeen ?? -1) of \(count) examples")
    }

    for start in stride(from: 0, to: 300, by: 20) {
        let batch = inputs.rows(start..<start + 20)
        let logits = model.logits(batch)
        let probabilities = logits.softmax(axis: -1)
        await protection.record(model: served, client: "alice", inputs: batch, probabilities: probabilities, visible: probabilities, logits: logits)
    }
    let report = try await waitForExamples(300)
    #expect(counting.passes.load(ordering: .relaxed) == 0)
    #expect(report.statistic(.embeddingMMD) != nil)

    // Without logits, the monitor runs the model for the embeddings itself.
    let batch = inputs.rows(0..<20)
    let probabilities = model.logits(batch).softmax(axis: -1)
    await protection.record(model: served, client: "alice", inputs: batch, probabilities: probabilities, visible: probabilities)
    _ = try await waitForExamples(320)
    #expect(counting.passes.load(ordering: .relaxed) == 1)
}
