import BulwarkAccess
import BulwarkStore
import Foundation
import Testing

/// Fills a SQLite audit log to `BULWARK_AUDIT_SQL_BENCH` entries (default 1 000 000) through the
/// bulk fast path (many entries per transaction; the tree and node hashes are the same as with
/// single appends), then times 1 000 single `AuditLog.append` calls (each its own fsynced
/// transaction) each followed by an inclusion proof of an older entry. Prints p50/p99/max;
/// asserts only correctness. Runs when BULWARK_AUDIT_SQL_BENCH is set (Benchmarks/audit/append-bench.sh).
@Test(.enabled(if: ProcessInfo.processInfo.environment["BULWARK_AUDIT_SQL_BENCH"] != nil))
func sqlAuditAppendAndProveBenchmark() async throws {
    let target = UInt64(ProcessInfo.processInfo.environment["BULWARK_AUDIT_SQL_BENCH"].flatMap { UInt64($0) } ?? 1_000_000)
    let directory = ProcessInfo.processInfo.environment["BULWARK_AUDIT_SQL_BENCH_DIR"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-audit-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try await openDatabase(.sqlite(path: directory.appendingPathComponent("audit.db").path))
    let storage = try await SQLAuditStorage(database: database)
    let origin = "bulwark.example/audit"
    let event = AuditEvent(actor: "bench", action: "model.promote", resource: "models/m/1", outcome: .allowed, rule: "r", requestID: "q")
    let clock = ContinuousClock()
    let fillStart = clock.now
    var frontier = try await storage.currentFrontier()
    while frontier.size < target {
        let count = min(10_000, target - frontier.size)
        let entries = (0..<count).map { AuditEntry(index: frontier.size + $0, timeUnixMilliseconds: 1_700_000_000_000, event: event) }
        frontier = try await storage.appendBulk(entries, frontier: frontier)
    }
    let filled = clock.now - fillStart
    let log = try await AuditLog(storage: storage, origin: origin, signer: try NoteSigner.generate(name: origin))
    var appendSamples: [Duration] = []
    var totalSamples: [Duration] = []
    for _ in 0..<1000 {
        let begin = clock.now
        let entry = try await log.append(event)
        let appended = clock.now
        let size = await log.size
        let proof = try await log.inclusionProof(index: entry.index / 2, size: size)
        let end = clock.now
        appendSamples.append(appended - begin)
        totalSamples.append(end - begin)
        #expect(!proof.isEmpty)
    }
    appendSamples.sort()
    totalSamples.sort()
    let size = await log.size
    let probe = try #require(try await storage.entries(offset: 123_456 % size, limit: 1).first)
    let proof = try await log.inclusionProof(index: probe.index, size: size)
    #expect(MerkleTree.verifyInclusion(leafHash: probe.leafHash, index: probe.index, size: size, proof: proof, root: await log.rootHash))
    print("sqlite audit: bulk fill to \(target) in \(filled); at \(size) entries, append: p50 \(appendSamples[500]) p99 \(appendSamples[990]); append + inclusion proof: p50 \(totalSamples[500]), p99 \(totalSamples[990]), max \(totalSamples[999])")
    await database.close()
}
