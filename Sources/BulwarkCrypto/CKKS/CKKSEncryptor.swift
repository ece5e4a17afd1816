/// Encrypts CKKS plaintexts under a public key (anyone) or a secret key (the key's holder; the
/// result's uniform half is generated from a stored seed).
///
/// Public-key encryption of m at level ℓ draws a ternary u and errors e₀, e₁, computes
/// (b·u + e₀, a·u + e₁) modulo q₀⋯q_{ℓ−1}·P, divides by the special prime P with rounding and adds
/// m (so fresh noise is a rounding error, as in SEAL); secret-key encryption returns
/// (−a·s + e + m, a) with a uniform. All randomness comes from ChaCha20 streams seeded by the
/// system's cryptographic generator. Cost: 3(ℓ+1) + 2ℓ forward and 2 inverse NTTs (public key) or
/// ℓ NTTs (secret key) plus O(ℓN) products.
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let keys = CKKSKeyGenerator(context: context)
/// let encoder = CKKSEncoder(context: context)
/// let ciphertext = try CKKSEncryptor(context: context, publicKey: keys.publicKey()).encrypt(encoder.encode([2.5]))
/// let decoded = try encoder.decode(CKKSDecryptor(context: context, secretKey: keys.secretKey).decrypt(ciphertext))
/// print(abs(decoded[0] - 2.5) < 1e-4)  // true
/// ```
public struct CKKSEncryptor: Sendable {
    /// The context.
    public let context: CKKSContext
    let publicKey: CKKSPublicKey?
    let secretKey: CKKSSecretKey?

    /// A public-key encryptor; throws `operandMismatch` for another context's key.
    public init(context: CKKSContext, publicKey: CKKSPublicKey) throws(CryptoError) {
        try context.checkSame(publicKey.contextIdentifier, "the public key")
        self.context = context
        self.publicKey = publicKey
        secretKey = nil
    }

    /// A secret-key encryptor (smaller noise; seeded ciphertexts); throws `operandMismatch` for
    /// another context's key.
    public init(context: CKKSContext, secretKey: CKKSSecretKey) throws(CryptoError) {
        try context.checkSame(secretKey.contextIdentifier, "the secret key")
        self.context = context
        publicKey = nil
        self.secretKey = secretKey
    }

    /// Encrypts `plaintext` at its level and scale; throws `operandMismatch` for another
    /// context's plaintext.
    public func encrypt(_ plaintext: CKKSPlaintext) throws(CryptoError) -> CKKSCiphertext {
        try context.checkSame(plaintext.contextIdentifier, "the plaintext")
        if let publicKey { return encrypt(plaintext, publicKey: publicKey) }
        return encrypt(plaintext, secretKey: secretKey!)
    }

    private func encrypt(_ plaintext: CKKSPlaintext, publicKey: CKKSPublicKey) -> CKKSCiphertext {
        // (b·u + e₀, a·u + e₁) modulo q₀ ⋯ q_{ℓ−1}·P, divided by P with rounding (as SEAL does): the
        // noise e·u + e₀ + e₁·s shrinks by P to a rounding error, then m is added.
        let n = context.degree
        let level = plaintext.level
        let special = context.dataPrimeCount
        let basis = Array(0..<level) + [special]
        var sampler = CKKSSampler()
        var ternary = sampler.ternary(count: n)
        var u = context.smallPolynomial(ternary, basis: basis)
        CKKSSampler.wipe(&ternary)
        defer { CKKSSampler.wipe(&u) }  // u decrypts this ciphertext: do not leave it in freed memory
        var c0 = context.smallPolynomial(sampler.centredBinomial(count: n), basis: basis)
        var c1 = context.smallPolynomial(sampler.centredBinomial(count: n), basis: basis)
        var scratch = [UInt64](repeating: 0, count: n)
        c0.withUnsafeMutableBufferPointer { c0Buffer in
            c1.withUnsafeMutableBufferPointer { c1Buffer in
                u.withUnsafeBufferPointer { uBuffer in
                    publicKey.b.withUnsafeBufferPointer { bBuffer in
                        publicKey.a.withUnsafeBufferPointer { aBuffer in
                            for (limb, index) in basis.enumerated() {
                                let m = context.moduli[index]
                                let o = limb * n
                                let x0 = c0Buffer.baseAddress! + o, x1 = c1Buffer.baseAddress! + o
                                let uu = uBuffer.baseAddress! + o
                                let bb = bBuffer.baseAddress! + index * n, aa = aBuffer.baseAddress! + index * n
                                for k in 0..<n {
                                    let ui = uu[k]
                                    x0[k] = m.add(x0[k], m.multiply(bb[k], ui))
                                    x1[k] = m.add(x1[k], m.multiply(aa[k], ui))
                                }
                            }
                        }
                    }
                }
                scratch.withUnsafeMutableBufferPointer { s in
                    context.modDown(c0Buffer.baseAddress!, level: level, scratch: s.baseAddress!)
                    context.modDown(c1Buffer.baseAddress!, level: level, scratch: s.baseAddress!)
                }
            }
        }
        c0.removeLast(n)
        c1.removeLast(n)
        plaintext.values.withUnsafeBufferPointer { mBuffer in
            c0.withUnsafeMutableBufferPointer { c0Buffer in
                for j in 0..<level {
                    let m = context.moduli[j]
                    let x0 = c0Buffer.baseAddress! + j * n, mm = mBuffer.baseAddress! + j * n
                    for k in 0..<n { x0[k] = m.add(x0[k], mm[k]) }
                }
            }
        }
        return CKKSCiphertext(components: [c0, c1], level: level, scale: plaintext.scale,
                              keyIdentifier: publicKey.keyIdentifier, contextIdentifier: context.identifier, seed: nil)
    }

