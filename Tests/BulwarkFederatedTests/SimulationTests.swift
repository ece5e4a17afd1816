import BulwarkDP
import BulwarkFederated
import BulwarkModels
import BulwarkTensor
import Testing

/// A two-class problem a linear model learns in a few rounds: class = sign of feature 0.
private func blobs(_ n: Int, seed: UInt64) -> (inputs: Tensor, labels: [Int]) {
    var rng = SeededGenerator(seed: seed)
    var x: [Float] = [], y: [Int] = []
    for i in 0..<n {
        let label = i % 2
        let centre: Float = label == 0 ? -1.5 : 1.5
        for f in 0..<8 { x.append((f == 0 ? centre : 0) + Float.random(in: -1...1, using: &rng)) }
        y.append(label)
    }
    return (Tensor(shape: [n, 8], scalars: x), y)
}

@Suite struct SimulationTests {
    func model() throws -> Sequential { try ZooArchitecture.tabular.makeModel(exampleShape: [8], classCount: 2, seed: 1) }

    @Test func fedAvgLearnsAndEveryRoundIsRecorded() throws {
        let plan = FederatedPlan(clients: 6, rounds: 3, clientsPerRound: 4, local: LocalTraining(epochs: 1, batchSize: 16, learningRate: 0.1), seed: 2)
        let result = try FederatedSimulation.run(model: try model(), training: blobs(600, seed: 1), test: blobs(200, seed: 2), classCount: 2, plan: plan)
        #expect(result.rounds.count == 3)
        #expect(result.rounds.allSatisfy { $0.sampled == 4 && $0.verdicts.count == 4 })
        #expect(try #require(result.rounds.last).testAccuracy > 0.9)
        #expect(result.rounds[0].bytesUpPerClient == result.parameters * 4)
    }

    @Test func signFlipBreaksFedAvgButNotTheMedian() throws {
        let training = blobs(800, seed: 3), test = blobs(200, seed: 4)
        var plan = FederatedPlan(clients: 10, rounds: 4, local: LocalTraining(epochs: 1, batchSize: 16, learningRate: 0.1),
                                 maliciousFraction: 0.3, attack: .signFlip(scale: 10), seed: 5)
        let attacked = try FederatedSimulation.run(model: try model(), training: training, test: test, classCount: 2, plan: plan)
        plan.rule = .median
        let defended = try FederatedSimulation.run(model: try model(), training: training, test: test, classCount: 2, plan: plan)
        #expect(attacked.maliciousClients.count == 3)
        #expect(try #require(defended.rounds.last).testAccuracy > 0.9)
        #expect(try #require(attacked.rounds.last).testAccuracy < 0.7)
        #expect(try #require(attacked.rounds.last).maliciousWeight > 0.2)
    }

    @Test func dpFedAvgReportsTheAccountantsEpsilonPerRound() throws {
        let dp = try DPFedAvg(clipNorm: 0.5, noiseMultiplier: 1, samplingRate: 0.5, population: 10, delta: 1e-5)
        let plan = FederatedPlan(clients: 10, rounds: 3, local: LocalTraining(epochs: 1, batchSize: 16, learningRate: 0.1), dp: dp, seed: 6)
        let result = try FederatedSimulation.run(model: try model(), training: blobs(400, seed: 7), test: blobs(100, seed: 8), classCount: 2,
                                                 plan: plan, randomness: .seededInsecure(seed: 9))
        for record in result.rounds {
            #expect(record.epsilon == (try dp.epsilon(afterRounds: record.round)))
        }
        #expect(result.rounds.map(\.epsilon!) == result.rounds.map(\.epsilon!).sorted())
    }

    @Test func dirichletPartitionCoversEveryExampleOnce() throws {
        let labels = (0..<1000).map { $0 % 10 }
        for partition: DataPartition in [.iid, .dirichlet(alpha: 0.1), .dirichlet(alpha: 100)] {
            let shards = try partition.shards(labels: labels, clients: 20, seed: 3)
            #expect(shards.count == 20)
            #expect(shards.flatMap { $0 }.sorted() == Array(0..<1000))
            #expect(shards.allSatisfy { !$0.isEmpty })
        }
        // Small α concentrates each client on few classes.
        let skewed = try DataPartition.dirichlet(alpha: 0.1).shards(labels: labels, clients: 20, seed: 3)
        let classesPerClient = skewed.map { Set($0.map { labels[$0] }).count }
        #expect(Double(classesPerClient.reduce(0, +)) / 20 < 6)
        #expect(throws: FederatedError.self) { try DataPartition.iid.shards(labels: [0, 1], clients: 3, seed: 0) }
    }

