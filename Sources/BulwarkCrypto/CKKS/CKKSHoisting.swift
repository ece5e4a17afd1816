extension CKKSContext {
    /// The hybrid key-switching decomposition of a polynomial (NTT form, `level` limbs at
    /// `input`): for each digit i < level, the residues [c]_{q_i} lifted to every prime of the
    /// level and to P, in NTT form (lazily reduced, below 4·prime). Layout: digit i, target slot t
    /// (t = level for P) at (i·(level+1) + t)·N. Cost: `level` inverse and `level`² forward NTTs.
    func decompose(_ input: UnsafePointer<UInt64>, level: Int) -> [UInt64] {
        let n = degree
        let width = level + 1
        var digits = [UInt64](repeating: 0, count: level * width * n)
        var coefficients = [UInt64](repeating: 0, count: level * n)
        coefficients.withUnsafeMutableBufferPointer { coefficientBuffer in
            let coeff = coefficientBuffer.baseAddress!
            coeff.update(from: input, count: level * n)
            for i in 0..<level { transforms[i].inverse(coeff + i * n) }
            digits.withUnsafeMutableBufferPointer { digitBuffer in
                for i in 0..<level {
                    for slot in 0...level {
                        let t = slot == level ? dataPrimeCount : slot
                        let out = digitBuffer.baseAddress! + (i * width + slot) * n
                        if i == t {
                            out.update(from: input + i * n, count: n)
                            continue
                        }
                        let row = coeff + i * n
                        let target = moduli[t]
                        if moduli[i].prime < target.prime {
                            out.update(from: row, count: n)
                        } else {
                            for k in 0..<n { out[k] = target.reduce(row[k]) }
                        }
                        transforms[t].forward(out, lazy: true)
                    }
                }
            }
        }
        return digits
    }

    /// Key switching from a decomposition (``decompose(_:level:)``) of c, with the Galois
    /// automorphism given by `permutation` (NTT slot k reads slot permutation[k]) applied to every
    /// digit first: returns (d₀, d₁) with d₀ + d₁·s ≈ σ(c)·s′ for the key's s′. The permuted digits
    /// are a valid decomposition of σ(c) (each ≡ σ(c) mod q_i, below q_i in magnitude), which is
    /// what lets several rotations share one decomposition (hoisting).
    func keySwitch(digits: [UInt64], level: Int, key: CKKSKeySwitchKey, permutation: [Int32]) -> (d0: [UInt64], d1: [UInt64]) {
        let n = degree
        let width = level + 1
        let keyWidth = dataPrimeCount + 1
        var d0 = [UInt64](repeating: 0, count: width * n)
        var d1 = [UInt64](repeating: 0, count: width * n)
        var accumulator = [UInt64](repeating: 0, count: 4 * n)
        var scratch = [UInt64](repeating: 0, count: n)
        digits.withUnsafeBufferPointer { digitBuffer in
            permutation.withUnsafeBufferPointer { perm in
                key.b.withUnsafeBufferPointer { kbBuffer in
                    key.a.withUnsafeBufferPointer { kaBuffer in
                        accumulator.withUnsafeMutableBufferPointer { accumulatorBuffer in
                            d0.withUnsafeMutableBufferPointer { d0Buffer in
                                d1.withUnsafeMutableBufferPointer { d1Buffer in
                                    let acc = accumulatorBuffer.baseAddress!
                                    for slot in 0...level {
                                        let t = slot == level ? dataPrimeCount : slot
                                        let target = moduli[t]
                                        acc.update(repeating: 0, count: 4 * n)
                                        for i in 0..<level {
                                            let source = digitBuffer.baseAddress! + (i * width + slot) * n
                                            let offset = (i * keyWidth + t) * n
                                            let kb = kbBuffer.baseAddress! + offset
                                            let ka = kaBuffer.baseAddress! + offset
                                            for k in 0..<n {
                                                let x = source[Int(perm[k])]
                                                let p0 = x.multipliedFullWidth(by: kb[k])
                                                let p1 = x.multipliedFullWidth(by: ka[k])
                                                let a = acc + 4 * k
                                                let (l0, o0) = a[0].addingReportingOverflow(p0.low)
                                                a[0] = l0
                                                a[1] = a[1] &+ p0.high &+ (o0 ? 1 : 0)
                                                let (l1, o1) = a[2].addingReportingOverflow(p1.low)
                                                a[2] = l1
                                                a[3] = a[3] &+ p1.high &+ (o1 ? 1 : 0)
                                            }
                                        }
                                        let out0 = d0Buffer.baseAddress! + slot * n
                                        let out1 = d1Buffer.baseAddress! + slot * n
                                        for k in 0..<n {
                                            let a = acc + 4 * k
                                            out0[k] = target.reduce(high: a[1], low: a[0])
                                            out1[k] = target.reduce(high: a[3], low: a[2])
                                        }
                                    }
                                    scratch.withUnsafeMutableBufferPointer { s in
                                        modDown(d0Buffer.baseAddress!, level: level, scratch: s.baseAddress!)
                                        modDown(d1Buffer.baseAddress!, level: level, scratch: s.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        d0.removeLast(n)
        d1.removeLast(n)
        return (d0, d1)
    }
}

extension CKKSEvaluator {
    /// The rotations of one ciphertext by each of `steps` (positive: left), sharing one key-switching
    /// decomposition of c₁ among them (hoisting, Halevi–Shoup 2018, "Faster homomorphic linear
    /// transformations in HElib"): after the first, each rotation costs the inner product with its
    /// key and the division by P, not the `level` inverse and `level`² forward NTTs of the
    /// decomposition — the pattern of baby-step giant-step matrix products. A step of 0 returns x.
    /// Needs a Galois key per nonzero step; throws `operandMismatch` when one is missing.
    public func rotations(_ x: CKKSCiphertext, by steps: [Int], keys: CKKSGaloisKeys) throws(CryptoError) -> [CKKSCiphertext] {
        try context.checkSame(x.contextIdentifier, "the ciphertext")
        try context.checkSame(keys.contextIdentifier, "the Galois keys")
        guard keys.keyIdentifier == x.keyIdentifier else {
            throw CryptoError(.operandMismatch, "the Galois keys belong to another secret key than the ciphertext")
        }
        guard x.size == 2 else {
            throw CryptoError(.operandMismatch, "rotation needs a relinearised ciphertext (2 polynomials), got \(x.size)")
        }
        let elements = steps.map { context.galoisElement(forRotation: $0) }
        for (step, g) in zip(steps, elements) where g != 1 && keys.keys[g] == nil {
            throw CryptoError(.operandMismatch, "no Galois key for rotation by \(step) (element \(g)); generate it with galoisKeys(rotations:conjugation:)")
        }
        let n = context.degree
        let level = x.level
        guard elements.contains(where: { $0 != 1 }) else { return steps.map { _ in x } }
        let digits = x.components[1].withUnsafeBufferPointer { context.decompose($0.baseAddress!, level: level) }
        var results: [CKKSCiphertext] = []
        for g in elements {
            if g == 1 {
                results.append(x)
                continue
            }
            let key = keys.keys[g]!, table = keys.permutations[g]!
            let switched = context.keySwitch(digits: digits, level: level, key: key, permutation: table)
            var d0 = switched.d0
            // c₀ permuted, plus d₀.
            x.components[0].withUnsafeBufferPointer { c0 in
                d0.withUnsafeMutableBufferPointer { out in
                    for j in 0..<level {
                        let m = context.moduli[j]
                        let source = c0.baseAddress! + j * n, target = out.baseAddress! + j * n
                        for k in 0..<n { target[k] = m.add(target[k], source[Int(table[k])]) }
                    }
                }
            }
            results.append(CKKSCiphertext(components: [d0, switched.d1], level: level, scale: x.scale, keyIdentifier: x.keyIdentifier,
                                          contextIdentifier: context.identifier, seed: nil))
        }
        return results
    }
}
