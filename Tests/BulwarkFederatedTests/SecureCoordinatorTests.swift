@testable import BulwarkFederated
import BulwarkCrypto
import Crypto
import Foundation
import Testing

private func model() throws -> ModelWeights {
    try ModelWeights(tensors: [.init(name: "w", shape: [2, 3], values: [Float](repeating: 0, count: 6)), .init(name: "b", shape: [], values: [0.5])])
}

/// The update client `k` sends: distinct per client and per coordinate, within the clip range.
private func delta(_ k: Int) -> [Float] { (0..<7).map { Float(k + 1) * 0.05 - Float($0) * 0.01 } }

private func temporaryDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-secagg-\(UUID().uuidString)").path
}

@Suite struct SecureCoordinatorTests {
    @Test func aSecureRoundOverMutualTLSAddsUpTheUpdatesTheCoordinatorNeverSees() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let names = ["client-1", "client-2", "client-3", "client-4"]
        _ = try FederationCertificates.write(to: dir, serverNames: ["localhost", "127.0.0.1"], clients: names, validDays: 1)
        let config = CoordinatorConfiguration(rounds: 1, minimumClients: 4, roundTimeout: 60, secureAggregation: SecureAggregationPlan(neighbours: 2, clipRange: 1))
        let start = try model()
        let coordinator = try FederatedCoordinator(configuration: config, weights: start)
        let server = try CoordinatorServer(coordinator: coordinator, host: "127.0.0.1", port: 0, tls: FederationTLS(directory: dir, name: "server"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            let listening = try await waitForPort(server)
            for (k, name) in names.enumerated() {
                group.addTask {
                    let client = CoordinatorClient(host: "localhost", port: listening, tls: FederationTLS(directory: dir, name: name), callTimeout: 30)
                    try await client.run(examples: 10, train: { _, _, _ in (delta(k), 0.1) })
                }
            }
            let history = await coordinator.waitUntilDone()
            let round = try #require(history.first)
            #expect(round.aggregated == names)
            #expect(round.verdicts.isEmpty)
            #expect(round.dropped == [])
            let expected = zip(start.flattened, (0..<7).map { j in names.indices.map { delta($0)[j] }.reduce(0, +) / 4 }).map { $0 + $1 }
            let global = await coordinator.globalWeights.flattened
            for (g, e) in zip(global, expected) { #expect(abs(g - e) < 1e-4) }
            try await Task.sleep(for: .seconds(1.5))
            server.stop()
            try await group.waitForAll()
        }
    }

    @Test func aClientThatDropsAfterSharingIsRecoveredFromItsNeighboursShares() async throws {
        let config = CoordinatorConfiguration(rounds: 1, minimumClients: 4, roundTimeout: 60, secureAggregation: SecureAggregationPlan(clipRange: 1),
                                              phaseTimeout: 3600)
        let start = try model()
        let coordinator = try FederatedCoordinator(configuration: config, weights: start)
        let names = ["a", "b", "c", "d"]
        var keys: [String: Curve25519.Signing.PrivateKey] = [:]
        for name in names {
            let key = Curve25519.Signing.PrivateKey()
            keys[name] = key
            _ = try await coordinator.join(client: name, examples: 1, credentials: .init(signingKey: key.publicKey.rawRepresentation))
        }
        struct Dropped: Error {}
        let keyList = keys
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (k, name) in names.enumerated() {
                guard case .train(let round, _, _, _, _, let secure?) = try await coordinator.task(for: name, lastRound: 0) else {
                    Issue.record("no secure task for \(name)")
                    return
                }
                group.addTask {
                    do {
                        _ = try await CoordinatorClient.secureRound(secure, weights: start, authority: nil, signingKey: keyList[name]!, train: { (delta(k), 0) },
                                                                    step: { upload in
                            // "d" leaves once it has shared its keys: its masked input never comes.
                            if name == "d", case .maskedInput = upload { throw Dropped() }
                            return await coordinator.secureStep(client: name, round: round, roundID: secure.roundID, upload: upload)
                        }, log: { _ in })
                    } catch is Dropped {}
                }
            }
            // Wait until the masking phase waits for "d" alone, then let its deadline pass.
            for _ in 0..<2000 {
                if let state = await coordinator.securePhase(), state.phase == "masking", state.pending == ["d"] { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            await coordinator.tick(now: Date().addingTimeInterval(7200))
            try await group.waitForAll()
        }
        let round = try #require(await coordinator.rounds.first)
        #expect(round.aggregated == ["a", "b", "c"])
        #expect(round.dropped == ["d"])
        let expected = zip(start.flattened, (0..<7).map { j in (0..<3).map { delta($0)[j] }.reduce(0, +) / 3 }).map { $0 + $1 }
        for (g, e) in zip(await coordinator.globalWeights.flattened, expected) { #expect(abs(g - e) < 1e-4) }
    }

    @Test func aSecureFederationRefusesAClientWithoutASigningKeyAndPlainUpdates() async throws {
        let config = CoordinatorConfiguration(rounds: 1, minimumClients: 2, secureAggregation: SecureAggregationPlan())
        let coordinator = try FederatedCoordinator(configuration: config, weights: try model())
        await #expect(throws: FederatedError.self) { _ = try await coordinator.join(client: "old", examples: 1) }
        for name in ["a", "b"] {
            _ = try await coordinator.join(client: name, examples: 1, credentials: .init(signingKey: Curve25519.Signing.PrivateKey().publicKey.rawRepresentation))
        }
        let refused = await coordinator.submit(client: "a", round: 1, delta: [Float](repeating: 0, count: 7), examples: 1)
        #expect(!refused.accepted)
        #expect(refused.reason.contains("secure aggregation"))
        #expect(throws: FederatedError.self) {
            try CoordinatorConfiguration(rule: .median, secureAggregation: SecureAggregationPlan()).validate()
        }
    }

    @Test func aSigningKeyIsTrustedOnlyWithItsCertificatesEndorsement() throws {
        let dir = temporaryDirectory(), other = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir); try? FileManager.default.removeItem(atPath: other) }
        _ = try FederationCertificates.write(to: dir, serverNames: ["localhost"], clients: ["client-1", "client-2"], validDays: 1)
        _ = try FederationCertificates.write(to: other, serverNames: ["localhost"], clients: ["client-1"], validDays: 1)
        func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
        func der(_ path: String) throws -> Data {
            let body = try read(path).split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            return try #require(Data(base64Encoded: body))
        }
        let ca = try read(dir + "/ca.pem")
        let key = Curve25519.Signing.PrivateKey()
        let endorsement = try SecureAggregationEndorsement.endorse(key.publicKey, client: "client-1", privateKeyPEM: try read(dir + "/client-1-key.pem"))
        let honest = SecureAggregationEndorsement.Credentials(signingKey: key.publicKey.rawRepresentation, endorsement: endorsement,
                                                              certificate: try der(dir + "/client-1.pem"))
        #expect(try SecureAggregationEndorsement.verifiedKey(of: "client-1", honest, authority: ca).rawRepresentation == key.publicKey.rawRepresentation)

        // The coordinator swaps in a key of its own.
        var substituted = honest
        substituted.signingKey = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation
        #expect(throws: FederatedError.self) { try SecureAggregationEndorsement.verifiedKey(of: "client-1", substituted, authority: ca) }
        // ... or presents client-1's endorsement as client-2's.
        #expect(throws: FederatedError.self) { try SecureAggregationEndorsement.verifiedKey(of: "client-2", honest, authority: ca) }
        // ... or a certificate for client-1 from a CA of its own, with a matching endorsement.
        let attacker = Curve25519.Signing.PrivateKey()
        let forgedEndorsement = try SecureAggregationEndorsement.endorse(attacker.publicKey, client: "client-1", privateKeyPEM: try read(other + "/client-1-key.pem"))
        let forged = SecureAggregationEndorsement.Credentials(signingKey: attacker.publicKey.rawRepresentation, endorsement: forgedEndorsement,
                                                              certificate: try der(other + "/client-1.pem"))
        #expect(throws: FederatedError.self) { try SecureAggregationEndorsement.verifiedKey(of: "client-1", forged, authority: ca) }
        // Without TLS there is no authority to check against: the key is taken as relayed.
        #expect(try SecureAggregationEndorsement.verifiedKey(of: "client-1", substituted, authority: nil).rawRepresentation == substituted.signingKey)
    }

