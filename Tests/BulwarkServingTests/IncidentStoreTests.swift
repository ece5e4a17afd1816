import BulwarkAccess
import BulwarkServing
import BulwarkStore
import BulwarkTensor
import Foundation
import Testing

/// A fresh SQLite database in a temporary folder; `body` gets its path, then it is removed.
private func withDatabase(_ body: (String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-incidents-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try await body("sqlite:" + directory.appendingPathComponent("bulwark.db").path)
}

@Test func incidentStoreKillsQuarantinesAndCountsEveryChange() async throws {
    try await withDatabase { location in
        let database = try await openDatabase(location)
        defer { Task { await database.close() } }
        let store = try await IncidentStore(database: database)
        #expect(try await store.generation() == 0)
        let kill = try await store.kill(model: "cats", version: 3, by: "bob", reason: "leaks training data")
        #expect(kill.kind == "kill" && kill.target == "cats/3" && kill.isOpen)
        #expect(try await store.generation() == 1)
        await #expect(throws: ServingError.self) { try await store.kill(model: "cats", version: 3, by: "bob", reason: "again") }
        await #expect(throws: ServingError.self) { try await store.kill(model: "cats", version: 4, by: "bob", reason: "  ") }
        #expect(try await store.generation() == 1, "a refused change does not move the counter")
        for bad in ["service:", "two words", "tab\tbed"] {
            await #expect(throws: ServingError.self) { try await store.quarantine(client: bad, by: "bob", reason: "not a client name") }
        }
        let quarantine = try await store.quarantine(client: "service:scraper", by: "bob", reason: "PRADA alarm")
        var state = try await store.state()
        #expect(state.generation == 2 && state.killedKeys == ["cats/3"] && state.quarantinedClients == ["service:scraper"])
        #expect(state.killed.first?.incident == kill.id && state.quarantined.first?.incident == quarantine.id)

        let revived = try await store.revive(model: "cats", version: 3, by: "carol")
        #expect(revived.id == kill.id && revived.closedBy == "carol" && revived.closedAtMilliseconds != nil)
        await #expect(throws: ServingError.self) { try await store.revive(model: "cats", version: 3, by: "carol") }
        try await store.release(client: "service:scraper", by: "carol")
        state = try await store.state()
        #expect(state.generation == 4 && state.killed.isEmpty && state.quarantined.isEmpty)
        #expect(try await store.incidents(openOnly: true).isEmpty)
        #expect(try await store.incidents().map(\.kind) == ["quarantine", "kill"])
        let opened = try await store.open(kind: .investigation, target: "mallory", by: "bob", reason: "odd queries")
        #expect(try await store.incidents(openOnly: true).map(\.id) == [opened.id])
        #expect(try await store.close(id: opened.id, by: "bob").closedBy == "bob")
    }
}

@Test func incidentWatcherReadsTheStateOnlyWhenTheCounterMoves() async throws {
    try await withDatabase { location in
        let first = try await openDatabase(location)
        let second = try await openDatabase(location)
        defer { Task { await first.close(); await second.close() } }
        // Two replicas: each with its own connection, store, journal and watcher.
        let storeA = try await IncidentStore(database: first)
        let storeB = try await IncidentStore(database: second)
        let journalB = QueryJournal(capacityPerClient: 2, maximumClients: 1)
        let watcherB = IncidentWatcher(store: storeB, host: nil, journal: journalB, interval: .milliseconds(20))
        #expect(try await watcherB.poll(), "the first poll applies the state")
        #expect(try await watcherB.poll() == false, "an unchanged counter reads nothing more")
        try await storeA.quarantine(client: "mallory", by: "bob", reason: "extraction")
        try await storeA.kill(model: "cats", version: 2, by: "bob", reason: "drift")
        #expect(!watcherB.isQuarantined("mallory"))
        let task = Task { await watcherB.run() }
        defer { task.cancel() }
        let start = ContinuousClock.now
        // The running watcher applies the change (tests never assert on wall time; 30 s only bounds a hang).
        while !watcherB.isQuarantined("mallory"), ContinuousClock.now - start < .seconds(30) { try await Task.sleep(for: .milliseconds(5)) }
        #expect(watcherB.isQuarantined("mallory") && !watcherB.isQuarantined("alice"))
        #expect(watcherB.killed == ["cats/2"])
        // The journal keeps the quarantined client's history when others arrive.
        journalB.record(client: "mallory", JournalEntry(timeMilliseconds: 1, model: "cats", version: 2, inputSHA256: "aa", inputShape: [1, 4], probabilities: [1, 0]))
        journalB.record(client: "alice", JournalEntry(timeMilliseconds: 2, model: "cats", version: 2, inputSHA256: "bb", inputShape: [1, 4], probabilities: [0, 1]))
        journalB.record(client: "bob", JournalEntry(timeMilliseconds: 3, model: "cats", version: 2, inputSHA256: "cc", inputShape: [1, 4], probabilities: [0, 1]))
        #expect(journalB.entries(client: "mallory").map(\.inputSHA256) == ["aa"])
        #expect(journalB.entries(client: "alice").isEmpty && journalB.entries(client: "bob").count == 1)
    }
}

@Test func queryJournalIsARingPerClientAndForgetsTheLeastRecentClient() {
    let journal = QueryJournal(capacityPerClient: 3, maximumClients: 2, clock: { 42 })
    let input = Tensor(shape: [1, 2], scalars: [0.5, -1])
    for step in 0..<5 {
        journal.record(client: "a", model: "m", version: 1, input: input, probabilities: Tensor(shape: [1, 2], scalars: [Float(step), 0]))
    }
    #expect(journal.entries(client: "a").map { $0.probabilities[0] } == [2, 3, 4], "the oldest entries are overwritten, order kept")
    journal.addScores(client: "a", ["prada": 0.9])
    #expect(journal.entries(client: "a").last?.detectorScores == ["prada": 0.9])
    #expect(journal.entries(client: "a").first?.inputShape == [1, 2] && journal.entries(client: "a").first?.timeMilliseconds == 42)
    // Known answer: SHA-256 of the little-endian float32 bytes 00 00 00 3f 00 00 80 bf.
    let bytes: [UInt8] = [0x00, 0x00, 0x00, 0x3F, 0x00, 0x00, 0x80, 0xBF]
    #expect(journal.entries(client: "a").first?.inputSHA256 == JournalEntry.digest(ofBytes: bytes))
    journal.record(client: "b", model: "m", version: 1, input: input, probabilities: input)
    journal.record(client: "a", model: "m", version: 1, input: input, probabilities: input)
    journal.record(client: "c", model: "m", version: 1, input: input, probabilities: input)
    #expect(journal.entries(client: "b").isEmpty, "b was heard from least recently")
    #expect(journal.clientCount == 2)
}

@Test func evidenceBundleVerifiesOfflineAndFailsForAnyChangedByte() async throws {
    let signer = try NoteSigner.generate(name: "bulwark.test/audit")
    let storage = InMemoryAuditStorage()
    let log = try await AuditLog(storage: storage, origin: "bulwark.test/audit", signer: signer)
    let now = IncidentStore.systemClock()
    _ = try await log.append(AuditEvent(actor: "bob", action: "login", resource: "session", outcome: .succeeded))
    _ = try await log.append(AuditEvent(actor: "bob", action: "incident.quarantine", resource: "clients/mallory", outcome: .allowed,
                                        details: ["incident": "1", "reason": "PRADA \"alarm\" / extraction"]))
    let incident = Incident(id: 1, kind: "quarantine", target: "mallory", openedBy: "bob", reason: "PRADA alarm", openedAtMilliseconds: now)
    let journal = [JournalEntry(timeMilliseconds: now - 10, model: "cats", version: 2, inputSHA256: String(repeating: "ab", count: 32),
                                inputShape: [1, 4], probabilities: [0.1, 0.2, 0.70000005], detectorScores: ["prada": 0.93, "squeeze": .nan])]
    let bundle = try await EvidenceBundle.assemble(incident: incident, models: [EvidenceModel(name: "cats", version: 2, sha256: "00ff")],
                                                   client: "mallory", journal: journal, log: log, storage: storage)
    #expect(bundle.audit.entries.count == 2 && bundle.audit.treeSize == 2)
    let bytes = try bundle.signed(by: signer)
    let verified = try EvidenceBundle.verify(bytes, verifier: signer.verifier)
    #expect(verified.provedEntries == 2 && verified.bundle.journal.first?.probabilities == [0.1, 0.2, 0.70000005])
    #expect(verified.bundle.incident == incident && verified.bundle.models.first?.sha256 == "00ff")

    // Another key does not verify it.
    #expect(throws: ServingError.self) { try EvidenceBundle.verify(bytes, verifier: try NoteSigner.generate(name: "bulwark.test/audit").verifier) }
    // Every changed byte (a sample across the file, each a different position) is caught.
    var caught = 0
    var positions = Array(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 200)))
    positions.append(bytes.count - 1)
    for position in positions {
        var altered = bytes
        altered[position] = altered[position] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        if (try? EvidenceBundle.verify(altered, verifier: signer.verifier)) == nil { caught += 1 }
    }
    #expect(caught == positions.count)
    // An audit entry that was not in the log (a forged leaf re-signed by another key) fails the proof check too.
    var forged = verified.bundle
    forged.audit.entries[1].leaf = forged.audit.entries[1].leaf.replacingOccurrences(of: "mallory", with: "someone")
    #expect(throws: ServingError.self) { try EvidenceBundle.verify(try forged.signed(by: signer), verifier: signer.verifier) }
}
