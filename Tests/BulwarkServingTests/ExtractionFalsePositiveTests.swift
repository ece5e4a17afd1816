import BulwarkData
import BulwarkExtraction
import BulwarkModels
import BulwarkServing
import BulwarkTensor
import Foundation
import Testing

// Issue 20's attack mix on the library, without HTTP: 28 benign clients sending natural
// Fashion-MNIST test images one at a time, a Jacobian-augmentation extraction client (PRADA's
// attack) and a Knockoff-style client (natural images of another distribution), each attacker
// planning 2000 queries, all interleaved query by query through one DefencePipeline configured as
// `bulwark serve --defences` builds it (the README's defences.json with PRADA on, 500 reference
// images, answers rounded to 2 decimals before the detectors see them).

/// The served defences, as a `--defences` file gives them.
private let servedDefences = #"""
{"defaults": {"detectors": [{"kind": "featureSqueezing", "falsePositiveRate": 0.05, "action": "flag"}],
              "hardening": "round=2",
              "extraction": {"prada": true, "coverage": true}}}
"""#

/// The model as a query-only classifier.
private struct Answers: QueryClassifier {
    let model: Sequential
    var inputShape: [Int] { model.inputShape }
    var classCount: Int { model.classCount }
    func probabilities(_ input: Tensor) -> Tensor { model.logits(input).softmax(axis: -1) }
}

/// Knockoff-style transfer set: natural images the victim was not made for. No second image set
/// ships with Debian here, so Fashion-MNIST *training* images (never sent by the benign clients,
/// who send test images) are moved to another distribution: transposed (a quarter turn and a
/// flip) and inverted, like photographs of other objects on a light background.
private func knockoffQueries(_ images: Tensor) -> Tensor {
    let n = images.shape[0]
    var out = [Float](repeating: 0, count: n * 784)
    for i in 0..<n {
        for r in 0..<28 { for c in 0..<28 { out[i * 784 + c * 28 + r] = 1 - images.scalars[i * 784 + r * 28 + c] } }
    }
    return Tensor(shape: [n, 1, 28, 28], scalars: out)
}

/// Result of one mix: each client's standing after each of its queries.
private struct MixRun {
    var benign: [[ClientStanding.Level]]
    var attackers: [String: [ClientStanding.Level]]
    /// Alarms raised on the benign clients.
    var benignAlarms: [ExtractionAlert] = []

    /// The 1-based query count at which `client` first stood at `level` or above.
    func first(_ client: String, _ level: ClientStanding.Level) -> Int? {
        attackers[client]?.firstIndex { $0 >= level }.map { $0 + 1 }
    }
}

/// Sends the mix through `pipeline`, one query per request, round-robin over the clients that
/// still have queries; a blocked attacker stops (the gateway refuses it).
private func runMix(_ pipeline: DefencePipeline, model: Sequential, benign: [Tensor], attackers: [(String, Tensor)]) throws -> MixRun {
    var run = MixRun(benign: benign.map { _ in [] }, attackers: [:])
    let longest = max(benign.map { $0.shape[0] }.max() ?? 0, attackers.map { $0.1.shape[0] }.max() ?? 0)
    func send(_ client: String, _ x: Tensor) throws -> ClientStanding {
        let visible = pipeline.harden(probabilities: model.logits(x).softmax(axis: -1), inputs: x)
        return try pipeline.recordQueries(client: client, inputs: x, outputs: visible)
    }
    for q in 0..<longest {
        for (u, stream) in benign.enumerated() where q < stream.shape[0] {
            let standing = try send("user-\(u)", stream.rows(q..<(q + 1)))
            run.benign[u].append(standing.level)
            run.benignAlarms += standing.raised
        }
        for (name, stream) in attackers where q < stream.shape[0] && run.attackers[name]?.last != .blocked {
            run.attackers[name, default: []].append(try send(name, stream.rows(q..<(q + 1))).level)
        }
    }
    return run
}

@Test(.enabled(if: defenceFashionPresent, "needs the Debian package dataset-fashion-mnist"))
func extractionDetectionThrottlesAttackersEarlyAndLeavesNaturalClientsBelowThrottled() throws {
    let data = try #require(defenceFashion)
    let model = try #require(defenceModel)
    let train = try FashionMNIST.load(.train)
    let policy = try DefencePolicy.decode(json: Data(servedDefences.utf8), source: "defences.json")
    // 500 reference images, as `--calibration-data x_cal.npy` in the README's run.
    let rx = data.inputs.rows(2000..<2500), ry = Array(data.labels[2000..<2500])
    // 28 benign clients, 250 distinct test images each, in test-set order (rows 3000..<10000).
    let benign = (0..<28).map { u in data.inputs.rows((3000 + 250 * u)..<(3250 + 250 * u)) }
    let planned = 2000
    let jacobian = augmentationStream(seeds: data.inputs.rows(2500..<2510), rounds: 8, step: 0.05, seed: 1).rows(0..<planned)
    let knockoff = knockoffQueries(train.inputs.rows(0..<planned))
    let attackers = [("jacobian", jacobian), ("knockoff", knockoff)]

    // Before the fix, PRADA: δ from the one benign stream that 500 reference images give (the
    // lowest W of one client is not the low tail of many), every test an escalating alarm.
    let oneStream = try ClientStream.benign(inputs: rx, victim: Answers(model: model), clients: 1, queriesPerClient: 500, seed: 0)
    let oldDelta = try #require(try PRADADetector.calibratedDelta(benign: oneStream))
    var old = policy.configuration(forModel: "fashion")
    old.extraction?.pradaDelta = oldDelta
    old.extraction?.coverage = false
    old.extraction?.escalation.alarmSpacing = 1
    let before = try runMix(try DefencePipeline(configuration: old, model: model, calibrationInputs: rx, calibrationLabels: ry),
                            model: model, benign: benign, attackers: [])
    let hitBefore = before.benign.enumerated().filter { ($0.element.max() ?? .normal) >= .alerted }
    print("before the fix, PRADA (one-stream δ = \(oldDelta), every test counted): natural clients' peak levels \(Dictionary(grouping: before.benign.map { $0.max() ?? .normal }, by: \.rawValue).mapValues(\.count)); first alarm at queries \(hitBefore.compactMap { $0.element.firstIndex { $0 >= .alerted }.map { $0 + 1 } })")
    #expect(!hitBefore.isEmpty, "the one-stream δ should flag some natural client")

    // Before the fix, coverage: window 100, bands from the 5 disjoint windows that 500 reference
    // images hold (mean ± 5 standard deviations of five values: the band itself is a draw), against
    // bands from 256 resampled windows; over five partitions (seeds), the share of the natural
    // clients' full windows that fall outside the band.
    let predicted = model.predictions(rx)
    let benignAnswers = benign.map { model.predictions($0) }
    var outsideBefore = 0, outsideAfter = 0, windows = 0
    for seed in UInt64(0)..<5 {
        let resampled = try CoverageDetector.fit(benign: rx, predictedClasses: predicted, window: 100, bits: 10, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 100)
        let order = randomPermutation(500, using: &rng)
        let referenceCells = (0..<500).map { resampled.cell(of: rx.scalars[($0 * 784)..<(($0 + 1) * 784)]) }
        var cellH: [Double] = [], classH: [Double] = []
        for start in stride(from: 0, to: 500, by: 100) {
            var cells: [Int: Int] = [:], classes: [Int: Int] = [:]
            for i in order[start..<(start + 100)] { cells[referenceCells[i], default: 0] += 1; classes[predicted[i], default: 0] += 1 }
            cellH.append(CoverageDetector.entropy(cells.values, total: 100))
            classH.append(CoverageDetector.entropy(classes.values, total: 100))
        }
        func fiveSigma(_ v: [Double]) -> ClosedRange<Double> {
            let m = v.reduce(0, +) / Double(v.count)
            let sd = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
            return max(0, m - 5 * sd)...max(max(0, m - 5 * sd), min(log2(100), m + 5 * sd))
        }
        let disjointCell = fiveSigma(cellH), disjointClass = fiveSigma(classH)
        for (u, x) in benign.enumerated() {
            let cells = (0..<x.shape[0]).map { resampled.cell(of: x.scalars[($0 * 784)..<(($0 + 1) * 784)]) }
            for end in 100...x.shape[0] {
                var cc: [Int: Int] = [:], kc: [Int: Int] = [:]
                for q in (end - 100)..<end { cc[cells[q], default: 0] += 1; kc[benignAnswers[u][q], default: 0] += 1 }
                let h = CoverageDetector.entropy(cc.values, total: 100), k = CoverageDetector.entropy(kc.values, total: 100)
                windows += 1
                // With the detector's 1e-9 bits of slack (an all-distinct window's entropy rounds above log2(100)).
                func outside(_ v: Double, _ band: ClosedRange<Double>) -> Bool { v < band.lowerBound - 1e-9 || v > band.upperBound + 1e-9 }
                if outside(h, disjointCell) || outside(k, disjointClass) { outsideBefore += 1 }
                if outside(h, resampled.cellEntropyBand) || outside(k, resampled.classEntropyBand) { outsideAfter += 1 }
            }
        }
    }
    print("coverage, window 100, 5 partitions: natural windows outside bands from 5 disjoint windows \(outsideBefore) of \(windows); from resampled windows \(outsideAfter)")
    // Resampled bands leave natural windows rarely (class entropy's lower tail, on test-set order), the disjoint ones often.
    #expect(Double(outsideAfter) < 0.002 * Double(windows) && outsideBefore > 5 * outsideAfter)

    // After: the configuration as served, δ and coverage bands calibrated by resampling.
    let pipeline = try DefencePipeline(configuration: policy.configuration(forModel: "fashion"), model: model, calibrationInputs: rx, calibrationLabels: ry)
    let delta = try #require(pipeline.thresholds.first { $0.kind == "prada" }).threshold
    let run = try runMix(pipeline, model: model, benign: benign, attackers: attackers)
    let peaks = run.benign.map { $0.max() ?? .normal }
    print("after: δ = \(delta); natural clients' peak levels \(Dictionary(grouping: peaks, by: \.rawValue).mapValues(\.count)); alarms: \(run.benignAlarms.map { "\($0.client) \($0.statistic) \($0.value) \($0.direction) \($0.threshold) at \($0.clientQueryIndex)" })")
    for name in ["jacobian", "knockoff"] {
        print("\(name): alerted at \(run.first(name, .alerted) ?? -1), throttled at \(run.first(name, .throttled) ?? -1), blocked at \(run.first(name, .blocked) ?? -1) of \(planned) planned; cause \(pipeline.standing(client: name).cause?.statistic ?? "-")")
    }
    #expect(delta < oldDelta, "resampled streams reach lower benign W than one stream")
    #expect(peaks.allSatisfy { $0 < .throttled }, "natural clients stay below throttled: \(peaks)")
    for name in ["jacobian", "knockoff"] {
        let throttled = try #require(run.first(name, .throttled), "\(name) is never throttled")
        #expect(throttled < planned / 10, "\(name) throttled at query \(throttled), not before 10 % of \(planned)")
        #expect(run.first(name, .blocked) != nil, "\(name) is blocked within its plan")
    }
}

@Test func escalationCountsAnAlarmOnlyOnFreshEvidence() throws {
    let policy = EscalationPolicy(alarmSpacing: 50)
    #expect(policy.alarmSpacing == 50)
    let decoded = try DefenceConfiguration.decode(json: Data(#"{"extraction": {"escalation": {"alarmSpacing": 7}}}"#.utf8), source: "test")
    #expect(decoded.extraction?.escalation.alarmSpacing == 7)
    #expect(DefenceConfiguration().extraction?.escalation.alarmSpacing == 50 && DefenceConfiguration().extraction?.coverageWindow == 50)
    #expect(throws: ServingError.self) { try DefenceConfiguration.decode(json: Data(#"{"extraction": {"escalation": {"alarmSpacing": 0}}}"#.utf8), source: "test") }
}
