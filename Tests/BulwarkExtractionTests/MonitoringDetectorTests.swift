import BulwarkData
import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Testing

/// The victim (nearest centroids of test rows 0..<2000) and an attacker's transcript: a
/// Jacobian-augmentation-like stream from 10 seeds (rows 5000..<5010), 6 rounds, 640 queries,
/// sent through an oracle in batches of 10.
private func victimAndAttackTranscript() throws -> (NearestCentroidVictim, [QueryBatch], LabeledDataset) {
    let test = try #require(fashionTest)
    let victim = NearestCentroidVictim(test.prefix(2000))
    let attack = syntheticAugmentationStream(seeds: test.inputs.rows(5000..<5010), rounds: 6, step: 0.05, seed: 1)
    var oracle = ExtractionOracle(victim: victim, recordTranscript: true)
    for start in stride(from: 0, to: attack.shape[0], by: 10) { _ = try oracle.query(attack.rows(start..<min(start + 10, attack.shape[0]))) }
    return (victim, oracle.transcript, test)
}

@Test(.enabled(if: fashionPresent, "needs the Debian package dataset-fashion-mnist"))
func pradaFlagsSyntheticAugmentationButNotNaturalTrafficOfTenThousandQueries() throws {
    let (victim, transcript, test) = try victimAndAttackTranscript()
    let monitor = QueryMonitor(detectors: [try PRADADetector()])
    let detection = try MonitorEvaluation.detection(transcript: transcript, monitor: monitor)
    #expect(detection.queries == 640)
    let delay = try #require(detection.delay)
    // The first test runs once more than 100 distances exist: at query 110 or 120.
    #expect(delay <= 200, "PRADA needed \(delay) queries")
    let alert = try #require(detection.alerts.first)
    #expect(alert.detector == "prada" && alert.statistic == "shapiro-wilk-w" && alert.direction == "below")
    #expect(alert.value < alert.threshold && alert.threshold == PRADADetector.defaultDelta)
    #expect(alert.clientQueryIndex + 1 == delay)

    // Five users, 2000 disjoint natural test images each, interleaved batch by batch.
    let traffic = test.subset(Array(5000..<10000)).inputs
    let streams = try ClientStream.benign(inputs: traffic, victim: victim, clients: 5, queriesPerClient: 1000, seed: 3)
        + ClientStream.benign(inputs: traffic, victim: victim, clients: 5, queriesPerClient: 1000, seed: 4).map {
            ClientStream(client: $0.client + "b", batches: $0.batches)
        }
    let benign = try MonitorEvaluation.falseAlarms(streams: streams, monitor: monitor)
    #expect(benign.queries == 10_000 && benign.clients == 10)
    #expect(benign.alerts == 0, "false alarms: \(benign.alertList)")
}

@Test(.enabled(if: fashionPresent, "needs the Debian package dataset-fashion-mnist"))
func coverageDetectorCalibratedOnBenignTrafficFlagsTheAttackOnly() throws {
    let (victim, transcript, test) = try victimAndAttackTranscript()
    let calibrationSet = test.subset(Array(2000..<5000))
    let calibration = try CoverageDetector.fit(benign: calibrationSet.inputs, predictedClasses: victim.labels(calibrationSet.inputs), window: 100, bits: 10, seed: 5)
    #expect(calibration.benignWindows == 30)
    #expect(calibration.cellEntropyBand.lowerBound > 0 && calibration.cellEntropyBand.upperBound <= 6.644)
    let monitor = QueryMonitor(detectors: [CoverageDetector(calibration: calibration)])
    let detection = try MonitorEvaluation.detection(transcript: transcript, monitor: monitor)
    let alert = try #require(detection.alerts.first)
    #expect(detection.delay == 100, "the first full window already departs from benign traffic")
    #expect(alert.statistic == "cell-entropy" && alert.direction == "below" && alert.value < alert.threshold)

    let streams = try ClientStream.benign(inputs: test.subset(Array(5000..<10000)).inputs, victim: victim, clients: 5, queriesPerClient: 600, seed: 9)
    let benign = try MonitorEvaluation.falseAlarms(streams: streams, monitor: monitor)
    #expect(benign.queries == 3000)
    #expect(benign.alerts == 0, "false alarms: \(benign.alertList)")
}

