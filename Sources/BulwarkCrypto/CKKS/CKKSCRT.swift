extension CKKSContext {
    /// The centred integer coefficients (as Doubles) of a polynomial given in NTT form over the
    /// first `level` data primes: each coefficient's residues are composed by the Chinese
    /// remainder theorem into [0, Q) with exact multi-word arithmetic, then mapped to (−Q/2, Q/2].
    func signedCoefficients(_ values: [UInt64], level: Int) -> [Double] {
        let n = degree
        var coefficientForm = values
        coefficientForm.withUnsafeMutableBufferPointer { buffer in
            for j in 0..<level { transforms[j].inverse(buffer.baseAddress! + j * n) }
        }
        var result = [Double](repeating: 0, count: n)
        if level == 1 {
            let p = moduli[0].prime
            let half = p >> 1
            for k in 0..<n {
                let v = coefficientForm[k]
                result[k] = v > half ? -Double(p - v) : Double(v)
            }
            return result
        }
        let width = level + 1
        // Q and Q/q_j as little-endian words; y_j = c_j · (Q/q_j)^(−1) mod q_j.
        var total = [UInt64](repeating: 0, count: width)
        total[0] = 1
        for j in 0..<level { total = Self.multiply(total, by: moduli[j].prime) }
        var cofactors: [[UInt64]] = []
        var inverses: [UInt64] = []
        for j in 0..<level {
            var cofactor = [UInt64](repeating: 0, count: width)
            cofactor[0] = 1
            var residue: UInt64 = 1
            for i in 0..<level where i != j {
                cofactor = Self.multiply(cofactor, by: moduli[i].prime)
                residue = moduli[j].multiply(residue, moduli[j].reduce(moduli[i].prime))
            }
            cofactors.append(cofactor)
            inverses.append(moduli[j].inverse(residue))
        }
        var halfTotal = total
        Self.shiftRightOne(&halfTotal)
        var accumulator = [UInt64](repeating: 0, count: width)
        let firstPrime = moduli[0].prime
        let firstHalf = firstPrime >> 1
        coefficients: for k in 0..<n {
            // Fast path: the centred residue modulo q₀ is the answer when it agrees with every other
            // residue (then it is ≡ the value mod Q and below Q/2 in magnitude, so it is the value).
            let v = coefficientForm[k]
            let centred = v > firstHalf ? -Int64(firstPrime - v) : Int64(v)
            var agrees = true
            for j in 1..<level where moduli[j].residue(ofSigned: centred) != coefficientForm[j * n + k] {
                agrees = false
                break
            }
            if agrees {
                result[k] = Double(centred)
                continue coefficients
            }
            for w in 0..<width { accumulator[w] = 0 }
            for j in 0..<level {
                let y = moduli[j].multiply(coefficientForm[j * n + k], inverses[j])
                Self.addProduct(&accumulator, cofactors[j], y)
            }
            while !Self.less(accumulator, total) { Self.subtract(&accumulator, total) }
            if Self.less(halfTotal, accumulator) {
                var negative = total
                Self.subtract(&negative, accumulator)
                result[k] = -Self.toDouble(negative)
            } else {
                result[k] = Self.toDouble(accumulator)
            }
        }
        return result
    }

    static func multiply(_ a: [UInt64], by w: UInt64) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: a.count)
        var carry: UInt64 = 0
        for i in a.indices {
            let p = a[i].multipliedFullWidth(by: w)
            let (low, overflow) = p.low.addingReportingOverflow(carry)
            out[i] = low
            carry = p.high &+ (overflow ? 1 : 0)
        }
        return out
    }

    static func addProduct(_ acc: inout [UInt64], _ a: [UInt64], _ w: UInt64) {
        var carry: UInt64 = 0
        for i in a.indices {
            let p = a[i].multipliedFullWidth(by: w)
            let (s1, o1) = acc[i].addingReportingOverflow(p.low)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            acc[i] = s2
            carry = p.high &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        }
    }

    static func less(_ a: [UInt64], _ b: [UInt64]) -> Bool {
        for i in a.indices.reversed() where a[i] != b[i] { return a[i] < b[i] }
        return false
    }

    static func subtract(_ a: inout [UInt64], _ b: [UInt64]) {
        var borrow: UInt64 = 0
        for i in a.indices {
            let (d1, o1) = a[i].subtractingReportingOverflow(b[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            a[i] = d2
            borrow = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
    }

    static func shiftRightOne(_ a: inout [UInt64]) {
        for i in a.indices {
            let high: UInt64 = i + 1 < a.count ? a[i + 1] << 63 : 0
            a[i] = (a[i] >> 1) | high
        }
    }

    static func toDouble(_ a: [UInt64]) -> Double {
        var value = 0.0
        for w in a.reversed() { value = value * 0x1p64 + Double(w) }
        return value
    }
}
