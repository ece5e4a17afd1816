/// A Paillier public key with g = n + 1 (Paillier, "Public-Key Cryptosystems Based on Composite
/// Degree Residuosity Classes", EUROCRYPT 1999; the simplification g = n + 1 of Damgård–Jurik),
/// as python-paillier (`phe`) uses it.
///
/// Encryption of an encoded plaintext m ∈ [0, n) is c = (1 + m·n) · rⁿ mod n² with r uniform in
/// [1, n) from the system CSPRNG. Ciphertexts multiply to add plaintexts and are raised to a
/// power to multiply a plaintext by a public scalar. Plaintexts are signed numbers encoded as in
/// `phe` (``PaillierEncodedNumber``): a mantissa mod n and a base-16 exponent.
///
/// ```swift
/// let (publicKey, privateKey) = try PaillierKeyPair.generate(bits: 1024, insecureForTests: true)
/// let a = try publicKey.encrypt(2.5), b = try publicKey.encrypt(-4)
/// let sum = try publicKey.add(a, b)
/// print(try privateKey.decrypt(sum).doubleValue)   // -1.5
/// ```
public struct PaillierPublicKey: Sendable, Hashable {
    /// The modulus n = p·q.
    public let n: BigInt
    /// n², the ciphertext modulus.
    public let nSquare: BigInt
    /// The largest magnitude a signed plaintext may have: ⌊n / 3⌋ − 1 (as `phe`); encodings
    /// between `maxInt` and `n − maxInt` are overflows.
    public let maxInt: BigInt
    /// The largest key accepted (a 16 384-bit n; 2048 is the default, 4096 the largest in common use).
    public static let maximumBits = 16_384
    /// n² prepared for libcrypto's Montgomery exponentiation (``MontgomeryModulus``).
    let nSquareModulus: MontgomeryModulus

    /// The public key with modulus `n`.
    /// - Throws: ``CryptoError`` `.invalidParameter` when `n` is not an odd integer of 16 to
    ///   ``maximumBits`` bits.
    public init(n: BigInt) throws(CryptoError) {
        guard n.signum > 0, n.isOdd, n.bitWidth >= 16 else {
            throw CryptoError(.invalidParameter, "Paillier modulus: expected an odd positive integer of at least 16 bits")
        }
        guard n.bitWidth <= Self.maximumBits else {
            // A hostile key file must not buy minutes of Montgomery set-up and exponentiation.
            throw CryptoError(.invalidParameter, "Paillier modulus of \(n.bitWidth) bits: at most \(Self.maximumBits) are accepted")
        }
        self.n = n
        self.nSquare = n * n
        self.maxInt = n.floorDivided(by: BigInt(3))!.quotient - 1
        self.nSquareModulus = try MontgomeryModulus(nSquare, secret: false)
    }

    /// The bit length of n (the key size).
    public var bits: Int { n.bitWidth }

    /// Whether two keys have the same modulus.
    public static func == (a: PaillierPublicKey, b: PaillierPublicKey) -> Bool { a.n == b.n }
    /// Hashes the modulus.
    public func hash(into hasher: inout Hasher) { hasher.combine(n) }

    // MARK: encryption

    /// Encrypts an encoded plaintext: (1 + m·n) · rⁿ mod n², r uniform in [1, n) (obfuscated).
    /// - Throws: ``CryptoError`` `.invalidParameter` when the encoding is not below n.
    public func encrypt(_ encoded: PaillierEncodedNumber) throws(CryptoError) -> PaillierCiphertext {
        guard encoded.encoding.signum >= 0, encoded.encoding < n else {
            throw CryptoError(.invalidParameter, "Paillier plaintext encoding is not in [0, n)")
        }
        let nude = (encoded.encoding * n + 1).modulo(nSquare)
        return PaillierCiphertext(value: nude.multiplied(by: try obfuscator(), modulo: nSquare), exponent: encoded.exponent)
    }

    /// Encodes (``PaillierEncodedNumber/encode(_:publicKey:precision:maxExponent:)``) and
    /// encrypts a floating-point value.
    /// - Throws: ``CryptoError`` `.invalidParameter` for a non-finite value or one beyond
    ///   ±``maxInt`` once encoded.
    public func encrypt(_ value: Double, precision: Double? = nil) throws(CryptoError) -> PaillierCiphertext {
        try encrypt(PaillierEncodedNumber.encode(value, publicKey: self, precision: precision))
    }

    /// Encodes (exponent 0, exact) and encrypts an integer.
    /// - Throws: ``CryptoError`` `.invalidParameter` when |value| exceeds ``maxInt``.
    public func encrypt(_ value: BigInt) throws(CryptoError) -> PaillierCiphertext {
        try encrypt(PaillierEncodedNumber.encode(value, publicKey: self))
    }

    /// Encodes (exponent 0, exact) and encrypts a machine integer.
    public func encrypt(_ value: Int) throws(CryptoError) -> PaillierCiphertext {
        try encrypt(BigInt(value))
    }

    /// rⁿ mod n² for a fresh r uniform in [1, n). Exponent and modulus are public, so the
    /// variable-time sliding-window exponentiation is used (``MontgomeryModulus/power(_:_:)``); the secret r
    /// is the base, whose value does not steer its branches or table reads.
    func obfuscator() throws(CryptoError) -> BigInt {
        let r = try BigInt.random(below: n - 1) + 1
        return try nSquareModulus.power(r, n)
    }

