import BulwarkAccess
import BulwarkGateway
import BulwarkModels
import BulwarkRegistry
import BulwarkServing
import BulwarkStore
import BulwarkTensor
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A second gateway replica over the fixture's database file: its own connection, registry,
/// host and incident watcher (the default 250 ms period).
private struct Replica {
    let database: any SQLDatabase
    let host: ModelHost
    let watcher: IncidentWatcher
    let task: Task<Void, Never>

    init(_ fixture: ServingFixture, specs: [ServingSpec]) async throws {
        let path = fixture.http.directory.appendingPathComponent("bulwark.db").path
        database = try await openDatabase("sqlite:" + path)
        let registry = try await ModelRegistry.open(database: database, blobDirectory: path + ".blobs")
        host = ModelHost(registry: registry, batching: BatchingOptions(maxDelay: .milliseconds(1), workers: 1))
        try await host.load(specs)
        watcher = IncidentWatcher(store: try await IncidentStore(database: database), host: host)
        try await watcher.poll()
        let watcher = watcher
        task = Task { await watcher.run() }
    }

    func close() async {
        task.cancel()
        await host.shutdown()
        await database.close()
    }
}

/// Installs the incident routes with a watcher (250 ms) on the fixture's gateway and starts it.
private func incidents(_ fixture: ServingFixture, host: ModelHost) async throws -> (IncidentGateway, Task<Void, Never>) {
    let gateway = try await IncidentGateway.open(plane: fixture.http.plane, host: host)
    gateway.install(on: fixture.http.gateway.routes, plane: fixture.http.plane)
    let watcher = try #require(gateway.watcher)
    return (gateway, Task { await watcher.run() })
}

/// Waits until `condition` holds (at most `limit`) and returns how long it took.
private func timeUntil(_ limit: Duration = .seconds(30), _ condition: () -> Bool) async throws -> Duration {
    let start = ContinuousClock.now
    while !condition(), ContinuousClock.now - start < limit { try await Task.sleep(for: .milliseconds(5)) }
    return ContinuousClock.now - start
}

private func auditActions(_ fixture: ServingFixture) async throws -> [String] {
    let storage = fixture.http.plane.auditStorage
    return try await storage.entries(offset: 0, limit: Int(try await storage.count())).map(\.event.action)
}

private func json(_ value: [String: Any]) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: value))
}

/// Drill 1: the kill switch stops a version on this replica at once and on a second replica
/// within one watcher period (well under a second); revive restores both.
@Test func killSwitchDrillStopsTheVersionOnEveryReplica() async throws {
    let fixture = try await ServingFixture()
    try await fixture.publish(seed: 7)
    let host = try await fixture.serve([ServingSpec(model: "tabular")])
    let (_, watching) = try await incidents(fixture, host: host)
    let replica = try await Replica(fixture, specs: [ServingSpec(model: "tabular")])
    let consumer = try await fixture.http.person("cody", team: "vision", roles: ["consumer"])
    let approver = try await fixture.http.person("bea", team: "risk", roles: ["approver"])
    let stale = try await fixture.http.person("ben", team: "risk", roles: ["approver"], mfa: false)
    let auditor = try await fixture.http.person("audra", team: "vision", roles: ["auditor"])
    let body = ByteBuffer(string: inferBody([[0.5, -1, 2, 0]]))
    try await fixture.http.test { client in
        #expect(try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: body).0 == .ok)
        let kill = try json(["model": "tabular", "version": 1, "reason": "drill: answers leak training data"])
        // Policy: consumers, auditors and approvers without a fresh MFA check may not pull the switch.
        for token in [consumer, auditor, stale] {
            #expect(try await client.send(.post, "/api/v1/incidents/kill", token: token, body: kill).0 == .forbidden)
        }
        let (status, answer, _) = try await client.send(.post, "/api/v1/incidents/kill", token: approver, body: kill)
        #expect(status == .created, "\(String(buffer: answer))")
        let incident = try object(answer)
        #expect(incident["kind"] as? String == "kill" && incident["target"] as? String == "tabular/1" && incident["openedBy"] as? String == "bea")
        // This replica: at once.
        let (killed, killedBody, headers) = try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: body)
        #expect(killed == .serviceUnavailable && headers[.retryAfter] != nil, "\(String(buffer: killedBody))")
        // The second replica: after its watcher's next period (propagation times are measured by
        // scripts/check-replicas; tests never assert on wall time, 30 s only bounds a hang).
        let waited = try await timeUntil { (try? replica.host.batcher(model: "tabular")) == nil }
        #expect(replica.host.killed == ["tabular/1"], "the kill reached the second replica? waited \(waited)")
        print("kill switch drill: the second replica (250 ms watcher) stopped the version after \(waited)")
        #expect(try await client.send(.post, "/api/v1/incidents/kill", token: approver, body: kill).0 == .conflict)

        // Auditors read the incident list; the audit log holds the kill with its reason.
        let (listStatus, list, _) = try await client.send(.get, "/api/v1/incidents?open=true", token: auditor)
        #expect(listStatus == .ok)
        #expect((try object(list)["killed"] as? [[String: Any]])?.first?["model"] as? String == "tabular")
        #expect(try await auditActions(fixture).contains("incident.kill"))

        // Revive: both replicas serve again.
        let revive = try json(["model": "tabular", "version": 1])
        #expect(try await client.send(.post, "/api/v1/incidents/revive", token: approver, body: revive).0 == .ok)
        #expect(try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: body).0 == .ok)
        _ = try await timeUntil { (try? replica.host.batcher(model: "tabular")) != nil }
        #expect(replica.host.killed.isEmpty)
        #expect(try await client.send(.post, "/api/v1/incidents/revive", token: approver, body: revive).0 == .notFound)
    }
    watching.cancel()
    await replica.close()
    await host.shutdown()
}

