public import BulwarkDP
import BulwarkTensor
public import Foundation

/// The settings of a networked federation run by ``FederatedCoordinator``.
public struct CoordinatorConfiguration: Sendable, Codable, Equatable {
    /// The federation's name (shown to clients).
    public var federation: String
    /// Rounds to run.
    public var rounds: Int
    /// Clients that must have joined before the first round opens.
    public var minimumClients: Int
    /// Clients selected per round (all joined clients when larger); ignored under DP-FedAvg,
    /// whose Poisson sampling picks them.
    public var clientsPerRound: Int
    /// Updates a round needs when its deadline passes; with fewer, the round reopens with a
    /// fresh selection (stragglers' updates are refused once a round has closed).
    public var minimumUpdates: Int
    /// Seconds a selected client has to submit its update.
    public var roundTimeout: Double
    /// What each client runs locally.
    public var local: LocalTraining
    /// The aggregation rule (ignored under DP-FedAvg).
    public var rule: AggregationRule
    /// DP-FedAvg instead of ``rule``.
    public var dp: DPFedAvg?
    /// The coordinator's step along the aggregated update.
    public var serverLearningRate: Float
    /// Seed of client selection and of the seeds handed to clients.
    public var seed: UInt64

    /// A configuration; defaults: 3 rounds, 2 clients to start, every joined client each round,
    /// at least 1 update, 120 s per round, FedAvg.
    public init(federation: String = "bulwark", rounds: Int = 3, minimumClients: Int = 2, clientsPerRound: Int = .max,
                minimumUpdates: Int = 1, roundTimeout: Double = 120, local: LocalTraining = LocalTraining(), rule: AggregationRule = .fedAvg,
                dp: DPFedAvg? = nil, serverLearningRate: Float = 1, seed: UInt64 = 0) {
        self.federation = federation
        self.rounds = rounds
        self.minimumClients = minimumClients
        self.clientsPerRound = clientsPerRound
        self.minimumUpdates = minimumUpdates
        self.roundTimeout = roundTimeout
        self.local = local
        self.rule = rule
        self.dp = dp
        self.serverLearningRate = serverLearningRate
        self.seed = seed
    }

    /// Throws `invalidParameter` for a setting out of range.
    public func validate() throws(FederatedError) {
        guard rounds >= 1 else { throw FederatedError(.invalidParameter, "rounds must be ≥ 1, got \(rounds)") }
        guard minimumClients >= 1 else { throw FederatedError(.invalidParameter, "minimum clients must be ≥ 1, got \(minimumClients)") }
        guard clientsPerRound >= 1 else { throw FederatedError(.invalidParameter, "clients per round must be ≥ 1, got \(clientsPerRound)") }
        guard minimumUpdates >= 1 else { throw FederatedError(.invalidParameter, "minimum updates must be ≥ 1, got \(minimumUpdates)") }
        guard roundTimeout > 0, roundTimeout.isFinite else { throw FederatedError(.invalidParameter, "round timeout must be positive, got \(roundTimeout)") }
        guard !rule.needsReference else { throw FederatedError(.invalidParameter, "FLTrust needs a root set on the coordinator; the networked coordinator does not keep one") }
        try local.validate()
    }
}

/// What the coordinator recorded of one closed round.
public struct CoordinatorRound: Sendable, Codable, Equatable {
    /// The round, from 1.
    public var round: Int
    /// Clients selected (over every attempt of the round).
    public var selected: [String]
    /// Clients whose update was aggregated.
    public var aggregated: [String]
    /// Times the round reopened because too few updates arrived in time.
    public var reopenings: Int
    /// Test accuracy after the round, when the coordinator evaluates.
    public var testAccuracy: Double?
    /// ε spent so far under DP-FedAvg.
    public var epsilon: Double?
    /// The verdict on each aggregated update (client index = position in ``aggregated``).
    public var verdicts: [ClientVerdict]
    /// Wall seconds from opening to closing.
    public var seconds: Double
}

/// The state a coordinator saves after every round, so that a restarted coordinator resumes
/// from the last closed round (`bulwark fl serve --state DIR`).
public struct CoordinatorCheckpoint: Sendable, Codable, Equatable {
    /// The last closed round.
    public var round: Int
    /// The global model after it.
    public var weights: ModelWeights
    /// The rounds so far.
    public var history: [CoordinatorRound]
}