@Test(.enabled(if: fashionPresent, "needs the Debian package dataset-fashion-mnist"))
func monitorKeepsInterleavedClientsApart() throws {
    let (victim, transcript, test) = try victimAndAttackTranscript()
    var monitor = QueryMonitor(detectors: [try PRADADetector(), CoverageDetector(calibration: try CoverageDetector.fit(
        benign: test.inputs.rows(2000..<4000), predictedClasses: victim.labels(test.inputs.rows(2000..<4000))))])
    let users = try ClientStream.benign(inputs: test.inputs.rows(6000..<10000), victim: victim, clients: 2, queriesPerClient: 640, batchSize: 10, seed: 2)
    for (b, batch) in transcript.enumerated() {
        try monitor.observe(client: "attacker", inputs: batch.inputs, outputs: batch.outputs)
        for user in users { try monitor.observe(client: user.client, inputs: user.batches[b].inputs, outputs: user.batches[b].outputs) }
    }
    #expect(monitor.queriesSeen == 3 * 640)
    #expect(monitor.queriesPerClient == ["attacker": 640, "user-0": 640, "user-1": 640])
    #expect(Set(monitor.alerts.map(\.client)) == ["attacker"])
    #expect(Set(monitor.alerts.map(\.detector)) == ["prada", "coverage"])
    for alert in monitor.alerts {
        // Batches of 10 from three clients in turn: the attacker's query q is stream query 30·(q/10) + q%10.
        #expect(alert.streamIndex == 30 * (alert.clientQueryIndex / 10) + alert.clientQueryIndex % 10)
    }
    #expect(throws: ExtractionError.self) { try monitor.observe(client: "x", inputs: Tensor.zeros([2, 1, 28, 28]), outputs: Tensor.zeros([3, 10])) }
}

@Test func detectorsRefuseBadSettings() {
    #expect(throws: ExtractionError.self) { try PRADADetector(delta: 0) }
    #expect(throws: ExtractionError.self) { try PRADADetector(delta: 1.5) }
    #expect(throws: ExtractionError.self) { try PRADADetector(minimumDistances: 2) }
    #expect(throws: ExtractionError.self) { try PRADADetector(testInterval: 0) }
    let inputs = Tensor.zeros([50, 4])
    #expect(throws: ExtractionError.self) { try CoverageDetector.fit(benign: inputs, predictedClasses: [Int](repeating: 0, count: 50), window: 30) }
    #expect(throws: ExtractionError.self) { try CoverageDetector.fit(benign: inputs, predictedClasses: [0], window: 10) }
    #expect(throws: ExtractionError.self) { try CoverageDetector.fit(benign: inputs, predictedClasses: [Int](repeating: 0, count: 50), window: 10, bits: 0) }
    #expect(throws: ExtractionError.self) { try ClientStream.benign(inputs: inputs, victim: Constant(), clients: 6, queriesPerClient: 10) }
}

/// A victim answering class 0 for 4-feature inputs.
private struct Constant: QueryClassifier {
    var inputShape: [Int] { [4] }
    var classCount: Int { 2 }
    func probabilities(_ input: Tensor) -> Tensor { Tensor(shape: [input.shape[0], 2], scalars: (0..<input.shape[0]).flatMap { _ in [Float(1), 0] }) }
}