/// Drill 2: rollback puts the previous production version back (served after a refresh, on
/// every replica through the watcher), records the reason, and a second rollback goes further
/// back, never forth.
@Test func rollbackDrillServesThePreviousProductionVersion() async throws {
    let fixture = try await ServingFixture()
    let (_, first) = try await fixture.publish(seed: 7)
    try await fixture.publish(seed: 8)
    try await fixture.publish(seed: 9)
    let host = try await fixture.serve([ServingSpec(model: "tabular")])
    let (_, watching) = try await incidents(fixture, host: host)
    let consumer = try await fixture.http.person("cody", team: "vision", roles: ["consumer"])
    let approver = try await fixture.http.person("bea", team: "risk", roles: ["approver"])
    let publisher = try await fixture.http.person("pat", team: "vision", roles: ["publisher"])
    let rows: [[Float]] = [[0.5, -1, 2, 0]]
    try await fixture.http.test { client in
        func servedVersion() async throws -> (String?, [Float]) {
            let (_, answer, _) = try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: ByteBuffer(string: inferBody(rows)))
            let output = (try object(answer)["outputs"] as? [[String: Any]])?.first
            return (try object(answer)["model_version"] as? String, ((output?["data"] as? [Double]) ?? []).map { Float($0) })
        }
        #expect(try await servedVersion().0 == "3")
        let request = try json(["model": "tabular", "reason": "drill: version 3 misclassifies"])
        #expect(try await client.send(.post, "/api/v1/incidents/rollback", token: publisher, body: request).0 == .forbidden)
        let (status, answer, _) = try await client.send(.post, "/api/v1/incidents/rollback", token: approver, body: request)
        #expect(status == .created, "\(String(buffer: answer))")
        #expect((try object(answer)["version"] as? [String: Any])?["number"] as? Int == 2)
        await host.refresh()
        #expect(try await servedVersion().0 == "2")
        let history = try await fixture.http.plane.registry.history(model: "tabular")
        #expect(history.contains { $0.version == 3 && $0.to == .staging && ($0.reason ?? "").contains("version 3 misclassifies") })

        // Again: version 1 (version 3, rolled back, does not return), served with its own outputs.
        #expect(try await client.send(.post, "/api/v1/incidents/rollback", token: approver, body: request).0 == .created)
        await host.refresh()
        let (version, probabilities) = try await servedVersion()
        let expected = first.logits(Tensor(shape: [1, 4], scalars: rows.flatMap { $0 })).softmax(axis: -1).scalars
        #expect(version == "1" && zip(probabilities, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        // Nothing earlier: 404.
        #expect(try await client.send(.post, "/api/v1/incidents/rollback", token: approver, body: request).0 == .notFound)
        let incidentsList = try object(try await client.send(.get, "/api/v1/incidents", token: approver).1)["incidents"] as? [[String: Any]]
        #expect(incidentsList?.filter { $0["kind"] as? String == "rollback" }.count == 2)
        #expect(try await auditActions(fixture).filter { $0 == "incident.rollback" }.count == 2)
    }
    watching.cancel()
    await host.shutdown()
}

