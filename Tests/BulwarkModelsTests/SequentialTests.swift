import Testing
import BulwarkTensor
import BulwarkModels

@Suite struct SequentialTests {
    @Test func zooShapesAndParameterCounts() {
        let cnn = ZooArchitecture.cnn.makeModel(seed: 1)
        let mlp = ZooArchitecture.mlp.makeModel(seed: 1)
        #expect(cnn.parameterCount == 320 + 18_496 + 401_536 + 1_290)
        #expect(mlp.parameterCount == 200_960 + 32_896 + 1_290)
        var rng = SeededGenerator(seed: 2)
        let x = Tensor.uniform([3, 1, 28, 28], using: &rng)
        #expect(cnn.logits(x).shape == [3, 10])
        #expect(mlp.logits(x).shape == [3, 10])
        #expect(cnn.namedTensors.map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"])
        #expect(mlp.namedTensors.map(\.name) == ["1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"])
    }

    @Test func sameSeedSameWeights() {
        #expect(ZooArchitecture.cnn.makeModel(seed: 5).parameters == ZooArchitecture.cnn.makeModel(seed: 5).parameters)
        #expect(ZooArchitecture.cnn.makeModel(seed: 5).parameters != ZooArchitecture.cnn.makeModel(seed: 6).parameters)
    }

    @Test func mismatchedLayersAreRejectedWithTheLayerNamed() {
        var rng = SeededGenerator(seed: 0)
        #expect {
            try Sequential(inputShape: [1, 28, 28], layers: [Flatten(), Dense(100, 10, rng: &rng)])
        } throws: { error in
            (error as? ModelError)?.message.contains("layer 1 Dense(100→10)") == true
        }
    }

    @Test func loadChecksNamesAndShapesAndLeavesModelIntactOnError() throws {
        var model = ZooArchitecture.mlp.makeModel(seed: 1)
        let before = model.parameters
        var tensors = Dictionary(uniqueKeysWithValues: ZooArchitecture.mlp.makeModel(seed: 2).namedTensors.map { ($0.name, $0.tensor) })
        tensors["5.bias"] = Tensor.zeros([11])
        #expect(throws: ModelError.self) { try model.load(tensors) }
        #expect(model.parameters == before)
        tensors["5.bias"] = nil
        #expect(throws: ModelError.self) { try model.load(tensors) }
        tensors["5.bias"] = Tensor.zeros([10])
        tensors["9.weight"] = Tensor.zeros([1])
        #expect(throws: ModelError.self) { try model.load(tensors) }
        tensors["9.weight"] = nil
        try model.load(tensors)
        #expect(model.parameters == ZooArchitecture.mlp.makeModel(seed: 2).parameters.dropLast() + [Tensor.zeros([10])])
    }

    @Test func inputGradientMatchesFiniteDifferences() {
        var rng = SeededGenerator(seed: 3)
        let model = try! Sequential(inputShape: [2, 5, 5], layers: [
            Conv2D(2, 3, kernel: (3, 3), padding: (1, 1), rng: &rng), Activation(.tanh), AvgPool2D(kernel: (2, 2)),
            Flatten(), Dense(12, 4, rng: &rng),
        ])
        let x = Tensor.normal([2, 2, 5, 5], using: &rng)
        let labels = [1, 3]
        let (loss, g) = model.lossAndInputGradient(x, labels: labels)
        func lossAt(_ x: Tensor) -> Float {
            let t = Tape()
            return softmaxCrossEntropy(logits: model.logits(t.constant(x)), labels: labels).value.scalar
        }
        #expect(abs(lossAt(x) - loss) < 1e-6)
        for i in stride(from: 0, to: x.count, by: 7) {
            var p = x, m = x
            p.scalars[i] += 1e-2; m.scalars[i] -= 1e-2
            let numeric = (lossAt(p) - lossAt(m)) / 2e-2
            #expect(abs(numeric - g.scalars[i]) < 2e-3, "element \(i)")
        }
    }

    @Test func batchNormUpdatesRunningStatisticsOnlyInTraining() throws {
        var rng = SeededGenerator(seed: 4)
        var model = try Sequential(inputShape: [3], layers: [BatchNorm(channels: 3), Dense(3, 2, rng: &rng)])
        let x = Tensor.normal([16, 3], mean: 2, standardDeviation: 3, using: &rng)
        _ = model.logits(x)
        #expect(model.layers[0].buffers == [Tensor.zeros([3]), Tensor.ones([3])])
        var sgd = SGD(learningRate: 0)
        var context = ForwardContext(training: true)
        _ = trainStep(&model, optimizer: &sgd, inputs: x, labels: Array(repeating: 0, count: 16), context: &context)
        let stats = BatchNormalization.statistics(x)
        let mean = model.layers[0].buffers[0].scalars
        for c in 0..<3 { #expect(abs(mean[c] - 0.1 * stats.mean[c]) < 1e-5) }
    }

    @Test func dropoutIsIdentityAtInference() throws {
        var rng = SeededGenerator(seed: 5)
        let model = try Sequential(inputShape: [4], layers: [Dropout(rate: 0.5), Dense(4, 2, rng: &rng)])
        let x = Tensor.normal([3, 4], using: &rng)
        #expect(model.logits(x) == model.logits(x))
        var context = ForwardContext(training: true, seed: 1)
        let tape = Tape()
        let out = model.forward(tape.constant(x), parameters: model.parameters.map { tape.constant($0) }, context: &context).output
        #expect(out.value != model.logits(x))
    }
}

