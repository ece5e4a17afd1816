import BulwarkCrypto
import Testing

@Suite struct MPCPaillierTripleTests {
    static func sources(binary dealer: InProcessDealer? = nil) throws -> @Sendable (Int) -> any MPCPreprocessing {
        let key = try PaillierKeyPair.generate(bits: 512, insecureForTests: true).1
        return { id in
            id == 0 ? PaillierTripleGeneration(privateKey: key, binarySource: dealer?.source(for: 0))
                    : PaillierTripleGeneration(allowInsecureKeysForTests: true, binarySource: dealer?.source(for: 1))
        }
    }

    @Test func elementwiseAndMatrixTriplesAreCorrect() async throws {
        let results = try await runMPC(preprocessing: try Self.sources()) { party in
            var source = party.preprocessing
            var cost = MPCCost()
            let triple = try await source.beaverTriples(count: 20, channel: party.channel, cost: &cost)
            let matrix = try await source.matrixTriple(rows: 2, inner: 3, columns: 4, channel: party.channel, cost: &cost)
            return (triple, matrix, cost)
        }
        let t = results.map(\.result.0)
        let a = try AdditiveSharing.reconstruct(t.map(\.a)), b = try AdditiveSharing.reconstruct(t.map(\.b))
        #expect(try AdditiveSharing.reconstruct(t.map(\.c)) == zip(a, b).map { $0 &* $1 })
        let m = results.map(\.result.1)
        let ma = try AdditiveSharing.reconstruct(m.map(\.a)), mb = try AdditiveSharing.reconstruct(m.map(\.b))
        #expect(try AdditiveSharing.reconstruct(m.map(\.c)) == RingMatrix.multiply(ma, mb, rows: 2, inner: 3, columns: 4))
        // 512-bit key: ciphertexts of 128 bytes. Party 0 sent the key (64 bytes), 2·20 and 6 + 12
        // ciphertexts; party 1 sent 20 and 8.
        let (cost0, cost1) = (results[0].result.2, results[1].result.2)
        #expect(cost0.bytesSent == 64 + 128 * (40 + 18))
        #expect(cost1.bytesSent == 128 * (20 + 8))
        #expect(cost0.rounds == 3 && cost1.rounds == 2)
    }

    @Test func protocolsRunOnPaillierTriples() async throws {
        let dealer = InProcessDealer(parties: 2, generator: try ChaCha20Generator(seed: [UInt8](repeating: 2, count: 32)))
        let results = try await runMPC(preprocessing: try Self.sources(binary: dealer)) { party in
            let x = try party.input(party.partyID == 0 ? [1.5, -2, 3] : nil, owner: 0, count: 3)
            let w = try party.input(party.partyID == 1 ? [2, 0.5, -1, 4, 0.25, 1] : nil, owner: 1, count: 6)
            let product = try await party.multiply(x, x)
            let matrix = try await party.matrixProduct(x, w, rows: 1, inner: 3, columns: 2)
            let relu = try await party.relu(x)
            return (try await party.open(product), try await party.open(matrix), try await party.open(relu))
        }
        let (product, matrix, relu) = results[0].result
        let unit = 1.0 / 65536
        for (value, expected) in zip(product, [2.25, 4, 9]) { #expect(abs(value - expected) <= unit) }
        let expectedMatrix: [Double] = [1.5 * 2 + 2 + 0.75, 0.75 - 8 + 3]
        for (value, expected) in zip(matrix, expectedMatrix) { #expect(abs(value - expected) <= unit) }
        #expect(relu == [1.5, 0, 3])
        #expect(results[1].preprocessingCost.bytesSent > 0 && results[0].preprocessingCost.rounds > 0)
    }

    @Test func binaryTriplesNeedASourceAndSmallKeysAreRefused() async throws {
        await #expect(throws: CryptoError.self) {
            _ = try await runMPC(preprocessing: try Self.sources()) { party in
                let x = try party.input(party.partyID == 0 ? [1] : nil, owner: 0, count: 1)
                return try await party.relu(x)
            }
        }
        // Party 1 refuses a test-sized key unless told the run is a test.
        let key = try PaillierKeyPair.generate(bits: 512, insecureForTests: true).1
        let secureByDefault: @Sendable (Int) -> any MPCPreprocessing = { id in
            id == 0 ? PaillierTripleGeneration(privateKey: key) : PaillierTripleGeneration()
        }
        await #expect(throws: CryptoError.self) {
            _ = try await runMPC(timeoutSeconds: 2, preprocessing: secureByDefault) { party in
                let x = try party.input(party.partyID == 0 ? [1] : nil, owner: 0, count: 1)
                return try await party.multiply(x, x)
            }
        }
    }
}
