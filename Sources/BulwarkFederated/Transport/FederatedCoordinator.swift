public import BulwarkDP
import BulwarkCrypto
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
    /// Sum the updates with SecAgg / SecAgg+ instead of receiving each (FedAvg with equal
    /// weights, or DP-FedAvg with the clients clipping): the coordinator sees only the sum.
    public var secureAggregation: SecureAggregationPlan?
    /// Seconds each secure-aggregation phase stays open (the masked inputs at least until the
    /// round's deadline, since clients train while keys are exchanged); a client that has not
    /// answered by then has dropped.
    public var phaseTimeout: Double

    /// A configuration; defaults: 3 rounds, 2 clients to start, every joined client each round,
    /// at least 1 update, 120 s per round, FedAvg.
    public init(federation: String = "bulwark", rounds: Int = 3, minimumClients: Int = 2, clientsPerRound: Int = .max,
                minimumUpdates: Int = 1, roundTimeout: Double = 120, local: LocalTraining = LocalTraining(), rule: AggregationRule = .fedAvg,
                dp: DPFedAvg? = nil, serverLearningRate: Float = 1, seed: UInt64 = 0, secureAggregation: SecureAggregationPlan? = nil,
                phaseTimeout: Double = 30) {
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
        self.secureAggregation = secureAggregation
        self.phaseTimeout = phaseTimeout
    }

    /// Throws `invalidParameter` for a setting out of range.
    public func validate() throws(FederatedError) {
        guard rounds >= 1 else { throw FederatedError(.invalidParameter, "rounds must be ≥ 1, got \(rounds)") }
        guard minimumClients >= 1 else { throw FederatedError(.invalidParameter, "minimum clients must be ≥ 1, got \(minimumClients)") }
        guard clientsPerRound >= 1 else { throw FederatedError(.invalidParameter, "clients per round must be ≥ 1, got \(clientsPerRound)") }
        guard minimumUpdates >= 1 else { throw FederatedError(.invalidParameter, "minimum updates must be ≥ 1, got \(minimumUpdates)") }
        guard roundTimeout > 0, roundTimeout.isFinite else { throw FederatedError(.invalidParameter, "round timeout must be positive, got \(roundTimeout)") }
        guard !rule.needsReference else { throw FederatedError(.invalidParameter, "FLTrust needs a root set on the coordinator; the networked coordinator does not keep one") }
        if let secureAggregation {
            try secureAggregation.validate()
            guard secureAggregation.paillierKeyBits == nil else {
                throw FederatedError(.invalidParameter, "Paillier aggregation runs in simulations only; the networked coordinator masks updates (SecAgg or SecAgg+)")
            }
            guard dp != nil || rule == .fedAvg else {
                throw FederatedError(.invalidParameter, "secure aggregation shows the coordinator only the sum: it goes with FedAvg or DP-FedAvg, not \(rule), which needs each update")
            }
            guard minimumClients >= 2, clientsPerRound >= 2 else {
                throw FederatedError(.invalidParameter, "secure aggregation needs at least 2 clients per round")
            }
            guard phaseTimeout > 0, phaseTimeout.isFinite else { throw FederatedError(.invalidParameter, "phase timeout must be positive, got \(phaseTimeout)") }
        }
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
    /// The verdict on each aggregated update (client index = position in ``aggregated``); empty
    /// under secure aggregation, where the coordinator sees no single update.
    public var verdicts: [ClientVerdict]
    /// Wall seconds from opening to closing.
    public var seconds: Double
    /// Under secure aggregation: clients that shared keys but whose update is not in the sum
    /// (their masks were removed with the others' shares).
    public var dropped: [String]? = nil
    /// Why the round holds no update (too few clients for secure aggregation under DP).
    public var note: String? = nil
    /// Under secure aggregation: seconds each protocol phase of the last attempt took, from the
    /// round's opening (`advertising`, which overlaps training, `sharing`, `masking`, which waits
    /// for training, `unmasking`, which includes removing the masks).
    public var securePhaseSeconds: [String: Double]? = nil
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
        /// Under secure aggregation, `secure` says how to take part in the protocol instead of
        /// submitting the update.
        case train(round: Int, weights: ModelWeights, local: LocalTraining, seed: UInt64, deadline: Date, secure: SecureAggregationAssignment?)
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
        var secure: SecureCoordinatorRound?
    }

    /// The configuration.
    public let configuration: CoordinatorConfiguration
    private var weights: ModelWeights
    private var joined: [String: Int] = [:]
    private var order: [String] = []
    private var open: OpenRound? {
        didSet {
            // Clients waiting for a task hear of a round opening, reopening or closing at once.
            if open?.round != oldValue?.round || open?.reopenings != oldValue?.reopenings || (open == nil) != (oldValue == nil) { wakeTaskWaiters() }
        }
    }
    private var taskWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0
    private var closedRound: Int
    private var history: [CoordinatorRound]
    private var rng: SeededGenerator
    private var random: DPRandomSource
    private let evaluate: @Sendable (ModelWeights) -> Double?
    private let roundClosed: @Sendable (CoordinatorRound, CoordinatorCheckpoint) -> Void
    private var waiters: [CheckedContinuation<[CoordinatorRound], Never>] = []
    private var credentials: [String: SecureAggregationEndorsement.Credentials] = [:]
    private var secureWaiters: [Int: CheckedContinuation<SecureAggregationDownload, Never>] = [:]
    /// The first round of a coordinator resumed from a checkpoint: an update a client sent for
    /// it before the restart was acknowledged by the previous coordinator and lost with it, so
    /// a selected client that reports the round as done is asked for it again.
    private let resumedRound: Int?

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
        self.resumedRound = checkpoint.map { $0.round + 1 }
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

    /// Registers `client` with `examples` training examples (joining again updates the count)
    /// and, for secure aggregation, the credentials of its signing key (required then).
    public func join(client: String, examples: Int, credentials: SecureAggregationEndorsement.Credentials? = nil) throws(FederatedError) -> ModelWeights {
        guard examples >= 0 else { throw FederatedError(.malformed, "client \(client) reported \(examples) examples") }
        if configuration.secureAggregation != nil {
            guard let credentials, credentials.signingKey.count == 32 else {
                throw FederatedError(.invalidParameter, "this federation sums updates with secure aggregation: client \(client) sent no signing key (update the client)")
            }
            self.credentials[client] = credentials
        }
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
        if let plan = configuration.secureAggregation {
            // Never a plain round in a secure federation: without a protocol round, clients wait.
            guard let secure = open.secure, let number = secure.numbers[client], secure.phase == .advertising, !secure.started.contains(number),
                  lastRound < open.round || open.round == resumedRound else {
                return .wait(retryAfter: 0.5)
            }
            let assignment = SecureAggregationAssignment(
                roundID: secure.roundID, number: number, threshold: secure.server.configuration.threshold,
                neighbours: secure.server.configuration.neighbourCount, graphSeed: secure.server.configuration.graphSeed, clipRange: plan.clipRange,
                bitWidth: secure.server.configuration.quantizer.bitWidth,
                participants: secure.participants.map { ($0, credentials[$0] ?? .init(signingKey: Data())) },
                clipNorm: configuration.dp.map { $0.clipNorm }, phaseTimeout: configuration.phaseTimeout)
            return .train(round: open.round, weights: weights, local: configuration.local, seed: open.seeds[client] ?? 0, deadline: open.deadline,
                          secure: assignment)
        }
        if open.selected.contains(client), open.updates[client] == nil, lastRound < open.round || open.round == resumedRound {
            return .train(round: open.round, weights: weights, local: configuration.local, seed: open.seeds[client] ?? 0, deadline: open.deadline, secure: nil)
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
        guard configuration.secureAggregation == nil else { return (false, "round \(round) sums updates with secure aggregation: take part in the protocol", false) }
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
        if let secure = open?.secure {
            if now > secure.phaseDeadline { closeSecurePhase(now: now) }
        } else if let current = open, now > current.deadline {
            if current.updates.count >= configuration.minimumUpdates {
                close(now: now)
            } else {
                open = nil
                reopen(after: current, now: now)
            }
        }
        maybeOpen(now: now)
    }

    /// Returns when a round opens, reopens or closes, or after `timeout` seconds, whichever
    /// comes first: a client told to wait asks again then (the gRPC service's long poll).
    public func waitForRoundChange(timeout: Double) async {
        nextWaiter &+= 1
        let id = nextWaiter
        await withCheckedContinuation { continuation in
            taskWaiters[id] = continuation
            _Concurrency.Task { [weak self] in
                try? await _Concurrency.Task.sleep(for: .milliseconds(Int64(max(0, timeout) * 1000)))
                await self?.wakeTaskWaiter(id)
            }
        }
    }

    private func wakeTaskWaiter(_ id: UInt64) { taskWaiters.removeValue(forKey: id)?.resume() }

    private func wakeTaskWaiters() {
        let waiting = taskWaiters
        taskWaiters = [:]
        for continuation in waiting.values { continuation.resume() }
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
        open = makeRound(closedRound + 1, selected: selected, everSelected: selected, opened: now, reopenings: 0, now: now)
        // A DP round may sample nobody: it still counts (the accountant composes it) and closes at once.
        if selected.isEmpty, configuration.dp != nil { close(now: now) }
        // Nor can one client's update be summed securely: it is left out (as if it dropped, which
        // only lowers what the round reveals) and the round is noise alone.
        if selected.count == 1, configuration.dp != nil, configuration.secureAggregation != nil {
            open?.selected = []
            open?.secure = nil
            close(now: now, note: "1 client sampled: too few for secure aggregation, its update was not used")
        }
    }

    private func reopen(after previous: OpenRound, now: Date) {
        let selected = select()
        open = makeRound(previous.round, selected: selected, everSelected: previous.everSelected + selected, opened: previous.opened,
                         reopenings: previous.reopenings + 1, now: now)
    }

    private func makeRound(_ round: Int, selected: [String], everSelected: [String], opened: Date, reopenings: Int, now: Date) -> OpenRound {
        var seeds: [String: UInt64] = [:]
        for c in selected { seeds[c] = rng.next() }
        var secure: SecureCoordinatorRound?
        if let plan = configuration.secureAggregation, selected.count >= 2 {
            let roundID = rng.next(), graphSeed = rng.next()
            // Validated plans always make a valid configuration for ≥ 2 clients; should one not,
            // the round has no protocol, hands out no task, takes no update, and reopens at its
            // deadline — it never falls back to plain updates.
            if let quantizer = try? FixedPointQuantizer(clipRange: plan.clipRange, maxSummands: selected.count),
               let configuration = try? SecureAggregationConfiguration(
                   roundID: roundID, clientCount: selected.count, threshold: plan.threshold(clients: selected.count),
                   neighbourCount: plan.effectiveNeighbours(clients: selected.count), graphSeed: graphSeed, vectorLength: weights.count, quantizer: quantizer) {
                secure = SecureCoordinatorRound(configuration: configuration, participants: selected,
                                                advertisementDeadline: now.addingTimeInterval(min(self.configuration.phaseTimeout, self.configuration.roundTimeout)))
            }
        }
        return OpenRound(round: round, selected: Set(selected), everSelected: everSelected, updates: [:], opened: opened,
                         deadline: now.addingTimeInterval(configuration.roundTimeout), reopenings: reopenings, seeds: seeds, secure: secure)
    }

    /// The open secure round's phase and the clients it still waits for (for tests and logs).
    func securePhase() -> (phase: String, pending: [String])? {
        guard let secure = open?.secure else { return nil }
        return (secure.phase.rawValue, secure.pending.map { secure.participants[$0] }.sorted())
    }

    /// `client`'s number in the open secure round `round` (attempt `roundID`), if it takes part.
    public func secureNumber(of client: String, round: Int, roundID: UInt64) -> Int? {
        guard let current = open, current.round == round, let secure = current.secure, secure.roundID == roundID else { return nil }
        return secure.numbers[client]
    }

    /// Takes `client`'s message for the open phase of secure round `round` (attempt `roundID`)
    /// and waits until the phase closes: then the client's input for the next phase, `finished`,
    /// or why it is out of the round.
    public func secureStep(client: String, round: Int, roundID: UInt64, upload: SecureAggregationUpload,
                           now: Date = Date()) async -> SecureAggregationDownload {
        guard var current = open, current.round == round, var secure = current.secure, secure.roundID == roundID else {
            return .aborted("round \(round) (attempt \(roundID)) is not the open secure round")
        }
        guard let number = secure.numbers[client] else { return .aborted("client \(client) was not selected for round \(round)") }
        do { try secure.receive(upload, from: number) } catch { return .aborted(error.message) }
        current.secure = secure
        open = current
        let complete = secure.pending.isEmpty
        return await withCheckedContinuation { continuation in
            secureWaiters[number] = continuation
            if complete { closeSecurePhase(now: now) }
        }
    }

    private func closeSecurePhase(now: Date) {
        guard var current = open, var secure = current.secure else { return }
        let phase = secure.phase
        let outcome: (answers: [Int: SecureAggregationDownload], result: SecureAggregationResult?)
        do { outcome = try secure.closePhase(now: now, phaseTimeout: configuration.phaseTimeout, trainingDeadline: current.deadline) } catch {
            let reason = "round \(current.round): secure aggregation stopped in phase \(phase.rawValue): \(error.message); the round reopens"
            resumeSecureWaiters(with: [:], otherwise: reason)
            open = nil
            reopen(after: current, now: now)
            return
        }
        current.secure = secure
        open = current
        resumeSecureWaiters(with: outcome.answers, otherwise: "round \(current.round): phase \(phase.rawValue) closed without this client")
        guard let result = outcome.result else { return }
        var random = self.random
        let delta: [Float] = if let dp = configuration.dp {
            dp.noisedMean(sum: result.sum, using: &random)
        } else {
            result.sum.map { $0 / Float(max(1, result.survivors.count)) }
        }
        self.random = random
        open = nil
        finish(current, aggregated: result.survivors.map { secure.participants[$0] }.sorted(),
               aggregate: Aggregate(delta: delta, verdicts: []), dropped: result.dropouts.map { secure.participants[$0] }.sorted(), note: nil, now: now,
               phases: Dictionary(secure.phaseSeconds, uniquingKeysWith: { $1 }))
    }

    private func resumeSecureWaiters(with answers: [Int: SecureAggregationDownload], otherwise reason: String) {
        let waiting = secureWaiters
        secureWaiters = [:]
        for (number, continuation) in waiting { continuation.resume(returning: answers[number] ?? .aborted(reason)) }
    }

    private func close(now: Date, note: String? = nil) {
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
        } catch {
            // The rule refused this round's updates (too few for Krum's f): the round is reopened.
            reopen(after: current, now: now)
            return
        }
        finish(current, aggregated: names, aggregate: aggregate, dropped: nil, note: note, now: now)
    }

    /// Steps the global model along `aggregate` and records the round.
    private func finish(_ current: OpenRound, aggregated names: [String], aggregate: Aggregate, dropped: [String]?, note: String?, now: Date,
                        phases: [String: Double]? = nil) {
        var vector = weights.flattened
        for j in vector.indices { vector[j] += configuration.serverLearningRate * aggregate.delta[j] }
        if vector.allSatisfy({ $0.isFinite }), let stepped = try? weights.replacing(with: vector) { weights = stepped }
        closedRound = current.round
        let record = CoordinatorRound(round: current.round, selected: current.everSelected, aggregated: names, reopenings: current.reopenings,
                                      testAccuracy: evaluate(weights), epsilon: try? configuration.dp?.epsilon(afterRounds: current.round),
                                      verdicts: aggregate.verdicts, seconds: now.timeIntervalSince(current.opened), dropped: dropped, note: note,
                                      securePhaseSeconds: phases)
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