@Suite struct OptimizerTests {
    @Test func sgdWithMomentumMatchesHandComputation() {
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        var p = [Tensor([1, -2])]
        sgd.update(&p, gradients: [Tensor([0.5, 0.5])])
        // d = g + wd·p = [0.51, 0.48]; v = d; p -= 0.1·v
        #expect(p[0].isApproximatelyEqual(to: Tensor([0.949, -2.048]), absoluteTolerance: 1e-6))
        sgd.update(&p, gradients: [Tensor([0.5, 0.5])])
        // d = [0.50949, 0.47952]; v = 0.9·v + d = [0.96849, 0.91152]
        #expect(p[0].isApproximatelyEqual(to: Tensor([0.949 - 0.096849, -2.048 - 0.091152]), absoluteTolerance: 1e-6))
    }

    @Test func adamFirstStepsMatchHandComputation() {
        var adam = Adam(learningRate: 0.01)
        var p = [Tensor([1, 1])]
        adam.update(&p, gradients: [Tensor([2, -0.001])])
        // first step moves each parameter by ≈ lr·sign(g)
        #expect(p[0].isApproximatelyEqual(to: Tensor([0.99, 1.01]), absoluteTolerance: 1e-5))
        adam.update(&p, gradients: [Tensor([2, -0.001])])
        #expect(p[0].isApproximatelyEqual(to: Tensor([0.98, 1.02]), absoluteTolerance: 1e-5))
    }

    @Test func trainingSeparatesGaussianBlobs() throws {
        var rng = SeededGenerator(seed: 11)
        let n = 400
        let labels = (0..<n).map { $0 % 3 }
        let centers: [[Float]] = [[2, 0], [-2, 1], [0, -2.5]]
        let x = Tensor(shape: [n, 2], scalars: labels.flatMap { l in centers[l].map { $0 + 0.6 * rng.nextNormal() } })
        var model = try Sequential(inputShape: [2], layers: [Dense(2, 16, rng: &rng), ReLU(), Dense(16, 3, rng: &rng)])
        let before = model.accuracy(x, labels: labels)
        var adam = Adam(learningRate: 0.02)
        let summary = train(&model, inputs: x, labels: labels, optimizer: &adam,
                            configuration: TrainingConfiguration(epochs: 20, batchSize: 32, seed: 1))
        #expect(summary.count == 20)
        #expect(summary.last!.loss < summary.first!.loss)
        #expect(model.accuracy(x, labels: labels) > 0.95)
        #expect(before < 0.9)
    }
}
