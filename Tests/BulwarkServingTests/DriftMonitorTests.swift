import BulwarkModels
import BulwarkPoisoning
@testable import BulwarkServing
import BulwarkTensor
import Foundation
import Testing

/// A monitor over a reference of 1000 synthetic images: window 300, evaluated every 100.
private func makeMonitor(sink: (any AlertSink)? = nil) throws -> (DriftMonitor, Sequential, SyntheticImages) {
    let images = SyntheticImages()
    let model = try driftTestModel()
    let reference = try DriftReference.make(inputs: images.batch(1000, seed: 1).inputs, model: model, modelName: "synthetic",
                                            options: DriftReferenceOptions(embeddingSampleSize: 300))
    let configuration = DriftMonitorConfiguration(windowSize: 300, evaluationInterval: 100, mmdWindowSize: 100, mmdPermutations: 200)
    return (try DriftMonitor(reference: reference, configuration: configuration, sink: sink), model, images)
}

/// Streams `count` examples in batches of 20 and returns the reports of the evaluations.
private func stream(_ monitor: DriftMonitor, _ model: Sequential, _ images: SyntheticImages, count: Int, seed: UInt64,
                    brightness: Float = 0) throws -> (reports: [DriftReport], alerts: [Alert]) {
    let (inputs, _) = images.batch(count, seed: seed, brightness: brightness)
    var reports: [DriftReport] = [], alerts: [Alert] = []
    for start in stride(from: 0, to: count, by: 20) {
        let batch = inputs.rows(start..<min(count, start + 20))
        let observation = try monitor.observe(inputs: batch, predictions: model.predictions(batch),
                                              embeddings: try monitor.reference.embeddingSource.embeddings(batch, model: model))
        if let report = observation.report { reports.append(report) }
        alerts += observation.alerts
    }
    return (reports, alerts)
}

@Test func driftReferenceProfilesSummaryStatisticsAndPenultimateEmbeddings() throws {
    let (monitor, _, _) = try makeMonitor()
    let reference = monitor.reference
    #expect(reference.featureMode == .summaryStatistics)
    #expect(reference.features.map(\.name) == ["c0.mean", "c0.std", "c0.min", "c0.max"])
    #expect(reference.embeddingSource == .penultimateLayer)
    #expect(reference.embeddingDimension == 32 && reference.embeddingCount == 300)
    #expect(reference.labels.counts.reduce(0, +) == 1000 && reference.labelSource == .modelPredictions)
    #expect(try #require(monitor.mmdThreshold) > 0)
    // JSON round trip, and a version this build does not know is refused.
    let bytes = try reference.jsonBytes()
    #expect(try DriftReference.decode(bytes) == reference)
    let future = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: #""version":1"#, with: #""version":9"#)
    #expect(throws: ServingError.self) { try DriftReference.decode(Array(future.utf8)) }
    // Wrong shapes are refused before anything is recorded.
    #expect(throws: ServingError.self) { try monitor.observe(inputs: Tensor.zeros([2, 1, 28, 28]), predictions: [0, 0]) }
    #expect(throws: ServingError.self) { try monitor.observe(inputs: Tensor.zeros([2, 1, 12, 12]), predictions: [0, 11]) }
    #expect(monitor.snapshot().examplesSeen == 0)
}

@Test func driftMonitorStaysQuietOnTheReferenceDistribution() throws {
    let (monitor, model, images) = try makeMonitor()
    let (reports, alerts) = try stream(monitor, model, images, count: 1200, seed: 2)
    #expect(reports.count == 10)  // first at 300 examples, then every 100
    for report in reports {
        #expect(!report.drifted, "\(report.statistics.filter(\.drifted).map { "\($0.kind.rawValue)=\($0.value)" })")
        #expect(report.statistics.map(\.kind) == [.inputPSI, .inputKS, .embeddingMMD, .predictionPSI])
    }
    #expect(alerts.isEmpty)
    let snapshot = monitor.snapshot()
    #expect(snapshot.examplesSeen == 1200 && snapshot.windowSize == 300 && snapshot.time != nil)
}

@Test func driftMonitorFlagsABrightnessShiftWithOneAlertPerStatistic() async throws {
    let sink = CollectingAlertSink()
    let (monitor, model, images) = try makeMonitor(sink: sink)
    _ = try stream(monitor, model, images, count: 300, seed: 2)
    let (reports, alerts) = try stream(monitor, model, images, count: 900, seed: 3, brightness: 0.15)
    let last = try #require(reports.last)
    #expect(last.statistic(.inputPSI)?.drifted == true)
    #expect(last.statistic(.inputKS)?.drifted == true)
    #expect(last.statistic(.embeddingMMD)?.drifted == true)
    // Several evaluations found drift, yet each statistic alerted once.
    #expect(reports.filter { $0.statistic(.inputKS)?.drifted == true }.count >= 3)
    let kinds = alerts.compactMap { $0.details["statistic"] }
    #expect(Set(kinds).count == kinds.count && kinds.contains("input_ks") && kinds.contains("embedding_mmd"))
    #expect(alerts.allSatisfy { $0.kind == .drift && $0.model == "synthetic" && $0.severity == .warning })
    #expect(monitor.snapshot().alertsRaised == alerts.count)
    let delivered = await sink.waitFor(alerts.count)
    #expect(Set(delivered.map(\.id)) == Set(alerts.map(\.id)))
}

