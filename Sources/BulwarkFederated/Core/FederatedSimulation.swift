public import BulwarkDP
public import BulwarkModels
public import BulwarkTensor
import Foundation

/// The settings of an in-process federation: who takes part, how they train, how the
/// coordinator aggregates, and which clients attack.
public struct FederatedPlan: Sendable, Codable, Equatable {
    /// Clients in the federation (N).
    public var clients: Int
    /// Rounds to run.
    public var rounds: Int
    /// Clients sampled uniformly without replacement per round (ignored under DP-FedAvg, whose
    /// Poisson sampling picks them).
    public var clientsPerRound: Int
    /// How the data is split among clients.
    public var partition: DataPartition
    /// Each client's local training.
    public var local: LocalTraining
    /// The aggregation rule (ignored under DP-FedAvg, which is its own clipped, noised mean).
    public var rule: AggregationRule
    /// DP-FedAvg (user-level DP) instead of ``rule``; nil for none.
    public var dp: DPFedAvg?
    /// The step the coordinator takes along the aggregated update (1: replace by the average).
    public var serverLearningRate: Float
    /// The fraction of clients that are malicious (the first ⌊fraction·N⌋ after a seeded shuffle).
    public var maliciousFraction: Double
    /// What malicious clients do.
    public var attack: ClientBehaviour
    /// The probability that a sampled client drops out before sending its update.
    public var dropoutRate: Double
    /// Examples the coordinator keeps as its clean root set (FLTrust), taken out of the
    /// training data before it is split.
    public var rootExamples: Int
    /// Seed of the partition, the sampling, local shuffles and dropouts (DP noise has its own source).
    public var seed: UInt64
    /// Sum the updates with SecAgg / SecAgg+ instead of in the clear (FedAvg with equal weights,
    /// or DP-FedAvg); nil for a plain sum.
    public var secureAggregation: SecureAggregationPlan?

    /// A plan; the defaults are 10 clients, 5 rounds, all clients each round, IID data, FedAvg.
    public init(clients: Int = 10, rounds: Int = 5, clientsPerRound: Int? = nil, partition: DataPartition = .iid,
                local: LocalTraining = LocalTraining(), rule: AggregationRule = .fedAvg, dp: DPFedAvg? = nil,
                serverLearningRate: Float = 1, maliciousFraction: Double = 0, attack: ClientBehaviour = .honest,
                dropoutRate: Double = 0, rootExamples: Int = 100, seed: UInt64 = 0, secureAggregation: SecureAggregationPlan? = nil) {
        self.clients = clients
        self.rounds = rounds
        self.clientsPerRound = clientsPerRound ?? clients
        self.partition = partition
        self.local = local
        self.rule = rule
        self.dp = dp
        self.serverLearningRate = serverLearningRate
        self.maliciousFraction = maliciousFraction
        self.attack = attack
        self.dropoutRate = dropoutRate
        self.rootExamples = rootExamples
        self.seed = seed
        self.secureAggregation = secureAggregation
    }

    /// Throws `invalidParameter` for a setting out of range, naming it.
    public func validate() throws(FederatedError) {
        guard clients >= 1 else { throw FederatedError(.invalidParameter, "clients must be ≥ 1, got \(clients)") }
        guard rounds >= 1 else { throw FederatedError(.invalidParameter, "rounds must be ≥ 1, got \(rounds)") }
        guard (1...clients).contains(clientsPerRound) else {
            throw FederatedError(.invalidParameter, "clients per round must be in 1…\(clients), got \(clientsPerRound)")
        }
        try local.validate()
        guard serverLearningRate > 0, serverLearningRate.isFinite else {
            throw FederatedError(.invalidParameter, "server learning rate must be positive, got \(serverLearningRate)")
        }
        guard maliciousFraction >= 0, maliciousFraction < 1 else {
            throw FederatedError(.invalidParameter, "malicious fraction must be in [0, 1), got \(maliciousFraction)")
        }
        guard maliciousFraction == 0 || attack != .honest else {
            throw FederatedError(.invalidParameter, "malicious clients need an attack (sign-flip, model-replacement or label-flip)")
        }
        guard dropoutRate >= 0, dropoutRate < 1 else { throw FederatedError(.invalidParameter, "dropout rate must be in [0, 1), got \(dropoutRate)") }
        guard rootExamples >= 0 else { throw FederatedError(.invalidParameter, "root examples must be ≥ 0, got \(rootExamples)") }
        if dp == nil, rule.needsReference, rootExamples == 0 {
            throw FederatedError(.invalidParameter, "FLTrust needs a root set: give root examples > 0")
        }
        if secureAggregation != nil, dp == nil, rule != .fedAvg {
            throw FederatedError(.invalidParameter, "secure aggregation shows the coordinator only the sum: it goes with FedAvg or DP-FedAvg, not \(rule), which needs each update")
        }
        if let s = secureAggregation { try s.validate() }
        if let dp, dp.population != clients {
            throw FederatedError(.invalidParameter, "DP-FedAvg was planned for \(dp.population) clients, the federation has \(clients)")
        }
    }
}

