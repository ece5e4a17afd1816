import BulwarkAccess
import BulwarkStore
import Foundation
import Testing

// The same test bodies run on SQLite and on PostgreSQL (when BULWARK_TEST_POSTGRES_URL is set).

private let origin = "bulwark.example/audit"

private enum AuditEngine: String, Sendable {
    case sqlite, postgres
}

private let auditPostgresURL: String? = {
    guard let url = ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
    return url
}()

/// A fresh empty database on `engine` (a SQLite file in a new directory, or a new PostgreSQL
/// database beside the test server's); `body` gets its location so it can open more handles.
private func withAuditDatabase(_ engine: AuditEngine,
                               _ body: (any SQLDatabase, DatabaseLocation) async throws -> Void) async throws {
    switch engine {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = DatabaseLocation.sqlite(path: directory.appendingPathComponent("audit.db").path)
        let db = try await openDatabase(location)
        do { try await body(db, location) } catch {
            await db.close()
            throw error
        }
        await db.close()
    case .postgres:
        guard case .postgres(var location) = try DatabaseLocation(parsing: try #require(auditPostgresURL)) else {
            Issue.record("BULWARK_TEST_POSTGRES_URL is not a postgres:// URL")
            return
        }
        let admin = try await openDatabase(.postgres(location))
        let name = "bulwark_audit_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.execute(SQLStatement("CREATE DATABASE \(name)"))
        location.database = name
        var failure: (any Error)?
        do {
            let db = try await openDatabase(.postgres(location))
            do { try await body(db, .postgres(location)) } catch { failure = error }
            await db.close()
        } catch {
            failure = error
        }
        try? await admin.execute(SQLStatement("DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        await admin.close()
        if let failure { throw failure }
    }
}

private func event(_ number: Int, actor: String = "user") -> AuditEvent {
    AuditEvent(actor: "\(actor)\(number % 3)", action: number % 2 == 0 ? "model.promote" : "login",
               resource: "models/m/\(number)", outcome: number % 5 == 0 ? .denied : .allowed,
               rule: "rule-\(number % 4)", clientAddress: "10.0.0.\(number % 7)", requestID: "\(actor)-req-\(number)")
}

/// A SQL log of `count` entries with a fixed clock, and its trusted checkpoint.
private func fill(_ database: any SQLDatabase, _ count: Int, signer: NoteSigner) async throws -> (AuditLog, SQLAuditStorage, Checkpoint) {
    let storage = try await SQLAuditStorage(database: database)
    let log = try await AuditLog(storage: storage, origin: origin, signer: signer, clock: { 1_700_000_000_000 })
    for number in 0..<count { _ = try await log.append(event(number)) }
    let trusted = try Checkpoint.open(try await log.checkpoint().serialized, origin: origin, verifier: signer.verifier)
    return (log, storage, trusted)
}

// MARK: bodies

private func appendProveAndReopen(_ engine: AuditEngine) async throws {
    try await withAuditDatabase(engine) { database, _ in
        let signer = try NoteSigner.generate(name: origin)
        let (log, storage, _) = try await fill(database, 37, signer: signer)
        // The same events in memory give the same tree.
        let memory = try await AuditLog(storage: InMemoryAuditStorage(), origin: origin, signer: signer, clock: { 1_700_000_000_000 })
        for number in 0..<37 { _ = try await memory.append(event(number)) }
        let size = await log.size
        let root = await log.rootHash
        #expect(size == 37)
        #expect(try await storage.count() == 37)
        #expect(root == (await memory.rootHash))
        // Paging by position in small batches returns every entry once, in order.
        var entries: [AuditEntry] = []
        while true {
            let batch = try await storage.entries(offset: UInt64(entries.count), limit: 5)
            if batch.isEmpty { break }
            entries += batch
        }
        #expect(entries.map(\.index) == Array(0..<37))
        #expect(entries[12].event == event(12))
        for entry in entries {
            let proof = try await log.inclusionProof(index: entry.index, size: size)
            #expect(MerkleTree.verifyInclusion(leafHash: entry.leafHash, index: entry.index, size: size, proof: proof, root: root))
        }
        for old in [UInt64(0), 1, 5, 16, 36, 37] {
            let oldRoot = try await log.rootHash(size: old)
            #expect(oldRoot == (try await memory.rootHash(size: old)))
            let proof = try await log.consistencyProof(from: old, to: size)
            #expect(MerkleTree.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: root, proof: proof))
        }
        // A log reopened on the same tables continues the same tree.
        let reopened = try await AuditLog(storage: try await SQLAuditStorage(database: database), origin: origin, signer: signer)
        #expect(await reopened.rootHash == root)
        let next = try await reopened.append(event(37))
        #expect(next.index == 37)
        // The storage refuses an entry that is not next, and stores nothing.
        await #expect(throws: AccessError.self) {
            try await storage.append(AuditEntry(index: 10, timeUnixMilliseconds: 0, event: event(99)), nodes: [])
        }
        #expect(try await storage.count() == 38)
    }
}

private func twoWritersShareOneTree(_ engine: AuditEngine) async throws {
    try await withAuditDatabase(engine) { first, location in
        let second = try await openDatabase(location)
        let signer = try NoteSigner.generate(name: origin)
        let logA = try await AuditLog(storage: try await SQLAuditStorage(database: first), origin: origin, signer: signer)
        let logB = try await AuditLog(storage: try await SQLAuditStorage(database: second), origin: origin, signer: signer)
        let perWriter = 30
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { for number in 0..<perWriter { _ = try await logA.append(event(number, actor: "a")) } }
            group.addTask { for number in 0..<perWriter { _ = try await logB.append(event(number, actor: "b")) } }
            try await group.waitForAll()
        }
        try await logA.refresh()
        try await logB.refresh()
        #expect(await logA.size == UInt64(2 * perWriter))
        #expect(await logA.rootHash == (await logB.rootHash))
        let storage = try await SQLAuditStorage(database: first)
        let trusted = try Checkpoint.open(try await logB.checkpoint().serialized, origin: origin, verifier: signer.verifier)
        let report = try await AuditVerifier.verify(storage: storage, trusted: trusted)
        #expect(report.findings.isEmpty, "\(report.findings)")
        let entries = try await storage.entries(offset: 0, limit: 1000)
        #expect(entries.map(\.index) == Array(0..<UInt64(2 * perWriter)))
        let requests = entries.compactMap(\.event.requestID)
        #expect(Set(requests).count == 2 * perWriter)
        #expect(Set(requests) == Set((0..<perWriter).flatMap { ["a-req-\($0)", "b-req-\($0)"] }))
        await second.close()
    }
}

