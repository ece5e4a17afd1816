/// The distributions CKKS draws from, all on a ChaCha20 stream: ternary secrets, centred-binomial
/// errors and uniform residues. A sampler built with ``init()`` is seeded from the system's
/// cryptographic generator; a seeded one regenerates the same uniform polynomial (seeded
/// ciphertexts and keys store only the seed of their uniform part).
struct CKKSSampler {
    var generator: ChaCha20Generator

    init() {
        generator = ChaCha20Generator()
    }

    init(seed: [UInt8]) throws(CryptoError) {
        generator = try ChaCha20Generator(seed: seed)
    }

    /// A fresh 32-byte seed from the system's generator.
    static func freshSeed() -> [UInt8] {
        var system = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &system) }
    }

    /// Overwrites secret coefficients (a secret key's or an encryption's ternary u) with zeros.
    static func wipe<T: FixedWidthInteger>(_ values: inout [T]) {
        values.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = 0 }
        }
    }

    /// N coefficients uniform in {−1, 0, 1}.
    mutating func ternary(count: Int) -> [Int8] {
        var result = [Int8](repeating: 0, count: count)
        var word: UInt64 = 0
        var bytesLeft = 0
        var i = 0
        while i < count {
            if bytesLeft == 0 { word = generator.next(); bytesLeft = 8 }
            let byte = UInt8(truncatingIfNeeded: word)
            word >>= 8
            bytesLeft -= 1
            // 255 = 3 · 85: reject the one byte value that would bias the draw.
            if byte == 255 { continue }
            result[i] = Int8(byte % 3) - 1
            i += 1
        }
        return result
    }

    /// N coefficients from the centred binomial distribution with η = 21 (variance 10.5, standard
    /// deviation ≈ 3.24, the error width of the HE standard), each in [−21, 21].
    mutating func centredBinomial(count: Int) -> [Int8] {
        var result = [Int8](repeating: 0, count: count)
        let mask: UInt64 = (1 << 21) - 1
        for i in 0..<count {
            let w = generator.next()
            let a = (w & mask).nonzeroBitCount
            let b = ((w >> 21) & mask).nonzeroBitCount
            result[i] = Int8(a - b)
        }
        return result
    }

    /// `count` residues uniform in [0, p) by rejection, written to `out`.
    mutating func uniform(modulus p: UInt64, into out: UnsafeMutablePointer<UInt64>, count: Int) {
        let bits = 64 - (p - 1).leadingZeroBitCount
        let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        var i = 0
        while i < count {
            let v = generator.next() & mask
            if v < p {
                out[i] = v
                i += 1
            }
        }
    }
}

extension CKKSContext {
    /// The residues of small signed coefficients over the first `limbs` moduli of `basis`
    /// (indices into ``moduli``), transformed to NTT form, flat: limb i at i·N.
    func smallPolynomial(_ coefficients: [Int8], basis: [Int]) -> [UInt64] {
        let n = degree
        var out = [UInt64](repeating: 0, count: basis.count * n)
        out.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for (limb, index) in basis.enumerated() {
                let p = moduli[index].prime
                let row = base + limb * n
                coefficients.withUnsafeBufferPointer { source in
                    for k in 0..<n {
                        // Branch-free: c + p when c < 0 (|c| < p).
                        let c = Int64(source[k])
                        row[k] = UInt64(bitPattern: c) &+ (p & UInt64(bitPattern: c >> 63))
                    }
                }
                transforms[index].forward(row)
            }
        }
        return out
    }

    /// Uniform residues over the moduli of `basis`, flat (uniform in NTT form is uniform).
    func uniformPolynomial(basis: [Int], sampler: inout CKKSSampler) -> [UInt64] {
        let n = degree
        var out = [UInt64](repeating: 0, count: basis.count * n)
        out.withUnsafeMutableBufferPointer { buffer in
            for (limb, index) in basis.enumerated() {
                sampler.uniform(modulus: moduli[index].prime, into: buffer.baseAddress! + limb * n, count: n)
            }
        }
        return out
    }
}