/// What happened in one round of a simulated federation.
public struct FederatedRound: Sendable, Codable, Equatable {
    /// The round, from 1.
    public var round: Int
    /// Clients sampled this round.
    public var sampled: Int
    /// Sampled clients that dropped out before sending.
    public var droppedOut: Int
    /// Malicious clients among those whose update arrived.
    public var maliciousParticipants: Int
    /// The share of the aggregate given to malicious clients (sum of their verdict weights).
    public var maliciousWeight: Double
    /// Honest updates the rule excluded (weight 0).
    public var honestExcluded: Int
    /// Malicious updates the rule excluded (weight 0).
    public var maliciousExcluded: Int
    /// Mean local training loss of the honest participants.
    public var meanLocalLoss: Double
    /// Accuracy of the global model on the test set after the round.
    public var testAccuracy: Double
    /// For a backdoor attack: the fraction of triggered test inputs of other classes classified
    /// as the target after the round.
    public var backdoorSuccess: Double?
    /// ε spent so far under DP-FedAvg.
    public var epsilon: Double?
    /// Bytes each participant sent: its update as float32, or under secure aggregation the mean
    /// of every protocol message a client sent (JSON-encoded, as the simulation's transport).
    public var bytesUpPerClient: Int
    /// Wall seconds of the round.
    public var seconds: Double
    /// The verdict on each arrived update.
    public var verdicts: [ClientVerdict]
    /// Why the round's secure sum could not be unmasked (too many dropouts), leaving the model
    /// unchanged; nil when it was.
    public var secureAggregationFailure: String?
}

/// The outcome of ``FederatedSimulation/run(model:training:test:classCount:plan:randomness:progress:)``.
public struct FederatedSimulationResult<Model: TrainableModel>: Sendable where Model: Sendable {
    /// The global model after the last round.
    public var model: Model
    /// One record per round.
    public var rounds: [FederatedRound]
    /// The plan that ran.
    public var plan: FederatedPlan
    /// The model's parameter count.
    public var parameters: Int
    /// Which clients were malicious.
    public var maliciousClients: [Int]
    /// Test accuracy of the initial global model.
    public var initialAccuracy: Double
}

