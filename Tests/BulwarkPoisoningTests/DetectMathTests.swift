import Testing
import BulwarkTensor
import BulwarkPoisoning

// Known answers for the linear algebra and statistics under the poison detectors.

private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance }

@Test func detectEigenOfTwoByTwo() {
    // [[2, 1], [1, 2]] has eigenvalues 3 and 1 with eigenvectors (1, 1)/√2 and (1, −1)/√2.
    let (values, vectors) = DetectionMath.symmetricEigen([2, 1, 1, 2], dimension: 2)
    #expect(close(values[0], 3) && close(values[1], 1))
    let r = 1 / 2.0.squareRoot()
    #expect(close(abs(vectors[0][0]), r) && close(vectors[0][0], vectors[0][1]))
    #expect(close(abs(vectors[1][0]), r) && close(vectors[1][0], -vectors[1][1]))
}

@Test func detectEigenReconstructsThreeByThree() {
    // A = [[4, 1, 0], [1, 3, 1], [0, 1, 2]]: trace 9, determinant 18; A v = λ v for each pair.
    let a: [Double] = [4, 1, 0, 1, 3, 1, 0, 1, 2]
    let (values, vectors) = DetectionMath.symmetricEigen(a, dimension: 3)
    #expect(close(values.reduce(0, +), 9, 1e-9))
    #expect(close(values.reduce(1, *), 18, 1e-9))
    #expect(values[0] >= values[1] && values[1] >= values[2])
    for (lambda, v) in zip(values, vectors) {
        for i in 0..<3 {
            let av = (0..<3).reduce(0.0) { $0 + a[i * 3 + $1] * v[$1] }
            #expect(close(av, lambda * v[i], 1e-9))
        }
    }
}

@Test func detectTopSingularVectorOfRankOneMatrix() {
    // Rows are multiples of (0.6, 0.8): the top right singular vector is (0.6, 0.8).
    let x: [Double] = [3, 4, 6, 8, -3, -4, 1.5, 2]
    let v = DetectionMath.topRightSingularVector(x, rows: 4, columns: 2)
    #expect(close(v[0], 0.6, 1e-9) && close(v[1], 0.8, 1e-9))
}

@Test func detectPrincipalComponentsOfLine() {
    // Centred points on the line y = 2x: the first component is the signed distance along
    // (1, 2)/√5, the second is 0.
    let raw: [Double] = [-2, -4, -1, -2, 0, 0, 1, 2, 2, 4]
    let centred = DetectionMath.centred(raw, rows: 5, columns: 2)
    let (scores, width) = DetectionMath.principalComponents(centred, rows: 5, columns: 2, keep: 2)
    #expect(width == 2)
    let s5 = 5.0.squareRoot()
    let sign = scores[0] < 0 ? 1.0 : -1.0
    for (i, t) in [-2.0, -1, 0, 1, 2].enumerated() {
        #expect(close(sign * scores[i * 2], t * s5, 1e-9))
        #expect(close(scores[i * 2 + 1], 0, 1e-9))
    }
}

@Test func detectMedianMADAndAnomalyIndex() {
    #expect(DetectionMath.median([3, 1, 2]) == 2)
    #expect(DetectionMath.median([4, 1, 3, 2]) == 2.5)
    // Mask norms of six classes, one much smaller: median 10, MAD 1.
    let norms: [Double] = [10, 11, 9, 10, 12, 2]
    #expect(DetectionMath.medianAbsoluteDeviation(norms) == 1)
    let index = NeuralCleanse.anomalyIndices(norms)
    #expect(close(index[5], 8 / 1.4826))
    #expect(close(index[1], -1 / 1.4826))
    #expect(index.indices.filter { index[$0] > 2 } == [5])
}

@Test func detectTwoMeansSeparatesTwoBlobs() {
    var rng = SeededGenerator(seed: 5)
    var x: [Double] = []
    for i in 0..<40 {
        let centre = i < 30 ? 0.0 : 10.0
        x += [centre + Double.random(in: -1...1, using: &rng), centre + Double.random(in: -1...1, using: &rng)]
    }
    let assignment = DetectionMath.twoMeans(x, rows: 40, columns: 2)
    #expect(Set(assignment[0..<30]).count == 1)
    #expect(Set(assignment[30..<40]).count == 1)
    #expect(assignment[0] != assignment[39])
}

@Test func detectSilhouetteKnownAnswer() {
    // 1-D points 0, 1 | 10, 11: silhouettes 9.5/10.5 (ends) and 8.5/9.5 (inner points).
    let s = DetectionMath.silhouette([0, 1, 10, 11], rows: 4, columns: 1, assignment: [0, 0, 1, 1])
    #expect(close(s, (9.5 / 10.5 + 8.5 / 9.5) / 2, 1e-12))
}

