import BulwarkCrypto
import Foundation
import Testing

@Suite struct MPCChannelTests {
    @Test func messagesArriveInOrderPerPair() async throws {
        let channels = InProcessChannel.network(parties: 3, timeoutSeconds: 5)
        for value in 0..<5 { try await channels[0].send([UInt8(value)], to: 2) }
        try await channels[1].send([99], to: 2)
        #expect(try await channels[2].receive(from: 1) == [99])
        for value in 0..<5 { #expect(try await channels[2].receive(from: 0) == [UInt8(value)]) }
        // A receive that waits is woken by the send.
        async let waiting = channels[0].receive(from: 2)
        try await Task.sleep(for: .milliseconds(20))
        try await channels[2].send([7, 7], to: 0)
        #expect(try await waiting == [7, 7])
    }

    @Test func unknownPeersAreRefused() async throws {
        let channels = InProcessChannel.network(parties: 2)
        await #expect(throws: CryptoError.self) { try await channels[0].send([1], to: 0) }
        await #expect(throws: CryptoError.self) { try await channels[0].send([1], to: 5) }
        await #expect(throws: CryptoError.self) { _ = try await channels[1].receive(from: -1) }
    }

    @Test func aClosedPartyFailsPendingAndLaterCalls() async throws {
        let channels = InProcessChannel.network(parties: 2, timeoutSeconds: 60)
        try await channels[1].send([1], to: 0)
        async let pending: Void = { () async throws -> Void in
            // The queued message still arrives; the next receive fails when party 1 closes.
            #expect(try await channels[0].receive(from: 1) == [1])
            do throws(CryptoError) {
                _ = try await channels[0].receive(from: 1)
                Issue.record("receive from a closed party returned")
            } catch {
                #expect(error.code == .partyUnavailable)
            }
        }()
        try await Task.sleep(for: .milliseconds(20))
        channels[1].close()
        try await pending
        do {
            try await channels[0].send([2], to: 1)
            Issue.record("send to a closed party returned")
        } catch {
            #expect(error.code == .partyUnavailable)
        }
    }

    @Test func aSilentPartyTimesOut() async throws {
        let channels = InProcessChannel.network(parties: 2, timeoutSeconds: 0.2)
        do {
            _ = try await channels[0].receive(from: 1)
            Issue.record("receive from a silent party returned")
        } catch {
            #expect(error.code == .partyUnavailable)
        }
    }

    /// A party that drops out in the middle of a protocol makes its peer's protocol call throw
    /// `.partyUnavailable` instead of hanging.
    @Test func aDroppedPartyAbortsTheProtocolWithATypedError() async throws {
        let channels = InProcessChannel.network(parties: 2, timeoutSeconds: 30)
        let dealer = InProcessDealer(parties: 2, generator: try ChaCha20Generator(seed: [UInt8](repeating: 1, count: 32)))
        let matrix = pairwiseSeedMatrix(parties: 2, seed: 1)
        let survivor = Task { () throws(CryptoError) -> [Double] in
            var party = try MPCParty(channel: channels[0], preprocessing: dealer.source(for: 0), seeds: PairwiseSeeds(partyID: 0, seeds: matrix[0]))
            let x = try party.input([1, 2, 3], owner: 0, count: 3)
            let y = try await party.relu(x)
            return try await party.open(y)
        }
        // Party 1 takes part in nothing and disappears.
        try await Task.sleep(for: .milliseconds(30))
        channels[1].close()
        let result = await survivor.result
        switch result {
        case .success: Issue.record("the protocol finished without its peer")
        case .failure(let error): #expect((error as? CryptoError)?.code == .partyUnavailable)
        }
        // And a peer that never answers at all is caught by the timeout.
        let quiet = InProcessChannel.network(parties: 2, timeoutSeconds: 0.3)
        var lonely = try MPCParty(channel: quiet[0], preprocessing: InProcessDealer(parties: 2).source(for: 0),
                                  seeds: PairwiseSeeds(partyID: 0, seeds: matrix[0]))
        let z = try lonely.input([1], owner: 0, count: 1)
        do {
            _ = try await lonely.multiply(z, z)
            Issue.record("a multiplication finished without its peer")
        } catch {
            #expect(error.code == .partyUnavailable)
        }
    }
}

@Suite struct MPCFrameDecoderTests {
    @Test func framesSplitAnywhereDecodeInOrder() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 41, count: 32))
        let messages: [[UInt8]] = [[], [1], generator.bytes(count: 300), [9, 9], generator.bytes(count: 5000)]
        let stream = messages.flatMap(MPCFrameDecoder.frame)
        for chunk in [1, 3, 4, 7, 64, 10000] {
            var decoder = MPCFrameDecoder()
            var decoded: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                decoded += try decoder.feed(Array(stream[offset..<min(offset + chunk, stream.count)]))
                offset += chunk
            }
            #expect(decoded == messages)
            #expect(decoder.pendingBytes == 0)
        }
    }

    @Test func oversizedAndTruncatedFramesAreHandled() throws {
        var decoder = MPCFrameDecoder(maximumMessageBytes: 100)
        #expect(throws: CryptoError.self) { try decoder.feed([0, 0, 0, 101]) }
        #expect(throws: CryptoError.self) { try decoder.feed([0xFF, 0xFF, 0xFF, 0xFF, 1]) }
        // A truncated frame is held, not returned.
        #expect(try decoder.feed([0, 0, 0, 10, 1, 2]) == [])
        #expect(decoder.pendingBytes == 6)
    }
}
