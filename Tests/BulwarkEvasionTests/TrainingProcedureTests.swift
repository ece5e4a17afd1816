import BulwarkModels
import BulwarkTensor
import BulwarkEvasion
import Foundation
import Testing

/// What each defence's step writes into a model's provenance.
@Test func adversarialTrainingStepRecordsItsDefence() {
    func recorded(_ d: TrainingDefense, warmup: Int = 0) -> ModelProvenance.Defence? {
        var p = ModelProvenance(architecture: .mlp)
        AdversarialTrainingStep(defense: d, epsilonWarmupEpochs: warmup).record(in: &p)
        return p.defence
    }
    #expect(recorded(.standard) == nil)
    #expect(recorded(.gaussianNoise(sigma: 0.25)) == ModelProvenance.Defence(name: "noise", sigma: 0.25))
    #expect(recorded(.pgd(epsilon: 0.1, steps: 7, stepSize: nil), warmup: 2)
        == ModelProvenance.Defence(name: "pgd-at", epsilon: 0.1, steps: 7, warmupEpochs: 2))
    #expect(recorded(.fast(epsilon: 0.1, stepSize: nil)) == ModelProvenance.Defence(name: "fast-at", epsilon: 0.1))
    #expect(recorded(.trades(epsilon: 0.1, steps: 5, beta: 6)) == ModelProvenance.Defence(name: "trades", epsilon: 0.1, steps: 5, beta: 6))
}

/// 40 training and 20 test images of Fashion-MNIST's shape, fixed by a seed.
private func imageData() -> (train: (inputs: Tensor, labels: [Int]), test: (inputs: Tensor, labels: [Int])) {
    var rng = SeededGenerator(seed: 17)
    let x = Tensor.uniform([60, 1, 28, 28], using: &rng)
    let y = (0..<60).map { $0 % 10 }
    return ((x.rows(0..<40), Array(y[0..<40])), (x.rows(40..<60), Array(y[40..<60])))
}

private func temporaryModelPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-defended-\(UUID().uuidString).safetensors").path
}

@Test func defendedTrainingThroughModelTrainingMatchesTheDirectCall() throws {
    let data = imageData()
    let path = temporaryModelPath()
    defer { try? FileManager.default.removeItem(atPath: path) }
    let plan = AdversarialTraining(defense: .fast(epsilon: 0.1, stepSize: nil), configuration: TrainingConfiguration(epochs: 1, batchSize: 20, seed: 4))
    let run = try ModelTraining.run(plan.procedure(optimizer: Adam(learningRate: 1e-3)), architecture: .mlp, seed: 4, dataset: "test-images",
                                    training: data.train, test: data.test, saveTo: path)
    var direct = ZooArchitecture.mlp.makeModel(seed: 4)
    var adam = Adam(learningRate: 1e-3)
    plan.train(&direct, inputs: data.train.inputs, labels: data.train.labels, optimizer: &adam)
    #expect(parameterFingerprint(direct) == parameterFingerprint(run.model))
    let read = try #require(try ModelProvenance(metadata: ModelFile.load(path: path).metadata))
    #expect(read.defence == ModelProvenance.Defence(name: "fast-at", epsilon: 0.1))
    #expect(read.epochs == 1 && read.batchSize == 20 && read.optimizer == "adam" && read.seed == 4)
}

@Test func distillationThroughModelTrainingMatchesTheDirectCall() throws {
    let data = imageData()
    let path = temporaryModelPath()
    defer { try? FileManager.default.removeItem(atPath: path) }
    let plan = DefensiveDistillation(temperature: 10, configuration: TrainingConfiguration(epochs: 1, batchSize: 20, seed: 6))
    var stages: Set<String> = []
    let run = try ModelTraining.run(plan.procedure(makeTeacher: { ZooArchitecture.mlp.makeModel(seed: 7) },
                                                   makeOptimizer: { Adam(learningRate: 1e-3) }) { stage, _ in stages.insert(stage) },
                                    architecture: .mlp, seed: 6, dataset: "test-images", training: data.train, test: data.test, saveTo: path)
    #expect(stages == ["teacher", "student"] && run.outcome.teacher.count == 1 && run.outcome.student.count == 1)
    var teacher = ZooArchitecture.mlp.makeModel(seed: 7), student = ZooArchitecture.mlp.makeModel(seed: 6)
    plan.train(teacher: &teacher, student: &student, inputs: data.train.inputs, labels: data.train.labels, makeOptimizer: { Adam(learningRate: 1e-3) })
    #expect(parameterFingerprint(student) == parameterFingerprint(run.model))
    let read = try #require(try ModelProvenance(metadata: ModelFile.load(path: path).metadata))
    #expect(read.defence == ModelProvenance.Defence(name: "distillation", temperature: 10))
}
