import BulwarkAccess
import BulwarkStore
import Foundation
import Testing

// The debug-build twin of Benchmarks/audit/swift (the `audit-bench` executable, built in release
// by Benchmarks/audit/append-bench.sh): the same fill and the same measured loop, run by
// `BULWARK_AUDIT_BENCH=N swift test --filter auditAppendAndProveBenchmark`. Skipped otherwise.

/// The sample at quantile `q` of sorted `samples` (nearest rank).
private func quantile(_ samples: [Duration], _ q: Double) -> Duration {
    let rank = Int((Double(samples.count) * q).rounded(.up)) - 1
    return samples[min(samples.count - 1, max(0, rank))]
}

private func milliseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    return String(format: "%.3f ms", Double(seconds) * 1e3 + Double(attoseconds) / 1e15)
}

private func seconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) + Double(attoseconds) / 1e18
}

private struct BenchFailure: Error, CustomStringConvertible {
    let description: String
}

/// One append and the verified inclusion proof of the new entry in the log's head after it;
/// returns (append alone, append + proof).
private func appendAndProve(_ log: AuditLog, _ event: AuditEvent) async throws -> (Duration, Duration) {
    let clock = ContinuousClock()
    let begin = clock.now
    let entry = try await log.append(event)
    let appended = clock.now
    let head = await log.treeHead
    let proof = try await log.inclusionProof(index: entry.index, size: head.size)
    guard MerkleTree.verifyInclusion(leafHash: entry.leafHash, index: entry.index, size: head.size, proof: proof, root: head.rootHash) else {
        throw BenchFailure(description: "entry \(entry.index): the inclusion proof in the head of size \(head.size) does not verify")
    }
    let end = clock.now
    return (appended - begin, end - begin)
}

private func report(_ label: String, mode: SQLiteSynchronous, size: UInt64, samples: [(Duration, Duration)], wall: Duration) {
    let appendOnly = samples.map(\.0).sorted()
    let total = samples.map(\.1).sorted()
    let throughput = Double(samples.count) / seconds(wall)
    print("audit-bench mode=\(mode.rawValue) \(label) at \(size) entries, n \(samples.count): append + proof p50 \(milliseconds(quantile(total, 0.5))), "
        + "p99 \(milliseconds(quantile(total, 0.99))), max \(milliseconds(total[total.count - 1])); append alone p50 \(milliseconds(quantile(appendOnly, 0.5))), "
        + "p99 \(milliseconds(quantile(appendOnly, 0.99))); throughput \(Int(throughput.rounded())) appends/s")
}

/// Fills a SQLite log to `BULWARK_AUDIT_BENCH` entries through `AuditLog.append(contentsOf:)`,
/// then, in each durability mode, times 1 000 sequential and 1 000 concurrent (16 writers)
/// `AuditLog.append` calls, each followed by a verified inclusion proof of the new entry.
@Test(.enabled(if: ProcessInfo.processInfo.environment["BULWARK_AUDIT_BENCH"] != nil))
func auditAppendAndProveBenchmark() async throws {
    let target = UInt64(ProcessInfo.processInfo.environment["BULWARK_AUDIT_BENCH"].flatMap { UInt64($0) } ?? 1_000_000)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-audit-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("audit.db").path
    let origin = "bulwark.bench/audit"
    let signer = try NoteSigner.generate(name: origin)
    let event = AuditEvent(actor: "bench", action: "model.promote", resource: "models/m/1", outcome: .allowed, rule: "r",
                           clientAddress: "192.0.2.1", requestID: "q")
    let clock = ContinuousClock()
    let fillDatabase = try await openDatabase(.sqlite(path: path))
    let fillLog = try await AuditLog(storage: try await SQLAuditStorage(database: fillDatabase), origin: origin, signer: signer)
    let fillStart = clock.now
    var filled: UInt64 = 0
    while filled < target {
        let count = Int(min(10_000, target - filled))
        filled = (try await fillLog.append(contentsOf: Array(repeating: event, count: count)).last?.index ?? filled) + 1
    }
    let filledHead = await fillLog.treeHead
    print("audit-bench (debug test): filled to \(filledHead.size) entries through AuditLog.append(contentsOf:) in \(milliseconds(clock.now - fillStart))")
    await fillDatabase.close()
    for mode in [SQLiteSynchronous.full, .normal] {
        var options = DatabaseOptions()
        options.sqliteSynchronous = mode
        let database = try await openDatabase(.sqlite(path: path), options: options)
        let log = try await AuditLog(storage: try await SQLAuditStorage(database: database), origin: origin, signer: signer)
        var samples: [(Duration, Duration)] = []
        let size = await log.size
        let start = clock.now
        for _ in 0..<1000 { samples.append(try await appendAndProve(log, event)) }
        report("sequential (1 writer)", mode: mode, size: size, samples: samples, wall: clock.now - start)
        let concurrentSize = await log.size
        let concurrentStart = clock.now
        let concurrent = try await withThrowingTaskGroup(of: [(Duration, Duration)].self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var mine: [(Duration, Duration)] = []
                    for _ in 0..<(1000 / 16) { mine.append(try await appendAndProve(log, event)) }
                    return mine
                }
            }
            var all: [(Duration, Duration)] = []
            for try await part in group { all += part }
            return all
        }
        report("concurrent (16 writers, group commit)", mode: mode, size: concurrentSize, samples: concurrent, wall: clock.now - concurrentStart)
        let head = await log.treeHead
        let proof = try await log.consistencyProof(from: filledHead.size, to: head.size)
        #expect(MerkleTree.verifyConsistency(oldSize: filledHead.size, newSize: head.size, oldRoot: filledHead.rootHash,
                                             newRoot: head.rootHash, proof: proof))
        await database.close()
    }
}
