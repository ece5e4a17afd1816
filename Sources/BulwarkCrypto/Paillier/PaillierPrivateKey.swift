/// A Paillier private key: the primes p < q of n, with the constants of CRT decryption
/// (hp, hq and p⁻¹ mod q, as python-paillier's `PaillierPrivateKey`).
///
/// Decryption computes m_p = L_p(c^(p−1) mod p²) · hp mod p and m_q likewise, with
/// L_p(x) = (x − 1)/p and hp = L_p(g^(p−1) mod p²)⁻¹ mod p, then joins them by the Chinese
/// remainder theorem — about four times faster than the textbook L(c^λ mod n²) · μ mod n, and
/// equal to it. The secret exponents p − 1, q − 1 and moduli p², q² go through constant-time
/// exponentiation only (libcrypto's `BN_mod_exp_mont_consttime`, ``MontgomeryModulus``; faster
/// on this machine than GMP's variable-time `mpz_powm`). The primes are wiped from memory when
/// the key is freed (``BigInt``).
///
/// ```swift
/// let (publicKey, privateKey) = try PaillierKeyPair.generate(bits: 1024, insecureForTests: true)
/// let c = try publicKey.encrypt(BigInt(decimal: "123456789012345678901234567890")!)
/// print(try privateKey.decrypt(c).decimalString)   // 123456789012345678901234567890
/// ```
public struct PaillierPrivateKey: Sendable {
    /// The public key.
    public let publicKey: PaillierPublicKey
    /// The smaller prime factor of n.
    public let p: BigInt
    /// The larger prime factor of n.
    public let q: BigInt
    let pSquare: BigInt, qSquare: BigInt
    let pMinusOne: BigInt, qMinusOne: BigInt
    let pInverseModQ: BigInt
    let hp: BigInt, hq: BigInt
    /// p² and q² prepared for constant-time Montgomery exponentiation.
    let pSquareModulus: MontgomeryModulus, qSquareModulus: MontgomeryModulus

    /// The private key of `publicKey` with factors `p` and `q` (either order).
    /// - Throws: ``CryptoError`` `.invalidParameter` when p·q ≠ n, p = q, or a factor is not
    ///   an odd prime.
    public init(publicKey: PaillierPublicKey, p: BigInt, q: BigInt) throws(CryptoError) {
        guard p * q == publicKey.n else { throw CryptoError(.invalidParameter, "Paillier private key: p·q is not the public key's n (mismatched keys)") }
        guard p != q else { throw CryptoError(.invalidParameter, "Paillier private key: p and q must differ") }
        guard p > BigInt(2), q > BigInt(2), p.isProbablePrime(rounds: 30), q.isProbablePrime(rounds: 30) else {
            throw CryptoError(.invalidParameter, "Paillier private key: p and q must be odd primes")
        }
        let (small, large) = p < q ? (p, q) : (q, p)
        self.publicKey = publicKey
        self.p = small
        self.q = large
        pSquare = small * small
        qSquare = large * large
        pMinusOne = small - 1
        qMinusOne = large - 1
        guard let inverse = small.inverse(modulo: large) else {
            throw CryptoError(.invalidParameter, "Paillier private key: p has no inverse mod q")
        }
        pInverseModQ = inverse
        pSquareModulus = try MontgomeryModulus(pSquare, secret: true)
        qSquareModulus = try MontgomeryModulus(qSquare, secret: true)
        hp = try Self.h(prime: small, square: pSquare, publicKey: publicKey)
        hq = try Self.h(prime: large, square: qSquare, publicKey: publicKey)
    }

    /// h_x = L_x(g^(x−1) mod x²)⁻¹ mod x with g = n + 1.
    static func h(prime x: BigInt, square: BigInt, publicKey: PaillierPublicKey) throws(CryptoError) -> BigInt {
        let g = publicKey.n + 1
        let l = lFunction(try g.powerSecure(x - 1, modulus: square), x)
        guard let inverse = l.inverse(modulo: x) else {
            throw CryptoError(.invalidParameter, "Paillier private key: gcd(n, (p−1)(q−1)) ≠ 1")
        }
        return inverse
    }

    /// L_x(u) = (u − 1) / x (exact division).
    static func lFunction(_ u: BigInt, _ x: BigInt) -> BigInt { (u - 1).floorDivided(by: x)!.quotient }