@Test func pradaFlagsAugmentationAroundFewSeedsInLowDimension() throws {
    // Without the dataset: natural traffic is i.i.d. N(0, I) in 16 dimensions, the attack
    // grows from 4 seeds by ±0.05 steps. Two classes by the sign of the first feature.
    struct Sign: QueryClassifier {
        var inputShape: [Int] { [16] }
        var classCount: Int { 2 }
        func probabilities(_ input: Tensor) -> Tensor {
            Tensor(shape: [input.shape[0], 2], scalars: (0..<input.shape[0]).flatMap { r in input.scalars[r * 16] > 0 ? [Float(0.2), 0.8] : [0.8, 0.2] })
        }
    }
    var rng = SeededGenerator(seed: 11)
    let natural = Tensor(shape: [600, 16], scalars: (0..<(600 * 16)).map { _ in rng.nextNormal() })
    let seeds = natural.rows(0..<4)
    var points = seeds.scalars
    while points.count < 600 * 16 {
        let count = points.count / 16
        for p in 0..<count where points.count < 600 * 16 {
            for k in 0..<16 { points.append(points[p * 16 + k] + (rng.next() & 1 == 0 ? 0.05 : -0.05)) }
        }
    }
    let attack = Tensor(shape: [600, 16], scalars: points)
    let monitor = QueryMonitor(detectors: [try PRADADetector()])
    let flagged = try MonitorEvaluation.detection(transcript: [QueryBatch(inputs: attack, outputs: Sign().probabilities(attack))], monitor: monitor)
    #expect(flagged.delay != nil)
    let quiet = try MonitorEvaluation.detection(transcript: [QueryBatch(inputs: natural, outputs: Sign().probabilities(natural))], monitor: monitor)
    #expect(quiet.delay == nil, "\(quiet.alerts)")
}

@Test(.enabled(if: fashionPresent, "needs the Debian package dataset-fashion-mnist"))
func pradaDeltaCalibratedOnBenignUsersStaysBelowTheirLowestStatisticAndStillFlagsAugmentation() throws {
    let (victim, transcript, test) = try victimAndAttackTranscript()
    // calibration traffic: test rows 2000..<5000 (disjoint from the victim's centroids and the attack seeds)
    let calibration = try ClientStream.benign(inputs: test.subset(Array(2000..<5000)).inputs, victim: victim, clients: 3, queriesPerClient: 1000, seed: 5)
    let delta = try #require(try PRADADetector.calibratedDelta(benign: calibration))
    #expect(delta <= PRADADetector.defaultDelta && delta > 0.5)
    // replaying the calibration traffic with the calibrated δ flags nobody: δ is below every W it reached
    let monitor = QueryMonitor(detectors: [try PRADADetector(delta: delta)])
    #expect(try MonitorEvaluation.falseAlarms(streams: calibration, monitor: monitor).alerts == 0)
    // and the augmentation attack is still caught
    #expect(try MonitorEvaluation.detection(transcript: transcript, monitor: monitor).delay != nil)
    // too little traffic for a test gives no calibration, rather than a made-up δ
    let short = try ClientStream.benign(inputs: test.subset(Array(2000..<2050)).inputs, victim: victim, clients: 1, queriesPerClient: 50, seed: 5)
    #expect(try PRADADetector.calibratedDelta(benign: short) == nil)
}

/// A client repeating queries it already sent does not grow PRADA's growing set: a repeat's
/// distance to its own member is exactly 0 (the expanded ‖g‖² − 2g·x + ‖x‖² made it a small
/// positive number that joined the set, so the set, and the cost of every later query, grew
/// with each repeat). Inputs like images in [0, 1] with a few hundred values.
@Test func pradaRepeatsDoNotGrowTheGrowingSet() throws {
    var detector = try PRADADetector()
    var rng = SeededGenerator(seed: 5)
    let width = 784
    let distinct = (0..<3).map { _ in (0..<width).map { _ in Float.random(in: 0...1, using: &rng) } }
    let output: [Float] = [0.9, 0.1]
    var afterFirstRound = 0
    for k in 0..<300 {
        let input = distinct[k % 3]
        _ = detector.observe(ObservedQuery(client: "repeater", streamIndex: k, clientIndex: k, input: input[...], output: output[...]))
        if k == 2 { afterFirstRound = detector.growingSetSize(client: "repeater") }
    }
    #expect((1...3).contains(afterFirstRound))
    #expect(detector.growingSetSize(client: "repeater") == afterFirstRound)
}
