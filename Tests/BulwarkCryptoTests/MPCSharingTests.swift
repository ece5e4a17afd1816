import BulwarkCrypto
import Testing

@Suite struct MPCSharingTests {
    /// Chi-square critical value for 15 degrees of freedom at p = 0.001.
    static let criticalValue15 = 37.70

    @Test func fixedPointRoundTripsWithinHalfAUnit() throws {
        let encoding = FixedPointEncoding(fractionalBits: 16)
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 2, count: 32))
        let values = randomDoubles(1000, in: -5000..<5000, using: &generator)
        let decoded = encoding.decode(try encoding.encode(values))
        for (value, back) in zip(values, decoded) { #expect(abs(value - back) <= 0.5 / 65536 + 1e-12) }
        #expect(throws: CryptoError.self) { try encoding.encode([Double.nan]) }
        #expect(throws: CryptoError.self) { try encoding.encode([encoding.maximumMagnitude]) }
    }

    @Test func additiveAndXorSharesReconstruct() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 3, count: 32))
        let secret: [UInt64] = [0, 1, .max, 0x8000_0000_0000_0000, 12345]
        for parties in 1...4 {
            let additive = AdditiveSharing.share(secret, parties: parties, using: &generator)
            #expect(additive.count == parties)
            #expect(try AdditiveSharing.reconstruct(additive) == secret)
            let xor = BinarySharing.share(secret, parties: parties, using: &generator)
            #expect(try BinarySharing.reconstruct(xor) == secret)
            if parties > 1 {
                // Dropping one share loses the secret.
                #expect(try AdditiveSharing.reconstruct(Array(additive.dropLast())) != secret)
            }
        }
        #expect(throws: CryptoError.self) { try AdditiveSharing.reconstruct([[1, 2], [3]]) }
    }

    /// SecureML truncation: off by at most one unit for values far below 2⁶³, and the failure
    /// rate grows as the bound 2^(ℓₓ + 1 − 64) says when values approach the ring's size.
    @Test func truncationErrorStaysWithinTheSecureMLBound() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 4, count: 32))
        let samples = 20000
        // |x| < 2⁴² (a product of magnitude below 2¹⁰ at scale 2³²): no failure expected (rate 2⁻²¹).
        var wrong = 0
        for _ in 0..<samples {
            let x = Int64.random(in: -(1 << 42) ..< (1 << 42), using: &generator)
            let shares = AdditiveSharing.share([UInt64(bitPattern: x)], parties: 2, using: &generator)
            let truncated = try AdditiveSharing.reconstruct([AdditiveSharing.truncate(shares[0], party: 0, bits: 16),
                                                             AdditiveSharing.truncate(shares[1], party: 1, bits: 16)])
            let difference = Int64(bitPattern: truncated[0]) - (x >> 16)
            if difference != 0 && difference != 1 { wrong += 1 }
        }
        #expect(wrong == 0)
        // |x| < 2⁶¹: the bound allows a failure rate up to 2⁻²; failures do occur, and within it.
        var failures = 0
        for _ in 0..<samples {
            let x = Int64.random(in: -(1 << 61) ..< (1 << 61), using: &generator)
            let shares = AdditiveSharing.share([UInt64(bitPattern: x)], parties: 2, using: &generator)
            let truncated = try AdditiveSharing.reconstruct([AdditiveSharing.truncate(shares[0], party: 0, bits: 16),
                                                             AdditiveSharing.truncate(shares[1], party: 1, bits: 16)])
            let difference = Int64(bitPattern: truncated[0]) &- (x >> 16)
            if difference != 0 && difference != 1 { failures += 1 }
        }
        #expect(failures > 0)
        #expect(Double(failures) / Double(samples) <= 0.25 + 0.02)
    }

    /// A single party's additive share has the same distribution whatever the secret: the top and
    /// low nibbles of party 0's share of 0 and of 2⁶³ + 12345, over many sharings, pass a
    /// chi-square homogeneity test, and each is uniform.
    @Test func anAdditiveShareIsIndependentOfTheSecret() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 5, count: 32))
        let samples = 20000
        for parties in [2, 3] {
            for party in 0..<parties {
                let first = (0..<samples).map { _ in AdditiveSharing.share([0], parties: parties, using: &generator)[party][0] }
                let second = (0..<samples).map { _ in AdditiveSharing.share([0x8000_0000_0000_3039], parties: parties, using: &generator)[party][0] }
                #expect(chiSquareHomogeneity(topNibbleHistogram(first), topNibbleHistogram(second)) < Self.criticalValue15)
                #expect(chiSquareHomogeneity(lowNibbleHistogram(first), lowNibbleHistogram(second)) < Self.criticalValue15)
                #expect(chiSquareUniform(topNibbleHistogram(second)) < Self.criticalValue15)
            }
        }
        // The test can fail: a "share" that leaks the secret's top bit is told apart at once.
        let leaky = (0..<samples).map { _ in (generator.next() >> 1) | 0x8000_0000_0000_0000 }
        let honest = (0..<samples).map { _ in generator.next() }
        #expect(chiSquareHomogeneity(topNibbleHistogram(leaky), topNibbleHistogram(honest)) > Self.criticalValue15)
    }

    @Test func aXorShareIsIndependentOfTheSecret() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 6, count: 32))
        let samples = 20000
        for party in 0..<2 {
            let first = (0..<samples).map { _ in BinarySharing.share([0], parties: 2, using: &generator)[party][0] }
            let second = (0..<samples).map { _ in BinarySharing.share([.max], parties: 2, using: &generator)[party][0] }
            #expect(chiSquareHomogeneity(topNibbleHistogram(first), topNibbleHistogram(second)) < Self.criticalValue15)
            #expect(chiSquareHomogeneity(lowNibbleHistogram(first), lowNibbleHistogram(second)) < Self.criticalValue15)
            #expect(chiSquareUniform(lowNibbleHistogram(second)) < Self.criticalValue15)
        }
    }

    @Test func pairwiseZeroSharingsAddUpToZero() throws {
        let matrix = pairwiseSeedMatrix(parties: 3, seed: 9)
        var seeds = try (0..<3).map { try PairwiseSeeds(partyID: $0, seeds: matrix[$0]) }
        for _ in 0..<3 {
            let shares = seeds.indices.map { seeds[$0].zeroSharing(count: 5) }
            #expect(try AdditiveSharing.reconstruct(shares) == [UInt64](repeating: 0, count: 5))
            #expect(shares[0] != [UInt64](repeating: 0, count: 5))
        }
        #expect(throws: CryptoError.self) { try PairwiseSeeds(partyID: 0, seeds: [[1], [2]]) }
    }

    @Test func establishedSeedsAgreeAndCostOneRound() async throws {
        let results = try await runMPC(parties: 3) { party in
            var cost = MPCCost()
            var seeds = try await PairwiseSeeds.establish(over: party.channel, cost: &cost)
            return (seeds.zeroSharing(count: 4), cost)
        }
        #expect(try AdditiveSharing.reconstruct(results.map(\.result.0)) == [0, 0, 0, 0])
        #expect(results.allSatisfy { $0.result.1.rounds == 1 })
        #expect(results[0].result.1.bytesSent == 64)  // party 0 sends a seed to parties 1 and 2
        #expect(results[2].result.1.bytesReceived == 64)
    }

    @Test func dealerTriplesAreCorrect() throws {
        var dealer = Dealer(parties: 3, generator: try ChaCha20Generator(seed: [UInt8](repeating: 7, count: 32)))
        let triples = dealer.beaverTriples(count: 50)
        let a = try AdditiveSharing.reconstruct(triples.map(\.a)), b = try AdditiveSharing.reconstruct(triples.map(\.b))
        #expect(try AdditiveSharing.reconstruct(triples.map(\.c)) == zip(a, b).map { $0 &* $1 })
        let matrix = dealer.matrixTriple(rows: 3, inner: 4, columns: 2)
        let ma = try AdditiveSharing.reconstruct(matrix.map(\.a)), mb = try AdditiveSharing.reconstruct(matrix.map(\.b))
        #expect(try AdditiveSharing.reconstruct(matrix.map(\.c)) == RingMatrix.multiply(ma, mb, rows: 3, inner: 4, columns: 2))
        let binary = dealer.binaryTriples(count: 20)
        let ba = try BinarySharing.reconstruct(binary.map(\.a)), bb = try BinarySharing.reconstruct(binary.map(\.b))
        #expect(try BinarySharing.reconstruct(binary.map(\.c)) == zip(ba, bb).map { $0 & $1 })
    }

    @Test func ringMatrixProductMatchesTheNaiveOne() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 8, count: 32))
        let (rows, inner, columns) = (5, 130, 7)
        let a = (0..<(rows * inner)).map { _ in generator.next() }, b = (0..<(inner * columns)).map { _ in generator.next() }
        let c = RingMatrix.multiply(a, b, rows: rows, inner: inner, columns: columns)
        for i in 0..<rows {
            for j in 0..<columns {
                var sum: UInt64 = 0
                for k in 0..<inner { sum = sum &+ a[i * inner + k] &* b[k * columns + j] }
                #expect(c[i * columns + j] == sum)
            }
        }
    }
}
