import BulwarkAccess
import BulwarkGateway
import BulwarkModels
import BulwarkServing
import BulwarkTensor
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Test func rateLimitsQuotasAndHardeningApplyInLine() async throws {
    let fixture = try await ServingFixture()
    try await fixture.publish(seed: 11)
    // Calibration data: 200 random 4-feature rows labelled by the model itself.
    var rng = SeededGenerator(seed: 11)
    let inputs = Tensor(shape: [200, 4], scalars: (0..<800).map { _ in Float.random(in: -1...1, using: &rng) })
    let (_, model) = try ServingFixture.modelBytes(seed: 11)
    let labels = model.logits(inputs).argmaxRows()
    let defences = try DefencePolicy.decode(json: Data(#"{"defaults":{"hardening":"labels","extraction":null}}"#.utf8), source: "test")
    let settings = ProtectionSettings(clientLimit: try RateLimit(rate: 0.01, burst: 3), quota: try Quota(limit: 100, windowSeconds: 3600),
                                      defences: defences, calibrationInputs: inputs, calibrationLabels: labels)
    let host = try await fixture.serve([ServingSpec(model: "tabular")], protection: settings)
    let cody = try await fixture.http.person("cody", team: "vision", roles: ["consumer"])
    let dana = try await fixture.http.person("dana", team: "vision", roles: ["consumer"])
    try await fixture.http.test { client in
        let body = ByteBuffer(string: inferBody([[0.5, -1, 2, 0]]))
        let expectedLabel = model.logits(Tensor(shape: [1, 4], scalars: [0.5, -1, 2, 0])).argmaxRows()[0]
        // Labels-only hardening: a one-hot answer, never the probabilities.
        for _ in 0..<3 {
            let (status, answer, _) = try await client.send(.post, "/v2/models/tabular/infer", token: cody, body: body)
            #expect(status == .ok)
            let data = try #require((try object(answer)["outputs"] as? [[String: Any]])?.first?["data"] as? [Double])
            #expect(data == (0..<3).map { $0 == expectedLabel ? 1 : 0 })
        }
        // The fourth request within the burst of 3 is refused with 429 and a Retry-After from the bucket.
        let (limited, limitedBody, limitedHeaders) = try await client.send(.post, "/v2/models/tabular/infer", token: cody, body: body)
        #expect(limited == .tooManyRequests)
        #expect(Int(limitedHeaders[.retryAfter] ?? "") ?? 0 > 1, "\(limitedHeaders)")
        let message = try object(limitedBody)["error"] as? String
        #expect(message?.contains("rate limit") == true)
        // Another client has its own bucket.
        #expect(try await client.send(.post, "/v2/models/tabular/infer", token: dana, body: body).0 == .ok)
    }
    await host.shutdown()
}

@Test func anExtractionClientIsEscalatedToBlockedAndStaysBlocked() async throws {
    let fixture = try await ServingFixture()
    try await fixture.publish(seed: 12)
    // Seeded: PRADA's δ is calibrated on resampled streams of these inputs, and a draw of the
    // system's generator once set it low enough that 400 line-walking queries never blocked.
    var rng = SeededGenerator(seed: 12)
    let inputs = Tensor(shape: [300, 4], scalars: (0..<1200).map { _ in Float.random(in: 0...1, using: &rng) })
    let (_, model) = try ServingFixture.modelBytes(seed: 12)
    let labels = model.logits(inputs).argmaxRows()
    // Escalate fast: PRADA on every query, every test counted (alarmSpacing 1), block at its fourth consecutive alarm.
    let defences = try DefencePolicy.decode(json: Data(#"{"defaults":{"extraction":{"prada":true,"coverage":false,"escalation":{"alertAfter":1,"throttleAfter":2,"blockAfter":4,"alarmSpacing":1}}}}"#.utf8), source: "test")
    let settings = ProtectionSettings(defences: defences, calibrationInputs: inputs, calibrationLabels: labels)
    let host = try await fixture.serve([ServingSpec(model: "tabular")], protection: settings)
    let attacker = try await fixture.http.person("mallory", team: "vision", roles: ["consumer"])
    try await fixture.http.test { client in
        // Synthetic queries walking along a line: tiny steps from one seed, the pattern PRADA looks for.
        var blockedAt: Int?
        for index in 0..<400 {
            let step = Float(index) * 1e-3
            let (status, _, _) = try await client.send(.post, "/v2/models/tabular/infer", token: attacker,
                                                       body: ByteBuffer(string: inferBody([[0.5 + step, 0.5, 0.5, 0.5 - step]])))
            if status == .forbidden { blockedAt = index; break }
            #expect(status == .ok)
        }
        print("extraction client blocked at query \(blockedAt.map(String.init) ?? "never")")
        let at = try #require(blockedAt, "the extraction client was never blocked")
        #expect(at < 400)
        // Blocked stays blocked, even for an ordinary-looking query.
        #expect(try await client.send(.post, "/v2/models/tabular/infer", token: attacker, body: ByteBuffer(string: inferBody([[0.1, 0.9, 0.3, 0.7]]))).0 == .forbidden)
    }
    await host.shutdown()
}

@Test func theInferencePathRefusesAQuarantinedClientAndJournalsEveryAnswer() async throws {
    let fixture = try await ServingFixture()
    try await fixture.publish(seed: 13)
    let box = IncidentBox()
    let host = try await fixture.serve([ServingSpec(model: "tabular")]) { host in
        let gateway = try await IncidentGateway.open(plane: fixture.http.plane, host: host)
        box.gateway = gateway
        return gateway
    }
    let gateway = try #require(box.gateway)
    let watcher = try #require(gateway.watcher)
    let watching = Task { await watcher.run() }
    let mallory = try await fixture.http.person("mallory", team: "vision", roles: ["consumer"])
    try await fixture.http.test { client in
        for step in 0..<3 {
            let body = ByteBuffer(string: inferBody([[Float(step), 1, -1, 0.5]]))
            #expect(try await client.send(.post, "/v2/models/tabular/infer", token: mallory, body: body).0 == .ok)
        }
        // The inference path journaled all three answers (input digests, what the client saw).
        let entries = gateway.journal.entries(client: "mallory")
        #expect(entries.count == 3 && entries.allSatisfy { $0.model == "tabular" && $0.version == 1 && $0.probabilities.count == 3 })
        _ = try await gateway.store.quarantine(client: "mallory", by: "test", reason: "drill")
        let start = ContinuousClock.now
        while !watcher.isQuarantined("mallory"), ContinuousClock.now - start < .seconds(2) { try await Task.sleep(for: .milliseconds(5)) }
        let (status, answer, _) = try await client.send(.post, "/v2/models/tabular/infer", token: mallory, body: ByteBuffer(string: inferBody([[0, 0, 0, 0]])))
        #expect(status == .forbidden)
        let message = try object(answer)["error"] as? String
        #expect(message?.contains("quarantined") == true)
    }
    watching.cancel()
    await host.shutdown()
}

/// Hands the incident gateway made inside the fixture's closure back to the test.
private final class IncidentBox: @unchecked Sendable {
    var gateway: IncidentGateway?
}

@Test func aReloadWithDefencesOnCalibratesBeforeTheSwap() async throws {
    let fixture = try await ServingFixture()
    try await fixture.publish(seed: 21)
    var rng = SeededGenerator(seed: 21)
    let inputs = Tensor(shape: [200, 4], scalars: (0..<800).map { _ in Float.random(in: -1...1, using: &rng) })
    let labels = (0..<200).map { $0 % 3 }
    let defences = try DefencePolicy.decode(json: Data(#"{"defaults":{"detectors":[{"kind":"mahalanobis","action":"log"}]}}"#.utf8), source: "test")
    let settings = ProtectionSettings(defences: defences, calibrationInputs: inputs, calibrationLabels: labels)
    let box = ProtectionBox()
    let host = try await fixture.serve([ServingSpec(model: "tabular")], protection: settings, prepared: { box.protection = $0 })
    let protection = try #require(box.protection)
    host.setPreparation { model throws(ServingError) in try protection.prepare([model]) }
    let consumer = try await fixture.http.person("cody", team: "vision", roles: ["consumer"])
    try await fixture.http.test { client in
        try await fixture.publish(seed: 22)
        #expect(await host.refresh() == ["model 'tabular': now serving version 2 (was 1)"])
        // The first request to the new version is served: its detectors were calibrated before the swap.
        let (status, answer, _) = try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: ByteBuffer(string: inferBody([[0.1, 0.2, 0.3, 0.4]])))
        #expect(status == .ok, "\(String(buffer: answer))")
        #expect(try object(answer)["model_version"] as? String == "2")
    }
    await host.shutdown()
}

/// Hands the protection made inside the fixture back to the test.
private final class ProtectionBox: @unchecked Sendable {
    var protection: InferenceProtection?
}