    private func encrypt(_ plaintext: CKKSPlaintext, secretKey: CKKSSecretKey) -> CKKSCiphertext {
        let n = context.degree
        let level = plaintext.level
        let basis = Array(0..<level)
        let seed = CKKSSampler.freshSeed()
        // A 32-byte seed is always a valid ChaCha20 key.
        var seeded = try! CKKSSampler(seed: seed)
        let a = context.uniformPolynomial(basis: basis, sampler: &seeded)
        var sampler = CKKSSampler()
        var c0 = context.smallPolynomial(sampler.centredBinomial(count: n), basis: basis)
        let s = secretKey.values
        for j in 0..<level {
            let m = context.moduli[j]
            for k in j * n..<(j + 1) * n {
                c0[k] = m.add(m.subtract(c0[k], m.multiply(a[k], s[k])), plaintext.values[k])
            }
        }
        return CKKSCiphertext(components: [c0, a], level: level, scale: plaintext.scale,
                              keyIdentifier: secretKey.keyIdentifier, contextIdentifier: context.identifier, seed: seed)
    }
}

/// Decrypts CKKS ciphertexts with the secret key: m = c₀ + c₁·s (+ c₂·s²).
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let keys = CKKSKeyGenerator(context: context)
/// let encoder = CKKSEncoder(context: context)
/// let ciphertext = try CKKSEncryptor(context: context, secretKey: keys.secretKey).encrypt(encoder.encode([-7]))
/// let decoded = try encoder.decode(CKKSDecryptor(context: context, secretKey: keys.secretKey).decrypt(ciphertext))
/// print(abs(decoded[0] + 7) < 1e-4)  // true
/// ```
public struct CKKSDecryptor: Sendable {
    /// The context.
    public let context: CKKSContext
    let secretKey: CKKSSecretKey

    /// A decryptor; throws `operandMismatch` for another context's key.
    public init(context: CKKSContext, secretKey: CKKSSecretKey) throws(CryptoError) {
        try context.checkSame(secretKey.contextIdentifier, "the secret key")
        self.context = context
        self.secretKey = secretKey
    }

    /// The plaintext of `ciphertext`; throws `operandMismatch` when the ciphertext was made under
    /// another key or context.
    public func decrypt(_ ciphertext: CKKSCiphertext) throws(CryptoError) -> CKKSPlaintext {
        try context.checkSame(ciphertext.contextIdentifier, "the ciphertext")
        guard ciphertext.keyIdentifier == secretKey.keyIdentifier else {
            throw CryptoError(.operandMismatch, "the ciphertext was encrypted under another key than this decryptor's secret key")
        }
        let n = context.degree
        let level = ciphertext.level
        var result = ciphertext.components[0]
        let s = secretKey.values
        for j in 0..<level {
            let m = context.moduli[j]
            for k in j * n..<(j + 1) * n {
                var term = ciphertext.components[1][k]
                if ciphertext.size == 3 { term = m.add(term, m.multiply(ciphertext.components[2][k], s[k])) }
                result[k] = m.add(result[k], m.multiply(term, s[k]))
            }
        }
        return CKKSPlaintext(values: result, level: level, scale: ciphertext.scale, contextIdentifier: context.identifier)
    }
}
