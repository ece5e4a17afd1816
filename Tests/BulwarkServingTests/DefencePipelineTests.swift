import BulwarkData
import BulwarkEvasion
import BulwarkExtraction
import BulwarkModels
import BulwarkPoisoning
import BulwarkServing
import BulwarkTensor
import Testing

/// The reference data the pipelines calibrate on: test rows 2000..<3000.
private func reference() throws -> (Tensor, [Int]) {
    let data = try #require(defenceFashion)
    return (data.inputs.rows(2000..<3000), Array(data.labels[2000..<3000]))
}

/// Fraction of `screenings` whose `kind` reading fired.
private func firedRate(_ screenings: [Screening], _ kind: String) -> Double {
    let readings = screenings.compactMap { s in s.scores.first { $0.kind == kind } }
    return readings.isEmpty ? 0 : Double(readings.filter(\.fired).count) / Double(readings.count)
}

@Test(.enabled(if: defenceFashionPresent, "needs the Debian package dataset-fashion-mnist"))
func defenceDetectorsFlagPGDAndFGSMExamplesMoreThanCleanOnes() throws {
    let data = try #require(defenceFashion)
    let model = try #require(defenceModel)
    let (rx, ry) = try reference()
    // Mahalanobis on the first hidden layer (pre-ReLU), feature squeezing with its default 3-bit squeezer.
    let config = DefenceConfiguration(detectors: [DetectorSettings(kind: .mahalanobis, falsePositiveRate: 0.05, action: .reject, layer: 1),
                                                  DetectorSettings(kind: .featureSqueezing, falsePositiveRate: 0.05, action: .flag)],
                                      extraction: nil)
    let pipeline = try DefencePipeline(configuration: config, model: model, calibrationInputs: rx, calibrationLabels: ry)
    #expect(pipeline.thresholds.map(\.kind) == ["mahalanobis", "featureSqueezing"])
    #expect(pipeline.thresholds.map(\.examples) == [500, 1000])

    let x = data.inputs.rows(5000..<5200), y = Array(data.labels[5000..<5200])
    let cleanPredictions = model.predictions(x)
    let clean = try pipeline.screen(x)
    #expect(clean.count == 200)
    /// Screenings of the adversarial examples that fool the model (of examples it got right).
    func fooling(_ adversarial: Tensor) throws -> [Screening] {
        let predictions = model.predictions(adversarial)
        let rows = (0..<200).filter { cleanPredictions[$0] == y[$0] && predictions[$0] != y[$0] }
        #expect(rows.count >= 50)
        return try pipeline.screen(adversarial.gatherRows(rows))
    }
    // Feature squeezing at a small budget (the 3-bit squeezer undoes steps below 1/14),
    // Mahalanobis at a large one (it sees activations far from every class).
    for (kind, epsilon, margin) in [("featureSqueezing", Float(0.1), 0.4), ("mahalanobis", Float(0.3), 0.15)] {
        let pgd = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(model),
                                                     configuration: AttackConfiguration(epsilon: epsilon, maxIterations: 10, seed: 3))
        let fgsm = try FastGradientSignMethod().run(inputs: x, labels: y, model: .whiteBox(model), configuration: AttackConfiguration(epsilon: epsilon, seed: 3))
        let onPGD = try fooling(pgd.adversarial), onFGSM = try fooling(fgsm.adversarial)
        let c = firedRate(clean, kind), p = firedRate(onPGD, kind), f = firedRate(onFGSM, kind)
        print("detector \(kind): fired on clean \(c), on PGD ε=\(epsilon) \(p), on FGSM \(f) (examples that fool the model)")
        #expect(c <= 0.12, "\(kind) false-positive rate \(c) on held-out clean data")
        #expect(p > c + margin, "\(kind): PGD \(p) vs clean \(c)")
        #expect(f > c + margin, "\(kind): FGSM \(f) vs clean \(c)")
        // The verdict follows the strongest action that fired, and names its detector.
        for s in clean + onPGD {
            let m = try #require(s.scores.first { $0.kind == "mahalanobis" }), fs = try #require(s.scores.first { $0.kind == "featureSqueezing" })
            #expect(s.verdict == (m.fired ? .reject : fs.fired ? .flag : .pass))
            #expect(s.cause == (m.fired ? m.name : fs.fired ? fs.name : nil))
        }
    }
    #expect(throws: ServingError.self) { try pipeline.screen(x.reshaped([200, 784])) }

    // The gateway's path: the squeezed rows ride in the model's own batch; same scores.
    let extra = try #require(pipeline.extraRows(for: x))
    let all = model.logits(Tensor.concatenateRows([x, extra])).softmax(axis: -1)
    let folded = try pipeline.screen(x, probabilities: all.rows(0..<200), extraProbabilities: all.rows(200..<all.shape[0]))
    for (a, b) in zip(folded, clean) {
        #expect(a.verdict == b.verdict)
        for (u, v) in zip(a.scores, b.scores) { #expect(u.kind == v.kind && abs(u.score - v.score) < 1e-4) }
    }
    // Answers of the wrong shape are not trusted: the detectors run the model themselves.
    let fallback = try pipeline.screen(x, probabilities: all.rows(0..<10), extraProbabilities: nil)
    #expect(fallback.map(\.verdict) == clean.map(\.verdict))
}

