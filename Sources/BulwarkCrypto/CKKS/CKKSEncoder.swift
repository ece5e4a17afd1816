import Foundation

/// Encodes vectors of up to N/2 complex (or real) numbers into CKKS plaintexts through the
/// canonical embedding, and decodes them back (Cheon–Kim–Kim–Song 2017).
///
/// A message polynomial m(X) of degree < N with integer coefficients stands for the values
/// z_j = m(ζ^(5^j)) / Δ, j < N/2, where ζ = e^(iπ/N); encoding inverts this map with a special
/// FFT of length N/2 over the orbit of 5 and rounds Δ·m to integers. The rounding error is at
/// most 1/2 per coefficient, so decoded values differ from the input by about √N/(2Δ).
/// Cost: O(N log N) for the FFT plus one NTT per prime.
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 16, coefficientModulusBits: [40, 30, 40], scale: 0x1p30))
/// let encoder = CKKSEncoder(context: context)
/// let decoded = try encoder.decode(encoder.encode([0.5, -1.25, 3]))
/// print(abs(decoded[1] + 1.25) < 1e-6)  // true
/// ```
public struct CKKSEncoder: Sendable {
    /// The context.
    public let context: CKKSContext
    let slots: Int
    /// 5^j mod 2N.
    let rotationGroup: [Int]
    /// e^(2πik/2N) for k ≤ 2N, real and imaginary parts.
    let rootsReal: [Double]
    let rootsImaginary: [Double]

    /// An encoder for `context`.
    public init(context: CKKSContext) {
        self.context = context
        let n = context.degree / 2
        slots = n
        let m = 2 * context.degree
        var group = [Int](repeating: 1, count: n)
        for j in 1..<max(n, 1) { group[j] = group[j - 1] * 5 % m }
        rotationGroup = group
        rootsReal = (0...m).map { cos(2 * Double.pi * Double($0) / Double(m)) }
        rootsImaginary = (0...m).map { sin(2 * Double.pi * Double($0) / Double(m)) }
    }

    /// Encodes real values (at most N/2; missing slots are zero) at `scale` (default the
    /// parameters' Δ) over the first `level` primes (default all). Throws `invalidParameter` for
    /// too many or non-finite values or when Δ·value overflows 2^62.
    public func encode(_ values: [Double], scale: Double? = nil, level: Int? = nil) throws(CryptoError) -> CKKSPlaintext {
        try encode(real: values, imaginary: [], scale: scale, level: level)
    }

    /// Encodes complex values given as real and imaginary parts (see ``encode(_:scale:level:)``).
    public func encode(real: [Double], imaginary: [Double], scale: Double? = nil, level: Int? = nil) throws(CryptoError) -> CKKSPlaintext {
        let scale = scale ?? context.parameters.scale
        let level = level ?? context.maximumLevel
        guard real.count <= slots, imaginary.count <= slots else {
            throw CryptoError(.invalidParameter, "CKKS encode got \(max(real.count, imaginary.count)) values for \(slots) slots")
        }
        guard (1...context.maximumLevel).contains(level) else {
            throw CryptoError(.invalidParameter, "CKKS level \(level) is outside 1…\(context.maximumLevel)")
        }
        guard scale.isFinite, scale >= 1 else {
            throw CryptoError(.invalidParameter, "CKKS scale \(scale) is not finite and ≥ 1")
        }
        var re = [Double](repeating: 0, count: slots)
        var im = [Double](repeating: 0, count: slots)
        for (i, v) in real.enumerated() { re[i] = v }
        for (i, v) in imaginary.enumerated() { im[i] = v }
        for v in re where !v.isFinite { throw CryptoError(.invalidParameter, "CKKS encode got a non-finite value") }
        for v in im where !v.isFinite { throw CryptoError(.invalidParameter, "CKKS encode got a non-finite value") }
        inverseSpecialFFT(&re, &im)
        let n = context.degree
        var coefficients = [Int64](repeating: 0, count: n)
        let limit = 0x1p62
        for i in 0..<slots {
            let a = (re[i] * scale).rounded()
            let b = (im[i] * scale).rounded()
            guard abs(a) < limit, abs(b) < limit else {
                throw CryptoError(.invalidParameter, "CKKS encode: value × scale exceeds 2^62; use a smaller scale or smaller values")
            }
            coefficients[i] = Int64(a)
            coefficients[i + slots] = Int64(b)
        }
        var values = [UInt64](repeating: 0, count: level * n)
        values.withUnsafeMutableBufferPointer { buffer in
            for j in 0..<level {
                let modulus = context.moduli[j]
                let row = buffer.baseAddress! + j * n
                for k in 0..<n { row[k] = modulus.residue(ofSigned: coefficients[k]) }
                context.transforms[j].forward(row)
            }
        }
        return CKKSPlaintext(values: values, level: level, scale: scale, contextIdentifier: context.identifier)
    }

