import BulwarkCrypto
import Testing

@Suite struct FixedPointQuantizerTests {
    @Test func levelsAreSizedSoTheSumCannotWrap() throws {
        let quantizer = try FixedPointQuantizer(clipRange: 2, bitWidth: 16, maxSummands: 5)
        #expect(quantizer.levels == 32767 / 5)
        // n extreme inputs of either sign, the largest sums possible, decode exactly.
        for sign: Float in [1, -1] {
            let one = try quantizer.quantize([sign * 2, sign * 100])  // the second is clipped
            var sum = [UInt64](repeating: 0, count: 2)
            for _ in 0..<5 { sum = try quantizer.add(sum, one) }
            #expect(try quantizer.dequantize(sum: sum, summands: 5) == [sign * 10, sign * 10])
        }
    }

    /// Random masks added and removed in the ring leave the sum, and the error stays within
    /// n · clipRange / (2M).
    @Test func sumWithCancellingMasksIsWithinTheBound() throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 2, count: 32))
        for bitWidth in [12, 24, 32, 48, 64] {
            let n = 7
            let quantizer = try FixedPointQuantizer(clipRange: 3, bitWidth: bitWidth, maxSummands: n)
            let inputs = (0..<n).map { _ in (0..<50).map { _ in Float.random(in: -4...4, using: &generator) } }
            let masks = (0..<n).map { _ in (0..<50).map { _ in generator.next() & quantizer.mask } }
            var sum = [UInt64](repeating: 0, count: 50)
            for client in 0..<n {
                sum = try quantizer.add(sum, try quantizer.add(try quantizer.quantize(inputs[client]), masks[client]))
            }
            for mask in masks { sum = try quantizer.add(sum, mask.map { (0 &- $0) & quantizer.mask }) }
            let decoded = try quantizer.dequantize(sum: sum, summands: n)
            let bound = Double(n) * 3 / (2 * Double(quantizer.levels)) + 1e-5 * 21
            for index in 0..<50 {
                let plain = inputs.reduce(0.0) { $0 + Double(min(max($1[index], -3), 3)) }
                #expect(abs(Double(decoded[index]) - plain) <= bound, "bit width \(bitWidth), coordinate \(index)")
            }
        }
    }

    @Test func refusesBadParametersNonFiniteValuesAndImpossibleSums() throws {
        #expect(throws: CryptoError.self) { try FixedPointQuantizer(clipRange: 0, maxSummands: 2) }
        #expect(throws: CryptoError.self) { try FixedPointQuantizer(clipRange: .infinity, maxSummands: 2) }
        #expect(throws: CryptoError.self) { try FixedPointQuantizer(clipRange: 1, bitWidth: 65, maxSummands: 2) }
        #expect(throws: CryptoError.self) { try FixedPointQuantizer(clipRange: 1, bitWidth: 4, maxSummands: 8) }
        let quantizer = try FixedPointQuantizer(clipRange: 1, bitWidth: 32, maxSummands: 4)
        #expect(throws: CryptoError.self) { try quantizer.quantize([0, .nan]) }
        #expect(throws: CryptoError.self) { try quantizer.add([1, 2], [1]) }
        // One summand's worth of levels cannot decode a value of three.
        let three = try quantizer.quantize([1, 1, 1]).reduce(UInt64(0)) { ($0 &+ $1) & quantizer.mask }
        #expect(throws: CryptoError.self) { try quantizer.dequantize(sum: [three], summands: 1) }
        #expect(try quantizer.dequantize(sum: [three], summands: 3) == [3])
        #expect(throws: CryptoError.self) { try quantizer.dequantize(sum: [1 << 40], summands: 1) }
        #expect(throws: CryptoError.self) { try quantizer.dequantize(sum: [0], summands: 5) }
    }
}
