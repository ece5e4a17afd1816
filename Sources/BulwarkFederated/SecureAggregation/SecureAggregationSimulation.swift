public import BulwarkCrypto
import Crypto
import Foundation

/// Runs a whole SecAgg / SecAgg+ round in one process — every client and the server as the
/// state machines ``SecureAggregationClient`` and ``SecureAggregationServer``, messages encoded
/// to JSON and decoded again as a transport would — for experiments and `bulwark fl simulate`.
///
/// Dropouts are scripted: a client listed in `dropouts` sends nothing from that phase on. Bytes
/// are those of the JSON encoding of each message (keys, ciphertexts and packed vectors in
/// base64), counted for the client that sends or receives it.
///
/// ```swift
/// let report = try SecureAggregationSimulation.run(
///     inputs: [[0.5, 1], [0.25, -1], [1, 0.5], [0, 0]], threshold: 3,
///     dropouts: [3: .maskedInput], seed: 42)
/// print(report.result.sum)        // ≈ [1.75, 0.5]: clients 0, 1 and 2
/// print(report.result.dropouts)   // [3]
/// ```
public enum SecureAggregationSimulation {
    /// The phase from which a scripted dropout sends nothing.
    public enum Phase: String, Sendable, Codable, CaseIterable {
        /// Drops before advertising keys: it takes no part at all.
        case advertiseKeys
        /// Advertises keys, then drops before sending shares.
        case shareKeys
        /// Shares keys, then drops before sending its masked input (its masks are recovered).
        case maskedInput
        /// Sends its masked input, then drops before answering the unmasking request (its input
        /// is in the sum; its shares are missing).
        case unmasking
    }

    /// What one simulated round produced.
    public struct Report: Sendable, Codable {
        /// The server's result.
        public var result: SecureAggregationResult
        /// Bytes each client sent, by client number.
        public var bytesSentPerClient: [Int]
        /// Bytes each client received, by client number.
        public var bytesReceivedPerClient: [Int]
        /// The round's configuration (its graph, threshold and quantiser).
        public var configuration: SecureAggregationConfiguration
    }

