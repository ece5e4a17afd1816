import Foundation

/// Homomorphic operations on CKKS ciphertexts: add, subtract, negate, multiply by a plaintext or
/// a ciphertext, relinearise, rescale, switch down a level, rotate slots and conjugate
/// (Cheon–Kim–Kim–Song 2017; full-RNS form of Cheon–Han–Kim–Kim–Song 2018).
///
/// Operands must share the context, the level and (for additions) the scale, and ciphertexts
/// combined with each other or with keys must belong to the same secret key; otherwise the call
/// throws `operandMismatch` naming what differs. Levels are explicit: ``rescale(_:)`` drops the
/// last prime and divides the scale by it; ``modSwitch(_:toLevel:)`` drops primes without
/// changing the scale, to bring an operand down to another's level.
///
/// ```swift
/// let context = try CKKSContext(parameters: .insecureForTesting(polyDegree: 32, coefficientModulusBits: [50, 30, 50], scale: 0x1p30))
/// let keys = CKKSKeyGenerator(context: context)
/// let encoder = CKKSEncoder(context: context)
/// let encryptor = try CKKSEncryptor(context: context, publicKey: keys.publicKey())
/// let evaluator = CKKSEvaluator(context: context)
/// let x = try encryptor.encrypt(encoder.encode([1.5, 2]))
/// let y = try encryptor.encrypt(encoder.encode([4, -1]))
/// let product = try evaluator.rescale(evaluator.relinearize(evaluator.multiply(x, y), key: keys.relinearizationKey()))
/// let decoded = try encoder.decode(CKKSDecryptor(context: context, secretKey: keys.secretKey).decrypt(product))
/// print(abs(decoded[0] - 6) < 1e-3, product.level)  // true 1
/// ```
public struct CKKSEvaluator: Sendable {
    /// The context.
    public let context: CKKSContext

    /// An evaluator for `context`.
    public init(context: CKKSContext) {
        self.context = context
    }

    // MARK: checks

    private func check(_ a: CKKSCiphertext, _ b: CKKSCiphertext, sameScale: Bool) throws(CryptoError) {
        try context.checkSame(a.contextIdentifier, "the first ciphertext")
        try context.checkSame(b.contextIdentifier, "the second ciphertext")
        guard a.keyIdentifier == b.keyIdentifier else {
            throw CryptoError(.operandMismatch, "the ciphertexts were encrypted under different keys")
        }
        guard a.level == b.level else {
            throw CryptoError(.operandMismatch, "ciphertext levels differ (\(a.level) and \(b.level)); modSwitch the higher one down first")
        }
        if sameScale { try checkScales(a.scale, b.scale) }
    }

    private func check(_ a: CKKSCiphertext, _ p: CKKSPlaintext, sameScale: Bool) throws(CryptoError) {
        try context.checkSame(a.contextIdentifier, "the ciphertext")
        try context.checkSame(p.contextIdentifier, "the plaintext")
        guard a.level == p.level else {
            throw CryptoError(.operandMismatch, "ciphertext level \(a.level) and plaintext level \(p.level) differ; encode or modSwitch the plaintext to the ciphertext's level")
        }
        if sameScale { try checkScales(a.scale, p.scale) }
    }

    private func checkScales(_ a: Double, _ b: Double) throws(CryptoError) {
        guard abs(a / b - 1) < 1e-9 else {
            throw CryptoError(.operandMismatch, "scales differ (2^\(log2(a)) and 2^\(log2(b))); rescale or re-encode so they match")
        }
    }

    private func checkSize2(_ a: CKKSCiphertext, _ operation: String) throws(CryptoError) {
        guard a.size == 2 else {
            throw CryptoError(.operandMismatch, "\(operation) needs a relinearised ciphertext (2 polynomials), got \(a.size)")
        }
    }

    // MARK: linear operations

