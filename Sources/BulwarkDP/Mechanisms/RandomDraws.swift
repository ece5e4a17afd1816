import Foundation

/// The random draws the continuous mechanisms build on.
enum RandomDraws {
    /// A uniform double in (0, 1) drawn at full precision: the binade [2^e, 2^(e+1)) is chosen with
    /// probability 2^(e+1)·½ (a geometric count of leading zero bits), then 52 uniform mantissa bits.
    /// Every double in (0, 1) is reachable — what Mironov (2012) requires of the snapping mechanism's
    /// uniform (a textbook `Double.random(in:)` only reaches multiples of 2^-53).
    static func uniformFullPrecision<G: RandomNumberGenerator>(using generator: inout G) -> Double {
        var exponent = -1
        while true {
            let bits = generator.next()
            if bits == 0 {
                exponent -= 64
                if exponent < -1074 { return .leastNonzeroMagnitude }
                continue
            }
            exponent -= bits.leadingZeroBitCount
            break
        }
        let mantissa = generator.next() >> 12
        let value = (1 + Double(mantissa) * 0x1p-52) * Double(sign: .plus, exponent: exponent, significand: 1)
        return max(value, .leastNonzeroMagnitude)
    }

    /// A uniform double in [0, 1) on the 2^-53 grid.
    static func uniform53<G: RandomNumberGenerator>(using generator: inout G) -> Double {
        Double(generator.next() >> 11) * 0x1p-53
    }
}