    /// The real parts of the N/2 slots of `plaintext`.
    public func decode(_ plaintext: CKKSPlaintext) throws(CryptoError) -> [Double] {
        try decodeComplex(plaintext).real
    }

    /// The N/2 complex slots of `plaintext`; throws `operandMismatch` for another context's
    /// plaintext.
    public func decodeComplex(_ plaintext: CKKSPlaintext) throws(CryptoError) -> (real: [Double], imaginary: [Double]) {
        try context.checkSame(plaintext.contextIdentifier, "the plaintext")
        let coefficients = context.signedCoefficients(plaintext.values, level: plaintext.level)
        var re = [Double](repeating: 0, count: slots)
        var im = [Double](repeating: 0, count: slots)
        let inverseScale = 1 / plaintext.scale
        for i in 0..<slots {
            re[i] = coefficients[i] * inverseScale
            im[i] = coefficients[i + slots] * inverseScale
        }
        specialFFT(&re, &im)
        return (re, im)
    }

    private func bitReverse(_ re: inout [Double], _ im: inout [Double]) {
        let n = slots
        var j = 0
        for i in 1..<max(n, 1) {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j {
                re.swapAt(i, j)
                im.swapAt(i, j)
            }
        }
    }

    /// Evaluation at ζ^(5^j): u → z.
    func specialFFT(_ re: inout [Double], _ im: inout [Double]) {
        let n = slots
        let m = 2 * context.degree
        bitReverse(&re, &im)
        var length = 2
        while length <= n {
            let half = length / 2
            let quarter = length * 4
            for i in stride(from: 0, to: n, by: length) {
                for j in 0..<half {
                    let index = (rotationGroup[j] % quarter) * (m / quarter)
                    let wr = rootsReal[index], wi = rootsImaginary[index]
                    let ur = re[i + j], ui = im[i + j]
                    let xr = re[i + j + half], xi = im[i + j + half]
                    let vr = xr * wr - xi * wi
                    let vi = xr * wi + xi * wr
                    re[i + j] = ur + vr
                    im[i + j] = ui + vi
                    re[i + j + half] = ur - vr
                    im[i + j + half] = ui - vi
                }
            }
            length *= 2
        }
    }

    /// The inverse of ``specialFFT(_:_:)``: z → u.
    func inverseSpecialFFT(_ re: inout [Double], _ im: inout [Double]) {
        let n = slots
        let m = 2 * context.degree
        var length = n
        while length >= 2 {
            let half = length / 2
            let quarter = length * 4
            for i in stride(from: 0, to: n, by: length) {
                for j in 0..<half {
                    let index = (quarter - rotationGroup[j] % quarter) * (m / quarter)
                    let wr = rootsReal[index], wi = rootsImaginary[index]
                    let ar = re[i + j], ai = im[i + j]
                    let br = re[i + j + half], bi = im[i + j + half]
                    re[i + j] = ar + br
                    im[i + j] = ai + bi
                    let dr = ar - br, di = ai - bi
                    re[i + j + half] = dr * wr - di * wi
                    im[i + j + half] = dr * wi + di * wr
                }
            }
            length /= 2
        }
        bitReverse(&re, &im)
        let inverse = 1 / Double(n)
        for i in 0..<n {
            re[i] *= inverse
            im[i] *= inverse
        }
    }
}
