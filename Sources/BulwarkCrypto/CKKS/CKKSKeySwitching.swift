extension CKKSContext {
    /// Hybrid key switching (one special prime P, decomposition per RNS prime, as in SEAL): given
    /// a polynomial c (NTT form, `level` limbs at `input`) that multiplies some s′, returns
    /// (d₀, d₁) in NTT form over the same primes with d₀ + d₁·s ≈ c·s′.
    ///
    /// Each residue c_i = [c]_{q_i} is lifted to every prime of the level and to P, multiplied by
    /// the key's i-th component and summed with 128-bit lazy accumulation; the sum over Q·P is
    /// then divided by P with rounding. Cost: `level` inverse NTTs, `level`² forward NTTs for the
    /// lift (the diagonal reuses the input), 2 inverse and 2·`level` forward NTTs for the division.
    func keySwitch(_ input: UnsafePointer<UInt64>, level: Int, key: CKKSKeySwitchKey) -> (d0: [UInt64], d1: [UInt64]) {
        let n = degree
        let width = dataPrimeCount + 1
        let special = dataPrimeCount
        // The residues in coefficient form.
        var coefficients = [UInt64](repeating: 0, count: level * n)
        var d0 = [UInt64](repeating: 0, count: (level + 1) * n)
        var d1 = [UInt64](repeating: 0, count: (level + 1) * n)
        var scratch = [UInt64](repeating: 0, count: n)
        var accumulator = [UInt64](repeating: 0, count: 4 * n)
        coefficients.withUnsafeMutableBufferPointer { coefficientBuffer in
            let coeff = coefficientBuffer.baseAddress!
            coeff.update(from: input, count: level * n)
            for i in 0..<level { transforms[i].inverse(coeff + i * n) }
            scratch.withUnsafeMutableBufferPointer { scratchBuffer in
                accumulator.withUnsafeMutableBufferPointer { accumulatorBuffer in
                    key.b.withUnsafeBufferPointer { kbBuffer in
                        key.a.withUnsafeBufferPointer { kaBuffer in
                            d0.withUnsafeMutableBufferPointer { d0Buffer in
                                d1.withUnsafeMutableBufferPointer { d1Buffer in
                                    let temp = scratchBuffer.baseAddress!
                                    let acc = accumulatorBuffer.baseAddress!
                                    for slot in 0...level {
                                        let t = slot == level ? special : slot
                                        let target = moduli[t]
                                        let targetPrime = target.prime
                                        acc.update(repeating: 0, count: 4 * n)
                                        for i in 0..<level {
                                            let source: UnsafePointer<UInt64>
                                            if i == t {
                                                source = input + i * n
                                            } else {
                                                let row = coeff + i * n
                                                if moduli[i].prime < targetPrime {
                                                    temp.update(from: row, count: n)
                                                } else {
                                                    for k in 0..<n { temp[k] = target.reduce(row[k]) }
                                                }
                                                // Lazy: values below 4·q_t, products below 2^124, and at most 15 of them summed.
                                                transforms[t].forward(temp, lazy: true)
                                                source = UnsafePointer(temp)
                                            }
                                            let offset = (i * width + t) * n
                                            let kb = kbBuffer.baseAddress! + offset
                                            let ka = kaBuffer.baseAddress! + offset
                                            for k in 0..<n {
                                                let x = source[k]
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
                                    modDown(d0Buffer.baseAddress!, level: level, scratch: temp)
                                    modDown(d1Buffer.baseAddress!, level: level, scratch: temp)
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

    /// Divides a polynomial over q₀ … q_{level−1}, P (NTT form; the P limb at index `level`) by P
    /// with rounding, in place on the first `level` limbs.
    func modDown(_ poly: UnsafeMutablePointer<UInt64>, level: Int, scratch: UnsafeMutablePointer<UInt64>) {
        let n = degree
        let specialModulus = moduli[dataPrimeCount]
        let p = specialModulus.prime
        let half = p >> 1
        let last = poly + level * n
        transforms[dataPrimeCount].inverse(last)
        for k in 0..<n { last[k] = specialModulus.add(last[k], half) }
        for j in 0..<level {
            let m = moduli[j]
            let q = m.prime
            let halfMod = m.reduce(half)
            for k in 0..<n { scratch[k] = m.subtract(m.reduce(last[k]), halfMod) }
            transforms[j].forward(scratch, lazy: true)
            let inverse = specialInverse[j]
            let inverseShoup = specialInverseShoup[j]
            let row = poly + j * n
            let fourQ = q &* 4
            for k in 0..<n {
                row[k] = m.multiply(row[k] &+ fourQ &- scratch[k], by: inverse, shoup: inverseShoup)
            }
        }
    }

    /// Divides a polynomial over q₀ … q_{level−1} (NTT form) by q_{level−1} with rounding, in
    /// place, leaving `level − 1` limbs valid.
    func rescale(_ poly: UnsafeMutablePointer<UInt64>, level: Int, scratch: UnsafeMutablePointer<UInt64>) {
        let n = degree
        let lastModulus = moduli[level - 1]
        let half = lastModulus.prime >> 1
        let last = poly + (level - 1) * n
        transforms[level - 1].inverse(last)
        for k in 0..<n { last[k] = lastModulus.add(last[k], half) }
        for j in 0..<(level - 1) {
            let m = moduli[j]
            let q = m.prime
            let halfMod = m.reduce(half)
            for k in 0..<n { scratch[k] = m.subtract(m.reduce(last[k]), halfMod) }
            transforms[j].forward(scratch, lazy: true)
            let inverse = m.inverse(m.reduce(lastModulus.prime))
            let inverseShoup = m.shoup(inverse)
            let row = poly + j * n
            let fourQ = q &* 4
            for k in 0..<n {
                row[k] = m.multiply(row[k] &+ fourQ &- scratch[k], by: inverse, shoup: inverseShoup)
            }
        }
    }
}
