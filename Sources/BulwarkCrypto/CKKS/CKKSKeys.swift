/// A CKKS secret key: a ternary polynomial s (coefficients uniform in {−1, 0, 1}), kept in NTT
/// form over every prime of the chain including the special prime. Its memory is overwritten with
/// zeros when the key is freed.
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let secretKey = CKKSSecretKey(context: context)
/// print(secretKey.contextIdentifier == CKKSSecretKey(context: context).contextIdentifier)  // true
/// ```
public final class CKKSSecretKey: @unchecked Sendable {
    // @unchecked: `values` is written only in init and in deinit, when no other reference exists.
    var values: [UInt64]
    /// A public random tag shared by every key and ciphertext made from this secret key, so that a
    /// mismatched key is reported instead of silently decrypting to noise.
    public let keyIdentifier: UInt64
    /// The fingerprint of the context the key belongs to.
    public let contextIdentifier: UInt64

    /// Draws a fresh ternary secret from the system's cryptographic generator.
    public init(context: CKKSContext) {
        var sampler = CKKSSampler()
        var s = sampler.ternary(count: context.degree)
        values = context.smallPolynomial(s, basis: Array(0...context.dataPrimeCount))
        CKKSSampler.wipe(&s)
        var system = SystemRandomNumberGenerator()
        keyIdentifier = system.next()
        contextIdentifier = context.identifier
    }

    /// A key from known ternary coefficients (deserialisation).
    init(context: CKKSContext, ternary: [Int8], keyIdentifier: UInt64) {
        values = context.smallPolynomial(ternary, basis: Array(0...context.dataPrimeCount))
        self.keyIdentifier = keyIdentifier
        contextIdentifier = context.identifier
    }

    deinit {
        values.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = 0 }
        }
        // Keep the zeroing from being optimised away as a dead store.
        withExtendedLifetime(values) {}
    }
}

/// A CKKS public key (b, a) = (−a·s + e, a) over every prime including the special one: anyone
/// holding it can encrypt.
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let keys = CKKSKeyGenerator(context: context)
/// let publicKey = keys.publicKey()
/// print(publicKey.keyIdentifier == keys.secretKey.keyIdentifier)  // true
/// ```
public struct CKKSPublicKey: Sendable {
    let b: [UInt64]
    let a: [UInt64]
    /// The tag of the secret key it belongs to.
    public let keyIdentifier: UInt64
    let contextIdentifier: UInt64
}

/// A key-switching key from some s′ to s, hybrid style (one special prime P, decomposition per
/// RNS prime): for each data prime q_i, (b_i, a_i) = (−a_i·s + e_i + P·g_i·s′, a_i) over all
/// primes including P, where g_i is 1 mod q_i and 0 mod the others.
struct CKKSKeySwitchKey: Sendable {
    /// L · (L + 1) limbs of N words each: component i, limb t at (i·(L+1) + t)·N.
    let b: [UInt64]
    let a: [UInt64]
}

/// The relinearisation key: switches the s² part of a product back to s.
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let keys = CKKSKeyGenerator(context: context)
/// print(keys.relinearizationKey().keyIdentifier == keys.secretKey.keyIdentifier)  // true
/// ```
public struct CKKSRelinearizationKey: Sendable {
    let key: CKKSKeySwitchKey
    /// The tag of the secret key it belongs to.
    public let keyIdentifier: UInt64
    let contextIdentifier: UInt64
}

/// Galois keys: one key-switching key per Galois element X → X^g (rotations by chosen steps and,
/// optionally, conjugation).
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let keys = CKKSKeyGenerator(context: context)
/// let galois = keys.galoisKeys(rotations: [1, -1], conjugation: true)
/// print(galois.galoisElements.count)  // 3
/// ```
public struct CKKSGaloisKeys: Sendable {
    let keys: [Int: CKKSKeySwitchKey]
    let permutations: [Int: [Int32]]
    /// The tag of the secret key they belong to.
    public let keyIdentifier: UInt64
    let contextIdentifier: UInt64
    /// The Galois elements g covered, ascending.
    public var galoisElements: [Int] { keys.keys.sorted() }
}

/// Generates the public, relinearisation and Galois keys of one secret key.
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let keys = CKKSKeyGenerator(context: context)
/// let encryptor = try CKKSEncryptor(context: context, publicKey: keys.publicKey())
/// print(encryptor.context.degree)  // 16
/// ```
public struct CKKSKeyGenerator: Sendable {
    /// The context.
    public let context: CKKSContext
    /// The secret key the generated keys belong to.
    public let secretKey: CKKSSecretKey

