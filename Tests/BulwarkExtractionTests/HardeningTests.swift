import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Testing

/// A victim whose input rows are logits: answers their softmax (inputs `N × 5`).
private struct SoftmaxOfInput: QueryClassifier {
    var inputShape: [Int] { [5] }
    var classCount: Int { 5 }
    func probabilities(_ input: Tensor) -> Tensor { input.softmax(axis: -1) }
}

/// 64 seeded rows of logits with a clear maximum each.
private func logits(_ seed: UInt64 = 3, rows: Int = 64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor(shape: [rows, 5], scalars: (0..<(rows * 5)).map { _ in 2 * rng.nextNormal() })
}

private func rows(_ t: Tensor) -> [[Float]] {
    let c = t.shape[1]
    return (0..<t.shape[0]).map { Array(t.scalars[($0 * c)..<(($0 + 1) * c)]) }
}

private func hardened(_ h: OutputHardening, seed: UInt64 = 0) throws -> HardenedQueryClassifier {
    try HardenedQueryClassifier(SoftmaxOfInput(), hardening: h, seed: seed)
}

@Test func labelsOnlyAnswersTheOneHotArgmax() throws {
    let x = logits()
    let answers = try hardened(.labelsOnly).probabilities(x)
    let truth = SoftmaxOfInput().labels(x)
    for (row, label) in zip(rows(answers), truth) {
        #expect(row == (0..<5).map { $0 == label ? 1 : 0 })
    }
}

