import Foundation
import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

/// The training defences are generic over `TrainableModel`: an ONNX import of a model trains
/// exactly as the model itself, defence by defence.
struct ONNXDefenceTrainingTests {
    let data: (Tensor, [Int]) = blobs(count: 120, seed: 5)

    @Test(arguments: [TrainingDefense.pgd(epsilon: 0.1, steps: 3, stepSize: nil), .fast(epsilon: 0.1, stepSize: nil),
                      .trades(epsilon: 0.1, steps: 2, beta: 6), .gaussianNoise(sigma: 0.2)])
    func defenceTrainsAnImportedModelAsItsSource(_ defense: TrainingDefense) throws {
        var native = freshBlobMLP(seed: 7)
        var imported = try ONNXModel(serialized: ONNXExporter.serialize(native))
        let plan = AdversarialTraining(defense: defense, configuration: TrainingConfiguration(epochs: 2, batchSize: 40, seed: 3))
        var (a, b) = (Adam(learningRate: 1e-2), Adam(learningRate: 1e-2))
        let nativeRun = plan.train(&native, inputs: data.0, labels: data.1, optimizer: &a)
        let importedRun = plan.train(&imported, inputs: data.0, labels: data.1, optimizer: &b)
        #expect(nativeRun.map(\.loss) == importedRun.map(\.loss), "\(defense.name)")
        #expect(native.parameters.map(\.scalars) == imported.parameters.map(\.scalars), "\(defense.name)")
        #expect(imported.parameters.map(\.scalars) != freshBlobMLP(seed: 7).parameters.map(\.scalars))
    }

    @Test func fineTuneRunsAProcedureOnAnImportedModel() throws {
        let source = freshBlobMLP(seed: 8)
        let imported = try ONNXModel(serialized: ONNXExporter.serialize(source))
        let plan = AdversarialTraining(defense: .fast(epsilon: 0.1, stepSize: nil), configuration: TrainingConfiguration(epochs: 3, batchSize: 40, seed: 1))
        let run = try ModelTraining.fineTune(plan.procedure(for: ONNXModel.self, optimizer: Adam(learningRate: 1e-2)),
                                             model: imported, training: data, test: data)
        #expect(run.outcome.count == 3)
        #expect(run.testAccuracy > imported.accuracy(data.0, labels: data.1))
        // Distillation with an ONNX teacher and student.
        let distill = DefensiveDistillation(temperature: 10, configuration: TrainingConfiguration(epochs: 2, batchSize: 40, seed: 2))
        let student = try ModelTraining.fineTune(
            distill.procedure(student: ONNXModel.self, makeTeacher: { imported }, makeOptimizer: { Adam(learningRate: 1e-2) }),
            model: imported, training: data, test: data)
        #expect(student.outcome.student.count == 2 && student.outcome.teacher.count == 2)
        #expect(student.model.parameters.map(\.scalars) != imported.parameters.map(\.scalars))
    }
}
