import BulwarkCrypto
import BulwarkFederated
import BulwarkModels
import BulwarkTensor
import Foundation
import Testing

/// The TLS transport of MPC parties on loopback: delivery, aborts that name the party, refused
/// peers, bounded frames, and a secure mlp inference between owner, client and dealer over it.
@Suite struct MPCNetworkTests {
    /// A fresh PKI for `parties` parties in a temporary directory.
    static func pki(parties: Int = 3) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mpc-tls-\(UUID().uuidString)").path
        _ = try MPCCertificates.write(to: dir, parties: parties, hosts: ["localhost", "127.0.0.1"], validDays: 1)
        return dir
    }

    /// A TCP port on 127.0.0.1 that is free now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func addresses(_ count: Int) -> [MPCPeerAddress] {
        (0..<count).map { _ in MPCPeerAddress(host: "127.0.0.1", port: freePort()) }
    }

    static func configuration(_ id: Int, _ addresses: [MPCPeerAddress], pki: String, caPKI: String? = nil, receive: Double = 20,
                              connect: Double = 10, maximumMessageBytes: Int = 1 << 20) -> TLSMPCConfiguration {
        TLSMPCConfiguration(partyID: id, addresses: addresses, certificatePath: "\(pki)/party-\(id).pem", privateKeyPath: "\(pki)/party-\(id)-key.pem",
                            trustRootsPath: "\(caPKI ?? pki)/ca.pem", connectTimeoutSeconds: connect, receiveTimeoutSeconds: receive,
                            maximumMessageBytes: maximumMessageBytes)
    }

    /// Connects every party of `configurations` concurrently.
    static func mesh(_ configurations: [TLSMPCConfiguration]) async throws -> [TLSMPCChannel] {
        try await withThrowingTaskGroup(of: (Int, TLSMPCChannel).self) { group in
            for configuration in configurations {
                group.addTask { (configuration.partyID, try await TLSMPCChannel.connect(configuration)) }
            }
            var out = [TLSMPCChannel?](repeating: nil, count: configurations.count)
            for try await (id, channel) in group { out[id] = channel }
            return out.compactMap { $0 }
        }
    }

    @Test func messagesArriveWholeAndInOrderBothWays() async throws {
        let pki = try Self.pki(parties: 2)
        let addresses = Self.addresses(2)
        let channels = try await Self.mesh([Self.configuration(0, addresses, pki: pki), Self.configuration(1, addresses, pki: pki)])
        defer { channels.forEach { $0.close() } }
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try await channels[1].send([1, 2, 3], to: 0)
        try await channels[1].send([], to: 0)
        try await channels[1].send(big, to: 0)
        try await channels[0].send([9], to: 1)
        #expect(try await channels[0].receive(from: 1) == [1, 2, 3])
        #expect(try await channels[0].receive(from: 1) == [])
        #expect(try await channels[0].receive(from: 1) == big)
        #expect(try await channels[1].receive(from: 0) == [9])
        // Not a peer: refused without touching the network.
        await #expect(throws: CryptoError.self) { try await channels[0].send([1], to: 0) }
    }

    @Test func silenceAndDisappearanceAbortNamingTheParty() async throws {
        let pki = try Self.pki(parties: 3)
        let addresses = Self.addresses(3)
        let channels = try await Self.mesh((0..<3).map { Self.configuration($0, addresses, pki: pki, receive: $0 == 0 ? 0.5 : 20) })
        defer { channels.forEach { $0.close() } }
        // Party 1 says nothing: party 0 gives up after its 0.5 s timeout.
        do {
            _ = try await channels[0].receive(from: 1)
            Issue.record("a receive from a silent party returned")
        } catch {
            Self.expectUnavailable(error, mentioning: "party 1")
        }
        // Party 0 disappears while party 2 waits on it (timeout 20 s): the wait ends at once.
        let clock = ContinuousClock(), start = clock.now
        async let waiting: [UInt8] = channels[2].receive(from: 0)
        try await Task.sleep(for: .milliseconds(100))
        channels[0].close()
        do {
            _ = try await waiting
            Issue.record("a receive from a closed party returned")
        } catch {
            Self.expectUnavailable(error, mentioning: "party 0")
        }
        #expect(clock.now - start < .seconds(15), "the abort waited for the timeout instead of the closed connection")
        await #expect(throws: CryptoError.self) { try await channels[2].send([1], to: 0) }
    }

    static func expectUnavailable(_ error: any Error, mentioning text: String) {
        let error = error as? CryptoError
        #expect(error?.code == .partyUnavailable)
        #expect(error?.message.contains(text) == true, "\(String(describing: error?.message))")
    }

    static func attempt(_ configuration: TLSMPCConfiguration) async -> Result<TLSMPCChannel, CryptoError> {
        do { return .success(try await TLSMPCChannel.connect(configuration)) } catch { return .failure(error) }
    }

    @Test func aPeerFromAnotherCAIsRefused() async throws {
        let pki = try Self.pki(parties: 2), stranger = try Self.pki(parties: 2)
        let addresses = Self.addresses(2)
        // Party 1 holds a certificate of another CA (and trusts ours): party 0 refuses it.
        async let listener = Self.attempt(Self.configuration(0, addresses, pki: pki, connect: 2))
        let connector = await Self.attempt(Self.configuration(1, addresses, pki: stranger, caPKI: pki, connect: 2))
        let listened = await listener
        #expect(throws: CryptoError.self) { try connector.get() }
        #expect(throws: CryptoError.self) { try listened.get() }
        if case .failure(let error) = listened {
            #expect(error.code == .partyUnavailable)
            #expect(error.message.contains("party 1"), "\(error.message)")
        }
        // A certificate that names another party is refused before connecting.
        var wrong = Self.configuration(1, addresses, pki: pki)
        wrong.certificatePath = "\(pki)/party-0.pem"
        wrong.privateKeyPath = "\(pki)/party-0-key.pem"
        await #expect(throws: CryptoError.self) { try await TLSMPCChannel.connect(wrong) }
    }

    @Test func anOversizedFrameIsRefusedBeforeBuffering() async throws {
        let pki = try Self.pki(parties: 2)
        let addresses = Self.addresses(2)
        let channels = try await Self.mesh([Self.configuration(0, addresses, pki: pki, maximumMessageBytes: 1024),
                                            Self.configuration(1, addresses, pki: pki, maximumMessageBytes: 1 << 20)])
        defer { channels.forEach { $0.close() } }
        try await channels[1].send([UInt8](repeating: 1, count: 4096), to: 0)
        do {
            _ = try await channels[0].receive(from: 1)
            Issue.record("an oversized frame was delivered")
        } catch {
            Self.expectUnavailable(error, mentioning: "4096")
        }
        await #expect(throws: CryptoError.self) { try await channels[0].send([UInt8](repeating: 0, count: 2048), to: 1) }
    }

    @Test func secureMLPOverTLSMatchesPlaintext() async throws {
        let pki = try Self.pki(parties: 3)
        let addresses = Self.addresses(3)
        let channels = try await Self.mesh((0..<3).map { Self.configuration($0, addresses, pki: pki, maximumMessageBytes: 64 << 20) })
        defer { channels.forEach { $0.close() } }
        let model = ZooArchitecture.mlp.makeModel(seed: 5)
        var generator = MPCTestGenerator(seed: 11)
        let count = 3
        let images = (0..<(count * 784)).map { _ in Float(generator.next() % 1000) / 1000 }
        let owner = try SecureZooModel(owning: model, architecture: .mlp)
        let dealer = Task { try await SecureInference.deal(channel: channels[2]) }
        let serving = Task { try await SecureInference.serve(owner, channel: channels[0], reveal: .logits) }
        let (output, clientReport) = try await SecureInference.query(images: images, count: count, batchSize: 2, channel: channels[1])
        let ownerReport = try await serving.value
        let dealerReport = try await dealer.value
        let plain = model.logits(Tensor(shape: [count, 1, 28, 28], scalars: images)).scalars
        let logits = try #require(output.logits)
        #expect(logits.count == count * 10 && output.labels.count == count)
        for index in 0..<(count * 10) { #expect(abs(logits[index] - Double(plain[index])) < 0.01, "logit \(index)") }
        for n in 0..<count {
            let row = Array(plain[(n * 10)..<((n + 1) * 10)])
            #expect(output.labels[n] == row.indices.max { row[$0] < row[$1] })
        }
        // 2 batches of 22 rounds, plus one to agree the seeds; the dealer served both parties.
        #expect(clientReport.online.rounds == 1 + 2 * 22)
        #expect(ownerReport.online.rounds == clientReport.online.rounds && clientReport.batches == 2)
        #expect(dealerReport.dealer?.requests == clientReport.preprocessing.rounds)
        #expect(ownerReport.online.bytesSent > 784 * 256 * 8)
    }
}

/// A small deterministic generator for test inputs.
struct MPCTestGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1330_11EB
        return z ^ (z >> 31)
    }
}
