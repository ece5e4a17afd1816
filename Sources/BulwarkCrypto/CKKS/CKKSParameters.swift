import Foundation

/// The parameters of a CKKS instance: ring dimension N, the bit sizes of the coefficient modulus
/// chain (the last one is the special prime P used only by key switching), and the default scale Δ.
///
/// The modulus chain q₀ · q₁ ⋯ q_{L−1} holds ciphertexts at level L when fresh; each rescale drops
/// the last prime. Secure by default: ``init(polyDegree:coefficientModulusBits:scale:)`` refuses
/// a total log2(Q·P) above the HomomorphicEncryption.org standard's bound for 128-bit classical
/// security with a ternary secret (``CKKSSecurity``); ``insecureForTesting(polyDegree:coefficientModulusBits:scale:)``
/// is the explicit, documented way around that check, for tests only.
///
/// ```swift
/// let parameters = try CKKSParameters(polyDegree: 8192, coefficientModulusBits: [60, 40, 40, 60], scale: 0x1p40)
/// print(parameters.slotCount, parameters.maximumLevel)  // 4096 3
/// ```
public struct CKKSParameters: Sendable, Hashable {
    /// The ring dimension N (a power of two): polynomials live in Z_q[X]/(X^N + 1).
    public let polyDegree: Int
    /// The bit sizes of the moduli q₀, …, q_{L−1} and, last, the special prime P.
    public let coefficientModulusBits: [Int]
    /// The default scale Δ that encoding multiplies values by.
    public let scale: Double
    /// Whether these parameters skipped the security check (``insecureForTesting(polyDegree:coefficientModulusBits:scale:)``).
    public let isInsecureForTesting: Bool

    /// Checked parameters: throws `insecureParameters` when Σ bits exceeds the 128-bit bound for N
    /// (or N is outside the standard's table), `invalidParameter` for a malformed set.
    public init(polyDegree: Int, coefficientModulusBits: [Int], scale: Double) throws(CryptoError) {
        try Self.validateShape(polyDegree: polyDegree, bits: coefficientModulusBits, scale: scale)
        guard let bound = CKKSSecurity.maximumModulusBits(polyDegree: polyDegree) else {
            throw CryptoError(.insecureParameters,
                              "CKKS ring dimension \(polyDegree) is not in the HomomorphicEncryption.org 128-bit table (1024…32768)")
        }
        let total = coefficientModulusBits.reduce(0, +)
        guard total <= bound else {
            throw CryptoError(.insecureParameters,
                              "CKKS modulus of \(total) bits exceeds the 128-bit security bound of \(bound) bits for N = \(polyDegree); use fewer or smaller primes or a larger N")
        }
        self.polyDegree = polyDegree
        self.coefficientModulusBits = coefficientModulusBits
        self.scale = scale
        isInsecureForTesting = false
    }

    private init(unchecked polyDegree: Int, bits: [Int], scale: Double) {
        self.polyDegree = polyDegree
        coefficientModulusBits = bits
        self.scale = scale
        isInsecureForTesting = true
    }

    /// Parameters that skip the security check — for fast tests with small N only; never for
    /// data that must stay secret. Throws `invalidParameter` for a malformed set.
    public static func insecureForTesting(polyDegree: Int, coefficientModulusBits: [Int], scale: Double) throws(CryptoError) -> CKKSParameters {
        try validateShape(polyDegree: polyDegree, bits: coefficientModulusBits, scale: scale)
        return CKKSParameters(unchecked: polyDegree, bits: coefficientModulusBits, scale: scale)
    }

    /// TenSEAL's tutorial set: N = 8192, moduli of 60, 40, 40 bits and a 60-bit special prime,
    /// Δ = 2^40 (200 bits, 128-bit secure; two multiplicative levels).
    public static var n8192Depth2: CKKSParameters {
        // Within the bound of 218 bits: cannot throw.
        CKKSParameters(checkedConstant: 8192, bits: [60, 40, 40, 60], scale: 0x1p40)
    }

    private init(checkedConstant polyDegree: Int, bits: [Int], scale: Double) {
        self.polyDegree = polyDegree
        coefficientModulusBits = bits
        self.scale = scale
        isInsecureForTesting = false
    }

    /// The number of complex slots, N/2.
    public var slotCount: Int { polyDegree / 2 }
    /// The level of a fresh ciphertext: the number of primes below the special prime.
    public var maximumLevel: Int { coefficientModulusBits.count - 1 }
    /// The security level these parameters meet: 128 bits classical, or none claimed.
    public var securityDescription: String {
        if isInsecureForTesting {
            let total = coefficientModulusBits.reduce(0, +)
            if let bound = CKKSSecurity.maximumModulusBits(polyDegree: polyDegree), total <= bound {
                return "128-bit classical (HE standard, ternary secret; built unchecked for testing)"
            }
            return "INSECURE (testing only)"
        }
        return "128-bit classical (HE standard, ternary secret)"
    }

    private static func validateShape(polyDegree: Int, bits: [Int], scale: Double) throws(CryptoError) {
        guard polyDegree >= 8, polyDegree <= 65536, polyDegree & (polyDegree - 1) == 0 else {
            throw CryptoError(.invalidParameter, "CKKS ring dimension \(polyDegree) is not a power of two in [8, 65536]")
        }
        guard bits.count >= 2, bits.count <= 16 else {
            throw CryptoError(.invalidParameter, "CKKS needs 2…16 moduli (up to 15 data primes and the special prime), got \(bits.count)")
        }
        for b in bits where !(20...61).contains(b) {
            throw CryptoError(.invalidParameter, "CKKS modulus bit size \(b) is outside [20, 61]")
        }
        guard let special = bits.last, bits.dropLast().allSatisfy({ $0 <= special }) else {
            throw CryptoError(.invalidParameter,
                              "CKKS special prime of \(bits.last ?? 0) bits is smaller than a data prime (\(bits.dropLast().max() ?? 0) bits): key switching would lose precision; make the last bit size the largest")
        }
        guard scale.isFinite, scale >= 2 else {
            throw CryptoError(.invalidParameter, "CKKS scale \(scale) is not a finite number ≥ 2")
        }
        guard log2(scale) < Double(bits[0]) else {
            throw CryptoError(.invalidParameter, "CKKS scale 2^\(log2(scale)) does not fit below the first modulus of \(bits[0]) bits")
        }
    }
}

/// The HomomorphicEncryption.org security standard (Albrecht et al. 2018, table for 128-bit
/// classical security, ternary secret): the largest total modulus log2(Q·P) per ring dimension.
///
/// ```swift
/// print(CKKSSecurity.maximumModulusBits(polyDegree: 8192) ?? 0)  // 218
/// ```
public enum CKKSSecurity {
    /// The bound in bits for N, or nil when N is outside the table (1024 … 32768).
    public static func maximumModulusBits(polyDegree: Int) -> Int? {
        switch polyDegree {
        case 1024: 27
        case 2048: 54
        case 4096: 109
        case 8192: 218
        case 16384: 438
        case 32768: 881
        default: nil
        }
    }
}
