// audit-bench: latency of AuditLog.append + a verified inclusion proof on a SQLite audit log of
// N entries (default 1 000 000), in each durability mode.
//
//   swift build -c release --product audit-bench --package-path Benchmarks
//   Benchmarks/.build/release/audit-bench [N] [--dir DIR] [--modes full,normal] [--appends 1000] [--writers 16]
//
// The log is filled to N through AuditLog.append(contentsOf:) (10 000 events per transaction),
// once; then, for each mode, the database is reopened with that `synchronous` setting and
//   1. sequential: `--appends` times, one AuditLog.append, then the log's tree head and the
//      inclusion proof of the new entry in it, verified against the head's root;
//   2. concurrent: `--writers` tasks doing the same (`--appends` in all) at once, so AuditLog's
//      group commit stores the appends that arrive during a commit in the next transaction.
// Each line gives p50/p99/max of append + proof, p99 of the append alone, and throughput. At the
// end the log's final head is checked to be consistent with the head after the fill.
import BulwarkAccess
import BulwarkStore
import Foundation

struct Options {
    var target: UInt64 = 1_000_000
    var directory: String?
    var modes: [SQLiteSynchronous] = [.full, .normal]
    var appends = 1000
    var writers = 16
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch argument {
        case "--dir": options.directory = arguments.popFirst()
        case "--modes":
            options.modes = (arguments.popFirst() ?? "").split(separator: ",").compactMap { SQLiteSynchronous(rawValue: $0.uppercased()) }
        case "--appends": options.appends = max(100, Int(arguments.popFirst() ?? "") ?? options.appends)
        case "--writers": options.writers = max(1, Int(arguments.popFirst() ?? "") ?? options.writers)
        default:
            guard let count = UInt64(argument) else {
                print("usage: audit-bench [N] [--dir DIR] [--modes full,normal] [--appends 1000] [--writers 16]")
                exit(2)
            }
            options.target = count
        }
    }
    return options
}

/// The sample at quantile `q` of sorted `samples` (nearest rank).
func quantile(_ samples: [Duration], _ q: Double) -> Duration {
    let rank = Int((Double(samples.count) * q).rounded(.up)) - 1
    return samples[min(samples.count - 1, max(0, rank))]
}

func milliseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    return String(format: "%.3f ms", Double(seconds) * 1e3 + Double(attoseconds) / 1e15)
}

func seconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) + Double(attoseconds) / 1e18
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
}

/// One append and the verified inclusion proof of the new entry in the log's head after it;
/// returns (append alone, append + proof).
func appendAndProve(_ log: AuditLog, _ event: AuditEvent) async throws -> (Duration, Duration) {
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

func report(_ label: String, mode: SQLiteSynchronous, size: UInt64, samples: [(Duration, Duration)], wall: Duration) {
    let appendOnly = samples.map(\.0).sorted()
    let total = samples.map(\.1).sorted()
    let throughput = Double(samples.count) / seconds(wall)
    print("audit-bench mode=\(mode.rawValue) \(label) at \(size) entries, n \(samples.count): append + proof p50 \(milliseconds(quantile(total, 0.5))), "
        + "p99 \(milliseconds(quantile(total, 0.99))), max \(milliseconds(total[total.count - 1])); append alone p50 \(milliseconds(quantile(appendOnly, 0.5))), "
        + "p99 \(milliseconds(quantile(appendOnly, 0.99))); throughput \(Int(throughput.rounded())) appends/s")
}

func run() async throws {
    let options = parseOptions()
    let ownDirectory = options.directory == nil
    let directory = options.directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-audit-bench-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { if ownDirectory { try? FileManager.default.removeItem(atPath: directory) } }
    let path = (directory as NSString).appendingPathComponent("audit.db")
    let origin = "bulwark.bench/audit"
    let signer = try NoteSigner.generate(name: origin)
    let event = AuditEvent(actor: "bench", action: "model.promote", resource: "models/m/1", outcome: .allowed, rule: "r",
                           clientAddress: "192.0.2.1", requestID: "q")
    let clock = ContinuousClock()

    // Fill (once, in FULL mode: 100 transactions of 10 000 entries, so the mode hardly matters).
    var options0 = DatabaseOptions()
    options0.sqliteSynchronous = .full
    let fillDatabase = try await openDatabase(.sqlite(path: path), options: options0)
    let fillStorage = try await SQLAuditStorage(database: fillDatabase)
    let fillLog = try await AuditLog(storage: fillStorage, origin: origin, signer: signer)
    let fillStart = clock.now
    let before = await fillLog.size
    var filled = before
    while filled < options.target {
        let count = Int(min(10_000, options.target - filled))
        filled = (try await fillLog.append(contentsOf: Array(repeating: event, count: count)).last?.index ?? filled) + 1
    }
    let filledHead = await fillLog.treeHead
    print("audit-bench: filled \(before) → \(filledHead.size) entries through AuditLog.append(contentsOf:) in \(milliseconds(clock.now - fillStart))")
    await fillDatabase.close()

    for mode in options.modes {
        var databaseOptions = DatabaseOptions()
        databaseOptions.sqliteSynchronous = mode
        let database = try await openDatabase(.sqlite(path: path), options: databaseOptions)
        let reported = try await database.query("PRAGMA synchronous").first.map { try $0.int64("synchronous") }
        let storage = try await SQLAuditStorage(database: database)
        let log = try await AuditLog(storage: storage, origin: origin, signer: signer)
        print("audit-bench: sqlite WAL, PRAGMA synchronous = \(mode.rawValue) (reads back \(reported.map(String.init) ?? "?"); 2 = FULL, 1 = NORMAL)")

        // Sequential: one caller, one transaction per append.
        var samples: [(Duration, Duration)] = []
        let size = await log.size
        let start = clock.now
        for _ in 0..<options.appends {
            samples.append(try await appendAndProve(log, event))
        }
        report("sequential (1 writer)", mode: mode, size: size, samples: samples, wall: clock.now - start)

        // Concurrent: `writers` callers; appends arriving during a commit share the next one.
        let perWriter = max(1, options.appends / options.writers)
        let concurrentSize = await log.size
        let concurrentStart = clock.now
        let concurrent = try await withThrowingTaskGroup(of: [(Duration, Duration)].self) { group in
            for _ in 0..<options.writers {
                group.addTask {
                    var mine: [(Duration, Duration)] = []
                    for _ in 0..<perWriter { mine.append(try await appendAndProve(log, event)) }
                    return mine
                }
            }
            var all: [(Duration, Duration)] = []
            for try await part in group { all += part }
            return all
        }
        report("concurrent (\(options.writers) writers, group commit)", mode: mode, size: concurrentSize, samples: concurrent,
               wall: clock.now - concurrentStart)

        let head = await log.treeHead
        let consistency = try await log.consistencyProof(from: filledHead.size, to: head.size)
        guard MerkleTree.verifyConsistency(oldSize: filledHead.size, newSize: head.size, oldRoot: filledHead.rootHash,
                                           newRoot: head.rootHash, proof: consistency) else {
            throw BenchFailure(description: "the head of size \(head.size) is not consistent with the filled head of size \(filledHead.size)")
        }
        _ = try head.signed(by: signer)
        await database.close()
    }
    print("audit-bench: every append's inclusion proof verified; the final head is consistent with the filled one")
}

do {
    try await run()
} catch {
    print("audit-bench: failed: \(error)")
    exit(1)
}