@Test func driftMonitorAlertsAgainOnlyAfterRecovery() throws {
    let (monitor, model, images) = try makeMonitor()
    var reports: [DriftReport] = [], alerts: [Alert] = []
    for (phase, brightness) in [Float(0), 0.15, 0, 0.15].enumerated() {
        let run = try stream(monitor, model, images, count: 600, seed: 10 + UInt64(phase), brightness: brightness)
        reports += run.reports
        alerts += run.alerts
    }
    for kind in DriftStatisticKind.allCases {
        let states = reports.compactMap { $0.statistic(kind)?.drifted }
        let turns = zip([false] + states, states).filter { !$0 && $1 }.count
        #expect(alerts.filter { $0.details["statistic"] == kind.rawValue }.count == turns, "\(kind.rawValue): \(states)")
    }
    #expect(alerts.filter { $0.details["statistic"] == "input_ks" }.count == 2)
}

@Test func driftReferenceTakesTheDatasetProfileLabelsAndComparesTablesPerFeature() throws {
    // A table of five features; feature 3 shifts by one standard deviation.
    var generator = SeededGenerator(seed: 5)
    func table(_ n: Int, shift: Float) -> Tensor {
        Tensor(shape: [n, 5], scalars: (0..<(n * 5)).map { k in generator.nextNormal() + (k % 5 == 3 ? shift : 0) })
    }
    let train = table(800, shift: 0)
    let labels = train.scalars.enumerated().filter { $0.offset % 5 == 0 }.map { $0.element > 0 ? 1 : 0 }
    let examples = try ValidationExamples(values: train.scalars, exampleShape: [5], labels: labels, classCount: 2)
    let profile = try DatasetProfile.make(examples, options: ProfileOptions(validRange: nil))
    let predictions = labels  // a perfect model
    let reference = try DriftReference.make(modelName: "table", inputs: train, predictions: predictions, classCount: 2, embeddings: nil,
                                            embeddingSource: .none, options: DriftReferenceOptions(labelProfile: profile))
    #expect(reference.featureMode == .perFeature && reference.features.count == 5)
    #expect(reference.labelSource == .datasetProfile && reference.labels == profile.labels)
    #expect(reference.embeddingSource == .none)
    let monitor = try DriftMonitor(reference: reference, configuration: DriftMonitorConfiguration(windowSize: 400, evaluationInterval: 400))
    #expect(monitor.mmdThreshold == nil)
    let shifted = table(400, shift: 1)
    let window = shifted.scalars.enumerated().filter { $0.offset % 5 == 0 }.map { $0.element > 0 ? 1 : 0 }
    let report = try #require(try monitor.observe(inputs: shifted, predictions: window).report)
    #expect(report.statistics.map(\.kind) == [.inputPSI, .inputKS, .predictionPSI])
    #expect(report.statistic(.inputKS)?.drifted == true)
    #expect(report.statistic(.inputKS)?.threshold == 0.01 / 5)
    let pValues = report.features.map(\.ksPValue)
    #expect(pValues[3] < 1e-10 && pValues.enumerated().filter { $0.offset != 3 }.allSatisfy { $0.element > 0.002 })
    #expect(report.statistic(.predictionPSI)?.drifted == false)
}

/// The window's MMD² (its cross sums against the reference kept per embedding as it arrives,
/// the ring wrapping several times, batches larger than the window included) is the statistic
/// computed directly on the last embeddings the window holds.
@Test func driftMonitorMMDMatchesTheDirectStatisticOnItsWindow() throws {
    let (monitor, model, images) = try makeMonitor()
    let (inputs, _) = images.batch(470, seed: 4)
    var kept: [Float] = []
    var last: DriftReport?
    var start = 0
    for size in [20, 130, 20, 150, 50, 100] {
        let batch = inputs.rows(start..<start + size)
        start += size
        let embeddings = try #require(try monitor.reference.embeddingSource.embeddings(batch, model: model))
        kept += embeddings.scalars
        if let report = try monitor.observe(inputs: batch, predictions: model.predictions(batch), embeddings: embeddings).report { last = report }
    }
    let report = try #require(last)
    let d = monitor.reference.embeddingDimension
    let window = Array(kept.suffix(100 * d))  // mmdWindowSize 100
    let direct = DriftStatistics.maximumMeanDiscrepancySquared(monitor.reference.embeddings, window, dimension: d,
                                                               bandwidth: monitor.reference.embeddingBandwidth)
    let mmd = try #require(report.statistic(.embeddingMMD)?.value)
    #expect(abs(mmd - direct) <= 1e-9 * max(1, abs(direct)), "window \(mmd), direct \(direct)")
}

/// The window's pairwise kernel values kept as embeddings arrive give the MMD² that recomputing
/// them at every evaluation gives, to the bit, through the ring's wrap-arounds.
@Test func driftMonitorCachedKernelGivesTheRecomputedStatisticExactly() throws {
    let (cached, model, images) = try makeMonitor()
    let recomputing = try DriftMonitor(reference: cached.reference, configuration: cached.configuration, sink: nil, kernelCacheLimit: 0)
    let (inputs, _) = images.batch(900, seed: 6)
    var start = 0, compared = 0
    for size in [20, 130, 7, 150, 50, 100, 33, 210, 200] {
        let batch = inputs.rows(start..<start + size)
        start += size
        let predictions = model.predictions(batch)
        let embeddings = try cached.reference.embeddingSource.embeddings(batch, model: model)
        let a = try cached.observe(inputs: batch, predictions: predictions, embeddings: embeddings).report
        let b = try recomputing.observe(inputs: batch, predictions: predictions, embeddings: embeddings).report
        #expect((a == nil) == (b == nil))
        if let a, let b {
            let x = try #require(a.statistic(.embeddingMMD)?.value), y = try #require(b.statistic(.embeddingMMD)?.value)
            #expect(x.bitPattern == y.bitPattern, "after \(start) examples: cached \(x), recomputed \(y)")
            compared += 1
        }
    }
    #expect(compared == 4)   // at 307, 457, 700 and 900 examples
}