    /// x + y slot-wise.
    public func add(_ x: CKKSCiphertext, _ y: CKKSCiphertext) throws(CryptoError) -> CKKSCiphertext {
        try check(x, y, sameScale: true)
        var result = x.size >= y.size ? x : y
        let other = x.size >= y.size ? y : x
        result.seed = nil
        for c in 0..<other.size { addInPlace(&result.components[c], other.components[c], level: x.level, negate: false) }
        return result
    }

    /// x − y slot-wise.
    public func subtract(_ x: CKKSCiphertext, _ y: CKKSCiphertext) throws(CryptoError) -> CKKSCiphertext {
        try add(x, negate(y))
    }

    /// −x slot-wise.
    public func negate(_ x: CKKSCiphertext) -> CKKSCiphertext {
        var result = x
        result.seed = nil
        let n = context.degree
        for c in 0..<result.size {
            for j in 0..<x.level {
                let m = context.moduli[j]
                for k in j * n..<(j + 1) * n { result.components[c][k] = m.negate(result.components[c][k]) }
            }
        }
        return result
    }

    /// x + p slot-wise, for a plaintext at the ciphertext's level and scale.
    public func add(_ x: CKKSCiphertext, _ p: CKKSPlaintext) throws(CryptoError) -> CKKSCiphertext {
        try check(x, p, sameScale: true)
        var result = x
        addInPlace(&result.components[0], p.values, level: x.level, negate: false)
        return result
    }

    /// x · p slot-wise, for a plaintext at the ciphertext's level; the scales multiply.
    public func multiply(_ x: CKKSCiphertext, _ p: CKKSPlaintext) throws(CryptoError) -> CKKSCiphertext {
        try check(x, p, sameScale: false)
        var result = x
        result.seed = nil
        result.scale = x.scale * p.scale
        for c in 0..<x.size { multiplyInPlace(&result.components[c], p.values, level: x.level) }
        return result
    }

    private func addInPlace(_ target: inout [UInt64], _ source: [UInt64], level: Int, negate: Bool) {
        let n = context.degree
        target.withUnsafeMutableBufferPointer { t in
            source.withUnsafeBufferPointer { s in
                for j in 0..<level {
                    let m = context.moduli[j]
                    let tt = t.baseAddress! + j * n, ss = s.baseAddress! + j * n
                    for k in 0..<n { tt[k] = m.add(tt[k], ss[k]) }
                }
            }
        }
    }

    private func multiplyInPlace(_ target: inout [UInt64], _ source: [UInt64], level: Int) {
        let n = context.degree
        target.withUnsafeMutableBufferPointer { t in
            source.withUnsafeBufferPointer { s in
                for j in 0..<level {
                    let m = context.moduli[j]
                    let tt = t.baseAddress! + j * n, ss = s.baseAddress! + j * n
                    for k in 0..<n { tt[k] = m.multiply(tt[k], ss[k]) }
                }
            }
        }
    }

    // MARK: multiplication

