import Foundation
import Testing
import BulwarkTensor
import BulwarkModels

/// The zoo `resnet` exported by Bulwark and imported as an ``ONNXModel`` trains as the zoo model
/// does: its `BatchNormalization` nodes use batch statistics in training and update the running
/// statistics as the zoo's `BatchNorm` layers do.
@Suite struct ONNXResNetTrainingTests {
    static func runningStatistics(_ named: [(name: String, tensor: Tensor)]) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: named.filter { $0.name.contains("running_") }.map { ($0.name, $0.tensor) })
    }

    @Test func trainStepEqualsTheZooResNetStep() throws {
        var zoo = try ONNXExportTests.withRandomBatchNormStatistics(
            ZooArchitecture.resnet.makeModel(exampleShape: [3, 8, 8], classCount: 4, seed: 3), seed: 5)
        var onnx = try ONNXModel(serialized: ONNXExporter.serialize(zoo))
        // Same names; the order differs inside a projection block (the loader visits nodes
        // breadth first, so `shortcut.0` comes right after `conv1`), so tensors pair by name.
        #expect(Set(onnx.parameterNames) == Set(zoo.parameterNames) && onnx.parameterNames.count == zoo.parameterNames.count)
        let zooBuffers = Self.runningStatistics(zoo.namedTensors)
        #expect(Set(onnx.bufferNames) == Set(zooBuffers.keys) && onnx.bufferNames.count == zooBuffers.count)
        var rng = SeededGenerator(seed: 4)
        let x = Tensor.uniform([8, 3, 8, 8], low: 0, high: 1, using: &rng)
        let labels = (0..<8).map { $0 % 4 }
        var (adamZoo, adamONNX) = (Adam(learningRate: 1e-2), Adam(learningRate: 1e-2))
        var (contextZoo, contextONNX) = (ForwardContext(training: true, seed: 1), ForwardContext(training: true, seed: 1))
        for step in 0..<2 {
            let a = trainStep(&zoo, optimizer: &adamZoo, inputs: x, labels: labels, context: &contextZoo)
            let b = trainStep(&onnx, optimizer: &adamONNX, inputs: x, labels: labels, context: &contextONNX)
            #expect(a.loss == b.loss && a.correct == b.correct, "step \(step): loss \(a.loss) vs \(b.loss)")
        }
        let trainedONNX = Dictionary(uniqueKeysWithValues: zip(onnx.parameterNames, onnx.parameters))
        for (name, p) in zip(zoo.parameterNames, zoo.parameters) {
            #expect(p.scalars == trainedONNX[name]?.scalars, "\(name) differs after two Adam steps")
        }
        // The running statistics moved, and equally: ONNX's momentum is 1 − 0.1 in float32, so
        // the two agree to rounding, not bit for bit.
        let trained = Self.runningStatistics(onnx.namedTensors)
        for (name, want) in Self.runningStatistics(zoo.namedTensors) {
            let got = try #require(trained[name])
            let error = ONNXExportTests.relativeError(want, got)
            #expect(error <= 1e-5, "\(name): relative error \(error)")
            #expect(want.scalars != zooBuffers[name]?.scalars, "\(name) was updated in training")
        }
        // In inference mode the two use those running statistics.
        let probe = Tensor.uniform([3, 3, 8, 8], low: 0, high: 1, using: &rng)
        #expect(ONNXExportTests.relativeError(zoo.logits(probe), onnx.logits(probe)) <= 1e-5)
    }

    @Test func trainingModeForwardUsesBatchStatistics() throws {
        let zoo = try ZooArchitecture.resnet.makeModel(exampleShape: [1, 6, 6], classCount: 3, seed: 9)
        let onnx = try ONNXModel(serialized: ONNXExporter.serialize(zoo))
        var rng = SeededGenerator(seed: 2)
        let x = Tensor.uniform([5, 1, 6, 6], low: 0, high: 3, using: &rng)
        let tape = Tape()
        var (c1, c2) = (ForwardContext(training: true), ForwardContext(training: true))
        let a = zoo.forward(tape.constant(x), parameters: zoo.parameters.map { tape.constant($0) }, context: &c1).output
        let b = onnx.forward(tape.constant(x), parameters: onnx.parameters.map { tape.constant($0) }, context: &c2).output
        #expect(a.value.scalars == b.value.scalars)
        #expect(ONNXExportTests.relativeError(a.value, onnx.logits(x)) > 1e-3, "inference mode normalises with the running statistics")
    }
}
