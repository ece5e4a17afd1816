import Foundation

/// A seeded, reproducible pseudo-random generator (xoshiro256**, Blackman & Vigna 2018),
/// seeded through SplitMix64 so that nearby seeds give unrelated streams.
///
/// The same seed yields the same sequence on every machine. It is **not** cryptographically
/// secure: mechanisms whose guarantee depends on unpredictability use the system generator.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    /// Creates a generator whose stream is fully determined by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    @inlinable
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A uniform `Float` in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    public mutating func nextUniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal sample (Box–Muller on 53-bit uniforms).
    public mutating func nextNormal() -> Float {
        var u1 = nextUniformDouble()
        while u1 <= Double.leastNonzeroMagnitude { u1 = nextUniformDouble() }
        let u2 = nextUniformDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// A new generator whose stream is independent of this one's remaining stream.
    public mutating func split() -> SeededGenerator { SeededGenerator(seed: next()) }
}

extension Tensor {
    /// Uniform samples in `[low, high)`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               using rng: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape, unsafeUninitializedCapacity: { out in
            for i in out.indices { out[i] = low + (high - low) * rng.nextUniform() }
        })
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                              using rng: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape, unsafeUninitializedCapacity: { out in
            for i in out.indices { out[i] = mean + standardDeviation * rng.nextNormal() }
        })
    }

    /// Bernoulli samples: 1 with probability `p`, else 0.
    public static func bernoulli(_ shape: [Int], probability p: Float,
                                 using rng: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape, unsafeUninitializedCapacity: { out in
            for i in out.indices { out[i] = rng.nextUniform() < p ? 1 : 0 }
        })
    }
}

/// A uniformly random permutation of `0..<n` (Fisher–Yates).
public func randomPermutation(_ n: Int, using rng: inout SeededGenerator) -> [Int] {
    var p = Array(0..<n)
    if n < 2 { return p }
    for i in stride(from: n - 1, to: 0, by: -1) {
        let j = Int(rng.next() % UInt64(i + 1))
        p.swapAt(i, j)
    }
    return p
}