@Test func detectRobustZScoresWithZeroMAD() {
    // More than half the values equal: MAD 0, the scale falls back to the mean absolute deviation.
    let z = DetectionMath.robustZScores([1, 1, 1, 1, 5])
    #expect(z[0] == 0 && z[4] > 3)
    #expect(DetectionMath.robustZScores([2, 2, 2]) == [0, 0, 0])
}

@Test func detectQualityCounts() throws {
    let q = try DetectionQuality(flagged: [1, 2, 3, 3], poisonIndices: [2, 3, 4, 5], count: 10)
    #expect(q.truePositives == 2 && q.falsePositives == 1 && q.falseNegatives == 2 && q.trueNegatives == 5)
    #expect(close(q.precision, 2.0 / 3) && close(q.recall, 0.5) && close(q.f1, 2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5)))
    #expect(throws: PoisoningError.self) { try DetectionQuality(flagged: [10], poisonIndices: [], count: 10) }
}

@Test func detectSTRIPThresholdQuantile() {
    let h = (0..<40).map(Double.init)
    // ⌊0.05 · 40⌋ = 2 values (0 and 1) lie strictly below the threshold 2.
    #expect(STRIP.threshold(sortedCleanEntropies: h, falseRejectionRate: 0.05) == 2)
    #expect(STRIP.threshold(sortedCleanEntropies: h, falseRejectionRate: 0) == 0)
}

@Test func detectSpectralOnPlantedFeatures() throws {
    // One class: 90 points spread isotropically in 4-D plus 10 shifted far along one axis.
    var rng = SeededGenerator(seed: 2)
    var f: [Float] = []
    for i in 0..<100 {
        for j in 0..<4 { f.append(Float.random(in: -1...1, using: &rng) + (i >= 90 && j == 2 ? 6 : 0)) }
    }
    let result = try SpectralSignatures(expectedPoisonRate: 0.1, removalMultiplier: 1.0)
        .detect(features: Tensor(shape: [100, 4], scalars: f), labels: [Int](repeating: 0, count: 100))
    #expect(result.flaggedIndices == Array(90..<100))
    let uncentred = try SpectralSignatures(expectedPoisonRate: 0.1, removalMultiplier: 1.0, projection: .uncentred)
        .detect(features: Tensor(shape: [100, 4], scalars: f), labels: [Int](repeating: 0, count: 100))
    #expect(uncentred.flaggedIndices == Array(90..<100))
    let clustering = try ActivationClustering(dimensions: 2).detect(features: Tensor(shape: [100, 4], scalars: f),
                                                                    labels: [Int](repeating: 0, count: 100))
    #expect(clustering.flaggedIndices == Array(90..<100))
    #expect(throws: PoisoningError.self) {
        try SpectralSignatures(expectedPoisonRate: 0).detect(features: Tensor(shape: [100, 4], scalars: f), labels: [Int](repeating: 0, count: 100))
    }
}

@Test func detectSpectralRobustCentreIgnoresTheCleanMajoritysFarSide() throws {
    // 150 clean points spread along axis 2 (uniform in ±2) and 50 poison points tight at +4: the
    // poison drags the mean to about +1, so the paper's score (from the mean) ranks clean points
    // near −2 about as high as the poison; measured from the median, the poison stands out.
    var rng = SeededGenerator(seed: 7)
    var f: [Float] = []
    for i in 0..<200 {
        for j in 0..<4 {
            if j == 2 { f.append(i < 150 ? Float.random(in: -2...2, using: &rng) : 4 + Float.random(in: -0.2...0.2, using: &rng)) }
            else { f.append(Float.random(in: -1...1, using: &rng)) }
        }
    }
    let labels = [Int](repeating: 0, count: 200)
    for features in [f, f.enumerated().map { $0.offset % 4 == 2 ? -$0.element : $0.element }] {  // and mirrored
        let x = Tensor(shape: [200, 4], scalars: features)
        let robust = try SpectralSignatures(expectedPoisonRate: 0.25, removalMultiplier: 1.0).detect(features: x, labels: labels)
        #expect(robust.parameters["projection"] == "robust")
        #expect(robust.flaggedIndices.sorted() == Array(150..<200))
        let centred = try SpectralSignatures(expectedPoisonRate: 0.25, removalMultiplier: 1.0, projection: .centred)
            .detect(features: x, labels: labels)
        #expect(Set(centred.flaggedIndices).intersection(150..<200).count <= 50)
    }
}
