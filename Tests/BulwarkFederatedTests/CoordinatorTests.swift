import BulwarkFederated
import BulwarkModels
import BulwarkTensor
import Foundation
import Testing

private func layout() throws -> ModelWeights {
    try ModelWeights(tensors: [.init(name: "w", shape: [3], values: [0, 0, 0]), .init(name: "b", shape: [], values: [0])])
}

@Suite struct CoordinatorStateTests {
    @Test func aRoundClosesWhenEverySelectedClientAnswered() async throws {
        let coordinator = try FederatedCoordinator(configuration: CoordinatorConfiguration(rounds: 2, minimumClients: 2), weights: try layout())
        _ = try await coordinator.join(client: "a", examples: 10)
        _ = try await coordinator.join(client: "b", examples: 30)
        guard case .train(let round, _, _, _, _, _) = try await coordinator.task(for: "a", lastRound: 0) else { Issue.record("no task"); return }
        #expect(round == 1)
        #expect(await coordinator.submit(client: "a", round: 1, delta: [1, 1, 1, 1], examples: 10).accepted)
        #expect(await coordinator.rounds.isEmpty)
        #expect(await coordinator.submit(client: "b", round: 1, delta: [2, 2, 2, 2], examples: 30).accepted)
        let closed = try #require(await coordinator.rounds.first)
        #expect(closed.aggregated == ["a", "b"])
        // FedAvg weighted by examples: (1·10 + 2·30) / 40 = 1.75, the scalar included.
        #expect(await coordinator.globalWeights.flattened == [1.75, 1.75, 1.75, 1.75])
        // A second submission for a closed round is refused.
        #expect(await !coordinator.submit(client: "a", round: 1, delta: [1, 1, 1, 1], examples: 10).accepted)
    }

    @Test func stragglersAreDroppedAtTheDeadlineAndLateUpdatesRefused() async throws {
        let config = CoordinatorConfiguration(rounds: 1, minimumClients: 3, minimumUpdates: 2, roundTimeout: 10)
        let coordinator = try FederatedCoordinator(configuration: config, weights: try layout())
        let start = Date()
        for c in ["a", "b", "c"] { _ = try await coordinator.join(client: c, examples: 1) }
        #expect(await coordinator.submit(client: "a", round: 1, delta: [1, 0, 0, 0], examples: 1, now: start).accepted)
        #expect(await coordinator.submit(client: "b", round: 1, delta: [3, 0, 0, 0], examples: 1, now: start).accepted)
        await coordinator.tick(now: start.addingTimeInterval(11))
        #expect(await coordinator.isDone)
        #expect(await coordinator.rounds.first?.aggregated == ["a", "b"])
        #expect(await coordinator.globalWeights.flattened[0] == 2)
        let late = await coordinator.submit(client: "c", round: 1, delta: [9, 9, 9, 9], examples: 1, now: start.addingTimeInterval(12))
        #expect(!late.accepted && late.reason.contains("closed"))
        #expect(try await coordinator.task(for: "c", lastRound: 0) == .done)
    }

    @Test func tooFewUpdatesReopenTheRound() async throws {
        let config = CoordinatorConfiguration(rounds: 1, minimumClients: 2, minimumUpdates: 2, roundTimeout: 5)
        let coordinator = try FederatedCoordinator(configuration: config, weights: try layout())
        let start = Date()
        _ = try await coordinator.join(client: "a", examples: 1)
        _ = try await coordinator.join(client: "b", examples: 1)
        #expect(await coordinator.submit(client: "a", round: 1, delta: [1, 0, 0, 0], examples: 1, now: start).accepted)
        await coordinator.tick(now: start.addingTimeInterval(6))
        #expect(await !coordinator.isDone)
        // The reopened round starts afresh: both are asked again.
        guard case .train(let round, _, _, _, _, _) = try await coordinator.task(for: "a", lastRound: 0, now: start.addingTimeInterval(6)) else {
            Issue.record("round not reopened"); return
        }
        #expect(round == 1)
    }

