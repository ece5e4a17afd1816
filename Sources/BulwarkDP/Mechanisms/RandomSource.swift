#if canImport(Glibc)
import Glibc
#endif
import BulwarkTensor
import Foundation

/// Where DP-SGD draws its batch sampling and its noise from.
///
/// The privacy guarantee assumes both are unpredictable to the adversary, so the default is
/// ``secure`` (the operating system's CSPRNG). ``seededInsecure(seed:)`` exists only for tests
/// and reproducible experiments: a model trained with it carries no privacy guarantee, and the
/// trainer records that in the model's metadata.
public enum DPRandomness: Sendable, Codable, Equatable {
    /// Batches and noise from the kernel's CSPRNG (`getrandom`), buffered.
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
    /// normals Z_i: Box–Muller on 32-bit uniforms, one 64-bit word per pair of normals, words
    /// fetched in bulk (the per-step cost of DP noise for a model of a few hundred thousand
    /// parameters is then a few milliseconds). The 32-bit radius uniform truncates the normal at
    /// 6.66 standard deviations, as float32 samplers do.
    public mutating func addGaussianNoise(to p: UnsafeMutableBufferPointer<Float>, standardDeviation: Double, scale: Double) {
        let pairs = (p.count + 1) / 2
        var local = words
        words = []
        if local.count < pairs { local = [UInt64](repeating: 0, count: pairs) }
        defer { words = local }
        let sd = Float(standardDeviation), sc = Float(scale)
        let twoPi = 2 * Float.pi
        let inv32: Float = 1.0 / 4_294_967_296.0
        local.withUnsafeMutableBufferPointer { w in
            let buffer = UnsafeMutableBufferPointer(rebasing: w[0..<pairs])
            fill(buffer)
            // The words are drawn first, in order; turning them into normals is independent per
            // pair, so the transcendental part (most of the cost) runs on every worker with
            // the same result as a serial loop.
            let count = p.count
            let (src, dst) = (UncheckedBox(UnsafePointer(buffer.baseAddress!)), SharedPointer(p.baseAddress!))
            parallelChunks(pairs, costPerItem: 64) { range in
                for j in range {
                    let bits = src.value[j]
                    let u1 = (Float(UInt32(truncatingIfNeeded: bits)) + 1) * inv32  // (0, 1]
                    let u2 = Float(UInt32(truncatingIfNeeded: bits >> 32)) * inv32
                    let r = sd * (-2 * Foundation.log(min(u1, 1))).squareRoot()
                    let t = twoPi * u2
                    let i = 2 * j
                    dst.base[i] = (dst.base[i] + r * Foundation.cos(t)) * sc
                    if i + 1 < count { dst.base[i + 1] = (dst.base[i + 1] + r * Foundation.sin(t)) * sc }
                }
            }
        }
    }
}

/// Random 64-bit words from the kernel's CSPRNG, read from `/dev/urandom` in 32 KiB blocks
/// (one system call per 4096 words instead of one per word). Falls back to the standard
/// library's `SystemRandomNumberGenerator` (getrandom) if the device cannot be read.
final class SecureEntropyGenerator {
    private final class Buffer {
        var words = [UInt64](repeating: 0, count: 4096)
        var position = 4096
        let descriptor: Int32
        init() {
            #if canImport(Glibc)
            descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            #else
            descriptor = -1
            #endif
        }
        deinit {
            #if canImport(Glibc)
            if descriptor >= 0 { close(descriptor) }
            #endif
        }
    }
    private let buffer = Buffer()

    /// Fills `out` straight from the device (large reads), falling back to the system generator.
    /// A buffer of over 64 KiB (a step's noise: megabytes) is split into one part per worker,
    /// read concurrently: the kernel generates each read's bytes on the reading CPU, so the
    /// parts come in parallel.
    func fill(_ out: UnsafeMutableBufferPointer<UInt64>) {
        let parts = out.count >= 8192 ? Swift.max(1, Swift.min(parallelWorkerCount, 8)) : 1
        if parts == 1 {
            fillPart(out)
            return
        }
        let (whole, count) = (UncheckedBox(out), out.count)
        let this = UncheckedBox(self)
        DispatchQueue.concurrentPerform(iterations: parts) { k in
            let lo = count * k / parts, hi = count * (k + 1) / parts
            this.value.fillPart(UnsafeMutableBufferPointer(rebasing: whole.value[lo..<hi]))
        }
    }

    private func fillPart(_ out: UnsafeMutableBufferPointer<UInt64>) {
        var filled = 0
        let total = out.count * 8
        #if canImport(Glibc)
        if buffer.descriptor >= 0, let base = out.baseAddress {
            let raw = UnsafeMutableRawPointer(base)
            while filled < total {
                let r = read(buffer.descriptor, raw + filled, total - filled)
                if r <= 0 { break }
                filled += r
            }
        }
        #endif
        if filled < total {
            var system = SystemRandomNumberGenerator()
            for i in out.indices { out[i] = system.next() }
        }
    }

    func next() -> UInt64 {
        if buffer.position == buffer.words.count { refill() }
        let v = buffer.words[buffer.position]
        buffer.position += 1
        return v
    }

    private func refill() {
        var filled = 0
        let total = buffer.words.count * 8
        #if canImport(Glibc)
        if buffer.descriptor >= 0 {
            let fd = buffer.descriptor
            buffer.words.withUnsafeMutableBytes { raw in
                while filled < total {
                    let r = read(fd, raw.baseAddress! + filled, total - filled)
                    if r <= 0 { break }
                    filled += r
                }
            }
        }
        #endif
        if filled < total {
            var system = SystemRandomNumberGenerator()
            for i in buffer.words.indices { buffer.words[i] = system.next() }
        }
        buffer.position = 0
    }
}