    /// x · y slot-wise: the tensor product (3 polynomials, decrypting under 1, s, s²); the
    /// scales multiply. Follow with ``relinearize(_:key:)`` and ``rescale(_:)``.
    public func multiply(_ x: CKKSCiphertext, _ y: CKKSCiphertext) throws(CryptoError) -> CKKSCiphertext {
        try check(x, y, sameScale: false)
        try checkSize2(x, "multiply")
        try checkSize2(y, "multiply")
        let n = context.degree
        let level = x.level
        var d0 = [UInt64](repeating: 0, count: level * n)
        var d1 = d0
        var d2 = d0
        d0.withUnsafeMutableBufferPointer { b0 in
            d1.withUnsafeMutableBufferPointer { b1 in
                d2.withUnsafeMutableBufferPointer { b2 in
                    x.components[0].withUnsafeBufferPointer { xa0 in
                        x.components[1].withUnsafeBufferPointer { xa1 in
                            y.components[0].withUnsafeBufferPointer { yb0 in
                                y.components[1].withUnsafeBufferPointer { yb1 in
                                    for j in 0..<level {
                                        let m = context.moduli[j]
                                        let o = j * n
                                        let a0 = xa0.baseAddress! + o, a1 = xa1.baseAddress! + o
                                        let c0 = yb0.baseAddress! + o, c1 = yb1.baseAddress! + o
                                        let r0 = b0.baseAddress! + o, r1 = b1.baseAddress! + o, r2 = b2.baseAddress! + o
                                        for k in 0..<n {
                                            let u0 = a0[k], u1 = a1[k], v0 = c0[k], v1 = c1[k]
                                            r0[k] = m.multiply(u0, v0)
                                            r2[k] = m.multiply(u1, v1)
                                            let p = u0.multipliedFullWidth(by: v1)
                                            let q = u1.multipliedFullWidth(by: v0)
                                            let (low, overflow) = p.low.addingReportingOverflow(q.low)
                                            r1[k] = m.reduce(high: p.high &+ q.high &+ (overflow ? 1 : 0), low: low)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return CKKSCiphertext(components: [d0, d1, d2], level: level, scale: x.scale * y.scale,
                              keyIdentifier: x.keyIdentifier, contextIdentifier: context.identifier, seed: nil)
    }

    /// x², the tensor product of x with itself (see ``multiply(_:_:)-(CKKSCiphertext,CKKSCiphertext)``).
    public func square(_ x: CKKSCiphertext) throws(CryptoError) -> CKKSCiphertext {
        try multiply(x, x)
    }

    /// Turns a 3-polynomial product back into a 2-polynomial ciphertext with the relinearisation
    /// key (hybrid key switching of the s² part). A 2-polynomial input is returned unchanged.
    public func relinearize(_ x: CKKSCiphertext, key: CKKSRelinearizationKey) throws(CryptoError) -> CKKSCiphertext {
        try context.checkSame(x.contextIdentifier, "the ciphertext")
        try context.checkSame(key.contextIdentifier, "the relinearisation key")
        guard key.keyIdentifier == x.keyIdentifier else {
            throw CryptoError(.operandMismatch, "the relinearisation key belongs to another secret key than the ciphertext")
        }
        if x.size == 2 { return x }
        let (d0, d1) = x.components[2].withUnsafeBufferPointer { c2 in
            context.keySwitch(c2.baseAddress!, level: x.level, key: key.key)
        }
        var result = x
        result.components.removeLast()
        addInPlace(&result.components[0], d0, level: x.level, negate: false)
        addInPlace(&result.components[1], d1, level: x.level, negate: false)
        return result
    }

    /// Divides by the last prime q_{ℓ−1} of the ciphertext's level with rounding: the level drops
    /// by one and the scale is divided by q_{ℓ−1}. Throws `operandMismatch` at level 1.
    public func rescale(_ x: CKKSCiphertext) throws(CryptoError) -> CKKSCiphertext {
        try context.checkSame(x.contextIdentifier, "the ciphertext")
        guard x.level > 1 else {
            throw CryptoError(.operandMismatch, "the ciphertext is at level 1: no prime is left to rescale by")
        }
        let n = context.degree
        let level = x.level
        var result = x
        result.seed = nil
        var scratch = [UInt64](repeating: 0, count: n)
        scratch.withUnsafeMutableBufferPointer { s in
            for c in 0..<result.size {
                result.components[c].withUnsafeMutableBufferPointer { poly in
                    context.rescale(poly.baseAddress!, level: level, scratch: s.baseAddress!)
                }
                result.components[c].removeLast(n)
            }
        }
        result.level = level - 1
        result.scale = x.scale / Double(context.moduli[level - 1].prime)
        return result
    }

    /// Multiply, relinearise and rescale in one call.
    public func multiplyRelinearizeRescale(_ x: CKKSCiphertext, _ y: CKKSCiphertext, key: CKKSRelinearizationKey) throws(CryptoError) -> CKKSCiphertext {
        try rescale(relinearize(multiply(x, y), key: key))
    }

    /// The ciphertext reduced to `level` (≤ its level) by dropping primes; values and scale are
    /// unchanged.
    public func modSwitch(_ x: CKKSCiphertext, toLevel level: Int) throws(CryptoError) -> CKKSCiphertext {
        try context.checkSame(x.contextIdentifier, "the ciphertext")
        guard (1...x.level).contains(level) else {
            throw CryptoError(.operandMismatch, "cannot switch a ciphertext at level \(x.level) to level \(level)")
        }
        var result = x
        result.seed = nil
        for c in 0..<result.size { result.components[c].removeLast((x.level - level) * context.degree) }
        result.level = level
        return result
    }

    /// The plaintext reduced to `level` (≤ its level) by dropping primes.
    public func modSwitch(_ p: CKKSPlaintext, toLevel level: Int) throws(CryptoError) -> CKKSPlaintext {
        try context.checkSame(p.contextIdentifier, "the plaintext")
        guard (1...p.level).contains(level) else {
            throw CryptoError(.operandMismatch, "cannot switch a plaintext at level \(p.level) to level \(level)")
        }
        var result = p
        result.values.removeLast((p.level - level) * context.degree)
        result.level = level
        return result
    }

    // MARK: automorphisms

    /// Rotates the slots left by `steps` (negative: right): slot j of the result holds slot
    /// j + steps of x (indices mod N/2). Needs the Galois key of that step; throws
    /// `operandMismatch` when it is missing.
    public func rotate(_ x: CKKSCiphertext, by steps: Int, keys: CKKSGaloisKeys) throws(CryptoError) -> CKKSCiphertext {
        let g = context.galoisElement(forRotation: steps)
        if g == 1 { return x }
        return try applyGalois(x, element: g, keys: keys, what: "rotation by \(steps)")
    }

    /// The complex conjugate of every slot; needs the conjugation Galois key.
    public func conjugate(_ x: CKKSCiphertext, keys: CKKSGaloisKeys) throws(CryptoError) -> CKKSCiphertext {
        try applyGalois(x, element: context.conjugationElement, keys: keys, what: "conjugation")
    }

    private func applyGalois(_ x: CKKSCiphertext, element g: Int, keys: CKKSGaloisKeys, what: String) throws(CryptoError) -> CKKSCiphertext {
        try context.checkSame(x.contextIdentifier, "the ciphertext")
        try context.checkSame(keys.contextIdentifier, "the Galois keys")
        guard keys.keyIdentifier == x.keyIdentifier else {
            throw CryptoError(.operandMismatch, "the Galois keys belong to another secret key than the ciphertext")
        }
        try checkSize2(x, what)
        guard let key = keys.keys[g], let table = keys.permutations[g] else {
            throw CryptoError(.operandMismatch, "no Galois key for \(what) (element \(g)); generate it with galoisKeys(rotations:conjugation:)")
        }
        let n = context.degree
        let level = x.level
        var c0 = [UInt64](repeating: 0, count: level * n)
        var c1 = c0
        table.withUnsafeBufferPointer { perm in
            for (source, target) in [(0, 0), (1, 1)] {
                var out = target == 0 ? c0 : c1
                out.withUnsafeMutableBufferPointer { o in
                    x.components[source].withUnsafeBufferPointer { s in
                        for j in 0..<level {
                            let oo = o.baseAddress! + j * n, ss = s.baseAddress! + j * n
                            for k in 0..<n { oo[k] = ss[Int(perm[k])] }
                        }
                    }
                }
                if target == 0 { c0 = out } else { c1 = out }
            }
        }
        let (d0, d1) = c1.withUnsafeBufferPointer { p in
            context.keySwitch(p.baseAddress!, level: level, key: key)
        }
        addInPlace(&c0, d0, level: level, negate: false)
        return CKKSCiphertext(components: [c0, d1], level: level, scale: x.scale, keyIdentifier: x.keyIdentifier,
                              contextIdentifier: context.identifier, seed: nil)
    }
}
