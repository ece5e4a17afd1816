import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Foundation
import Testing

/// Four 1×4×4 images: two of class 0 (dark) and two of class 1 (bottom-right pixel bright).
private func cornerSet() -> (Tensor, [Int]) {
    var s = [Float](repeating: 0, count: 4 * 16)
    s[2 * 16 + 15] = 1
    s[3 * 16 + 15] = 1
    return (Tensor(shape: [4, 1, 4, 4], scalars: s), [0, 0, 1, 1])
}

@Test func metricsOfAKnownBackdooredClassifier() throws {
    let (x, y) = cornerSet()
    let model = CornerClassifier()
    #expect(try PoisoningMetrics.cleanAccuracy(model: model, inputs: x, labels: y) == 1)
    // a white patch on the corner turns both class-0 inputs into class 1; target-class rows are not counted
    let asr = try PoisoningMetrics.attackSuccessRate(model: model, inputs: x, labels: y, trigger: .whiteSquare(size: 1), targetClass: 1)
    #expect(asr.rate == 1 && asr.count == 2)
    // a patch elsewhere never fires the backdoor
    let miss = try PoisoningMetrics.attackSuccessRate(model: model, inputs: x, labels: y, trigger: .whiteSquare(size: 1, position: .topLeft), targetClass: 1)
    #expect(miss.rate == 0)
    #expect(try PoisoningMetrics.victimTargetRate(model: model, victims: x.gatherRows([0, 1, 2]), targetClass: 1) == 1.0 / 3)
}

@Test func evaluationReportsDeltasAgainstTheCleanModel() throws {
    let (x, y) = cornerSet()
    let evaluation = try PoisoningEvaluation(poisoned: CornerClassifier(), clean: stripeFreeConstant(), testInputs: x, testLabels: y,
                                             targetClass: 1, trigger: .whiteSquare(size: 1), victims: x.gatherRows([0]))
    #expect(evaluation.poisoned.cleanAccuracy == 1)
    #expect(evaluation.clean?.cleanAccuracy == 0.5)
    #expect(evaluation.cleanAccuracyDelta == 0.5)
    #expect(evaluation.attackSuccessDelta == 1)
    #expect(evaluation.victimTargetDelta == 0)
    let encoded = try JSONEncoder().encode(evaluation)
    #expect(try JSONDecoder().decode(PoisoningEvaluation.self, from: encoded) == evaluation)
}

@Test func metricsRefuseMismatchedInputsInOneLine() {
    let (x, y) = cornerSet()
    #expect(throws: PoisoningError(.shapeMismatch, "4 test inputs but 3 labels")) {
        try PoisoningMetrics.cleanAccuracy(model: CornerClassifier(), inputs: x, labels: Array(y.dropLast()))
    }
    #expect(throws: PoisoningError(.invalidParameter, "no test input outside the target class 0 to trigger")) {
        try PoisoningMetrics.attackSuccessRate(model: CornerClassifier(), inputs: x.gatherRows([0, 1]), labels: [0, 0], trigger: .whiteSquare(size: 1), targetClass: 0)
    }
}

/// A classifier that always answers class 0 (a "clean" model with no backdoor).
private func stripeFreeConstant() -> some DifferentiableClassifier { ConstantClassifier() }

private struct ConstantClassifier: DifferentiableClassifier {
    var inputShape: [Int] { [1, 4, 4] }
    var classCount: Int { 2 }
    func logits(_ input: Variable) -> Variable {
        let n = input.shape[0]
        return input.flattened().sum(axes: [1], keepDims: true) * 0 + input.tape.constant(Tensor(shape: [1, 2], scalars: [1, 0])) + input.tape.constant(Tensor.zeros([n, 2]))
    }
}
