import BulwarkArchive
import BulwarkModels
import BulwarkTensor
import Foundation
import Testing

/// What a ``RecordingStep`` saw, shared with the test (the trainer works on its own copy of the step).
private final class StepLog {
    var batches: [TrainingBatch] = []
}

/// A per-step hook that logs each batch and then takes the standard step on it.
private struct RecordingStep: TrainingStep {
    let log: StepLog

    func step<Model: TrainableModel, O: Optimizer>(_ model: inout Model, optimizer: inout O, batch: TrainingBatch,
                            context: inout ForwardContext, rng: inout SeededGenerator) -> (loss: Float, correct: Int) {
        log.batches.append(batch)
        return StandardTrainingStep().step(&model, optimizer: &optimizer, batch: batch, context: &context, rng: &rng)
    }
}

@Test func trainerCallsTheStepHookOncePerBatch() throws {
    var (model, x, y) = try tinyProblem()  // 90 examples
    var adam = Adam(learningRate: 0.01)
    let log = StepLog()
    var progressCalls = 0
    let config = TrainingConfiguration(epochs: 2, batchSize: 16, seed: 5)
    train(&model, inputs: x, labels: y, optimizer: &adam, configuration: config, step: RecordingStep(log: log)) { _ in progressCalls += 1 }
    // 90 examples in batches of 16: six steps an epoch, the last one of 10 examples
    #expect(log.batches.map(\.indices.count) == [16, 16, 16, 16, 16, 10, 16, 16, 16, 16, 16, 10])
    #expect(log.batches.map(\.epoch) == [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
    #expect(log.batches.map(\.step) == Array(0..<6) + Array(0..<6))
    #expect(log.batches.allSatisfy { $0.stepsPerEpoch == 6 })
    #expect(progressCalls == 12)
    for epoch in 1...2 {
        let seen = log.batches.filter { $0.epoch == epoch }.flatMap(\.indices)
        #expect(seen.sorted() == Array(0..<90), "epoch \(epoch) visits every example once")
    }
    for b in log.batches {
        #expect(b.labels == b.indices.map { y[$0] } && b.inputs == x.gatherRows(b.indices))
    }
    // A hook that only takes the standard step is plain training, bit for bit.
    var (plain, _, _) = try tinyProblem()
    var adam2 = Adam(learningRate: 0.01)
    train(&plain, inputs: x, labels: y, optimizer: &adam2, configuration: config)
    #expect(modelFingerprint(plain) == modelFingerprint(model))
}

/// 64 training and 32 test images of Fashion-MNIST's shape, fixed by a seed.
private func imageData() -> (train: (inputs: Tensor, labels: [Int]), test: (inputs: Tensor, labels: [Int])) {
    var rng = SeededGenerator(seed: 13)
    let x = Tensor.uniform([96, 1, 28, 28], using: &rng)
    let y = (0..<96).map { $0 % 10 }
    return ((x.rows(0..<64), Array(y[0..<64])), (x.rows(64..<96), Array(y[64..<96])))
}

@Test func modelTrainingRunWritesAFileWhoseProvenanceReadsBack() throws {
    let data = imageData()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-run-\(UUID().uuidString).safetensors").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let config = TrainingConfiguration(epochs: 1, batchSize: 32, seed: 9)
    var steps = 0
    let plain = SupervisedTraining(configuration: config, optimizer: Adam(learningRate: 0.002)) { _ in steps += 1 }
    let run = try ModelTraining.run(plain, architecture: .mlp, seed: 9, dataset: "test-images", training: data.train, test: data.test, saveTo: path)
    #expect(steps == 2 && run.outcome.count == 1)

    // The provenance as returned …
    let p = run.provenance
    #expect(p.architecture == .mlp && p.dataset == "test-images" && p.seed == 9 && p.trainImages == 64)
    #expect(p.epochs == 1 && p.batchSize == 32 && p.optimizer == "adam" && p.learningRate == 0.002)
    #expect(p.toolVersion == BulwarkVersion.current && p.defence == nil && p.differentialPrivacy == nil)
    #expect(p.dataSHA256 == ModelTraining.dataSHA256(inputs: data.train.inputs, labels: data.train.labels))
    #expect(p.dataSHA256?.count == 64)
    #expect(p.testAccuracy == run.testAccuracy && p.trainingSeconds == run.trainingSeconds)
    #expect(run.testAccuracy == run.model.accuracy(data.test.inputs, labels: data.test.labels))

    // … is what the file holds, and the file holds the trained weights.
    let loaded = try ModelFile.load(path: path)
    let read = try #require(try ModelProvenance(metadata: loaded.metadata))
    #expect(read.metadata == p.metadata)
    #expect(read.testAccuracy == Double(String(format: "%.4f", run.testAccuracy)))
    #expect(loaded.model.parameters == run.model.parameters)

    // The same seed through the plain trainer gives the same weights.
    var manual = ZooArchitecture.mlp.makeModel(seed: 9)
    var adam = Adam(learningRate: 0.002)
    train(&manual, inputs: data.train.inputs, labels: data.train.labels, optimizer: &adam, configuration: config)
    #expect(modelFingerprint(manual) == modelFingerprint(run.model))
}

@Test func dataDigestDependsOnInputsLabelsAndOrder() {
    let x = Tensor(shape: [2, 2], scalars: [0, 1, 2, 3])
    let d = ModelTraining.dataSHA256(inputs: x, labels: [0, 1])
    #expect(d == ModelTraining.dataSHA256(inputs: x, labels: [0, 1]))
    #expect(d != ModelTraining.dataSHA256(inputs: x, labels: [1, 0]))
    #expect(d != ModelTraining.dataSHA256(inputs: x.gatherRows([1, 0]), labels: [0, 1]))
    #expect(d != ModelTraining.dataSHA256(inputs: Tensor(shape: [2, 2], scalars: [0, 1, 2, 3.5]), labels: [0, 1]))
}

/// A run whose loss blows up stops at that step with one line naming the epoch and the
/// learning rate, and nothing is saved.
@Test func divergingTrainingStopsAndSavesNothing() throws {
    var rng = SeededGenerator(seed: 4)
    let x = Tensor(shape: [64, 1, 28, 28], scalars: (0..<(64 * 784)).map { _ in Float.random(in: 0...1, using: &rng) })
    let y = (0..<64).map { $0 % 10 }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-diverge-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("m.safetensors").path
    var steps = 0
    let plan = SupervisedTraining(configuration: TrainingConfiguration(epochs: 5, batchSize: 16, seed: 1),
                                  optimizer: SGD(learningRate: 1e30)) { _ in steps += 1 }
    do {
        _ = try ModelTraining.run(plan, architecture: .mlp, seed: 0, dataset: "test", training: (x, y), test: (x, y), saveTo: path)
        Issue.record("a diverging run finished")
    } catch {
        #expect(error.code == .training && error.message.contains("diverged in epoch 1 of 5") && error.message.contains("learning rate"),
                "\(error.message)")
    }
    #expect(steps < 5 * 4, "it ran \(steps) steps")
    #expect(!FileManager.default.fileExists(atPath: path))
}