/// One direct edit of the database and the finding it must produce.
private struct Tampering: Sendable, CustomStringConvertible {
    var description: String
    var statements: [SQLStatement]
    var kind: AuditFinding.Kind
    var index: UInt64
}

private func tamperings() -> [Tampering] {
    let forged = AuditEntry(index: 7, timeUnixMilliseconds: 1_700_000_000_000, event: AuditEvent(
        actor: "mallory", action: "login", resource: "session", outcome: .succeeded)).canonicalBytes
    return [
        Tampering(description: "UPDATE an entry's bytes",
                  statements: [SQLStatement("UPDATE audit_entries SET entry = ? WHERE idx = 7", [.blob(forged)])],
                  kind: .modified, index: 7),
        Tampering(description: "DELETE a row", statements: ["DELETE FROM audit_entries WHERE idx = 7"], kind: .deleted, index: 7),
        Tampering(description: "swap two rows' bytes", statements: [
            // Through a scratch row, so the swap does not depend on how an engine orders its reads.
            "INSERT INTO audit_entries (idx, entry, leaf_hash) SELECT 1000, entry, leaf_hash FROM audit_entries WHERE idx = 3",
            "UPDATE audit_entries SET entry = (SELECT entry FROM audit_entries WHERE idx = 5) WHERE idx = 3",
            "UPDATE audit_entries SET entry = (SELECT entry FROM audit_entries WHERE idx = 1000) WHERE idx = 5",
            "DELETE FROM audit_entries WHERE idx = 1000",
        ], kind: .reordered, index: 3),
        Tampering(description: "DELETE the tail", statements: ["DELETE FROM audit_entries WHERE idx >= 15"], kind: .truncated, index: 15),
        Tampering(description: "UPDATE a node hash",
                  statements: [SQLStatement("UPDATE audit_nodes SET hash = ? WHERE level = 1 AND idx = 2", [.blob(Array(repeating: 0xAB, count: 32))])],
                  kind: .nodeCache, index: 4),
    ]
}

private func tamperingIsFound(_ engine: AuditEngine) async throws {
    for tampering in tamperings() {
        try await withAuditDatabase(engine) { database, _ in
            let signer = try NoteSigner.generate(name: origin)
            let (_, storage, trusted) = try await fill(database, 20, signer: signer)
            #expect(try await AuditVerifier.verify(storage: storage, trusted: trusted).isIntact)
            for statement in tampering.statements { try await database.execute(statement) }
            let report = try await AuditVerifier.verify(storage: storage, trusted: trusted, batchSize: 6)
            let finding = report.findings.first
            #expect(finding?.kind == tampering.kind, "\(tampering): \(report.findings)")
            #expect(finding?.index == tampering.index, "\(tampering): \(report.findings)")
        }
    }
}

private func undecodableBytesAreModified(_ engine: AuditEngine) async throws {
    try await withAuditDatabase(engine) { database, _ in
        let signer = try NoteSigner.generate(name: origin)
        let (_, storage, trusted) = try await fill(database, 9, signer: signer)
        try await database.execute(SQLStatement("UPDATE audit_entries SET entry = ? WHERE idx = 4", [.blob(Array("not json".utf8))]))
        let entry = try #require(try await storage.entries(offset: 4, limit: 1).first)
        #expect(entry.event.action == SQLAuditStorage.undecodableAction)
        let report = try await AuditVerifier.verify(storage: storage, trusted: trusted)
        #expect(report.findings.first?.kind == .modified)
        #expect(report.findings.first?.index == 4)
    }
}

// MARK: suites

@Suite struct SQLiteAuditStorageTests {
    @Test func sqliteAuditAppendProveAndReopen() async throws { try await appendProveAndReopen(.sqlite) }
    @Test func sqliteAuditTwoWritersShareOneTree() async throws { try await twoWritersShareOneTree(.sqlite) }
    @Test func sqliteAuditTamperingIsFound() async throws { try await tamperingIsFound(.sqlite) }
    @Test func sqliteAuditUndecodableBytesAreModified() async throws { try await undecodableBytesAreModified(.sqlite) }
}

@Suite(.enabled(if: auditPostgresURL != nil, "BULWARK_TEST_POSTGRES_URL is unset (start one with scripts/postgres-server)"))
struct PostgresAuditStorageTests {
    @Test func postgresAuditAppendProveAndReopen() async throws { try await appendProveAndReopen(.postgres) }
    @Test func postgresAuditTwoWritersShareOneTree() async throws { try await twoWritersShareOneTree(.postgres) }
    @Test func postgresAuditTamperingIsFound() async throws { try await tamperingIsFound(.postgres) }
    @Test func postgresAuditUndecodableBytesAreModified() async throws { try await undecodableBytesAreModified(.postgres) }
}