    @Test func badUpdatesAreRefusedWithAReason() async throws {
        let coordinator = try FederatedCoordinator(configuration: CoordinatorConfiguration(rounds: 1, minimumClients: 1), weights: try layout())
        _ = try await coordinator.join(client: "a", examples: 1)
        #expect(await coordinator.submit(client: "a", round: 1, delta: [1, 2], examples: 1).reason.contains("values"))
        #expect(await coordinator.submit(client: "a", round: 1, delta: [.nan, 0, 0, 0], examples: 1).reason.contains("finite"))
        #expect(await coordinator.submit(client: "z", round: 1, delta: [0, 0, 0, 0], examples: 1).reason.contains("not selected"))
        #expect(await coordinator.submit(client: "a", round: 7, delta: [0, 0, 0, 0], examples: 1).reason.contains("not open"))
        await #expect(throws: FederatedError.self) { try await coordinator.task(for: "stranger", lastRound: 0) }
    }

    @Test func aCoordinatorResumesFromItsCheckpoint() async throws {
        let saved = Checkpoints()
        let config = CoordinatorConfiguration(rounds: 2, minimumClients: 1)
        let first = try FederatedCoordinator(configuration: config, weights: try layout(), roundClosed: { _, checkpoint in saved.append(checkpoint) })
        _ = try await first.join(client: "a", examples: 1)
        #expect(await first.submit(client: "a", round: 1, delta: [1, 1, 1, 1], examples: 1).accepted)
        let checkpoint = try #require(saved.last)
        #expect(checkpoint.round == 1)
        // A new coordinator (after a crash) starts at round 2 from the saved model.
        let second = try FederatedCoordinator(configuration: config, weights: try layout(), checkpoint: checkpoint)
        // An update trained for round 2 before the crash arrives before its client rejoined: not
        // counted, and the client is told to ask again rather than to consider round 2 done.
        let early = await second.submit(client: "a", round: 2, delta: [1, 1, 1, 1], examples: 1)
        #expect(!early.accepted && early.retry)
        #expect(await !second.submit(client: "a", round: 1, delta: [1, 1, 1, 1], examples: 1).retry)
        _ = try await second.join(client: "a", examples: 1)
        guard case .train(let round, let weights, _, _, _, _) = try await second.task(for: "a", lastRound: 0) else { Issue.record("no task"); return }
        #expect(round == 2)
        #expect(weights.flattened == [1, 1, 1, 1])
    }

    @Test func anUpdateLostWithACrashedCoordinatorIsAskedForAgain() async throws {
        let saved = Checkpoints()
        let config = CoordinatorConfiguration(rounds: 3, minimumClients: 2, clientsPerRound: 2)
        let first = try FederatedCoordinator(configuration: config, weights: try layout(), roundClosed: { _, checkpoint in saved.append(checkpoint) })
        for client in ["a", "b"] { _ = try await first.join(client: client, examples: 1) }
        for client in ["a", "b"] { #expect(await first.submit(client: client, round: 1, delta: [1, 1, 1, 1], examples: 1).accepted) }
        // Round 2: b's update is acknowledged, then the coordinator dies before the round closes.
        #expect(await first.submit(client: "b", round: 2, delta: [1, 1, 1, 1], examples: 1).accepted)
        let checkpoint = try #require(saved.last)
        #expect(checkpoint.round == 1)
        let second = try FederatedCoordinator(configuration: config, weights: try layout(), checkpoint: checkpoint)
        for client in ["a", "b"] { _ = try await second.join(client: client, examples: 1) }
        // b reports round 2 as done; the new coordinator never saw its update and asks again.
        guard case .train(let round, _, _, _, _, _) = try await second.task(for: "b", lastRound: 2) else { Issue.record("b was not asked again"); return }
        #expect(round == 2)
        #expect(await second.submit(client: "b", round: 2, delta: [1, 1, 1, 1], examples: 1).accepted)
        // Once its update is in, b is not asked again for the round.
        guard case .wait = try await second.task(for: "b", lastRound: 2) else { Issue.record("b asked twice"); return }
        #expect(await second.submit(client: "a", round: 2, delta: [1, 1, 1, 1], examples: 1).accepted)
        // Round 3 is not a resumed round: a client reporting it done is not asked again.
        guard case .train = try await second.task(for: "a", lastRound: 2) else { Issue.record("no round 3 task"); return }
        #expect(await second.submit(client: "a", round: 3, delta: [1, 1, 1, 1], examples: 1).accepted)
        guard case .wait = try await second.task(for: "a", lastRound: 3) else { Issue.record("a asked again for round 3"); return }
    }
}

final class Checkpoints: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [CoordinatorCheckpoint] = []
    func append(_ c: CoordinatorCheckpoint) { lock.withLock { items.append(c) } }
    var last: CoordinatorCheckpoint? { lock.withLock { items.last } }
}