/// Bulwark's own federated coordinator, without the network: clients join, poll for tasks and
/// submit updates; rounds open when enough clients have joined and close when every selected
/// client answered or the deadline passed (``tick(now:)``).
///
/// `bulwark fl serve` puts it behind gRPC with mutual TLS (``CoordinatorServer``); tests drive
/// it directly.
public actor FederatedCoordinator {
    /// A task for one client.
    public enum Task: Sendable, Equatable {
        /// Train from `weights` for `round` and submit before `deadline`.
        case train(round: Int, weights: ModelWeights, local: LocalTraining, seed: UInt64, deadline: Date)
        /// Ask again later.
        case wait(retryAfter: Double)
        /// The federation finished.
        case done
    }

    private struct OpenRound {
        var round: Int
        var selected: Set<String>
        var everSelected: [String]
        var updates: [String: ClientUpdate]
        var opened: Date
        var deadline: Date
        var reopenings: Int
        var seeds: [String: UInt64]
    }

    /// The configuration.
    public let configuration: CoordinatorConfiguration
    private var weights: ModelWeights
    private var joined: [String: Int] = [:]
    private var order: [String] = []
    private var open: OpenRound?
    private var closedRound: Int
    private var history: [CoordinatorRound]
    private var rng: SeededGenerator
    private var random: DPRandomSource
    private let evaluate: @Sendable (ModelWeights) -> Double?
    private let roundClosed: @Sendable (CoordinatorRound, CoordinatorCheckpoint) -> Void
    private var waiters: [CheckedContinuation<[CoordinatorRound], Never>] = []

    /// A coordinator starting from `weights` (or from `checkpoint`, resuming after its round).
    /// `evaluate` measures a global model (nil: not measured); `roundClosed` is called after
    /// every round with the checkpoint to save. DP noise and sampling come from `randomness`.
    public init(configuration: CoordinatorConfiguration, weights: ModelWeights, checkpoint: CoordinatorCheckpoint? = nil,
                randomness: DPRandomness = .secure, evaluate: @escaping @Sendable (ModelWeights) -> Double? = { _ in nil },
                roundClosed: @escaping @Sendable (CoordinatorRound, CoordinatorCheckpoint) -> Void = { _, _ in }) throws(FederatedError) {
        try configuration.validate()
        if let checkpoint {
            guard checkpoint.weights.hasSameLayout(as: weights) else {
                throw FederatedError(.shapeMismatch, "the checkpoint's model has a different layout from the model given")
            }
            guard checkpoint.round <= configuration.rounds else {
                throw FederatedError(.invalidParameter, "the checkpoint is at round \(checkpoint.round), past the \(configuration.rounds) rounds configured")
            }
        }
        self.configuration = configuration
        self.weights = checkpoint?.weights ?? weights
        self.closedRound = checkpoint?.round ?? 0
        self.history = checkpoint?.history ?? []
        var rng = SeededGenerator(seed: configuration.seed)
        // Advance past the rounds already run, so a resumed federation selects as a fresh one would.
        for _ in 0..<(checkpoint?.round ?? 0) { _ = rng.next() }
        self.rng = rng
        self.random = DPRandomSource(randomness)
        self.evaluate = evaluate
        self.roundClosed = roundClosed
    }

    /// The current global model.
    public var globalWeights: ModelWeights { weights }
    /// The rounds closed so far.
    public var rounds: [CoordinatorRound] { history }
    /// Whether every round has closed.
    public var isDone: Bool { closedRound >= configuration.rounds }

    /// Registers `client` with `examples` training examples (joining again updates the count).
    public func join(client: String, examples: Int) throws(FederatedError) -> ModelWeights {
        guard examples >= 0 else { throw FederatedError(.malformed, "client \(client) reported \(examples) examples") }
        if joined[client] == nil { order.append(client) }
        joined[client] = examples
        maybeOpen(now: Date())
        return weights
    }

    /// The task for `client`, which last finished `lastRound`.
    public func task(for client: String, lastRound: Int, now: Date = Date()) throws(FederatedError) -> Task {
        guard joined[client] != nil else { throw FederatedError(.notEnoughClients, "client \(client) has not joined") }
        tick(now: now)
        if isDone { return .done }
        guard let open else { return .wait(retryAfter: 1) }
        if open.selected.contains(client), open.updates[client] == nil, lastRound < open.round {
            return .train(round: open.round, weights: weights, local: configuration.local, seed: open.seeds[client] ?? 0, deadline: open.deadline)
        }
        return .wait(retryAfter: 0.5)
    }

    /// Accepts `update` from `client` for `round`, or says why not (late, not selected, wrong
    /// length, non-finite, already submitted). `retry` is true when the round is not open yet —
    /// after a restart, or while clients gather — so the client should ask for a task again
    /// rather than count the round as done.
    public func submit(client: String, round: Int, delta: [Float], examples: Int,
                       now: Date = Date()) -> (accepted: Bool, reason: String, retry: Bool) {
        guard var current = open, current.round == round else {
            if round <= closedRound { return (false, "round \(round) has closed", false) }
            return (false, "round \(round) is not open", true)
        }
        guard current.selected.contains(client) else { return (false, "client \(client) was not selected for round \(round)", false) }
        guard now <= current.deadline else { return (false, "round \(round)'s deadline has passed", false) }
        guard current.updates[client] == nil else { return (false, "client \(client) already submitted for round \(round)", false) }
        guard delta.count == weights.count else { return (false, "update has \(delta.count) values, the model \(weights.count)", false) }
        guard delta.allSatisfy({ $0.isFinite }) else { return (false, "update has a non-finite value", false) }
        guard examples >= 0 else { return (false, "negative example count", false) }
        let index = order.firstIndex(of: client) ?? 0
        current.updates[client] = ClientUpdate(client: index, delta: delta, exampleCount: examples)
        open = current
        if current.updates.count == current.selected.count { close(now: now) }
        return (true, "", false)
    }

    /// Closes a round whose deadline passed (aggregating what arrived when it is enough,
    /// reopening it with a fresh selection when not) and opens the next when clients are there.
    public func tick(now: Date = Date()) {
        if let current = open, now > current.deadline {
            if current.updates.count >= configuration.minimumUpdates {
                close(now: now)
            } else {
                open = nil
                reopen(after: current, now: now)
            }
        }
        maybeOpen(now: now)
    }

    /// Waits until every round has closed and returns the history.
    public func waitUntilDone() async -> [CoordinatorRound] {
        if isDone { return history }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func select() -> [String] {
        if configuration.dp != nil, let dp = configuration.dp {
            return dp.sampleClients(of: order.count, using: &random).map { order[$0] }
        }
        let k = min(configuration.clientsPerRound, order.count)
        return Array(randomPermutation(order.count, using: &rng).prefix(k)).sorted().map { order[$0] }
    }

    private func maybeOpen(now: Date) {
        guard open == nil, !isDone, order.count >= configuration.minimumClients else { return }
        let selected = select()
        var seeds: [String: UInt64] = [:]
        for c in selected { seeds[c] = rng.next() }
        open = OpenRound(round: closedRound + 1, selected: Set(selected), everSelected: selected, updates: [:], opened: now,
                         deadline: now.addingTimeInterval(configuration.roundTimeout), reopenings: 0, seeds: seeds)
        // A DP round may sample nobody: it still counts (the accountant composes it) and closes at once.
        if selected.isEmpty, configuration.dp != nil { close(now: now) }
    }

    private func reopen(after previous: OpenRound, now: Date) {
        let selected = select()
        var seeds: [String: UInt64] = [:]
        for c in selected { seeds[c] = rng.next() }
        open = OpenRound(round: previous.round, selected: Set(selected), everSelected: previous.everSelected + selected, updates: [:],
                         opened: previous.opened, deadline: now.addingTimeInterval(configuration.roundTimeout),
                         reopenings: previous.reopenings + 1, seeds: seeds)
    }

    private func close(now: Date) {
        guard let current = open else { return }
        open = nil
        let names = current.updates.keys.sorted()
        let updates = names.compactMap { current.updates[$0] }
        let aggregate: Aggregate
        do {
            if let dp = configuration.dp {
                aggregate = try dp.aggregate(updates, dimension: weights.count, using: &random)
            } else if updates.isEmpty {
                aggregate = Aggregate(delta: [Float](repeating: 0, count: weights.count), verdicts: [])
            } else {
                aggregate = try configuration.rule.aggregate(updates)
            }
            var vector = weights.flattened
            for j in vector.indices { vector[j] += configuration.serverLearningRate * aggregate.delta[j] }
            if vector.allSatisfy({ $0.isFinite }) { weights = try weights.replacing(with: vector) }
        } catch {
            // The rule refused this round's updates (too few for Krum's f): the round is reopened.
            reopen(after: current, now: now)
            return
        }
        closedRound = current.round
        let record = CoordinatorRound(round: current.round, selected: current.everSelected, aggregated: names, reopenings: current.reopenings,
                                      testAccuracy: evaluate(weights), epsilon: try? configuration.dp?.epsilon(afterRounds: current.round),
                                      verdicts: aggregate.verdicts, seconds: now.timeIntervalSince(current.opened))
        history.append(record)
        roundClosed(record, CoordinatorCheckpoint(round: closedRound, weights: weights, history: history))
        if isDone {
            for w in waiters { w.resume(returning: history) }
            waiters = []
        } else {
            maybeOpen(now: now)
        }
    }
}
