/// The precomputed state of one CKKS parameter set: its primes, their NTT tables and the
/// constants that rescaling and key switching reuse. Build it once and share it (it is immutable
/// and `Sendable`); every key, plaintext and ciphertext records the context it belongs to, and
/// operations on values from another context throw `operandMismatch`.
///
/// The primes are generated deterministically from the bit sizes (``CKKSPrimes``), largest
/// first, so equal parameters give equal moduli.
///
/// ```swift
/// let parameters = try CKKSParameters.insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30)
/// let context = try CKKSContext(parameters: parameters)
/// print(context.dataModuli.count)  // 2
/// ```
public final class CKKSContext: Sendable {
    /// The parameters.
    public let parameters: CKKSParameters
    /// N.
    public let degree: Int
    /// q₀ … q_{L−1} followed by the special prime P.
    let moduli: [CKKSModulus]
    /// The NTT of each modulus in ``moduli``.
    let transforms: [CKKSNTT]
    /// L, the number of data primes.
    let dataPrimeCount: Int
    /// P^(−1) mod q_j and its Shoup quotient, j < L.
    let specialInverse: [UInt64]
    let specialInverseShoup: [UInt64]
    /// P mod q_j, j < L.
    let specialResidue: [UInt64]
    /// A fingerprint of N and the primes: tells values of different contexts apart.
    let identifier: UInt64

    /// Generates the primes and precomputes the tables; throws `invalidParameter` when the
    /// primes cannot be found.
    public init(parameters: CKKSParameters) throws(CryptoError) {
        self.parameters = parameters
        degree = parameters.polyDegree
        let primes = try CKKSPrimes.generate(bitSizes: parameters.coefficientModulusBits, polyDegree: degree)
        let moduli = primes.map { CKKSModulus(prime: $0) }
        self.moduli = moduli
        var transforms: [CKKSNTT] = []
        for m in moduli { transforms.append(try CKKSNTT(modulus: m, degree: degree)) }
        self.transforms = transforms
        let count = primes.count - 1
        dataPrimeCount = count
        let special = primes[count]
        specialInverse = (0..<count).map { moduli[$0].inverse(moduli[$0].reduce(special)) }
        specialInverseShoup = (0..<count).map { moduli[$0].shoup(moduli[$0].inverse(moduli[$0].reduce(special))) }
        specialResidue = (0..<count).map { moduli[$0].reduce(special) }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for word in [UInt64(degree)] + primes + [parameters.scale.bitPattern] {
            hash = (hash ^ word) &* 0x0000_0100_0000_01B3
        }
        identifier = hash
    }

    /// The data primes q₀ … q_{L−1}.
    public var dataModuli: [UInt64] { moduli.prefix(dataPrimeCount).map(\.prime) }
    /// The special prime P of key switching.
    public var specialModulus: UInt64 { moduli[dataPrimeCount].prime }
    /// The level of a fresh ciphertext, L.
    public var maximumLevel: Int { dataPrimeCount }

    /// The Galois element 5^steps mod 2N that rotates slots left by `steps` (negative: right).
    public func galoisElement(forRotation steps: Int) -> Int {
        let slots = degree / 2
        let k = ((steps % slots) + slots) % slots
        let twoN = 2 * degree
        var g = 1
        for _ in 0..<k { g = g * 5 % twoN }
        return g
    }

    /// The Galois element 2N − 1 of complex conjugation.
    public var conjugationElement: Int { 2 * degree - 1 }

    /// The permutation of NTT slots that applies X → X^g: output slot k reads input slot
    /// table[k] (slot k holds the value at ψ^(2·bitreverse(k)+1)).
    func nttPermutation(galoisElement g: Int) -> [Int32] {
        let n = degree
        var bits = 0
        while (1 << bits) < n { bits += 1 }
        let mask = 2 * n - 1
        var table = [Int32](repeating: 0, count: n)
        for k in 0..<n {
            let e = 2 * CKKSNTT.bitReverse(k, bits: bits) + 1
            let source = (e * g) & mask
            table[k] = Int32(CKKSNTT.bitReverse((source - 1) >> 1, bits: bits))
        }
        return table
    }

    func checkSame(_ other: UInt64, _ what: String) throws(CryptoError) {
        guard other == identifier else {
            throw CryptoError(.operandMismatch, "\(what) belongs to another CKKS context (other parameters)")
        }
    }
}
