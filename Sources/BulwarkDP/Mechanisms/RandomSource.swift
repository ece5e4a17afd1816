import BulwarkTensor
import CBulwarkKernels
import CLibCrypto
import Foundation

/// Where DP-SGD draws its batch sampling and its noise from.
///
/// The privacy guarantee assumes both are unpredictable to the adversary, so the default is
/// ``secure`` (a CSPRNG seeded by the operating system). ``seededInsecure(seed:)`` exists only for tests
/// and reproducible experiments: a model trained with it carries no privacy guarantee, and the
/// trainer records that in the model's metadata.
public enum DPRandomness: Sendable, Codable, Equatable {
    /// Batches and noise from a CSPRNG: OpenSSL's private DRBG, seeded by the kernel.
    case secure
    /// Batches and noise from a seeded xoshiro256** stream. **No privacy guarantee.**
    case seededInsecure(seed: UInt64)

    /// Whether noise drawn from this source supports a DP claim.
    public var supportsPrivacyClaim: Bool { self == .secure }
}

/// Random bits for DP-SGD: the CSPRNG or, for tests, a seeded generator.
public struct DPRandomSource: RandomNumberGenerator {
    private var seeded: SeededGenerator?
    private let secure: SecureEntropyGenerator?
    private var spareNormal: Double?
    private var words: [UInt64] = []

    /// A source for `randomness`.
    public init(_ randomness: DPRandomness) {
        switch randomness {
        case .secure:
            secure = SecureEntropyGenerator()
            seeded = nil
        case .seededInsecure(let seed):
            secure = nil
            seeded = SeededGenerator(seed: seed)
        }
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        if let secure { return secure.next() }
        return seeded?.next() ?? 0
    }

    /// Fills `out` with random words (in bulk from the CSPRNG when secure).
    mutating func fill(_ out: UnsafeMutableBufferPointer<UInt64>) {
        if let secure {
            secure.fill(out)
        } else {
            for i in out.indices { out[i] = seeded?.next() ?? 0 }
        }
    }

    /// A uniform double in (0, 1] (never 0, so its logarithm is finite).
    public mutating func nextOpenUniform() -> Double {
        Double((next() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal sample (Box–Muller on 53-bit uniforms; both outputs are used).
    ///
    /// Floating-point Gaussian samplers can leak through their low bits (Mironov 2012); this is
    /// the same textbook sampler Opacus and TensorFlow Privacy use, not a discrete one.
    public mutating func nextNormal() -> Double {
        if let s = spareNormal {
            spareNormal = nil
            return s
        }
        let r = (-2 * Foundation.log(nextOpenUniform())).squareRoot()
        let theta = 2 * Double.pi * nextOpenUniform()
        spareNormal = r * Foundation.sin(theta)
        return r * Foundation.cos(theta)
    }

    /// Replaces every `p[i]` by `(p[i] + standardDeviation·Z_i)·scale` with independent standard
    /// normals Z_i, by Box–Muller on 32-bit words fetched in bulk: for `m = ⌈count/2⌉` pairs the
    /// source gives `2m` words, word `j` making the radius and word `m + j` the angle of pair `j`,
    /// whose cosine normal goes to `p[j]` and sine normal to `p[m + j]` (dropped past the end).
    /// The transform runs eight pairs at a time (`bulwark_gaussian_add`, in C: its angle takes a
    /// quarter turn from the word's top two bits and an offset in (−π/4, π/4) from the others;
    /// polynomial logarithm, sine and cosine accurate to a few float ulps) on every worker. The
    /// radius uniform has 31 bits, so the normal is truncated at 6.56 standard deviations, as float32
    /// samplers are. The per-step cost for a model of a few hundred thousand parameters is then a
    /// fraction of a millisecond.
    public mutating func addGaussianNoise(to p: UnsafeMutableBufferPointer<Float>, standardDeviation: Double, scale: Double) {
        let count = p.count
        guard count > 0, let base = p.baseAddress else { return }
        let pairs = (count + 1) / 2
        var local = words
        words = []
        if local.count < pairs { local = [UInt64](repeating: 0, count: pairs) }
        defer { words = local }
        let sd = Float(standardDeviation), sc = Float(scale)
        local.withUnsafeMutableBufferPointer { w in
            let buffer = UnsafeMutableBufferPointer(rebasing: w[0..<pairs])
            fill(buffer)
            // The words are drawn first, in order; turning them into normals is independent per
            // pair, so the transform runs on every worker with the same result as a serial loop.
            let second = count - pairs  // sine normals used: pairs, or pairs − 1 for an odd count
            buffer.baseAddress!.withMemoryRebound(to: UInt32.self, capacity: 2 * pairs) { halves in
                let (bits, dst) = (UncheckedBox(UnsafePointer(halves)), SharedPointer(base))
                parallelChunks(pairs, costPerItem: 16) { range in
                    let lo = range.lowerBound
                    bulwark_gaussian_add(bits.value + lo, bits.value + pairs + lo, range.count, dst.base + lo, dst.base + pairs + lo,
                                         Swift.max(0, Swift.min(range.upperBound, second) - lo), sd, sc)
                }
            }
        }
    }
}

/// Random 64-bit words from OpenSSL's private DRBG (`RAND_priv_bytes`: NIST SP 800-90A
/// CTR_DRBG with AES-256, seeded and periodically reseeded from the kernel, one instance per
/// thread, reseeded after `fork`), buffered for single words. It runs at gigabytes per second,
/// where reading `/dev/urandom` gave about 150 MB/s on the benchmark machine — a step's noise for a
/// few hundred thousand parameters is a megabyte of random bytes. Falls back to the standard
/// library's `SystemRandomNumberGenerator` (getrandom) if the DRBG cannot be seeded.
final class SecureEntropyGenerator {
    private var words = [UInt64](repeating: 0, count: 512)
    private var position = 512

    /// Fills `out` with random words.
    func fill(_ out: UnsafeMutableBufferPointer<UInt64>) {
        guard let base = out.baseAddress, !out.isEmpty else { return }
        let raw = UnsafeMutableRawPointer(base)
        let total = out.count * 8
        var filled = 0
        while filled < total {
            let part = Swift.min(total - filled, 1 << 20)
            guard RAND_priv_bytes(raw.advanced(by: filled).assumingMemoryBound(to: UInt8.self), Int32(part)) == 1 else { break }
            filled += part
        }
        if filled < total {
            var system = SystemRandomNumberGenerator()
            for i in (filled / 8)..<out.count { out[i] = system.next() }
        }
    }

    /// The next random word.
    func next() -> UInt64 {
        if position == words.count {
            words.withUnsafeMutableBufferPointer { fill($0) }
            position = 0
        }
        let v = words[position]
        position += 1
        return v
    }
}