    /// The encoded plaintext of a ciphertext of this key, by CRT (p² and q² halves).
    /// - Throws: ``CryptoError`` `.malformed` when the ciphertext is not in (0, n²) or shares a
    ///   factor with n.
    public func decryptEncoded(_ ciphertext: PaillierCiphertext) throws(CryptoError) -> PaillierEncodedNumber {
        let c = try publicKey.ciphertext(value: ciphertext.value, exponent: ciphertext.exponent).value
        let mp = try half(c, prime: p, square: pSquareModulus, exponent: pMinusOne, h: hp)
        let mq = try half(c, prime: q, square: qSquareModulus, exponent: qMinusOne, h: hq)
        let u = (mq - mp).multiplied(by: pInverseModQ, modulo: q)
        return PaillierEncodedNumber(encoding: mp + u * p, exponent: ciphertext.exponent)
    }

    /// m mod x = L_x(c^(x−1) mod x²) · h_x mod x, in constant time in the secret exponent.
    func half(_ c: BigInt, prime: BigInt, square: MontgomeryModulus, exponent: BigInt, h: BigInt) throws(CryptoError) -> BigInt {
        let u = try square.powerSecure(c, exponent)
        return Self.lFunction(u, prime).multiplied(by: h, modulo: prime)
    }

    /// The decoded plaintext of a ciphertext of this key.
    /// - Throws: ``CryptoError`` `.malformed` for a ciphertext outside (0, n²) or an overflow
    ///   (a result beyond ±n/3, or a ciphertext of another key).
    public func decrypt(_ ciphertext: PaillierCiphertext) throws(CryptoError) -> PaillierNumber {
        try decryptEncoded(ciphertext).decode(publicKey: publicKey)
    }

    /// Textbook decryption, L(c^λ mod n²) · μ mod n with λ = lcm(p − 1, q − 1) and
    /// μ = L(g^λ mod n²)⁻¹ mod n (no CRT); the slow reference that CRT decryption must equal.
    public func decryptEncodedWithoutCRT(_ ciphertext: PaillierCiphertext) throws(CryptoError) -> PaillierEncodedNumber {
        let n = publicKey.n, n2 = publicKey.nSquare
        let c = try publicKey.ciphertext(value: ciphertext.value, exponent: ciphertext.exponent).value
        let lambda = (pMinusOne * qMinusOne).floorDivided(by: pMinusOne.gcd(qMinusOne))!.quotient
        guard let mu = Self.lFunction(try (n + 1).powerSecure(lambda, modulus: n2), n).inverse(modulo: n) else {
            throw CryptoError(.invalidParameter, "Paillier private key: μ does not exist")
        }
        let m = Self.lFunction(try c.powerSecure(lambda, modulus: n2), n).multiplied(by: mu, modulo: n)
        return PaillierEncodedNumber(encoding: m, exponent: ciphertext.exponent)
    }
}

/// Paillier key generation.
public enum PaillierKeyPair {
    /// The default key size: 2048-bit n (≈ 112-bit security, NIST SP 800-57).
    public static let defaultBits = 2048
    /// The smallest key size accepted without `insecureForTests` (1024 bits, ≈ 80-bit security:
    /// legacy interoperability only; use the 2048-bit default).
    public static let minimumSecureBits = 1024

    /// A fresh key pair: p and q independent random primes of `bits/2` bits each from the system
    /// CSPRNG (top two bits set, so n has exactly `bits` bits), p ≠ q.
    ///
    /// - Parameters:
    ///   - bits: the size of n; even, at least 1024 unless `insecureForTests` (then at least 128).
    ///   - insecureForTests: allow keys below 1024 bits, for tests and examples only.
    /// - Throws: ``CryptoError`` `.invalidParameter` for an odd or too small size.
    public static func generate(bits: Int = defaultBits, insecureForTests: Bool = false) throws(CryptoError) -> (PaillierPublicKey, PaillierPrivateKey) {
        guard bits % 2 == 0 else { throw CryptoError(.invalidParameter, "Paillier key size \(bits): expected an even number of bits") }
        guard bits >= (insecureForTests ? 128 : minimumSecureBits) else {
            throw CryptoError(.invalidParameter, "Paillier key size \(bits) bits is insecure: expected at least \(minimumSecureBits) (smaller keys only for tests)")
        }
        while true {
            let p = try BigInt.randomPrime(bits: bits / 2)
            let q = try BigInt.randomPrime(bits: bits / 2)
            guard p != q else { continue }
            let n = p * q
            guard n.bitWidth == bits else { continue }
            let publicKey = try PaillierPublicKey(n: n)
            return (publicKey, try PaillierPrivateKey(publicKey: publicKey, p: p, q: q))
        }
    }
}