    /// Runs one round over `inputs` (one equally long vector per client) and returns the sum of
    /// the survivors' inputs.
    ///
    /// - Parameters:
    ///   - threshold: shares needed to recover a client's secrets; more than half of a client's
    ///     shareholders (neighbours plus itself).
    ///   - neighbours: SecAgg+'s neighbour count `k`; `nil` for SecAgg's complete graph.
    ///   - clipRange: inputs are clipped to `[−clipRange, clipRange]`.
    ///   - bitWidth: the ring ℤ/2ᵏℤ the masked vectors live in.
    ///   - dropouts: client number → the phase from which it sends nothing.
    ///   - seed: fixes every key, seed, share and the graph (a simulation, not a deployment).
    ///
    /// Throws `invalidParameter` for an empty or ragged `inputs` or a bad parameter,
    /// `notEnoughClients` when the dropouts leave fewer than the threshold, and whatever a
    /// client or the server throws.
    public static func run(inputs: [[Float]], threshold: Int, neighbours: Int? = nil, clipRange: Float = 1, bitWidth: Int = 32,
                           dropouts: [Int: Phase] = [:], roundID: UInt64 = 1, seed: UInt64) throws(FederatedError) -> Report {
        guard let length = inputs.first?.count, inputs.allSatisfy({ $0.count == length }) else {
            throw FederatedError(.shapeMismatch, "inputs must be one vector per client, all of the same length")
        }
        let quantizer: FixedPointQuantizer
        do { quantizer = try FixedPointQuantizer(clipRange: clipRange, bitWidth: bitWidth, maxSummands: max(1, inputs.count)) } catch {
            throw FederatedError(.invalidParameter, "quantiser", underlying: error)
        }
        for client in dropouts.keys where !inputs.indices.contains(client) {
            throw FederatedError(.invalidParameter, "dropout \(client) is not one of the \(inputs.count) clients")
        }
        let configuration = try SecureAggregationConfiguration(roundID: roundID, clientCount: inputs.count, threshold: threshold, neighbourCount: neighbours,
                                                               graphSeed: seed, vectorLength: length, quantizer: quantizer)
        var seedBytes = [UInt8](repeating: 0, count: 32)
        for byte in 0..<8 { seedBytes[byte] = UInt8(truncatingIfNeeded: seed >> (8 * UInt64(byte))) }
        var generator: ChaCha20Generator
        do { generator = try ChaCha20Generator(seed: seedBytes) } catch { throw FederatedError(.invalidParameter, "seed", underlying: error) }
        var signingKeys: [Curve25519.Signing.PrivateKey] = []
        for _ in inputs.indices {
            do { signingKeys.append(try Curve25519.Signing.PrivateKey(rawRepresentation: generator.bytes(count: 32))) } catch {
                throw FederatedError(.invalidParameter, "cannot make a signing key", underlying: error)
            }
        }
        let directory = Dictionary(uniqueKeysWithValues: signingKeys.enumerated().map { ($0.offset, $0.element.publicKey) })
        var clients: [SecureAggregationClient] = []
        for index in inputs.indices {
            clients.append(try SecureAggregationClient(index: index, configuration: configuration, signingKey: signingKeys[index],
                                                       peerSigningKeys: directory, seed: generator.bytes(count: 32)))
        }
        var server = SecureAggregationServer(configuration: configuration)
        var wire = Wire(clientCount: inputs.count)
        func active(_ client: Int, _ phase: Phase) -> Bool {
            guard let dropped = dropouts[client] else { return true }
            return (Phase.allCases.firstIndex(of: phase) ?? 0) < (Phase.allCases.firstIndex(of: dropped) ?? 0)
        }

        for index in clients.indices where active(index, .advertiseKeys) {
            try server.receive(try wire.send(try clients[index].advertiseKeys(), from: index))
        }
        for message in try server.keyDirectories() where active(message.recipient, .shareKeys) {
            let delivered = try wire.deliver(message, to: message.recipient)
            try server.receive(try wire.send(try clients[message.recipient].shareKeys(delivered), from: message.recipient))
        }
        for message in try server.routedShares() where active(message.recipient, .maskedInput) {
            let delivered = try wire.deliver(message, to: message.recipient)
            try server.receive(try wire.send(try clients[message.recipient].maskedInput(inputs[message.recipient], shares: delivered), from: message.recipient))
        }
        let request = try server.unmaskingRequest()
        for client in request.survivors where active(client, .unmasking) {
            let delivered = try wire.deliver(request, to: client)
            try server.receive(try wire.send(try clients[client].unmask(delivered), from: client))
        }
        let result = try server.finish()
        return Report(result: result, bytesSentPerClient: wire.sent, bytesReceivedPerClient: wire.received, configuration: configuration)
    }

    /// Encodes every message to JSON and back, counting the bytes per client.
    private struct Wire {
        var sent: [Int]
        var received: [Int]
        let encoder = JSONEncoder()
        let decoder = JSONDecoder()

        init(clientCount: Int) {
            sent = Array(repeating: 0, count: clientCount)
            received = Array(repeating: 0, count: clientCount)
        }

        mutating func send<Message: Codable>(_ message: Message, from client: Int) throws(FederatedError) -> Message {
            let (copy, bytes) = try roundTrip(message)
            sent[client] += bytes
            return copy
        }

        mutating func deliver<Message: Codable>(_ message: Message, to client: Int) throws(FederatedError) -> Message {
            let (copy, bytes) = try roundTrip(message)
            received[client] += bytes
            return copy
        }

        private func roundTrip<Message: Codable>(_ message: Message) throws(FederatedError) -> (Message, Int) {
            do {
                let data = try encoder.encode(message)
                return (try decoder.decode(Message.self, from: data), data.count)
            } catch { throw FederatedError(.malformed, "cannot encode or decode \(Message.self)", underlying: error) }
        }
    }
}