/// Drill 3: a client is quarantined on every replica, its journal is kept, and the signed
/// evidence bundle verifies offline with the audit verifier key — and fails after one changed byte.
@Test func quarantineDrillKeepsTheHistoryAndSignsTheEvidence() async throws {
    let fixture = try await ServingFixture()
    try await fixture.publish(seed: 7)
    let host = try await fixture.serve([ServingSpec(model: "tabular")])
    let (gateway, watching) = try await incidents(fixture, host: host)
    let replica = try await Replica(fixture, specs: [ServingSpec(model: "tabular")])
    let mallory = try await fixture.http.person("mallory", team: "vision", roles: ["consumer"])
    let approver = try await fixture.http.person("bea", team: "risk", roles: ["approver"])
    let auditor = try await fixture.http.person("audra", team: "vision", roles: ["auditor"])
    try await fixture.http.test { client in
        // Mallory's queries, journaled as the inference path does after each answer.
        for step in 0..<3 {
            let rows: [[Float]] = [[Float(step), 1, -1, 0.5]]
            let (status, answer, _) = try await client.send(.post, "/v2/models/tabular/infer", token: mallory, body: ByteBuffer(string: inferBody(rows)))
            #expect(status == .ok)
            let output = try #require((try object(answer)["outputs"] as? [[String: Any]])?.first)
            let probabilities = try #require(output["data"] as? [Double]).map { Float($0) }
            gateway.journal.record(client: "mallory", model: "tabular", version: 1, input: Tensor(shape: [1, 4], scalars: rows[0]),
                                   probabilities: Tensor(shape: [1, 3], scalars: probabilities), detectorScores: ["prada": 0.5 + Double(step) / 10])
        }
        let quarantine = try json(["client": "mallory", "reason": "drill: extraction pattern"])
        #expect(try await client.send(.post, "/api/v1/incidents/quarantine", token: auditor, body: quarantine).0 == .forbidden)
        let (status, answer, _) = try await client.send(.post, "/api/v1/incidents/quarantine", token: approver, body: quarantine)
        #expect(status == .created)
        let id = try #require(try object(answer)["id"] as? Int)
        #expect(gateway.watcher?.isQuarantined("mallory") == true && gateway.watcher?.isQuarantined("bea") == false)
        let waited = try await timeUntil { replica.watcher.isQuarantined("mallory") }
        #expect(replica.watcher.isQuarantined("mallory"), "the quarantine reached the second replica? waited \(waited)")
        print("quarantine drill: the second replica refused the client after \(waited)")

        // The evidence bundle: auditors download it; it verifies offline with the audit verifier key.
        let (evidenceStatus, evidence, headers) = try await client.send(.get, "/api/v1/incidents/\(id)/evidence", token: auditor)
        #expect(evidenceStatus == .ok && headers[.contentDisposition]?.contains("incident-\(id)-evidence.json") == true)
        let bytes = Array(evidence.readableBytesView)
        print("quarantine drill: evidence bundle \(bytes.count) bytes")
        let verified = try EvidenceBundle.verify(bytes, verifier: fixture.http.plane.auditVerifier)
        #expect(verified.bundle.incident.id == Int64(id) && verified.bundle.client == "mallory")
        #expect(verified.bundle.journal.count == 3 && verified.bundle.journal.last?.detectorScores["prada"] == 0.7)
        #expect(verified.bundle.journal.first?.inputSHA256 == JournalEntry.digest(of: Tensor(shape: [1, 4], scalars: [0, 1, -1, 0.5])))
        #expect(verified.bundle.models == [EvidenceModel(name: "tabular", version: 1, sha256: try #require(host.served.first).sha256)])
        let leaves = verified.bundle.audit.entries.map(\.leaf)
        #expect(leaves.contains { $0.contains("\"action\":\"incident.quarantine\"") && $0.contains("drill: extraction pattern") })
        #expect(verified.provedEntries == leaves.count && verified.checkpoint.size >= UInt64(leaves.count))
        // One changed byte anywhere (here in a probability, an audit leaf and the signature) fails it.
        for fragment in ["\"probabilities\":[", "incident.quarantine", "\"value\":\""] {
            let text = String(decoding: bytes, as: UTF8.self)
            let range = try #require(text.range(of: fragment))
            var altered = bytes
            let position = text.utf8.distance(from: text.startIndex, to: range.upperBound)
            altered[position] = altered[position] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
            #expect(throws: ServingError.self) { try EvidenceBundle.verify(altered, verifier: fixture.http.plane.auditVerifier) }
        }
        #expect(try await auditActions(fixture).contains("incident.evidence"))

        // Release: both replicas let mallory through again; the journal is still there.
        #expect(try await client.send(.post, "/api/v1/incidents/release", token: approver, body: try json(["client": "mallory"])).0 == .ok)
        #expect(gateway.watcher?.isQuarantined("mallory") == false)
        _ = try await timeUntil { !replica.watcher.isQuarantined("mallory") }
        #expect(!replica.watcher.isQuarantined("mallory") && gateway.journal.entries(client: "mallory").count == 3)
    }
    watching.cancel()
    await replica.close()
    await host.shutdown()
}