    /// The same plaintext under fresh randomness: c · rⁿ mod n². Do this before handing a
    /// computed ciphertext (a sum, a product) to anyone else, or they may learn the operands.
    public func rerandomized(_ ciphertext: PaillierCiphertext) throws(CryptoError) -> PaillierCiphertext {
        PaillierCiphertext(value: ciphertext.value.multiplied(by: try obfuscator(), modulo: nSquare), exponent: ciphertext.exponent)
    }

    /// Checks that `value` is a ciphertext of this key: 0 < value < n² and gcd(value, n) = 1.
    /// - Throws: ``CryptoError`` `.malformed` otherwise (a ciphertext of another key, a
    ///   corrupted file).
    public func ciphertext(value: BigInt, exponent: Int) throws(CryptoError) -> PaillierCiphertext {
        guard value.signum > 0, value < nSquare else {
            throw CryptoError(.malformed, "Paillier ciphertext is not in (0, n²) of this key (another key's ciphertext?)")
        }
        guard value.gcd(n) == BigInt(1) else {
            throw CryptoError(.malformed, "Paillier ciphertext shares a factor with n (not a ciphertext of this key)")
        }
        return PaillierCiphertext(value: value, exponent: exponent)
    }

    // MARK: homomorphic operations

    /// E(a + b) from E(a) and E(b): the product mod n², after lowering the larger exponent to the
    /// smaller (``decreaseExponent(_:to:)``). Not re-randomised.
    public func add(_ a: PaillierCiphertext, _ b: PaillierCiphertext) throws(CryptoError) -> PaillierCiphertext {
        var a = a, b = b
        if a.exponent > b.exponent { a = try decreaseExponent(a, to: b.exponent) }
        if b.exponent > a.exponent { b = try decreaseExponent(b, to: a.exponent) }
        return PaillierCiphertext(value: a.value.multiplied(by: b.value, modulo: nSquare), exponent: a.exponent)
    }

    /// E(a + b) from E(a) and an encoded plaintext b (exponents aligned, b encrypted with r = 1).
    public func add(_ a: PaillierCiphertext, _ b: PaillierEncodedNumber) throws(CryptoError) -> PaillierCiphertext {
        var a = a, b = b
        if a.exponent > b.exponent { a = try decreaseExponent(a, to: b.exponent) }
        if b.exponent > a.exponent { b = try b.decreaseExponent(to: a.exponent, publicKey: self) }
        let encrypted = (b.encoding * n + 1).modulo(nSquare)
        return PaillierCiphertext(value: a.value.multiplied(by: encrypted, modulo: nSquare), exponent: a.exponent)
    }

    /// E(a + b) from E(a) and a floating-point b, encoded at most at a's exponent (as `phe`).
    public func add(_ a: PaillierCiphertext, _ b: Double) throws(CryptoError) -> PaillierCiphertext {
        try add(a, PaillierEncodedNumber.encode(b, publicKey: self, maxExponent: a.exponent))
    }

    /// E(a · k) from E(a) and an encoded scalar k: c^k mod n² (for a negative k, (c⁻¹)^(n−k)).
    /// The exponent is the sum of both exponents. Not re-randomised.
    public func multiply(_ a: PaillierCiphertext, by k: PaillierEncodedNumber) throws(CryptoError) -> PaillierCiphertext {
        guard k.encoding.signum >= 0, k.encoding < n else {
            throw CryptoError(.invalidParameter, "Paillier scalar encoding is not in [0, n)")
        }
        let value: BigInt
        if k.encoding >= n - maxInt {
            guard let inverse = a.value.inverse(modulo: nSquare) else {
                throw CryptoError(.malformed, "Paillier ciphertext is not invertible mod n²")
            }
            value = try nSquareModulus.power(inverse, n - k.encoding)
        } else {
            value = try nSquareModulus.power(a.value, k.encoding)
        }
        return PaillierCiphertext(value: value, exponent: a.exponent + k.exponent)
    }

    /// E(a · k) for a floating-point scalar k (encoded as `phe` does).
    public func multiply(_ a: PaillierCiphertext, by k: Double) throws(CryptoError) -> PaillierCiphertext {
        try multiply(a, by: PaillierEncodedNumber.encode(k, publicKey: self))
    }

    /// E(a · k) for an integer scalar k.
    public func multiply(_ a: PaillierCiphertext, by k: BigInt) throws(CryptoError) -> PaillierCiphertext {
        try multiply(a, by: PaillierEncodedNumber.encode(k, publicKey: self))
    }

    /// The same plaintext at a lower exponent: the ciphertext raised to 16^(old − new).
    /// - Throws: ``CryptoError`` `.invalidParameter` when `exponent` is above the current one.
    public func decreaseExponent(_ a: PaillierCiphertext, to exponent: Int) throws(CryptoError) -> PaillierCiphertext {
        guard exponent <= a.exponent else {
            throw CryptoError(.invalidParameter, "exponent \(exponent) is above the ciphertext's \(a.exponent): it can only decrease")
        }
        if exponent == a.exponent { return a }
        let factor = BigInt(PaillierEncodedNumber.base).power(a.exponent - exponent)
        return PaillierCiphertext(value: try nSquareModulus.power(a.value, factor), exponent: exponent)
    }
}

/// A Paillier ciphertext with the base-16 exponent of its encoded plaintext (`phe`'s
/// `EncryptedNumber`; serialised by `pheutil` as `{"v": "<decimal>", "e": exponent}`).
public struct PaillierCiphertext: Sendable, Hashable {
    /// The ciphertext, in (0, n²).
    public let value: BigInt
    /// The exponent: the plaintext is the decoded mantissa · 16^exponent.
    public let exponent: Int

    init(value: BigInt, exponent: Int) {
        self.value = value
        self.exponent = exponent
    }
}
