import BulwarkCrypto
import Testing

@Suite struct ShamirSecretSharingTests {
    /// The textbook example: f(x) = 1234 + 166x + 94x², threshold 3.
    @Test func reconstructsTheTextbookExample() throws {
        let shares = [(1, 1494), (2, 1942), (3, 2578), (4, 3402), (5, 4414), (6, 5614)].map {
            ShamirShare(x: MersenneField(UInt64($0.0)), values: [MersenneField(UInt64($0.1))])
        }
        #expect(try ShamirSecretSharing.reconstruct(from: [shares[1], shares[3], shares[4]], threshold: 3) == [MersenneField(1234)])
        #expect(try ShamirSecretSharing.reconstruct(from: [shares[5], shares[0], shares[2]], threshold: 3) == [MersenneField(1234)])
        // Two shares of a degree-2 polynomial give a wrong value, not the secret.
        #expect(try ShamirSecretSharing.reconstruct(from: [shares[0], shares[1]], threshold: 2) != [MersenneField(1234)])
    }

    /// Every subset of `threshold` shares reconstructs; fewer are refused.
    @Test func anyThresholdSubsetReconstructs() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 5, count: 32))
        for (threshold, count) in [(1, 1), (1, 3), (2, 3), (3, 5), (4, 7)] {
            let secret = (0..<4).map { _ in MersenneField.random(using: &generator) }
            let points = (0..<count).map { UInt64($0 * 3 + 2) }
            let shares = try ShamirSecretSharing.split(secret, threshold: threshold, at: points, using: &generator)
            for mask in 0..<(1 << count) where mask.nonzeroBitCount == threshold {
                let subset = shares.indices.filter { mask >> $0 & 1 == 1 }.map { shares[$0] }
                #expect(try ShamirSecretSharing.reconstruct(from: subset.reversed(), threshold: threshold) == secret)
            }
            if threshold > 1 {
                #expect {
                    _ = try ShamirSecretSharing.reconstruct(from: Array(shares.prefix(threshold - 1)), threshold: threshold)
                } throws: { ($0 as? CryptoError)?.code == .insufficientShares }
            }
        }
    }

    @Test func sharesThirtyTwoByteSecretsInSevenByteChunks() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 6, count: 32))
        for _ in 0..<20 {
            let secret = generator.bytes(count: 32)
            let shares = try ShamirSecretSharing.split(bytes: secret, threshold: 3, at: [1, 2, 3, 4, 5], using: &generator)
            #expect(shares.allSatisfy { $0.values.count == 5 })
            #expect(try ShamirSecretSharing.reconstructBytes(from: [shares[3], shares[1], shares[4]], threshold: 3, byteCount: 32) == secret)
        }
        let allOnes = [UInt8](repeating: 0xFF, count: 32)
        let shares = try ShamirSecretSharing.split(bytes: allOnes, threshold: 2, at: [7, 9], using: &generator)
        #expect(try ShamirSecretSharing.reconstructBytes(from: shares, threshold: 2, byteCount: 32) == allOnes)
        // A share altered in a chunk decodes to a value too wide for its bytes (with overwhelming probability).
        var tampered = shares
        tampered[0].values[4] = tampered[0].values[4] + MersenneField(1 << 40)
        #expect {
            _ = try ShamirSecretSharing.reconstructBytes(from: tampered, threshold: 2, byteCount: 32)
        } throws: { ($0 as? CryptoError)?.code == .malformed }
    }

    @Test func refusesBadPointsThresholdsAndRaggedShares() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 4, count: 32))
        let secret = [MersenneField(42)]
        func code(_ body: () throws -> Void) -> ErrorCode<CryptoErrorDomain>? {
            do { try body(); return nil } catch let error as CryptoError { return error.code } catch { return nil }
        }
        #expect(code { _ = try ShamirSecretSharing.split(secret, threshold: 2, at: [1, 1, 2], using: &generator) } == .malformed)
        #expect(code { _ = try ShamirSecretSharing.split(secret, threshold: 2, at: [0, 1, 2], using: &generator) } == .invalidParameter)
        #expect(code { _ = try ShamirSecretSharing.split(secret, threshold: 2, at: [1, MersenneField.modulus], using: &generator) } == .invalidParameter)
        #expect(code { _ = try ShamirSecretSharing.split(secret, threshold: 4, at: [1, 2, 3], using: &generator) } == .invalidParameter)
        #expect(code { _ = try ShamirSecretSharing.split(secret, threshold: 0, at: [1, 2, 3], using: &generator) } == .invalidParameter)
        let shares = try ShamirSecretSharing.split(secret, threshold: 2, at: [1, 2, 3], using: &generator)
        #expect(code { _ = try ShamirSecretSharing.reconstruct(from: [shares[0], shares[0]], threshold: 2) } == .malformed)
        #expect(code { _ = try ShamirSecretSharing.reconstruct(from: [shares[0], shares[1], shares[0]], threshold: 2) } == .malformed)
        var ragged = shares
        ragged[1].values.append(.one)
        #expect(code { _ = try ShamirSecretSharing.reconstruct(from: ragged, threshold: 2) } == .malformed)
        #expect(code { _ = try ShamirSecretSharing.reconstruct(from: [shares[2]], threshold: 2) } == .insufficientShares)
        #expect(code { _ = try ShamirSecretSharing.reconstructBytes(from: shares, threshold: 2, byteCount: 32) } == .malformed)
    }
}
