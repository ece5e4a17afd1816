import BulwarkExtraction
import Testing

@Test func extractionErrorIsOneLineAndKeepsItsCode() {
    let error = ExtractionError(.invalidParameter, "--queries must be at least 1,\ngot 0")
    #expect(error.code == .invalidParameter)
    #expect(!error.message.contains("\n"))
    #expect(error != ExtractionError(.io, "--queries must be at least 1, got 0"))
}

import BulwarkModels
import BulwarkTensor

/// A victim answering uniform probabilities over three classes for 2-feature inputs.
private struct Uniform: QueryClassifier {
    var inputShape: [Int] { [2] }
    var classCount: Int { 3 }
    func probabilities(_ input: Tensor) -> Tensor { Tensor(repeating: 1.0 / 3, shape: [input.shape[0], 3]) }
}

@Test func oracleChargesRowsRefusesOverBudgetAndRecords() throws {
    var oracle = ExtractionOracle(victim: Uniform(), budget: 5, recordTranscript: true)
    _ = try oracle.query(Tensor.zeros([3, 2]))
    #expect(oracle.queriesUsed == 3 && oracle.queriesLeft == 2)
    #expect(throws: ExtractionError.self) { try oracle.query(Tensor.zeros([3, 2])) }
    #expect(oracle.queriesUsed == 3)
    #expect(throws: ExtractionError.self) { try oracle.query(Tensor.zeros([1, 4])) }
    _ = try oracle.query(Tensor.zeros([2, 2]))
    #expect(oracle.transcript.map { $0.inputs.shape[0] } == [3, 2])
}