    @Test func fedProxKeepsClientsCloserToTheGlobalModel() throws {
        let data = blobs(200, seed: 10)
        var a = try model(), b = try model()
        let plain = try LocalTraining(epochs: 3, batchSize: 8, learningRate: 0.2).update(&a, inputs: data.inputs, labels: data.labels, seed: 1)
        let prox = try LocalTraining(epochs: 3, batchSize: 8, learningRate: 0.2, proximalMu: 5).update(&b, inputs: data.inputs, labels: data.labels, seed: 1)
        let norm = { (v: [Float]) in v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        #expect(norm(prox.delta) < norm(plain.delta))
    }

    @Test func badPlansAreRefused() throws {
        let data = blobs(20, seed: 1)
        for plan in [FederatedPlan(clients: 0), FederatedPlan(clients: 4, clientsPerRound: 5), FederatedPlan(maliciousFraction: 0.2),
                     FederatedPlan(rule: .flTrust, rootExamples: 0), FederatedPlan(clients: 30)] {
            #expect(throws: FederatedError.self) {
                try FederatedSimulation.run(model: try model(), training: data, test: data, classCount: 2, plan: plan)
            }
        }
    }
}

@Suite struct SecureSimulationTests {
    func model() throws -> Sequential { try ZooArchitecture.tabular.makeModel(exampleShape: [8], classCount: 2, seed: 1) }

    @Test func secureSumsGiveTheSameModelAsPlainEqualWeightAveraging() throws {
        let training = blobs(400, seed: 1), test = blobs(100, seed: 2)
        // Equal shards, so FedAvg's example weights are equal and the secure mean must match it.
        var plan = FederatedPlan(clients: 8, rounds: 2, local: LocalTraining(epochs: 1, batchSize: 16, learningRate: 0.1), seed: 3)
        let plain = try FederatedSimulation.run(model: try model(), training: training, test: test, classCount: 2, plan: plan)
        plan.secureAggregation = SecureAggregationPlan(neighbours: 4, clipRange: 2)
        let secure = try FederatedSimulation.run(model: try model(), training: training, test: test, classCount: 2, plan: plan)
        let a = try ModelWeights(model: plain.model).flattened, b = try ModelWeights(model: secure.model).flattened
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(secure.rounds[0].bytesUpPerClient > plain.rounds[0].bytesUpPerClient)
    }

    @Test func paillierEncryptedSumsGiveTheSameModelAndSurviveDropouts() throws {
        let training = blobs(400, seed: 1), test = blobs(100, seed: 2)
        var plan = FederatedPlan(clients: 8, rounds: 2, local: LocalTraining(epochs: 1, batchSize: 16, learningRate: 0.1), seed: 3)
        let plain = try FederatedSimulation.run(model: try model(), training: training, test: test, classCount: 2, plan: plan)
        plan.secureAggregation = SecureAggregationPlan(clipRange: 2, paillierKeyBits: 512, insecurePaillierKeysForTests: true)
        let encrypted = try FederatedSimulation.run(model: try model(), training: training, test: test, classCount: 2, plan: plan)
        let a = try ModelWeights(model: plain.model).flattened, b = try ModelWeights(model: encrypted.model).flattened
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 })
        // 32-bit slots, 15 per 512-bit key, 2·512/8 bytes per ciphertext
        #expect(encrypted.rounds[0].bytesUpPerClient == (a.count + 14) / 15 * 128)
        // a dropout is a ciphertext that never arrives: every round still aggregates
        plan.dropoutRate = 0.3
        let dropped = try FederatedSimulation.run(model: try model(), training: training, test: test, classCount: 2, plan: plan)
        #expect(dropped.rounds.contains { $0.droppedOut > 0 })
        #expect(dropped.rounds.allSatisfy { $0.secureAggregationFailure == nil && $0.verdicts.count == $0.sampled - $0.droppedOut })
        // small keys only for tests; the networked coordinator refuses the Paillier plan
        #expect(throws: FederatedError.self) { try SecureAggregationPlan(paillierKeyBits: 512).validate() }
        #expect(throws: FederatedError.self) {
            try CoordinatorConfiguration(rounds: 1, minimumClients: 2, secureAggregation: SecureAggregationPlan(paillierKeyBits: 2048)).validate()
        }
    }

    @Test func dropoutsAreRecoveredAndRobustRulesRefused() throws {
        let data = blobs(400, seed: 4)
        var plan = FederatedPlan(clients: 10, rounds: 2, local: LocalTraining(epochs: 1, batchSize: 16, learningRate: 0.1),
                                 dropoutRate: 0.2, seed: 5, secureAggregation: SecureAggregationPlan(neighbours: 6))
        let result = try FederatedSimulation.run(model: try model(), training: data, test: data, classCount: 2, plan: plan)
        #expect(result.rounds.contains { $0.droppedOut > 0 })
        #expect(result.rounds.allSatisfy { $0.secureAggregationFailure != nil || $0.verdicts.count == $0.sampled - $0.droppedOut })
        #expect(result.rounds.contains { $0.secureAggregationFailure == nil && $0.droppedOut > 0 })
        plan.rule = .median
        #expect(throws: FederatedError.self) { try FederatedSimulation.run(model: try model(), training: data, test: data, classCount: 2, plan: plan) }
    }
}
