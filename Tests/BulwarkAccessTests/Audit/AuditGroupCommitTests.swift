import BulwarkAccess
import BulwarkStore
import Foundation
import Synchronization
import Testing

private let groupOrigin = "bulwark.example/audit"

/// A SQL audit storage that counts its transactions, can hold the first one back (so appends
/// queue behind it) and can fail chosen ones.
private final class CountingAuditStorage: SharedAuditStorage {
    let inner: SQLAuditStorage
    /// (transactions, events per transaction)
    let calls = Mutex<[Int]>([])
    let holdFirstMilliseconds: Int
    let failingCall: Int?

    init(_ inner: SQLAuditStorage, holdFirstMilliseconds: Int = 0, failingCall: Int? = nil) {
        self.inner = inner
        self.holdFirstMilliseconds = holdFirstMilliseconds
        self.failingCall = failingCall
    }

    func count() async throws(AccessError) -> UInt64 { try await inner.count() }
    func append(_ entry: AuditEntry, nodes: [(MerkleNodeID, MerkleHash)]) async throws(AccessError) {
        try await inner.append(entry, nodes: nodes)
    }
    func entries(offset: UInt64, limit: Int) async throws(AccessError) -> [AuditEntry] { try await inner.entries(offset: offset, limit: limit) }
    func nodeHashes(_ ids: [MerkleNodeID]) async throws(AccessError) -> [MerkleHash?] { try await inner.nodeHashes(ids) }
    func currentFrontier() async throws(AccessError) -> MerkleFrontier { try await inner.currentFrontier() }

    func appendAtEnd(frontier: MerkleFrontier, count: Int,
                     makeEntry: @Sendable (UInt64, Int) -> AuditEntry) async throws(AccessError)
        -> (entries: [AuditEntry], frontier: MerkleFrontier, nodes: [(MerkleNodeID, MerkleHash)]) {
        let call = calls.withLock { calls in
            calls.append(count)
            return calls.count
        }
        if call == 1, holdFirstMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(holdFirstMilliseconds)) }
        if call == failingCall { throw AccessError(.storage, "test storage: transaction \(call) fails") }
        return try await inner.appendAtEnd(frontier: frontier, count: count, makeEntry: makeEntry)
    }
}


private func numbered(_ number: Int) -> AuditEvent {
    AuditEvent(actor: "caller-\(number)", action: "model.promote", resource: "models/m/\(number)", outcome: .allowed)
}

/// 64 concurrent appends while the first transaction is held back: they share a few
/// transactions, each caller gets its own entry (its own event, a distinct index), and every
/// entry is stored and verifies.
@Test func auditGroupCommitGivesEachCallerItsOwnEntry() async throws {
    try await withSQLiteAudit { sql in
        let storage = CountingAuditStorage(sql, holdFirstMilliseconds: 300)
        let signer = try NoteSigner.generate(name: groupOrigin)
        let log = try await AuditLog(storage: storage, origin: groupOrigin, signer: signer)
        let results = try await withThrowingTaskGroup(of: (Int, AuditEntry).self) { group in
            for number in 0..<64 {
                group.addTask { (number, try await log.append(numbered(number))) }
            }
            var all: [(Int, AuditEntry)] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.allSatisfy { number, entry in entry.event == numbered(number) })
        #expect(Set(results.map(\.1.index)) == Set(0..<64))
        let calls = storage.calls.withLock { $0 }
        #expect(calls.reduce(0, +) == 64)
        #expect(calls.count < 64 && calls.count <= 8, "transactions per batch: \(calls)")
        #expect(try await sql.count() == 64)
        let head = await log.treeHead
        for (_, entry) in results {
            let proof = try await log.inclusionProof(index: entry.index, size: head.size)
            #expect(MerkleTree.verifyInclusion(leafHash: entry.leafHash, index: entry.index, size: head.size, proof: proof, root: head.rootHash))
        }
        let report = try await AuditVerifier.verify(storage: sql, trusted: Checkpoint(origin: groupOrigin, size: 0, rootHash: .emptyTree),
                                                    latest: head)
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.recomputedRoot == head.rootHash)
    }
}

/// A failed transaction fails every append in it and stores none of them; the log stays
/// usable and the next appends continue from where it was.
@Test func auditGroupCommitFailureFailsTheWholeBatchOnly() async throws {
    try await withSQLiteAudit { sql in
        let storage = CountingAuditStorage(sql, holdFirstMilliseconds: 300, failingCall: 2)
        let log = try await AuditLog(storage: storage, origin: groupOrigin, signer: try NoteSigner.generate(name: groupOrigin))
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for number in 0..<16 {
                group.addTask { (try? await log.append(numbered(number))) != nil }
            }
            var all: [Bool] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let calls = storage.calls.withLock { $0 }
        let failed = outcomes.filter { !$0 }.count
        #expect(calls.count >= 2)
        #expect(failed == (calls.count >= 2 ? calls[1] : 0), "batches \(calls)")
        let stored = try await sql.count()
        #expect(stored == UInt64(16 - failed))
        #expect(await log.size == stored)
        let entry = try await log.append(numbered(99))
        #expect(entry.index == stored)
        let report = try await AuditVerifier.verify(storage: sql, trusted: Checkpoint(origin: groupOrigin, size: 0, rootHash: .emptyTree),
                                                    latest: await log.treeHead)
        #expect(report.isIntact, "\(report.findings)")
    }
}

/// `append(contentsOf:)` is one transaction: consecutive indices, and nothing stored when one
/// event is too large.
@Test func auditAppendContentsOfIsAtomic() async throws {
    try await withSQLiteAudit { sql in
        let log = try await AuditLog(storage: sql, origin: groupOrigin, signer: try NoteSigner.generate(name: groupOrigin))
        let entries = try await log.append(contentsOf: (0..<1000).map(numbered))
        #expect(entries.map(\.index) == Array(0..<1000))
        #expect(entries.map(\.event) == (0..<1000).map(numbered))
        let huge = AuditEvent(actor: "x", action: "y", resource: "z", outcome: .failed,
                              details: ["blob": String(repeating: "a", count: AuditEntry.maximumEncodedBytes)])
        await #expect(throws: AccessError.self) { try await log.append(contentsOf: [numbered(1), huge]) }
        #expect(try await sql.count() == 1000)
        #expect(await log.size == 1000)
        #expect(try await log.append(contentsOf: []).isEmpty)
    }
}

/// The durability option reaches SQLite: `synchronous` reads 2 (FULL) by default and 1 (NORMAL)
/// when asked, on readers and on the writer.
@Test func sqliteSynchronousOptionIsApplied() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-audit-sync-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (mode, expected) in [(SQLiteSynchronous.full, Int64(2)), (.normal, 1)] {
        var options = DatabaseOptions()
        options.sqliteSynchronous = mode
        let db = try await openDatabase(.sqlite(path: directory.appendingPathComponent("\(mode.rawValue).db").path), options: options)
        let reader = try await db.query("PRAGMA synchronous").first?.int64("synchronous")
        let writer = try await db.transaction { tx throws(StoreError) in
            try await tx.query("PRAGMA synchronous").first?.int64("synchronous")
        }
        #expect(reader == expected && writer == expected, "\(mode): reader \(String(describing: reader)), writer \(String(describing: writer))")
        await db.close()
    }
    #expect(DatabaseOptions().sqliteSynchronous == .full)
}