    @Test func hostileSecureAggregationMessagesAreRefusedNotTrusted() throws {
        var step = Bulwark_Federated_V1_SecureAggregationStep()
        #expect(throws: FederatedError.self) { try WireCodec.upload(step, number: 0) }
        var bundle = Bulwark_Federated_V1_KeyBundle()
        bundle.encryptionKey = Data(count: 31)
        bundle.maskingKey = Data(count: 32)
        bundle.signature = Data(count: 64)
        step.advertise = bundle
        #expect(throws: FederatedError.self) { try WireCodec.upload(step, number: 0) }
        var revealed = Bulwark_Federated_V1_RevealedShare()
        revealed.share.x = UInt64.max
        step.unmasking.selfMaskShares = [revealed]
        #expect(throws: FederatedError.self) { try WireCodec.upload(step, number: 0) }
        var setup = WireCodec.message(SecureAggregationAssignment(
            roundID: 1, number: 0, threshold: 2, neighbours: nil, graphSeed: 0, clipRange: 1, bitWidth: 32,
            participants: [("a", .init(signingKey: Data(count: 32))), ("b", .init(signingKey: Data(count: 32)))], clipNorm: nil, phaseTimeout: 1))
        #expect(try WireCodec.assignment(setup).participants.map(\.id) == ["a", "b"])
        setup.clientNumber = 2
        #expect(throws: FederatedError.self) { try WireCodec.assignment(setup) }
        setup.clientNumber = 0
        setup.bitWidth = 200
        #expect(throws: FederatedError.self) { try WireCodec.assignment(setup) }
    }

