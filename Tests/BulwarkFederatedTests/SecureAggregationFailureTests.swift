import BulwarkCrypto
import BulwarkFederated
import Crypto
import Foundation
import Testing

/// What the protocol refuses: too many dropouts, tampered ciphertexts, substituted keys,
/// duplicated messages and shares, mismatched lengths, contradictory requests.
@Suite struct SecureAggregationFailureTests {
    @Test func tooManyDropoutsAreRefusedAtEachPhase() throws {
        let inputs = try seededInputs(clients: 5, length: 4, range: 1, seed: 1)
        for phase in SecureAggregationSimulation.Phase.allCases {
            #expect(federatedCode {
                _ = try SecureAggregationSimulation.run(inputs: inputs, threshold: 3, dropouts: [0: phase, 1: phase, 2: phase], seed: 4)
            } == .notEnoughClients, "\(phase)")
        }
        // Two of five drop: still recovered.
        let report = try SecureAggregationSimulation.run(inputs: inputs, threshold: 3, dropouts: [0: .maskedInput, 4: .unmasking], seed: 4)
        #expect(report.result.survivors == [1, 2, 3, 4])
    }

    /// A thresholds that lets the server collect both secrets of a client is refused up front.
    @Test func thresholdMustBeAMajorityOfTheShareholders() {
        let quantizer = try? FixedPointQuantizer(clipRange: 1, maxSummands: 6)
        #expect(federatedCode {
            _ = try SecureAggregationConfiguration(roundID: 1, clientCount: 6, threshold: 3, vectorLength: 2, quantizer: quantizer!)
        } == .invalidParameter)
        #expect(federatedCode {
            _ = try SecureAggregationConfiguration(roundID: 1, clientCount: 6, threshold: 7, vectorLength: 2, quantizer: quantizer!)
        } == .invalidParameter)
        #expect(federatedCode {
            _ = try SecureAggregationConfiguration(roundID: 1, clientCount: 8, threshold: 5, vectorLength: 2, quantizer: quantizer!)
        } == .invalidParameter)  // the quantiser is sized for six summands
    }

    /// The malicious-server attack on plain SecAgg: the server swaps a client's advertised keys
    /// for its own so that it can decrypt that client's shares. Signatures make it fail.
    @Test func aServerThatSubstitutesKeysIsDetected() throws {
        var harness = try SecureAggregationHarness(clientCount: 4, threshold: 3, vectorLength: 2)
        var directories = try harness.advertise()
        let serverKeys = (Curve25519.KeyAgreement.PrivateKey(), Curve25519.KeyAgreement.PrivateKey())
        // 1. Swap client 2's keys in client 0's directory, keeping client 2's signature.
        var forged = directories[0]
        let victim = try #require(forged.bundles.firstIndex { $0.client == 2 })
        forged.bundles[victim].encryptionKey = serverKeys.0.publicKey.rawRepresentation
        forged.bundles[victim].maskingKey = serverKeys.1.publicKey.rawRepresentation
        var client0 = harness.clients[0]
        #expect(federatedCode { _ = try client0.shareKeys(forged) } == .verificationFailed)
        // 2. Sign the substituted keys with a key the server made up: still refused.
        let impostor = Curve25519.Signing.PrivateKey()
        var resigned = Data("bulwark secagg advertise-keys v1".utf8)
        resigned.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: harness.configuration.roundID >> (8 * UInt64($0))) })
        resigned.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: UInt64(2) >> (8 * UInt64($0))) })
        resigned.append(forged.bundles[victim].encryptionKey)
        resigned.append(forged.bundles[victim].maskingKey)
        forged.bundles[victim].signature = try impostor.signature(for: resigned)
        client0 = harness.clients[0]
        #expect(federatedCode { _ = try client0.shareKeys(forged) } == .verificationFailed)
        // 3. Replace the recipient's own bundle.
        var own = directories[1]
        let ownIndex = try #require(own.bundles.firstIndex { $0.client == 1 })
        own.bundles[ownIndex].maskingKey = serverKeys.1.publicKey.rawRepresentation
        var client1 = harness.clients[1]
        #expect(federatedCode { _ = try client1.shareKeys(own) } == .verificationFailed)
        // 4. A bundle replayed from another client under the wrong number.
        var replayed = directories[3]
        let from0 = try #require(replayed.bundles.firstIndex { $0.client == 0 })
        let from1 = try #require(replayed.bundles.firstIndex { $0.client == 1 })
        replayed.bundles[from1].encryptionKey = replayed.bundles[from0].encryptionKey
        replayed.bundles[from1].maskingKey = replayed.bundles[from0].maskingKey
        replayed.bundles[from1].signature = replayed.bundles[from0].signature
        var client3 = harness.clients[3]
        #expect(federatedCode { _ = try client3.shareKeys(replayed) } == .verificationFailed)
        // The honest directories still work end to end.
        directories = directories.map { $0 }
        let request = try harness.mask(try harness.share(directories), inputs: [[1, 1], [1, 1], [1, 1], [1, -1]])
        let result = try harness.unmask(request)
        #expect(abs(result.sum[0] - 4) < 1e-6 && abs(result.sum[1] - 2) < 1e-6)
    }

    @Test func aTamperedCiphertextIsDetected() throws {
        var harness = try SecureAggregationHarness(clientCount: 4, threshold: 3, vectorLength: 2)
        var routed = try harness.share(try harness.advertise())
        var bytes = [UInt8](routed[1].shares[0].ciphertext)
        bytes[20] ^= 0x01
        routed[1].shares[0].ciphertext = Data(bytes)
        #expect(federatedCode { _ = try harness.clients[1].maskedInput([0, 0], shares: routed[1]) } == .verificationFailed)
        // A valid ciphertext relabelled as from another sender fails authentication too.
        var relabelled = try SecureAggregationHarness(clientCount: 4, threshold: 3, vectorLength: 2)
        var routedAgain = try relabelled.share(try relabelled.advertise())
        let senders = routedAgain[2].shares.map(\.sender)
        routedAgain[2].shares[0].sender = senders[1]
        routedAgain[2].shares[1].sender = senders[0]
        #expect(federatedCode { _ = try relabelled.clients[2].maskedInput([0, 0], shares: routedAgain[2]) } == .verificationFailed)
    }

    @Test func duplicatedMessagesAndSharesAreRefused() throws {
        var harness = try SecureAggregationHarness(clientCount: 4, threshold: 3, vectorLength: 2)
        let advert = try harness.clients[0].advertiseKeys()
        try harness.server.receive(advert)
        #expect(federatedCode { try harness.server.receive(advert) } == .malformed)
        for index in 1..<4 { try harness.server.receive(try harness.clients[index].advertiseKeys()) }
        var directories = try harness.server.keyDirectories()
        // A directory listing a bundle twice.
        var doubled = directories[2]
        doubled.bundles.append(try #require(doubled.bundles.first { $0.client == 0 }))
        var client2 = harness.clients[2]
        #expect(federatedCode { _ = try client2.shareKeys(doubled) } == .malformed)
        directories = directories.map { $0 }
        var routed = try harness.share(directories)
        // A routed ciphertext delivered twice.
        var twice = routed[0]
        twice.shares.append(twice.shares[0])
        var client0 = harness.clients[0]
        #expect(federatedCode { _ = try client0.maskedInput([0, 0], shares: twice) } == .malformed)
        routed = routed.map { $0 }
        let request = try harness.mask(routed, inputs: [[0, 0], [1, 0], [0, 1], [1, 1]])
        let response = try harness.clients[0].unmask(request)
        try harness.server.receive(response)
        #expect(federatedCode { try harness.server.receive(response) } == .malformed)
        // A client answers the unmasking request only once.
        #expect(federatedCode { _ = try harness.clients[0].unmask(request) } == .invalidParameter)
    }

    @Test func mismatchedLengthsAreRefused() throws {
        #expect(federatedCode { _ = try SecureAggregationSimulation.run(inputs: [[1, 2], [1], [3, 4]], threshold: 2, seed: 1) } == .shapeMismatch)
        var harness = try SecureAggregationHarness(clientCount: 3, threshold: 2, vectorLength: 3)
        let routed = try harness.share(try harness.advertise())
        #expect(federatedCode { _ = try harness.clients[0].maskedInput([1, 2], shares: routed[0]) } == .shapeMismatch)
        let masked = try harness.clients[0].maskedInput([1, 2, 3], shares: routed[0])
        var short = masked
        short.values = masked.values.prefix(8)
        #expect(federatedCode { try harness.server.receive(short) } == .shapeMismatch)
        try harness.server.receive(masked)
        #expect(federatedCode { _ = try harness.clients[1].maskedInput([1, .nan, 3], shares: routed[1]) } == .invalidParameter)
    }

    /// A server that tells a client that a peer both survived and dropped would learn both of
    /// that peer's secrets; the client refuses.
    @Test func contradictoryUnmaskingRequestsAreRefused() throws {
        var harness = try SecureAggregationHarness(clientCount: 5, threshold: 3, vectorLength: 2)
        let request = try harness.mask(try harness.share(try harness.advertise()), inputs: Array(repeating: [1, 1], count: 5))
        var both = request
        both.dropouts = [3]
        var client0 = harness.clients[0]
        #expect(federatedCode { _ = try client0.unmask(both) } == .verificationFailed)
        var silent = request
        silent.survivors.removeAll { $0 == 4 }
        client0 = harness.clients[0]
        #expect(federatedCode { _ = try client0.unmask(silent) } == .verificationFailed)
        var notMe = request
        notMe.survivors.removeAll { $0 == 0 }
        notMe.dropouts = [0]
        client0 = harness.clients[0]
        #expect(federatedCode { _ = try client0.unmask(notMe) } == .verificationFailed)
    }

    /// A shareholder that reveals a wrong share of a dropped client's key is caught by comparing
    /// the reconstructed key with the advertised one.
    @Test func aWrongKeyShareIsDetected() throws {
        var harness = try SecureAggregationHarness(clientCount: 5, threshold: 3, vectorLength: 2)
        let routed = try harness.share(try harness.advertise())
        for message in routed where message.recipient != 4 {
            try harness.server.receive(try harness.clients[message.recipient].maskedInput([1, 1], shares: message))
        }
        let request = try harness.server.unmaskingRequest()
        #expect(request.dropouts == [4])
        for client in request.survivors {
            var response = try harness.clients[client].unmask(request)
            if client == 0 {
                response.maskingKeyShares[0].share.values[0] = response.maskingKeyShares[0].share.values[0] + .one
            }
            try harness.server.receive(response)
        }
        #expect(federatedCode { _ = try harness.server.finish() } == .verificationFailed)
    }

    @Test func callsOutOfOrderAreRefused() throws {
        var harness = try SecureAggregationHarness(clientCount: 3, threshold: 2, vectorLength: 1)
        #expect(federatedCode { _ = try harness.clients[0].unmask(.init(survivors: [0, 1], dropouts: [])) } == .invalidParameter)
        #expect(federatedCode { _ = try harness.server.routedShares() } == .invalidParameter)
        #expect(federatedCode { _ = try harness.server.finish() } == .invalidParameter)
        _ = try harness.clients[0].advertiseKeys()
        #expect(federatedCode { _ = try harness.clients[0].advertiseKeys() } == .invalidParameter)
    }
}
