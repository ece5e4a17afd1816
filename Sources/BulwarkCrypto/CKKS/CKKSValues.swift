/// A CKKS plaintext: an encoded vector, as a polynomial in NTT form over the first `level` data
/// primes, with the scale Δ its values were multiplied by.
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let plaintext = try CKKSEncoder(context: context).encode([1, 2, 3])
/// print(plaintext.level, plaintext.scale == 0x1p30)  // 2 true
/// ```
public struct CKKSPlaintext: Sendable {
    /// level · N residues, limb j (mod q_j) at j·N, NTT form.
    var values: [UInt64]
    /// The number of data primes the plaintext is defined over.
    public internal(set) var level: Int
    /// The scale Δ of the encoded values.
    public internal(set) var scale: Double
    let contextIdentifier: UInt64
}

/// A CKKS ciphertext: two (three after a multiplication, before relinearisation) polynomials in
/// NTT form over the first `level` data primes, decrypting to c₀ + c₁·s (+ c₂·s²).
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let keys = CKKSKeyGenerator(context: context)
/// let ciphertext = try CKKSEncryptor(context: context, publicKey: keys.publicKey()).encrypt(CKKSEncoder(context: context).encode([1, 2]))
/// print(ciphertext.size, ciphertext.level)  // 2 2
/// ```
public struct CKKSCiphertext: Sendable {
    /// The polynomials, each level · N residues.
    var components: [[UInt64]]
    /// The number of data primes the ciphertext is defined over (it drops by one per rescale).
    public internal(set) var level: Int
    /// The scale of the encrypted values.
    public internal(set) var scale: Double
    /// The tag of the secret key it decrypts under.
    public let keyIdentifier: UInt64
    let contextIdentifier: UInt64
    /// The seed of c₁ for a fresh secret-key encryption (c₁ uniform): serialisation may store it
    /// in place of c₁. Nil once c₁ has been computed on.
    var seed: [UInt8]?

    /// The number of polynomials: 2, or 3 after a multiplication without relinearisation.
    public var size: Int { components.count }
}
