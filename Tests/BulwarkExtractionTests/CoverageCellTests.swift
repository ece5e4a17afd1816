@testable import BulwarkExtraction
import BulwarkTensor
import Testing

/// The coverage detector's cell code computes four projections per pass over the input; every
/// bit must still be the comparison of the one-direction projection the medians were fitted
/// with, for any number of bits and any dimension (tails shorter than the eight lanes included).
@Test func coverageCellsMatchTheOneDirectionProjections() throws {
    var rng = SeededGenerator(seed: 3)
    for (bits, d) in [(1, 5), (3, 8), (4, 17), (5, 64), (10, 784), (13, 33), (20, 7)] {
        let n = 40
        let inputs = Tensor.uniform([n, d], using: &rng)
        let classes = (0..<n).map { $0 % 3 }
        let calibration = try CoverageDetector.fit(benign: inputs, predictedClasses: classes, window: 10, bits: bits, seed: UInt64(bits), resamples: 4)
        for r in 0..<n {
            let row = inputs.scalars[(r * d)..<((r + 1) * d)]
            var expected = 0
            for b in 0..<bits where CoverageDetector.project(row, calibration.directions, b, d) > calibration.medians[b] { expected |= 1 << b }
            #expect(calibration.cell(of: row) == expected, "bits \(bits), dimension \(d), row \(r)")
        }
    }
}
