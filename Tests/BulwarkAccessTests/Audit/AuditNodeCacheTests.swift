import BulwarkAccess
import BulwarkStore
import Foundation
import Synchronization
import Testing

private let cacheOrigin = "bulwark.example/audit"

/// A SQL audit storage that counts the node ids it is asked for.
private final class NodeReadCountingStorage: SharedAuditStorage {
    let inner: SQLAuditStorage
    let nodeReads = Mutex<Int>(0)

    init(_ inner: SQLAuditStorage) { self.inner = inner }

    func count() async throws(AccessError) -> UInt64 { try await inner.count() }
    func append(_ entry: AuditEntry, nodes: [(MerkleNodeID, MerkleHash)]) async throws(AccessError) {
        try await inner.append(entry, nodes: nodes)
    }
    func entries(offset: UInt64, limit: Int) async throws(AccessError) -> [AuditEntry] { try await inner.entries(offset: offset, limit: limit) }
    func nodeHashes(_ ids: [MerkleNodeID]) async throws(AccessError) -> [MerkleHash?] {
        nodeReads.withLock { $0 += ids.count }
        return try await inner.nodeHashes(ids)
    }
    func currentFrontier() async throws(AccessError) -> MerkleFrontier { try await inner.currentFrontier() }
    func appendAtEnd(frontier: MerkleFrontier, count: Int,
                     makeEntry: @Sendable (UInt64, Int) -> AuditEntry) async throws(AccessError)
        -> (entries: [AuditEntry], frontier: MerkleFrontier, nodes: [(MerkleNodeID, MerkleHash)]) {
        try await inner.appendAtEnd(frontier: frontier, count: count, makeEntry: makeEntry)
    }
}


private func event(_ number: Int) -> AuditEvent {
    AuditEvent(actor: "user-\(number)", action: "model.download", resource: "models/m/\(number % 7)", outcome: .allowed)
}

/// The receipt for an entry just appended (its inclusion proof in the new head) comes from the
/// log's memory, without a storage read, and equals the proof a log with nothing cached reads
/// from storage; proofs of older entries and consistency proofs still read what they need.
@Test func auditReceiptForANewEntryNeedsNoStorageRead() async throws {
    try await withSQLiteAudit { sql in
        let signer = try NoteSigner.generate(name: cacheOrigin)
        // Another writer fills the first 1 000 entries, so this log starts from a stored frontier.
        let filler = try await AuditLog(storage: sql, origin: cacheOrigin, signer: signer)
        _ = try await filler.append(contentsOf: (0..<1000).map(event))
        let counting = NodeReadCountingStorage(sql)
        let log = try await AuditLog(storage: counting, origin: cacheOrigin, signer: signer)
        counting.nodeReads.withLock { $0 = 0 }
        var receipts: [(AuditEntry, UInt64, [MerkleHash])] = []
        for number in 1000..<1300 {
            let entry = try await log.append(event(number))
            let head = await log.treeHead
            let proof = try await log.inclusionProof(index: entry.index, size: head.size)
            #expect(MerkleTree.verifyInclusion(leafHash: entry.leafHash, index: entry.index, size: head.size, proof: proof, root: head.rootHash))
            receipts.append((entry, head.size, proof))
        }
        #expect(counting.nodeReads.withLock { $0 } == 0, "a receipt read stored nodes")

        // A log that caches nothing but the current frontier reads every other node from storage.
        let fresh = try await AuditLog(storage: sql, origin: cacheOrigin, signer: signer)
        for (entry, size, proof) in receipts {
            #expect(try await fresh.inclusionProof(index: entry.index, size: size) == proof, "entry \(entry.index) at size \(size)")
        }
        let head = await log.treeHead
        for index in [UInt64(0), 1, 511, 999, 1000, 1150, 1299] {
            let proof = try await log.inclusionProof(index: index, size: head.size)
            #expect(proof == (try await fresh.inclusionProof(index: index, size: head.size)))
        }
        for (old, new) in [(UInt64(1), UInt64(1300)), (1000, 1300), (1023, 1201), (1299, 1300)] {
            #expect(try await log.consistencyProof(from: old, to: new) == (try await fresh.consistencyProof(from: old, to: new)))
            #expect(try await log.rootHash(size: new) == (try await fresh.rootHash(size: new)))
        }
        #expect(counting.nodeReads.withLock { $0 } > 0, "old entries' proofs must read storage")
    }
}

/// Past ``AuditLog/nodeCacheLimit`` nodes the cache starts again from the latest frontiers:
/// the receipt for the next entry still needs no storage read, and every proof stays right.
@Test func auditNodeCacheStaysBoundedAndCorrect() async throws {
    try await withSQLiteAudit { sql in
        let signer = try NoteSigner.generate(name: cacheOrigin)
        let counting = NodeReadCountingStorage(sql)
        let log = try await AuditLog(storage: counting, origin: cacheOrigin, signer: signer)
        let batch = (0..<4096).map(event)
        while await log.size < UInt64(AuditLog.nodeCacheLimit / 2 + 5000) {
            _ = try await log.append(contentsOf: batch)
        }
        counting.nodeReads.withLock { $0 = 0 }
        let entry = try await log.append(event(1))
        let head = await log.treeHead
        let proof = try await log.inclusionProof(index: entry.index, size: head.size)
        #expect(MerkleTree.verifyInclusion(leafHash: entry.leafHash, index: entry.index, size: head.size, proof: proof, root: head.rootHash))
        #expect(counting.nodeReads.withLock { $0 } == 0)
        let fresh = try await AuditLog(storage: sql, origin: cacheOrigin, signer: signer)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<64 {
            let size = UInt64.random(in: 1...head.size, using: &generator)
            let index = UInt64.random(in: 0..<size, using: &generator)
            #expect(try await log.inclusionProof(index: index, size: size) == (try await fresh.inclusionProof(index: index, size: size)),
                    "entry \(index) at size \(size)")
        }
    }
}
