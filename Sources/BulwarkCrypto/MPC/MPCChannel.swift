/// The transport of a multi-party computation: ordered, reliable byte messages between numbered
/// parties, as one party sees it.
///
/// Parties are numbered `0 ..< partyCount`; every protocol in this module addresses them by that
/// id. Messages between one pair of parties arrive in the order they were sent (a FIFO per
/// direction), and a message is delivered whole or not at all. A channel never interprets the
/// bytes.
///
/// Conformers: ``InProcessChannel`` (tasks of one process, for tests and benchmarks). A network
/// transport (TLS over swift-nio, in a module above this one) conforms by framing each message
/// with its length on a connection per peer; it must turn a closed connection or a silent peer
/// into ``CryptoError`` `.partyUnavailable` after its timeout, so that a protocol aborts instead
/// of hanging.
///
/// Security: a channel is assumed authenticated and private between each pair (TLS with mutual
/// authentication); the protocols' semi-honest security holds only then.
///
/// ```swift
/// let channels = InProcessChannel.network(parties: 2)
/// Task { try await channels[0].send([1, 2, 3], to: 1) }
/// let message = try await channels[1].receive(from: 0)
/// print(message)  // [1, 2, 3]
/// ```
public protocol MPCChannel: Sendable {
    /// This party's id, in `0 ..< partyCount`.
    var partyID: Int { get }
    /// The number of parties of the computation.
    var partyCount: Int { get }
    /// Sends `message` to `party`.
    ///
    /// Throws `.partyUnavailable` when the peer is gone, `.invalidParameter` for an unknown
    /// party or this party itself.
    func send(_ message: [UInt8], to party: Int) async throws(CryptoError)
    /// The next message from `party`, waiting at most the channel's timeout.
    ///
    /// Throws `.partyUnavailable` when the peer is gone or sent nothing in time,
    /// `.invalidParameter` for an unknown party or this party itself.
    func receive(from party: Int) async throws(CryptoError) -> [UInt8]
}

/// What a protocol cost one party: communication rounds, messages and bytes.
///
/// A round is one step in which a party sends its messages and then waits for its peers':
/// the latency unit of a protocol (a round trip between two parties is two rounds when one
/// party waits for the other's answer, one round when both send at once). Bytes are payload
/// bytes sent by this party (no framing, no TLS overhead).
///
/// ```swift
/// var cost = MPCCost()
/// cost += MPCCost(rounds: 1, messagesSent: 1, bytesSent: 64, bytesReceived: 64)
/// print(cost.rounds, cost.bytesSent)  // 1 64
/// ```
public struct MPCCost: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Communication rounds.
    public var rounds: Int
    /// Messages this party sent.
    public var messagesSent: Int
    /// Payload bytes this party sent.
    public var bytesSent: Int
    /// Payload bytes this party received.
    public var bytesReceived: Int

    /// A cost of the given figures (zero by default).
    public init(rounds: Int = 0, messagesSent: Int = 0, bytesSent: Int = 0, bytesReceived: Int = 0) {
        self.rounds = rounds
        self.messagesSent = messagesSent
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
    }

    /// The figures of both costs added.
    public static func + (lhs: MPCCost, rhs: MPCCost) -> MPCCost {
        MPCCost(rounds: lhs.rounds + rhs.rounds, messagesSent: lhs.messagesSent + rhs.messagesSent,
                bytesSent: lhs.bytesSent + rhs.bytesSent, bytesReceived: lhs.bytesReceived + rhs.bytesReceived)
    }

    /// Adds `rhs`'s figures to `lhs`.
    public static func += (lhs: inout MPCCost, rhs: MPCCost) { lhs = lhs + rhs }

    /// The figures of `lhs` less those of `rhs` (the cost of what ran between two readings).
    public static func - (lhs: MPCCost, rhs: MPCCost) -> MPCCost {
        MPCCost(rounds: lhs.rounds - rhs.rounds, messagesSent: lhs.messagesSent - rhs.messagesSent,
                bytesSent: lhs.bytesSent - rhs.bytesSent, bytesReceived: lhs.bytesReceived - rhs.bytesReceived)
    }

    /// `rounds=R sent=B bytes (M messages) received=B bytes`.
    public var description: String {
        "rounds=\(rounds) sent=\(bytesSent) bytes (\(messagesSent) messages) received=\(bytesReceived) bytes"
    }
}

extension MPCChannel {
    /// Checks that `party` is a peer of this channel (not itself, within the party count).
    func checkPeer(_ party: Int) throws(CryptoError) {
        guard (0..<partyCount).contains(party), party != partyID else {
            throw CryptoError(.invalidParameter, "party \(party) is not a peer of party \(partyID) among \(partyCount)")
        }
    }
}

/// Little-endian packing of ring elements into messages (package access: the network dealer in
/// `BulwarkFederated` packs its triples the same way).
package enum MPCWire {
    /// The 8·`words.count` little-endian bytes of `words`.
    package static func bytes(_ words: [UInt64]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: words.count * 8)
        out.withUnsafeMutableBytes { raw in
            for index in words.indices { raw.storeBytes(of: words[index].littleEndian, toByteOffset: index * 8, as: UInt64.self) }
        }
        return out
    }

    /// The words of a message of exactly `count` words; throws `.malformed` otherwise.
    package static func words(_ bytes: [UInt8], count: Int, from party: Int) throws(CryptoError) -> [UInt64] {
        guard bytes.count == count * 8 else {
            throw CryptoError(.malformed, "message from party \(party) has \(bytes.count) bytes, expected \(count * 8) (\(count) ring elements)")
        }
        var out = [UInt64](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for index in 0..<count { out[index] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) }
        }
        return out
    }
}
