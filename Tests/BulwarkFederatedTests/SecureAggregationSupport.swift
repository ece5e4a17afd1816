import BulwarkCrypto
import BulwarkFederated
import Crypto
import Foundation

/// A round driven step by step so tests can drop, alter or forge messages between the parties.
struct SecureAggregationHarness {
    var configuration: SecureAggregationConfiguration
    var clients: [SecureAggregationClient]
    var server: SecureAggregationServer
    var signingKeys: [Curve25519.Signing.PrivateKey]

    init(clientCount: Int, threshold: Int, neighbours: Int? = nil, vectorLength: Int, clipRange: Float = 4, seed: UInt8 = 1) throws {
        let configuration = try SecureAggregationConfiguration(
            roundID: 99, clientCount: clientCount, threshold: threshold, neighbourCount: neighbours, graphSeed: UInt64(seed),
            vectorLength: vectorLength, quantizer: FixedPointQuantizer(clipRange: clipRange, maxSummands: clientCount))
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: seed, count: 32))
        var keys: [Curve25519.Signing.PrivateKey] = []
        for _ in 0..<clientCount { keys.append(try Curve25519.Signing.PrivateKey(rawRepresentation: generator.bytes(count: 32))) }
        let directory = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($0.offset, $0.element.publicKey) })
        var made: [SecureAggregationClient] = []
        for index in 0..<clientCount {
            made.append(try SecureAggregationClient(index: index, configuration: configuration, signingKey: keys[index], peerSigningKeys: directory,
                                                    seed: generator.bytes(count: 32)))
        }
        self.configuration = configuration
        signingKeys = keys
        clients = made
        server = SecureAggregationServer(configuration: configuration)
    }

    mutating func advertise() throws -> [SecureAggregationMessage.KeyDirectory] {
        for index in clients.indices { try server.receive(try clients[index].advertiseKeys()) }
        return try server.keyDirectories()
    }

    mutating func share(_ directories: [SecureAggregationMessage.KeyDirectory]) throws -> [SecureAggregationMessage.RoutedShares] {
        for directory in directories { try server.receive(try clients[directory.recipient].shareKeys(directory)) }
        return try server.routedShares()
    }

    mutating func mask(_ routed: [SecureAggregationMessage.RoutedShares], inputs: [[Float]]) throws -> SecureAggregationMessage.UnmaskingRequest {
        for message in routed { try server.receive(try clients[message.recipient].maskedInput(inputs[message.recipient], shares: message)) }
        return try server.unmaskingRequest()
    }

    mutating func unmask(_ request: SecureAggregationMessage.UnmaskingRequest) throws -> SecureAggregationResult {
        for client in request.survivors { try server.receive(try clients[client].unmask(request)) }
        return try server.finish()
    }
}

/// The error code a throwing body ended with, or nil when it did not throw a `FederatedError`.
func federatedCode(_ body: () throws -> Void) -> ErrorCode<FederatedErrorDomain>? {
    do { try body(); return nil } catch let error as FederatedError { return error.code } catch { return nil }
}

/// Seeded random input vectors in `[-range, range]`.
func seededInputs(clients: Int, length: Int, range: Float, seed: UInt8) throws -> [[Float]] {
    var generator = try ChaCha20Generator(seed: [UInt8](repeating: seed, count: 32))
    return (0..<clients).map { _ in (0..<length).map { _ in Float.random(in: -range...range, using: &generator) } }
}

/// The port `server` listens on, once it does (up to 5 s); fails the test otherwise.
func waitForPort(_ server: CoordinatorServer) async throws -> Int {
    for _ in 0..<100 {
        if let port = try await server.listeningPort() { return port }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw FederatedError(.io, "the coordinator did not start listening")
}