@Test func topKKeepsTheKLargestZeroedOrRenormalised() throws {
    let x = logits()
    let p = rows(SoftmaxOfInput().probabilities(x))
    let zeroed = rows(try hardened(.topK(2, renormalise: false)).probabilities(x))
    let renormalised = rows(try hardened(.topK(2, renormalise: true)).probabilities(x))
    for r in p.indices {
        let top2 = Set(p[r].indices.sorted { p[r][$0] > p[r][$1] }.prefix(2))
        for i in 0..<5 {
            #expect(zeroed[r][i] == (top2.contains(i) ? p[r][i] : 0))
        }
        let kept = top2.reduce(Float(0)) { $0 + p[r][$1] }
        for i in top2 { #expect(abs(renormalised[r][i] - p[r][i] / kept) < 1e-6) }
        #expect(abs(renormalised[r].reduce(0, +) - 1) < 1e-5)
        #expect(renormalised[r].filter { $0 == 0 }.count == 3)
    }
    // k ≥ class count leaves the answer alone.
    #expect(try hardened(.topK(5, renormalise: true)).probabilities(x) == SoftmaxOfInput().probabilities(x))
}

@Test func roundingIsExactToDDecimals() throws {
    let x = logits()
    let p = rows(SoftmaxOfInput().probabilities(x))
    for d in [0, 1, 2, 4] {
        let scale = [1.0, 10, 100, 1000, 10000][d]
        let answers = rows(try hardened(.rounding(decimals: d)).probabilities(x))
        for r in p.indices {
            for i in 0..<5 {
                // Exactly the Float nearest to a multiple of 10⁻ᵈ.
                let multiple = (Double(answers[r][i]) * scale).rounded()
                #expect(answers[r][i] == Float(multiple / scale))
                #expect(abs(Double(answers[r][i]) - Double(p[r][i])) <= 0.5 / scale + 1e-6)
            }
        }
    }
    // A known row: 0.123456 → 0.12 at two decimals, 0.5 → 1 at none (half away from zero).
    let known = OutputHardening.rounding(decimals: 2).apply(to: Tensor(shape: [1, 3], scalars: [0.123456, 0.376544, 0.5]), inputs: Tensor.zeros([1, 1]), seed: 0)
    #expect(known.scalars == [0.12, 0.38, 0.5])
    #expect(OutputHardening.rounding(decimals: 0).apply(to: Tensor(shape: [1, 2], scalars: [0.5, 0.5]), inputs: Tensor.zeros([1, 1]), seed: 0).scalars == [1, 1])
}

@Test func reverseSigmoidKeepsTheArgmaxAndChangesTheProbabilities() throws {
    let x = logits(rows: 200)
    let p = SoftmaxOfInput().probabilities(x)
    for (beta, gamma) in [(0.5, 0.1), (1.0, 0.1), (3.0, 0.5), (10.0, 2.0)] {
        let answers = try hardened(.reverseSigmoid(beta: beta, gamma: gamma)).probabilities(x)
        #expect(answers.argmaxRows() == p.argmaxRows(), "β=\(beta) γ=\(gamma)")
        for row in rows(answers) {
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
            #expect(row.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        let moved = zip(answers.scalars, p.scalars).reduce(Float(0)) { $0 + abs($1.0 - $1.1) } / 200
        #expect(moved > 0.01, "β=\(beta) γ=\(gamma) moved only \(moved)")
    }
    // With β = γ = 1 every y maps to y − (y − 1/2) = 1/2: the answer is uniform.
    let uniform = OutputHardening.reverseSigmoid(beta: 1, gamma: 1).apply(to: Tensor(shape: [1, 4], scalars: [0.7, 0.2, 0.06, 0.04]), inputs: Tensor.zeros([1, 1]), seed: 0)
    for v in uniform.scalars { #expect(abs(v - 0.25) < 1e-6) }
}

@Test func gaussianNoiseIsSeededPerRowAndReproducible() throws {
    let x = logits(rows: 40)
    let a = try hardened(.gaussianNoise(sigma: 0.1, preserveArgmax: false), seed: 7).probabilities(x)
    let again = try hardened(.gaussianNoise(sigma: 0.1, preserveArgmax: false), seed: 7).probabilities(x)
    #expect(a == again)
    // The noise of a row does not depend on the rest of the batch.
    let firstTen = try hardened(.gaussianNoise(sigma: 0.1, preserveArgmax: false), seed: 7).probabilities(x.rows(0..<10))
    #expect(firstTen.scalars == Array(a.scalars[0..<50]))
    let otherSeed = try hardened(.gaussianNoise(sigma: 0.1, preserveArgmax: false), seed: 8).probabilities(x)
    #expect(otherSeed != a)
    for row in rows(a) {
        #expect(abs(row.reduce(0, +) - 1) < 1e-5)
        #expect(row.allSatisfy { $0 >= 0 })
    }
    // Large noise moves some argmaxes unless asked to keep them.
    let p = SoftmaxOfInput().probabilities(x)
    let loud = try hardened(.gaussianNoise(sigma: 1, preserveArgmax: false), seed: 1).probabilities(x)
    #expect(loud.argmaxRows() != p.argmaxRows())
    let kept = try hardened(.gaussianNoise(sigma: 1, preserveArgmax: true), seed: 1).probabilities(x)
    #expect(kept.argmaxRows() == p.argmaxRows())
}

@Test func hardeningSpecsParseAndBadOnesFailOnOneLine() throws {
    #expect(try OutputHardening(parsing: "labels") == .labelsOnly)
    #expect(try OutputHardening(parsing: "top-k=3") == .topK(3, renormalise: false))
    #expect(try OutputHardening(parsing: "top-k=2,renormalise") == .topK(2, renormalise: true))
    #expect(try OutputHardening(parsing: "round=2") == .rounding(decimals: 2))
    #expect(try OutputHardening(parsing: "reverse-sigmoid=0.7") == .reverseSigmoid(beta: 0.7, gamma: 0.1))
    #expect(try OutputHardening(parsing: "reverse-sigmoid=0.7,0.4") == .reverseSigmoid(beta: 0.7, gamma: 0.4))
    #expect(try OutputHardening(parsing: "noise=0.05") == .gaussianNoise(sigma: 0.05, preserveArgmax: false))
    #expect(try OutputHardening(parsing: "noise=0.05,keep-argmax") == .gaussianNoise(sigma: 0.05, preserveArgmax: true))
    for spec in ["labels", "top-k=2,renormalise", "round=3", "noise=0.5,keep-argmax"] {
        #expect(try OutputHardening(parsing: spec).description == spec)
    }
    for bad in ["", "labels=1", "top-k=0", "top-k=x", "top-k=2,zeroed", "round=-1", "round=9", "reverse-sigmoid=0", "reverse-sigmoid=1,nan",
                "noise=0", "noise=-1", "noise=1,always", "blur=3", "round=2\nlabels"] {
        let error = #expect(throws: ExtractionError.self, "\(bad)") { try OutputHardening(parsing: bad) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message.contains("\n") == false)
    }
    #expect(throws: ExtractionError.self) { try HardenedQueryClassifier(SoftmaxOfInput(), hardening: .rounding(decimals: 7)) }
}

@Test func hardeningCostOfLabelsOnlyIsKnown() throws {
    let x = logits(rows: 100)
    let p = SoftmaxOfInput().probabilities(x)
    // Labels: the argmax for 80 rows, another class for 20.
    let predicted = p.argmaxRows()
    let labels = predicted.enumerated().map { $0.offset < 80 ? $0.element : ($0.element + 1) % 5 }
    let cost = try HardeningCost(victim: SoftmaxOfInput(), hardening: .labelsOnly, inputs: x, labels: labels)
    #expect(cost.accuracyBefore == 0.8 && cost.accuracyAfter == 0.8)
    // Confidence 1 everywhere: one bin, |0.8 − 1|.
    #expect(abs(cost.calibrationErrorAfter - 0.2) < 1e-12)
    // L1 from p to the one-hot of its argmax is 2 (1 − max p).
    let expectedL1 = (0..<100).reduce(0.0) { $0 + 2 * (1 - Double(p.scalars[$1 * 5 + predicted[$1]])) } / 100
    #expect(abs(cost.meanL1Change - expectedL1) < 1e-5)
    #expect(cost.calibrationErrorBefore > 0 && cost.calibrationErrorBefore < 1)
    let rounded = try HardeningCost(victim: SoftmaxOfInput(), hardening: .rounding(decimals: 3), inputs: x, labels: labels)
    #expect(rounded.meanL1Change < 5 * 0.0005 + 1e-6)
    #expect(throws: ExtractionError.self) { try HardeningCost(victim: SoftmaxOfInput(), hardening: .labelsOnly, inputs: x, labels: [1, 2]) }
    #expect(throws: ExtractionError.self) { try HardeningCost(victim: SoftmaxOfInput(), hardening: .labelsOnly, inputs: x, labels: labels.map { _ in 9 }) }
}