@Test(.enabled(if: defenceFashionPresent, "needs the Debian package dataset-fashion-mnist"))
func defenceHardeningAnswersWhatTheConfigurationSays() throws {
    let data = try #require(defenceFashion)
    let model = try #require(defenceModel)
    let (rx, ry) = try reference()
    let x = data.inputs.rows(5000..<5050)
    let p = model.logits(x).softmax(axis: -1)
    let top = p.argmaxRows()
    func hardened(_ spec: String) throws -> Tensor {
        let pipeline = try DefencePipeline(configuration: DefenceConfiguration(hardening: spec, extraction: nil), model: model,
                                           calibrationInputs: rx, calibrationLabels: ry)
        return pipeline.harden(probabilities: p, inputs: x)
    }
    #expect(try hardened("none") == p)
    let labels = try hardened("labels")
    #expect(labels.scalars.allSatisfy { $0 == 0 || $0 == 1 } && labels.argmaxRows() == top)
    let top3 = try hardened("top-k=3")
    for r in 0..<50 {
        let row = Array(top3.scalars[(r * 10)..<((r + 1) * 10)]), original = Array(p.scalars[(r * 10)..<((r + 1) * 10)])
        #expect(row.filter { $0 != 0 }.count <= 3)
        let kept = original.sorted(by: >).prefix(3)
        #expect(row.filter { $0 != 0 }.allSatisfy { kept.contains($0) })
    }
    let rounded = try hardened("round=2")
    #expect(rounded.scalars.allSatisfy { abs($0 * 100 - ($0 * 100).rounded()) < 1e-3 })
    let reverse = try hardened("reverse-sigmoid=1,0.1")
    #expect(reverse.argmaxRows() == top && reverse != p)
    for r in 0..<50 { #expect(abs(reverse.scalars[(r * 10)..<((r + 1) * 10)].reduce(0, +) - 1) < 1e-4) }
}

/// Feeds `stream` (rows) for `client` in batches of 10 with the model's probabilities; returns
/// the level after each batch.
private func feed(_ pipeline: DefencePipeline, client: String, _ stream: Tensor, model: Sequential) throws -> [ClientStanding] {
    var out: [ClientStanding] = []
    for start in stride(from: 0, to: stream.shape[0], by: 10) {
        let batch = stream.rows(start..<min(start + 10, stream.shape[0]))
        out.append(try pipeline.recordQueries(client: client, inputs: batch, outputs: model.logits(batch).softmax(axis: -1)))
    }
    return out
}

@Test(.enabled(if: defenceFashionPresent, "needs the Debian package dataset-fashion-mnist"))
func defenceEscalatesAnExtractionClientToBlockedWhileNaturalClientsStayNormal() throws {
    let data = try #require(defenceFashion)
    let model = try #require(defenceModel)
    let (rx, ry) = try reference()
    let pipeline = try DefencePipeline(configuration: DefenceConfiguration(), model: model, calibrationInputs: rx, calibrationLabels: ry)
    // δ is calibrated on the reference data (two benign streams of 500): below the default, above chance.
    let delta = try #require(pipeline.thresholds.first { $0.kind == "prada" })
    #expect(delta.threshold <= PRADADetector.defaultDelta && delta.threshold > 0.5 && delta.examples == 1000)
    print("PRADA δ calibrated on the reference data: \(delta.threshold)")
    // The attacker: Jacobian-augmentation-like queries from 10 seeds, 6 rounds = 640 queries;
    // three natural users of 640 disjoint test images each, interleaved batch by batch.
    let attack = augmentationStream(seeds: data.inputs.rows(3000..<3010), rounds: 6, step: 0.05, seed: 1)
    let users = (0..<3).map { u in data.inputs.rows((5000 + 640 * u)..<(5640 + 640 * u)) }
    var attacker: [ClientStanding] = []
    var benign: [[ClientStanding]] = [[], [], []]
    for start in stride(from: 0, to: 640, by: 10) {
        let batch = attack.rows(start..<(start + 10))
        let before = pipeline.level(client: "attacker")
        let recorded = try pipeline.recordQueriesWithPreviousLevel(client: "attacker", inputs: batch, outputs: model.logits(batch).softmax(axis: -1))
        #expect(recorded.previous == before && pipeline.level(client: "attacker") == recorded.standing.level)
        attacker.append(recorded.standing)
        for u in 0..<3 { benign[u] += try feed(pipeline, client: "user-\(u)", users[u].rows(start..<(start + 10)), model: model) }
    }
    let levels = attacker.map(\.level)
    let firstQuery = { (level: ClientStanding.Level) -> Int? in attacker.first { $0.level >= level }?.queries }
    print("extraction client reached alerted at \(firstQuery(.alerted) ?? -1), throttled at \(firstQuery(.throttled) ?? -1), blocked at \(firstQuery(.blocked) ?? -1) of 640 queries; causes \(Set(attacker.compactMap { $0.cause?.detector }).sorted())")
    // Monotone escalation through every level, ending blocked; blocked is sticky.
    let a = try #require(firstQuery(.alerted)), t = try #require(firstQuery(.throttled)), b = try #require(firstQuery(.blocked))
    #expect(a < t && t < b && b <= 640)
    #expect(Set(levels) == Set(ClientStanding.Level.allCases))
    let blockedAt = try #require(levels.firstIndex(of: .blocked))
    #expect(levels[blockedAt...].allSatisfy { $0 == .blocked })
    #expect(attacker.last?.queries == b, "no queries recorded once blocked")
    #expect(attacker.contains { !$0.raised.isEmpty })
    let standing = pipeline.standing(client: "attacker")
    #expect(standing.level == .blocked && standing.peakLevel == .blocked && standing.cause != nil && standing.raised.isEmpty)
    #expect(throws: ServingError(.refused, "client 'attacker' is blocked for suspected model extraction")) { try pipeline.admit(client: "attacker") }
    // Natural users never leave normal.
    for u in 0..<3 {
        #expect(benign[u].allSatisfy { $0.level == .normal && $0.raised.isEmpty }, "user-\(u): \(benign[u].compactMap(\.cause))")
        try pipeline.admit(client: "user-\(u)")
    }
    // The top-clients page puts the attacker first.
    let top = pipeline.clients(limit: 2)
    #expect(top.map(\.client) == ["attacker", "user-2"] || top.map(\.client) == ["attacker", "user-1"] || top.map(\.client) == ["attacker", "user-0"])
    #expect(pipeline.clients().count == 4)
    // Release lifts the block and forgets the history.
    #expect(pipeline.release(client: "attacker")?.level == .blocked)
    #expect(pipeline.standing(client: "attacker") == ClientStanding(client: "attacker"))
    #expect(pipeline.level(client: "attacker") == .normal && pipeline.level(client: "nobody") == .normal)
    try pipeline.admit(client: "attacker")
}

@Test(.enabled(if: defenceFashionPresent, "needs the Debian package dataset-fashion-mnist"))
func defenceClientTableStaysBoundedAndSafeUnderConcurrentClients() async throws {
    let data = try #require(defenceFashion)
    let model = try #require(defenceModel)
    let (rx, ry) = try reference()
    let clock = DefenceClock()
    let config = DefenceConfiguration(extraction: ExtractionSettings(prada: true, coverage: false, maxClients: 4, idleSeconds: 60))
    let pipeline = try DefencePipeline(configuration: config, model: model, calibrationInputs: rx, calibrationLabels: ry, clock: { clock.now })
    let batch = data.inputs.rows(6000..<6010)
    let answers = model.logits(batch).softmax(axis: -1)
    // Eight clients at once, 5 batches each: at most 4 are kept, each count is whole.
    await withTaskGroup(of: Void.self) { group in
        for c in 0..<8 {
            group.addTask { for _ in 0..<5 { _ = try? pipeline.recordQueries(client: "c\(c)", inputs: batch, outputs: answers) } }
        }
    }
    let kept = pipeline.clients()
    #expect(kept.count <= 4 && !kept.isEmpty)
    #expect(kept.allSatisfy { $0.queries % 10 == 0 && $0.queries <= 50 })
    // A new client when the table is full forgets the least recently seen.
    clock.advance(1)
    for c in ["x", "y", "z", "w"] { clock.advance(1); try pipeline.recordQueries(client: c, inputs: batch, outputs: answers) }
    #expect(Set(pipeline.clients().map(\.client)) == ["x", "y", "z", "w"])
    clock.advance(1)
    try pipeline.recordQueries(client: "x", inputs: batch, outputs: answers)
    try pipeline.recordQueries(client: "v", inputs: batch, outputs: answers)
    #expect(Set(pipeline.clients().map(\.client)) == ["x", "z", "w", "v"])
    // Idle clients go after idleSeconds.
    clock.advance(60)
    try pipeline.recordQueries(client: "v", inputs: batch, outputs: answers)
    #expect(pipeline.evictIdle() == 2)
    #expect(Set(pipeline.clients().map(\.client)) == ["x", "v"])
    #expect(throws: ServingError.self) { try pipeline.recordQueries(client: String(repeating: "k", count: 300), inputs: batch, outputs: answers) }
    #expect(throws: ServingError.self) { try pipeline.recordQueries(client: "x", inputs: batch, outputs: answers.rows(0..<5)) }
}

@Test(.enabled(if: defenceFashionPresent, "needs the Debian package dataset-fashion-mnist"))
func defenceSTRIPFlagsTriggeredInputsOnABackdooredModelAndSamplesItsShare() throws {
    let data = try #require(defenceFashion)
    let trainX = data.inputs.rows(0..<2000), trainY = Array(data.labels[0..<2000])
    let trigger = Trigger.whiteSquare(size: 4)
    let poisoned = try BackdoorPoisoning.poison(inputs: trainX, labels: trainY, classCount: 10, trigger: trigger, targetClass: 0, rate: 0.1, seed: 5)
    let model = try #require(defenceMLP(inputs: poisoned.inputs, labels: poisoned.labels, epochs: 5, seed: 11))
    let rx = data.inputs.rows(2000..<2400), ry = Array(data.labels[2000..<2400])
    let config = DefenceConfiguration(extraction: nil, strip: StripSettings(falseRejectionRate: 0.05, overlays: 10, sampleRate: 1, action: .reject, backgroundCount: 100))
    let pipeline = try DefencePipeline(configuration: config, model: model, calibrationInputs: rx, calibrationLabels: ry)
    let threshold = try #require(pipeline.thresholds.first { $0.kind == "strip" })
    #expect(threshold.examples == 300 && threshold.targetRate == 0.05)
    let sources = (5000..<6000).filter { data.labels[$0] != 0 }.prefix(100)
    let clean = data.inputs.gatherRows(Array(sources))
    let triggered = try trigger.apply(to: clean)
    #expect(Double(model.predictions(triggered).filter { $0 == 0 }.count) / 100 > 0.8, "the backdoor works")
    let onClean = try pipeline.screen(clean), onTriggered = try pipeline.screen(triggered)
    let c = firedRate(onClean, "strip"), t = firedRate(onTriggered, "strip")
    print("STRIP fired on clean \(c), triggered \(t)")
    #expect(c <= 0.15 && t >= 0.5 && t > c + 0.4)
    #expect(onTriggered.filter { $0.verdict == .reject }.allSatisfy { $0.cause == "strip" })
    // Sampling: a quarter of the examples get a STRIP reading, evenly spread.
    let sampled = try DefencePipeline(configuration: DefenceConfiguration(extraction: nil, strip: StripSettings(overlays: 2, sampleRate: 0.25, backgroundCount: 100)),
                                      model: model, calibrationInputs: rx, calibrationLabels: ry)
    var screened = 0
    for start in stride(from: 0, to: 100, by: 7) {
        screened += try sampled.screen(clean.rows(start..<min(100, start + 7))).filter { !$0.scores.isEmpty }.count
    }
    #expect(screened == 25)
}

@Test(.enabled(if: defenceFashionPresent, "needs the Debian package dataset-fashion-mnist"))
func defenceStageCostsPerExample() throws {
    // Not an assertion of speed: prints what each stage costs per example (debug build).
    let data = try #require(defenceFashion)
    let model = try #require(defenceModel)
    let (rx, ry) = try reference()
    let x = data.inputs.rows(6000..<6256)
    func pipeline(_ c: DefenceConfiguration) throws -> DefencePipeline {
        try DefencePipeline(configuration: c, model: model, calibrationInputs: rx, calibrationLabels: ry)
    }
    var p = Tensor.zeros([0])
    let forward = secondsTaken { p = model.logits(x).softmax(axis: -1) }
    // Each stage returns how many examples it answered for.
    let stages: [(String, DefencePipeline, (DefencePipeline) throws -> Int)] = [
        ("mahalanobis", try pipeline(DefenceConfiguration(detectors: [DetectorSettings(kind: .mahalanobis)], extraction: nil)), { try $0.screen(x).count }),
        ("feature squeezing (one 3-bit squeezer)", try pipeline(DefenceConfiguration(detectors: [DetectorSettings(kind: .featureSqueezing)], extraction: nil)),
         { try $0.screen(x).count }),
        ("strip (20 overlays, every example)", try pipeline(DefenceConfiguration(extraction: nil, strip: StripSettings(sampleRate: 1))),
         { try $0.screen(x).filter { !$0.scores.isEmpty }.count }),
        ("hardening reverse-sigmoid", try pipeline(DefenceConfiguration(hardening: "reverse-sigmoid=1,0.1", extraction: nil)),
         { $0.harden(probabilities: p, inputs: x).shape[0] }),
        ("extraction prada+coverage", try pipeline(DefenceConfiguration()), { pipe in
            var n = 0
            for s in stride(from: 0, to: 256, by: 16) {
                n += try pipe.recordQueries(client: "c\(s % 64)", inputs: x.rows(s..<(s + 16)), outputs: p.rows(s..<(s + 16))).queries >= 16 ? 16 : 0
            }
            return n
        }),
    ]
    func micro(_ seconds: Double) -> String { "\((seconds / 256 * 1e7).rounded() / 10) µs" }
    print("stage cost per example (debug build): model forward \(micro(forward))")
    for (name, pipe, body) in stages {
        var answered = 0
        let s = try secondsTaken { answered = try body(pipe) }
        print("stage cost per example (debug build): \(name) \(micro(s)), \((s / max(forward, 1e-9) * 10).rounded() / 10)× the forward pass")
        #expect(answered == 256, "\(name) answered \(answered) of 256")
    }
}

@Test(.enabled(if: defenceFashionPresent, "needs the Debian package dataset-fashion-mnist"))
func defenceEscalatesByPRADAScoreWhenThePolicySetsBounds() throws {
    let data = try #require(defenceFashion)
    let model = try #require(defenceModel)
    let (rx, ry) = try reference()
    // Counts alone would take 50 alarms; the score bounds throttle below W 0.9 and block below 0.8.
    let policy = EscalationPolicy(alertAfter: 50, throttleAfter: 50, blockAfter: 50, pradaThrottleBelow: 0.9, pradaBlockBelow: 0.8)
    let config = DefenceConfiguration(extraction: ExtractionSettings(pradaDelta: 0.95, coverage: false, escalation: policy))
    let pipeline = try DefencePipeline(configuration: config, model: model, calibrationInputs: rx, calibrationLabels: ry)
    let attack = augmentationStream(seeds: data.inputs.rows(3000..<3010), rounds: 6, step: 0.05, seed: 1)
    let standings = try feed(pipeline, client: "attacker", attack, model: model)
    let blocked = try #require(standings.first { $0.level == .blocked })
    let cause = try #require(blocked.cause)
    print("score escalation: blocked at query \(blocked.queries) with W \(cause.value)")
    #expect(cause.detector == "prada" && blocked.lastScore == cause.value && cause.value < 0.8)
    #expect(standings.allSatisfy { $0.consecutiveAlarms < 50 })
    for s in standings where s.level == .throttled { #expect((s.lastScore ?? 1) < 0.9) }
}
