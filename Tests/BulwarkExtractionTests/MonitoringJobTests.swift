import BulwarkData
import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Testing

@Test(.enabled(if: fashionPresent, "needs the Debian package dataset-fashion-mnist"))
func monitorJobReplaysAnInterleavedStreamAndFlagsTheAttackerOnly() throws {
    let test = try #require(fashionTest)
    let victim = NearestCentroidVictim(test.prefix(2000))
    let attack = syntheticAugmentationStream(seeds: test.inputs.rows(5000..<5010), rounds: 5, step: 0.05, seed: 1)   // 320 queries
    let natural = test.inputs.rows(6000..<6640)
    // Client 7 attacks; clients 1 and 2 send natural images; one query each in turn.
    var rows: [Tensor] = [], ids: [Int] = []
    for q in 0..<320 {
        rows += [attack.rows(q..<(q + 1)), natural.rows(q..<(q + 1)), natural.rows((320 + q)..<(321 + q))]
        ids += [7, 1, 2]
    }
    let queries = Tensor.concatenateRows(rows)
    let result = try MonitorJob.run(queries: queries, clients: ids, victim: victim, detectors: .all, benign: test.inputs.rows(2000..<4000))
    #expect(result.queries == 960 && result.detectors == ["prada", "coverage"])
    #expect(result.clients.map(\.client) == ["1", "2", "7"] && result.clients.allSatisfy { $0.queries == 320 })
    #expect(result.clients.filter { $0.firstAlertAfter != nil }.map(\.client) == ["7"])
    #expect(result.benignWindows == 20 && result.cellEntropyBand?.count == 2)
    for alert in result.alerts { #expect(alert.streamIndex == 3 * alert.clientQueryIndex) }

    // Answers through a hardening defence still feed the detectors (labels keep the argmax PRADA needs).
    let hardened = try HardenedQueryClassifier(victim, hardening: .labelsOnly)
    let pradaOnly = try MonitorJob.run(queries: queries, clients: ids, victim: hardened, detectors: .prada, benign: nil)
    #expect(pradaOnly.clients.filter { $0.firstAlertAfter != nil }.map(\.client) == ["7"])
}

@Test func monitorJobRefusesMismatchedInputs() throws {
    struct Two: QueryClassifier {
        var inputShape: [Int] { [3] }
        var classCount: Int { 2 }
        func probabilities(_ input: Tensor) -> Tensor { Tensor(repeating: 0.5, shape: [input.shape[0], 2]) }
    }
    let queries = Tensor.zeros([20, 3])
    let shape = #expect(throws: ExtractionError.self) { try MonitorJob.run(queries: Tensor.zeros([20, 4]), clients: nil, victim: Two(), detectors: .prada, benign: nil) }
    #expect(shape?.code == .shapeMismatch)
    let count = #expect(throws: ExtractionError.self) { try MonitorJob.run(queries: queries, clients: [1, 2], victim: Two(), detectors: .prada, benign: nil) }
    #expect(count?.code == .shapeMismatch)
    let benign = #expect(throws: ExtractionError.self) { try MonitorJob.run(queries: queries, clients: nil, victim: Two(), detectors: .coverage, benign: nil) }
    #expect(benign?.code == .invalidParameter)
    #expect(try MonitorJob.run(queries: queries, clients: nil, victim: Two(), detectors: .prada, benign: nil).alerts.isEmpty)
}
