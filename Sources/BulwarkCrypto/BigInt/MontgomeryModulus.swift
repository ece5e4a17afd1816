import CGMP
import CLibCrypto

/// An odd modulus prepared once for modular exponentiation by OpenSSL's libcrypto (Debian's
/// `libssl3`): its Montgomery constants are computed in ``init(_:secret:)`` and shared by every
/// exponentiation, from any thread.
///
/// Why not GMP's `mpz_powm`: on this machine's CPU (AMD EPYC, Zen 2) libcrypto's Montgomery code
/// (`mulx`/`adx` multiplication and gather-scatter windows) computes a 2048-bit exponent modulo a
/// 4096-bit n² 1.4× faster than Debian's GMP 6.2.1 and 1.2× faster than GMP 6.3 (what `gmpy2`
/// bundles), and its constant-time path (`BN_mod_exp_mont_consttime`, cache-line-uniform table
/// reads, no exponent-dependent branches) is faster than either GMP's variable-time one. So
/// Paillier's secret exponentiations (p − 1 modulo p²) are constant-time *and* faster than
/// python-paillier's variable-time ones. GMP stays for everything else (inverses, gcd, primality,
/// encoding), where it is faster.
///
/// Values move between GMP and libcrypto as little-endian limbs (one copy each way, negligible
/// beside an exponentiation); every BIGNUM that held a secret, or the result of a secret
/// exponentiation, is cleared before it is freed.
final class MontgomeryModulus: @unchecked Sendable {
    // @unchecked Sendable: `bn` and `montgomery` are written only in init and freed in deinit;
    // OpenSSL reads a BN_MONT_CTX without writing it, so concurrent exponentiations are safe.

    /// The modulus.
    let modulus: BigInt
    /// Whether the modulus is secret (Paillier's p², q²): its copies are cleared when freed.
    let isSecret: Bool
    private let bn: OpaquePointer
    private let montgomery: OpaquePointer

    /// Prepares `modulus`; `secret` marks a secret modulus (constant-time set-up, cleared on free).
    /// - Throws: ``CryptoError`` `.invalidParameter` when the modulus is not odd and above 1,
    ///   `.malformed` when libcrypto cannot allocate.
    init(_ modulus: BigInt, secret: Bool) throws(CryptoError) {
        guard modulus.isOdd, modulus > BigInt(1) else {
            throw CryptoError(.invalidParameter, "Montgomery modulus: expected an odd modulus above 1")
        }
        guard let bn = modulus.makeBIGNUM() else { throw Self.allocationFailure }
        if secret { BN_set_flags(bn, BN_FLG_CONSTTIME) }
        guard let montgomery = BN_MONT_CTX_new() else {
            BN_clear_free(bn)
            throw Self.allocationFailure
        }
        guard let context = BN_CTX_new() else {
            BN_MONT_CTX_free(montgomery)
            BN_clear_free(bn)
            throw Self.allocationFailure
        }
        defer { BN_CTX_free(context) }
        guard BN_MONT_CTX_set(montgomery, bn, context) == 1 else {
            BN_MONT_CTX_free(montgomery)
            BN_clear_free(bn)
            throw Self.allocationFailure
        }
        self.modulus = modulus
        self.isSecret = secret
        self.bn = bn
        self.montgomery = montgomery
    }

    deinit {
        BN_MONT_CTX_free(montgomery)  // clears its own copies (N, R² mod N) before freeing them
        BN_clear_free(bn)
    }

    private static var allocationFailure: CryptoError {
        CryptoError(.malformed, "libcrypto could not allocate a big number (out of memory)")
    }

    /// `base^exponent mod modulus` for a public, non-negative exponent (variable time:
    /// `BN_mod_exp_mont`). The base may be any integer; it is reduced first.
    func power(_ base: BigInt, _ exponent: BigInt) throws(CryptoError) -> BigInt {
        guard exponent.signum >= 0 else {
            throw CryptoError(.invalidParameter, "modular power: the exponent must not be negative")
        }
        return try exponentiate(base, exponent, constantTime: false)
    }

    /// `base^exponent mod modulus` in time and memory accesses independent of the exponent's
    /// value (`BN_mod_exp_mont_consttime`), for secret exponents; all copies are cleared.
    func powerSecure(_ base: BigInt, _ exponent: BigInt) throws(CryptoError) -> BigInt {
        guard exponent.signum > 0 else {
            throw CryptoError(.invalidParameter, "secure modular power: the exponent must be positive")
        }
        return try exponentiate(base, exponent, constantTime: true)
    }

    private func exponentiate(_ base: BigInt, _ exponent: BigInt, constantTime: Bool) throws(CryptoError) -> BigInt {
        let reduced = (base.signum < 0 || base >= modulus) ? base.modulo(modulus) : base
        guard let context = BN_CTX_new() else { throw Self.allocationFailure }
        defer { BN_CTX_free(context) }
        guard let b = reduced.makeBIGNUM() else { throw Self.allocationFailure }
        defer { BN_clear_free(b) }
        guard let e = exponent.makeBIGNUM() else { throw Self.allocationFailure }
        defer { BN_clear_free(e) }
        guard let r = BN_new() else { throw Self.allocationFailure }
        defer { BN_clear_free(r) }
        let status: Int32
        if constantTime {
            BN_set_flags(e, BN_FLG_CONSTTIME)
            status = BN_mod_exp_mont_consttime(r, b, e, bn, context, montgomery)
        } else {
            status = BN_mod_exp_mont(r, b, e, bn, context, montgomery)
        }
        guard status == 1 else { throw Self.allocationFailure }
        return BigInt(bignum: r)
    }
}

extension BigInt {
    /// A new BIGNUM holding |self| (its little-endian limbs copied as bytes), or `nil` when
    /// libcrypto cannot allocate. The caller frees it (`BN_clear_free` for secrets).
    func makeBIGNUM() -> OpaquePointer? {
        let limbs = Int(mpz.pointee._mp_size.magnitude)
        guard limbs > 0, let data = mpz.pointee._mp_d else { return BN_new() }
        return data.withMemoryRebound(to: UInt8.self, capacity: limbs * MemoryLayout<mp_limb_t>.size) {
            BN_lebin2bn($0, Int32(limbs * MemoryLayout<mp_limb_t>.size), nil)
        }
    }

    /// The non-negative integer held by `bignum`, written straight into GMP's limbs.
    convenience init(bignum: OpaquePointer) {
        self.init()
        let bytes = (Int(BN_num_bits(bignum)) + 7) / 8
        let limbs = max(1, (bytes + MemoryLayout<mp_limb_t>.size - 1) / MemoryLayout<mp_limb_t>.size)
        let destination: UnsafeMutablePointer<mp_limb_t> = __gmpz_limbs_write(mpz, limbs)
        destination.withMemoryRebound(to: UInt8.self, capacity: limbs * MemoryLayout<mp_limb_t>.size) {
            _ = BN_bn2lebinpad(bignum, $0, Int32(limbs * MemoryLayout<mp_limb_t>.size))
        }
        __gmpz_limbs_finish(mpz, limbs)
    }
}

/// Clears and frees a BIGNUM made by ``BigInt/makeBIGNUM()``.
func freeBIGNUM(_ bignum: OpaquePointer) { BN_clear_free(bignum) }