    /// A generator with a fresh secret key.
    public init(context: CKKSContext) {
        self.context = context
        secretKey = CKKSSecretKey(context: context)
    }

    /// A generator for an existing secret key; throws `operandMismatch` when the key belongs to
    /// another context.
    public init(context: CKKSContext, secretKey: CKKSSecretKey) throws(CryptoError) {
        try context.checkSame(secretKey.contextIdentifier, "the secret key")
        self.context = context
        self.secretKey = secretKey
    }

    /// A fresh public key (−a·s + e, a) over every prime of the chain, the special prime included
    /// (encryption works modulo Q·P and divides by P, which leaves almost no fresh noise).
    public func publicKey() -> CKKSPublicKey {
        let n = context.degree
        let limbs = context.dataPrimeCount + 1
        let basis = Array(0..<limbs)
        var sampler = CKKSSampler()
        let a = context.uniformPolynomial(basis: basis, sampler: &sampler)
        var b = context.smallPolynomial(sampler.centredBinomial(count: n), basis: basis)
        let s = secretKey.values
        for t in 0..<limbs {
            let m = context.moduli[t]
            for k in 0..<n {
                let idx = t * n + k
                b[idx] = m.subtract(b[idx], m.multiply(a[idx], s[idx]))
            }
        }
        return CKKSPublicKey(b: b, a: a, keyIdentifier: secretKey.keyIdentifier, contextIdentifier: context.identifier)
    }

    /// The relinearisation key (a key-switching key from s² to s).
    public func relinearizationKey() -> CKKSRelinearizationKey {
        let n = context.degree
        let s = secretKey.values
        var square = [UInt64](repeating: 0, count: s.count)
        for t in 0...context.dataPrimeCount {
            let m = context.moduli[t]
            for k in 0..<n { square[t * n + k] = m.multiply(s[t * n + k], s[t * n + k]) }
        }
        let key = keySwitchKey(from: square)
        for i in square.indices { square[i] = 0 }
        return CKKSRelinearizationKey(key: key, keyIdentifier: secretKey.keyIdentifier, contextIdentifier: context.identifier)
    }

    /// Galois keys for rotations by each of `rotations` slots (positive: left) and, when
    /// `conjugation` is true, for complex conjugation.
    public func galoisKeys(rotations: [Int], conjugation: Bool = false) -> CKKSGaloisKeys {
        var elements = Set(rotations.map { context.galoisElement(forRotation: $0) })
        elements.remove(1)
        if conjugation { elements.insert(context.conjugationElement) }
        var keys: [Int: CKKSKeySwitchKey] = [:]
        var permutations: [Int: [Int32]] = [:]
        let n = context.degree
        let s = secretKey.values
        for g in elements.sorted() {
            let table = context.nttPermutation(galoisElement: g)
            var rotated = [UInt64](repeating: 0, count: s.count)
            for t in 0...context.dataPrimeCount {
                for k in 0..<n { rotated[t * n + k] = s[t * n + Int(table[k])] }
            }
            keys[g] = keySwitchKey(from: rotated)
            for i in rotated.indices { rotated[i] = 0 }
            permutations[g] = table
        }
        return CKKSGaloisKeys(keys: keys, permutations: permutations, keyIdentifier: secretKey.keyIdentifier,
                              contextIdentifier: context.identifier)
    }

    /// The key-switching key from `target` (NTT form over all L + 1 primes) to s.
    func keySwitchKey(from target: [UInt64]) -> CKKSKeySwitchKey {
        let n = context.degree
        let count = context.dataPrimeCount
        let width = count + 1
        let basis = Array(0..<width)
        let s = secretKey.values
        var b = [UInt64](repeating: 0, count: count * width * n)
        var a = [UInt64](repeating: 0, count: count * width * n)
        var sampler = CKKSSampler()
        for i in 0..<count {
            let ai = context.uniformPolynomial(basis: basis, sampler: &sampler)
            let ei = context.smallPolynomial(sampler.centredBinomial(count: n), basis: basis)
            for t in 0..<width {
                let m = context.moduli[t]
                let offset = (i * width + t) * n
                for k in 0..<n {
                    let idx = t * n + k
                    var value = m.subtract(ei[idx], m.multiply(ai[idx], s[idx]))
                    if t == i {
                        value = m.add(value, m.multiply(context.specialResidue[i], target[idx]))
                    }
                    b[offset + k] = value
                    a[offset + k] = ai[idx]
                }
            }
        }
        return CKKSKeySwitchKey(b: b, a: a)
    }
}