/// A linearly separable two-class table (class = sign of feature 0).
func separable(_ n: Int, seed: UInt64) -> (inputs: Tensor, labels: [Int]) {
    var rng = SeededGenerator(seed: seed)
    var x: [Float] = [], y: [Int] = []
    for i in 0..<n {
        let label = i % 2
        for f in 0..<4 { x.append((f == 0 ? (label == 0 ? -1.5 : 1.5) : 0) + Float.random(in: -1...1, using: &rng)) }
        y.append(label)
    }
    return (Tensor(shape: [n, 4], scalars: x), y)
}

@Suite(.serialized) struct CoordinatorNetworkTests {
    @Test func twoClientsTrainOverMutualTLSAndAStrangerIsRefused() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-fl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try FederationCertificates.write(to: dir, serverNames: ["localhost", "127.0.0.1"], clients: ["client-1", "client-2"], validDays: 1)
        let other = dir + "/other"
        _ = try FederationCertificates.write(to: other, serverNames: ["localhost"], clients: ["intruder"], validDays: 1)

        let model = try ZooArchitecture.tabular.makeModel(exampleShape: [4], classCount: 2, seed: 1)
        let test = separable(200, seed: 9)
        let config = CoordinatorConfiguration(rounds: 2, minimumClients: 2, roundTimeout: 60,
                                              local: LocalTraining(epochs: 1, batchSize: 16, learningRate: 0.1))
        let coordinator = try FederatedCoordinator(configuration: config, weights: try ModelWeights(model: model)) { weights in
            var m = model
            guard (try? weights.apply(to: &m)) != nil else { return nil }
            return m.accuracy(test.inputs, labels: test.labels)
        }
        let server = try CoordinatorServer(coordinator: coordinator, host: "127.0.0.1", port: 0, tls: FederationTLS(directory: dir, name: "server"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            let listening = try await waitForPort(server)
            // A client certificate from another CA is refused by the server (the intruder trusts the
            // federation's CA, so only the server's check can stop it).
            let intruderTLS = FederationTLS(certificate: other + "/intruder.pem", privateKey: other + "/intruder-key.pem",
                                            certificateAuthority: dir + "/ca.pem")
            let intruder = CoordinatorClient(host: "localhost", port: listening, tls: intruderTLS, callTimeout: 5, patience: 1)
            await #expect(throws: (any Error).self) {
                try await intruder.run(examples: 1, train: { w, _, _ in (w.flattened, 0) })
            }
            for (index, name) in ["client-1", "client-2"].enumerated() {
                group.addTask {
                    let data = separable(100, seed: UInt64(index))
                    let client = CoordinatorClient(host: "localhost", port: listening, tls: FederationTLS(directory: dir, name: name), callTimeout: 30)
                    try await client.run(examples: 100, train: { weights, local, seed in
                        var m = model
                        try weights.apply(to: &m)
                        return try local.update(&m, inputs: data.inputs, labels: data.labels, seed: seed)
                    })
                }
            }
            let history = await coordinator.waitUntilDone()
            #expect(history.count == 2)
            #expect(history.allSatisfy { $0.aggregated == ["client-1", "client-2"] })
            #expect((history.last?.testAccuracy ?? 0) > 0.8)
            #expect(await coordinator.rounds.allSatisfy { round in !round.aggregated.contains("intruder") })
            // Let the clients see DONE, then stop.
            try await Task.sleep(for: .seconds(1.5))
            server.stop()
            try await group.waitForAll()
        }
    }
}