/// Runs a federation of N clients in one process: partition, sample, train locally, attack,
/// aggregate, evaluate — the experiment behind `bulwark fl simulate`.
public enum FederatedSimulation {
    /// Runs `plan` starting from `model` on `training` split among the clients; evaluates on
    /// `test` after every round.
    ///
    /// Deterministic for a given plan seed, except DP-FedAvg's sampling and noise, which come
    /// from `randomness` (the CSPRNG unless seeded for a test; a seeded run supports no privacy
    /// claim).
    /// - Throws: ``FederatedError`` for a bad plan, data too small for the clients, or a
    ///   diverged local training.
    public static func run<Model: TrainableModel & Sendable>(model: Model, training: (inputs: Tensor, labels: [Int]),
                                                             test: (inputs: Tensor, labels: [Int]), classCount: Int,
                                                             plan: FederatedPlan, randomness: DPRandomness = .secure,
                                                             progress: (FederatedRound) -> Void = { _ in }) throws(FederatedError) -> FederatedSimulationResult<Model> {
        try plan.validate()
        guard training.inputs.shape.first == training.labels.count, test.inputs.shape.first == test.labels.count else {
            throw FederatedError(.shapeMismatch, "inputs and labels differ in count")
        }
        var rng = SeededGenerator(seed: plan.seed)
        var random = DPRandomSource(randomness)
        // The root set (FLTrust) comes out of the training data before the split.
        let order = randomPermutation(training.labels.count, using: &rng)
        let rootCount = plan.dp == nil && plan.rule.needsReference ? min(plan.rootExamples, training.labels.count / 2) : 0
        let rootRows = Array(order.prefix(rootCount))
        let clientRows = Array(order.dropFirst(rootCount))
        let clientLabels = clientRows.map { training.labels[$0] }
        let shards = try plan.partition.shards(labels: clientLabels, clients: plan.clients, seed: rng.next())
            .map { $0.map { clientRows[$0] } }
        let maliciousCount = Int((plan.maliciousFraction * Double(plan.clients)).rounded(.down))
        let malicious = Set(randomPermutation(plan.clients, using: &rng).prefix(maliciousCount))

        var global = model
        var weights = try ModelWeights(model: global)
        let dimension = weights.count
        let initialAccuracy = global.accuracy(test.inputs, labels: test.labels)
        let backdoorTest = backdoorTestSet(test: test, attack: maliciousCount > 0 ? plan.attack : .honest)
        var records: [FederatedRound] = []

        // Under Paillier aggregation: the key holder's key pair, made before the first sum.
        var paillierKeys: PaillierKeyHolder?
        for round in 1...plan.rounds {
            let start = Date()
            let sampled: [Int]
            if let dp = plan.dp {
                sampled = dp.sampleClients(using: &random)
            } else {
                sampled = Array(randomPermutation(plan.clients, using: &rng).prefix(plan.clientsPerRound)).sorted()
            }
            var updates: [ClientUpdate] = []
            var droppedClients: [Int] = []
            var dropped = 0, lossSum = 0.0, honestCount = 0
            for client in sampled {
                let roundSeed = rng.next()
                if plan.dropoutRate > 0, Double.random(in: 0..<1, using: &rng) < plan.dropoutRate {
                    dropped += 1
                    droppedClients.append(client)
                    continue
                }
                let behaviour = malicious.contains(client) ? plan.attack : .honest
                let rows = shards[client]
                let (x, y) = behaviour.trainingData(inputs: training.inputs.gatherRows(rows), labels: rows.map { training.labels[$0] },
                                                    classCount: classCount)
                var local = global
                let (delta, loss) = try plan.local.update(&local, inputs: x, labels: y, seed: roundSeed)
                if behaviour == .honest {
                    lossSum += loss
                    honestCount += 1
                }
                updates.append(ClientUpdate(client: client, delta: behaviour.transform(delta), exampleCount: rows.count))
            }
            let aggregate: Aggregate
            var bytesUp = dimension * MemoryLayout<Float>.size
            var failure: String?
            if let secure = plan.secureAggregation, !updates.isEmpty {
                // The protocol's keys and graph come from a seed of their own, so a secure run
                // samples, partitions and trains exactly as the plain run of the same plan.
                let secureSeed = plan.seed ^ (0x5EC0_A66E_0000_0000 &+ UInt64(round))
                do {
                    if secure.paillierKeyBits != nil, paillierKeys == nil { paillierKeys = try secure.paillierKeyHolder() }
                    let summed = try secure.aggregate(updates, dropped: droppedClients, dimension: dimension, dp: plan.dp, round: round,
                                                      seed: secureSeed, paillierKeys: paillierKeys, random: &random)
                    aggregate = summed.aggregate
                    bytesUp = summed.bytesSentPerClient
                } catch where error.code == .notEnoughClients {
                    // Too many dropouts to unmask: the round's sum is lost and the model stays as it was.
                    failure = error.message
                    aggregate = Aggregate(delta: [Float](repeating: 0, count: dimension), verdicts: [])
                }
            } else if let dp = plan.dp {
                aggregate = try dp.aggregate(updates, dimension: dimension, using: &random)
            } else if updates.isEmpty {
                aggregate = Aggregate(delta: [Float](repeating: 0, count: dimension), verdicts: [])
            } else {
                var reference: [Float]?
                if plan.rule.needsReference {
                    var server = global
                    reference = try plan.local.update(&server, inputs: training.inputs.gatherRows(rootRows),
                                                      labels: rootRows.map { training.labels[$0] }, seed: rng.next()).delta
                }
                aggregate = try plan.rule.aggregate(updates, reference: reference)
            }
            var vector = weights.flattened
            for j in 0..<dimension { vector[j] += plan.serverLearningRate * aggregate.delta[j] }
            guard vector.allSatisfy({ $0.isFinite }) else {
                throw FederatedError(.malformed, "round \(round): the global model became non-finite (lower the learning rates)")
            }
            weights = try weights.replacing(with: vector)
            try weights.apply(to: &global)

            let verdicts = aggregate.verdicts
            let maliciousVerdicts = verdicts.filter { malicious.contains($0.client) }
            let honestVerdicts = verdicts.filter { !malicious.contains($0.client) }
            let accuracy = global.accuracy(test.inputs, labels: test.labels)
            var backdoor: Double?
            if let (x, target) = backdoorTest {
                let predictions = global.predictions(x)
                backdoor = predictions.isEmpty ? 0 : Double(predictions.filter { $0 == target }.count) / Double(predictions.count)
            }
            let record = FederatedRound(
                round: round, sampled: sampled.count, droppedOut: dropped, maliciousParticipants: maliciousVerdicts.count,
                maliciousWeight: maliciousVerdicts.reduce(0) { $0 + $1.weight },
                honestExcluded: honestVerdicts.filter { $0.weight == 0 }.count,
                maliciousExcluded: maliciousVerdicts.filter { $0.weight == 0 }.count,
                meanLocalLoss: honestCount > 0 ? lossSum / Double(honestCount) : .nan,
                testAccuracy: accuracy, backdoorSuccess: backdoor,
                epsilon: try plan.dp?.epsilon(afterRounds: round),
                bytesUpPerClient: bytesUp,
                seconds: Date().timeIntervalSince(start), verdicts: verdicts, secureAggregationFailure: failure)
            records.append(record)
            progress(record)
        }
        return FederatedSimulationResult(model: global, rounds: records, plan: plan, parameters: dimension,
                                         maliciousClients: malicious.sorted(), initialAccuracy: initialAccuracy)
    }

    /// Triggered test inputs whose true class is not the target, for measuring a backdoor.
    private static func backdoorTestSet(test: (inputs: Tensor, labels: [Int]), attack: ClientBehaviour) -> (Tensor, Int)? {
        guard case .modelReplacement(_, let target) = attack else { return nil }
        let rows = test.labels.indices.filter { test.labels[$0] != target }
        return (BackdoorTrigger.stamp(test.inputs.gatherRows(rows)), target)
    }
}
