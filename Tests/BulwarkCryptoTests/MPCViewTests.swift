import BulwarkCrypto
import Synchronization
import Testing

/// The bytes a recording channel received.
final class Recording: Sendable {
    let bytes = Mutex<[UInt8]>([])
}

/// A channel that keeps a copy of every message its party receives: that party's view.
struct RecordingChannel: MPCChannel {
    let inner: InProcessChannel
    let received = Recording()

    var partyID: Int { inner.partyID }
    var partyCount: Int { inner.partyCount }

    func send(_ message: [UInt8], to party: Int) async throws(CryptoError) {
        try await inner.send(message, to: party)
    }

    func receive(from party: Int) async throws(CryptoError) -> [UInt8] {
        let message = try await inner.receive(from: party)
        received.bytes.withLock { $0 += message }
        return message
    }
}

/// Party 1's view of a protocol run on party 0's secret does not depend on that secret: the
/// words it receives while multiplying and comparing have the same distribution for two
/// different secrets (chi-square homogeneity over many runs with fresh randomness).
@Suite struct MPCViewTests {
    /// Party 1's received words in one run of multiply + ReLU on party 0's `secret`.
    static func viewOfPartyOne(secret: [Double], runSeed: [UInt8]) async throws -> [UInt64] {
        let channels = InProcessChannel.network(parties: 2, timeoutSeconds: 20)
        let recorder = RecordingChannel(inner: channels[1])
        let dealer = InProcessDealer(parties: 2, generator: try ChaCha20Generator(seed: runSeed))
        var seedGenerator = try ChaCha20Generator(seed: runSeed.reversed())
        let pairSeed = seedGenerator.bytes(count: 32)
        let seeds: [[UInt8]] = [pairSeed, pairSeed]
        let count = secret.count
        let mine: [Double] = (0..<count).map { Double($0) - 3 }
        async let owner: Void = {
            var party = try MPCParty(channel: channels[0], preprocessing: dealer.source(for: 0), seeds: PairwiseSeeds(partyID: 0, seeds: seeds))
            let x = try party.input(secret, owner: 0, count: count)
            let y = try party.input([Double]?.none, owner: 1, count: count)
            _ = try await party.relu(party.multiply(x, y))
        }()
        var party = try MPCParty(channel: recorder, preprocessing: dealer.source(for: 1), seeds: PairwiseSeeds(partyID: 1, seeds: seeds))
        let x = try party.input([Double]?.none, owner: 0, count: count)
        let y = try party.input(mine, owner: 1, count: count)
        _ = try await party.relu(party.multiply(x, y))
        try await owner
        let bytes = recorder.received.bytes.withLock { $0 }
        return stride(from: 0, to: bytes.count, by: 8).map { start in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[start + $1]) << UInt64(8 * $1) }
        }
    }

    @Test func aPartysViewIsIndependentOfTheOtherPartysSecret() async throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 31, count: 32))
        let runs = 150
        var first: [UInt64] = [], second: [UInt64] = []
        for _ in 0..<runs {
            first += try await Self.viewOfPartyOne(secret: [Double](repeating: 0, count: 8), runSeed: generator.bytes(count: 32))
            second += try await Self.viewOfPartyOne(secret: [1000.5, -7, 3, 0.25, -1e4, 42, 1, -1], runSeed: generator.bytes(count: 32))
        }
        #expect(first.count == second.count && first.count > 10000)
        #expect(chiSquareHomogeneity(topNibbleHistogram(first), topNibbleHistogram(second)) < MPCSharingTests.criticalValue15)
        #expect(chiSquareHomogeneity(lowNibbleHistogram(first), lowNibbleHistogram(second)) < MPCSharingTests.criticalValue15)
        #expect(chiSquareUniform(topNibbleHistogram(second)) < MPCSharingTests.criticalValue15)
    }
}