    @Test func aStepFromAClientOutsideTheRoundIsAbortedWithAReason() async throws {
        let config = CoordinatorConfiguration(rounds: 1, minimumClients: 2, secureAggregation: SecureAggregationPlan())
        let coordinator = try FederatedCoordinator(configuration: config, weights: try model())
        for name in ["a", "b"] {
            _ = try await coordinator.join(client: name, examples: 1, credentials: .init(signingKey: Curve25519.Signing.PrivateKey().publicKey.rawRepresentation))
        }
        guard case .train(_, _, _, _, _, let secure?) = try await coordinator.task(for: "a", lastRound: 0) else { Issue.record("no secure task"); return }
        let bundle = SecureAggregationMessage.AdvertiseKeys(client: 0, encryptionKey: Data(count: 32), maskingKey: Data(count: 32), signature: Data(count: 64))
        let stranger = await coordinator.secureStep(client: "c", round: 1, roundID: secure.roundID, upload: .advertise(bundle))
        #expect(stranger == .aborted("client c was not selected for round 1"))
        let stale = await coordinator.secureStep(client: "a", round: 1, roundID: secure.roundID &+ 1, upload: .advertise(bundle))
        guard case .aborted = stale else { Issue.record("a stale round id was accepted"); return }
        let outOfTurn = await coordinator.secureStep(client: "a", round: 1, roundID: secure.roundID,
                                                     upload: .maskedInput(.init(client: secure.number, values: Data())))
        guard case .aborted(let reason) = outOfTurn else { Issue.record("an out-of-turn message was accepted"); return }
        #expect(reason.contains("phase"))
    }
}

/// A mask expanded on two threads is the ChaCha20 keystream read in order — the second half
/// starts at its own block, not again at block 0 (which would repeat the mask).
@Test func aLongMaskIsTheKeystreamInOrderWhenExpandedInTwoHalves() throws {
    let seed = (0..<32).map { UInt8($0 * 7 % 251) }
    for (bitWidth, count) in [(32, 100_003), (48, 70_001)] {
        var masked = [UInt64](repeating: 0, count: count)
        try SecureAggregationPrimitives.applyMask(seed: seed, to: &masked, subtract: false, bitWidth: bitWidth, mask: (1 << UInt64(bitWidth)) - 1)
        var cipher = try ChaCha20(key: seed)
        var expected = [UInt64](repeating: 0, count: count)
        if bitWidth <= 32 {
            var words = [UInt8](repeating: 0, count: 4 * count)
            words.withUnsafeMutableBytes { cipher.fill($0) }
            for i in 0..<count { expected[i] = (0..<4).reduce(UInt64(0)) { $0 | UInt64(words[4 * i + $1]) << (8 * UInt64($1)) } }
        } else {
            cipher.fill(&expected)
            expected = expected.map { $0 & ((1 << 48) - 1) }
        }
        #expect(masked == expected)
    }
}
