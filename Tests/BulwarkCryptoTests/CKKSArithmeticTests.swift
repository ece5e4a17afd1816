import BulwarkCrypto
import Testing

/// The modular arithmetic and NTT under CKKS: Barrett and Shoup reduction against exact
/// division, the prime generator, and the negacyclic NTT against a schoolbook product.
@Suite struct CKKSArithmeticTests {
    @Test func multiplicationMatchesExactDivision() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 7, count: 32))
        let primes = try CKKSPrimes.generate(bitSizes: [61, 60, 40, 30, 20], polyDegree: 1024)
        for prime in primes {
            let modulus = CKKSModulus(prime: prime)
            let edge: [UInt64] = [0, 1, 2, prime - 1, prime - 2, prime / 2]
            var pairs = edge.flatMap { a in edge.map { (a, $0) } }
            for _ in 0..<2000 { pairs.append((generator.next() % prime, generator.next() % prime)) }
            for (a, b) in pairs {
                let wide = a.multipliedFullWidth(by: b)
                let expected = prime.dividingFullWidth((high: wide.high, low: wide.low)).remainder
                #expect(modulus.multiply(a, b) == expected)
            }
            for _ in 0..<200 {
                let a = generator.next() % prime
                if a == 0 { continue }
                #expect(modulus.multiply(a, modulus.inverse(a)) == 1)
            }
        }
    }

    @Test func primesAreDistinctNTTFriendlyAndOfTheAskedSize() throws {
        let primes = try CKKSPrimes.generate(bitSizes: [60, 40, 40, 60], polyDegree: 8192)
        #expect(Set(primes).count == 4)
        for (prime, bits) in zip(primes, [60, 40, 40, 60]) {
            #expect(CKKSPrimes.isPrime(prime))
            #expect(prime % 16384 == 1)
            #expect(prime < UInt64(1) << UInt64(bits) && prime > UInt64(1) << UInt64(bits - 1))
        }
        #expect(try CKKSPrimes.generate(bitSizes: [60, 40, 40, 60], polyDegree: 8192) == primes)
        // Known answers: SEAL's moduli for the same requests, from TenSEAL 0.3.18's SEAL bindings:
        //   [m.value() for m in tenseal.sealapi.CoeffModulus.Create(8192, [60, 40, 40, 60])]
        #expect(primes == [1_152_921_504_606_748_673, 1_099_510_890_497, 1_099_511_480_321, 1_152_921_504_606_830_593])
        #expect(try CKKSPrimes.generate(bitSizes: [40, 20, 40], polyDegree: 4096) == [1_099_511_390_209, 1_032_193, 1_099_511_480_321])
        #expect(!CKKSPrimes.isPrime(3_215_031_751))  // a strong pseudoprime to bases 2, 3, 5, 7
        #expect(CKKSPrimes.isPrime(2_305_843_009_213_693_951))  // 2^61 − 1
        #expect(throws: CryptoError.self) { try CKKSPrimes.generate(bitSizes: [62], polyDegree: 1024) }
    }

    @Test(arguments: [8, 64, 1024])
    func nttRoundTripsAndMultipliesNegacyclically(degree: Int) throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: UInt8(degree & 0xFF), count: 32))
        for bits in [30, 50, 61] {
            let prime = try CKKSPrimes.generate(bitSizes: [bits], polyDegree: degree)[0]
            let modulus = CKKSModulus(prime: prime)
            let ntt = try CKKSNTT(modulus: modulus, degree: degree)
            let a = (0..<degree).map { _ in generator.next() % prime }
            let b = (0..<degree).map { _ in generator.next() % prime }
            var roundTrip = a
            ntt.forward(&roundTrip)
            #expect(roundTrip != a)
            ntt.inverse(&roundTrip)
            #expect(roundTrip == a)
            // Schoolbook product in Z_p[X]/(X^N + 1).
            let terms = degree <= 64 ? degree : 16  // check every coefficient of small N; a sparse b for large N
            var sparseB = b
            if terms < degree { for i in terms..<degree { sparseB[i] = 0 } }
            var expected = [UInt64](repeating: 0, count: degree)
            for i in 0..<degree {
                for j in 0..<terms {
                    let product = modulus.multiply(a[i], sparseB[j])
                    let k = i + j
                    if k < degree {
                        expected[k] = modulus.add(expected[k], product)
                    } else {
                        expected[k - degree] = modulus.subtract(expected[k - degree], product)
                    }
                }
            }
            var fa = a, fb = sparseB
            ntt.forward(&fa)
            ntt.forward(&fb)
            var product = zip(fa, fb).map { modulus.multiply($0, $1) }
            ntt.inverse(&product)
            #expect(product == expected)
        }
    }

    @Test func nttRefusesAPrimeWithoutTheRoot() {
        #expect(throws: CryptoError.self) { try CKKSNTT(modulus: CKKSModulus(prime: 1_000_003), degree: 1024) }
        #expect(throws: CryptoError.self) { try CKKSNTT(modulus: CKKSModulus(prime: 12_289), degree: 1000) }
    }
}
