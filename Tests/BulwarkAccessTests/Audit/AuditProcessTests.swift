import BulwarkAccess
import BulwarkStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Several real OS processes on one audit log. The test binary re-runs itself as a child that runs
// only `auditChildAppends` (see Tests/BulwarkStoreTests/CrashSafetyTests.swift for the pattern):
// the child opens the log at BULWARK_AUDIT_CHILD_DB with the signer key it is given, appends with
// 4 concurrent tasks (so appends share group commits), and prints one line per append *after*
// it returned — `ACK <index> <writer> <task> <seq>` — and, every 20 appends of task 0, a signed
// checkpoint — `HEAD <base64 note>`.

private let processOrigin = "bulwark.test/audit-processes"

private enum ChildVariable {
    static let database = "BULWARK_AUDIT_CHILD_DB"
    static let key = "BULWARK_AUDIT_CHILD_KEY"
    static let writer = "BULWARK_AUDIT_CHILD_WRITER"
    static let count = "BULWARK_AUDIT_CHILD_COUNT"
    static let go = "BULWARK_AUDIT_CHILD_GO"
}

private let processPostgresURL: String? = {
    guard let url = ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
    return url
}()

private let processPostgresSkip: Comment = "BULWARK_TEST_POSTGRES_URL is unset (start one with scripts/postgres-server start DIR)"

/// A fresh database location as text a child process can open: a SQLite file in a new
/// directory, or a new database on the test PostgreSQL server (dropped afterwards).
private func withAuditLocation(postgres: Bool, _ body: (String, URL) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-audit-proc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    guard postgres else {
        try await body("sqlite:" + directory.appendingPathComponent("audit.db").path, directory)
        return
    }
    let url = try #require(processPostgresURL)
    var components = try #require(URLComponents(string: url), "BULWARK_TEST_POSTGRES_URL is not a URL")
    let admin = try await openDatabase(url)
    let name = "bulwark_audit_proc_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    try await admin.execute(SQLStatement("CREATE DATABASE \(name)"))
    components.path = "/" + name
    var failure: (any Error)?
    do {
        try await body(try #require(components.string), directory)
    } catch {
        failure = error
    }
    try? await admin.execute(SQLStatement("DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
    await admin.close()
    if let failure { throw failure }
}

/// What a child printed.
private struct ChildOutput {
    /// index → (writer, task, seq)
    var acknowledged: [UInt64: String] = [:]
    var heads: [String] = []

    mutating func parse(_ line: Substring) {
        if line.hasPrefix("ACK ") {
            let fields = line.split(separator: " ")
            if fields.count == 5, let index = UInt64(fields[1]) { acknowledged[index] = fields[2...].joined(separator: " ") }
        } else if line.hasPrefix("HEAD "), let data = Data(base64Encoded: String(line.dropFirst(5))) {
            heads.append(String(decoding: data, as: UTF8.self))
        }
    }
}

/// Starts the test binary as an audit child writing `count` entries as `writer`.
private func startChild(location: String, signer: NoteSigner, writer: String, count: Int, go: String) throws -> (Process, Pipe) {
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let child = Process()
    child.executableURL = URL(fileURLWithPath: executable)
    child.arguments = ["--testing-library", "swift-testing", "--filter", "auditChildAppends"]
    var environment = ProcessInfo.processInfo.environment
    environment[ChildVariable.database] = location
    environment[ChildVariable.key] = signer.signerKey
    environment[ChildVariable.writer] = writer
    environment[ChildVariable.count] = String(count)
    environment[ChildVariable.go] = go
    child.environment = environment
    let output = Pipe()
    child.standardOutput = output
    child.standardError = FileHandle.nullDevice
    try child.run()
    return (child, output)
}

/// Reads `pipe` on a thread of its own until `stop` says so or the child ends (then runs `end`).
private func readLines(_ pipe: Pipe, stop: @escaping @Sendable (ChildOutput) -> Bool = { _ in false },
                       end: @escaping @Sendable () -> Void = {}) async -> ChildOutput {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            var output = ChildOutput()
            var buffer = ""
            let deadline = Date().addingTimeInterval(120)
            while !stop(output), Date() < deadline {
                let data = pipe.fileHandleForReading.availableData
                if data.isEmpty { break }
                buffer += String(decoding: data, as: UTF8.self)
                while let newline = buffer.firstIndex(of: "\n") {
                    output.parse(buffer[..<newline])
                    buffer.removeSubrange(...newline)
                }
            }
            end()
            continuation.resume(returning: output)
        }
    }
}

/// Opens `note` as a checkpoint of the test log.
private func checkpoint(_ note: String, _ signer: NoteSigner) throws -> Checkpoint {
    try Checkpoint.open(note, origin: processOrigin, verifier: signer.verifier)
}

/// Every acknowledged entry is stored at its index with the event its writer gave it.
private func expectAcknowledgedEntriesStored(_ output: ChildOutput, in storage: SQLAuditStorage) async throws {
    let count = try await storage.count()
    let entries = try await storage.entries(offset: 0, limit: Int(count))
    for (index, fields) in output.acknowledged {
        let parts = fields.split(separator: " ").map(String.init)
        guard index < UInt64(entries.count), parts.count == 3 else {
            Issue.record("acknowledged entry \(index) (\(fields)) is not stored; the log holds \(count)")
            continue
        }
        let event = entries[Int(index)].event
        #expect(entries[Int(index)].index == index)
        #expect(event.actor == parts[0] && event.details["task"] == parts[1] && event.details["seq"] == parts[2], "entry \(index)")
    }
}

// MARK: two processes, one tree

private func twoProcessesKeepOneTree(postgres: Bool) async throws {
    try await withAuditLocation(postgres: postgres) { location, directory in
        let signer = try NoteSigner.generate(name: processOrigin)
        let storage = try await SQLAuditStorage.open(location)  // creates the tables before the children race
        let go = directory.appendingPathComponent("go").path
        let perChild = 160
        let a = try startChild(location: location, signer: signer, writer: "alpha", count: perChild, go: go)
        let b = try startChild(location: location, signer: signer, writer: "beta", count: perChild, go: go)
        // Release both children at once, when both are ready, so that their appends overlap.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !["alpha", "beta"].allSatisfy({ FileManager.default.fileExists(atPath: go + ".\($0).ready") }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        _ = FileManager.default.createFile(atPath: go, contents: Data())
        async let outputA = readLines(a.1)
        async let outputB = readLines(b.1)
        let outputs = await [outputA, outputB]
        a.0.waitUntilExit()
        b.0.waitUntilExit()
        #expect(a.0.terminationStatus == 0 && b.0.terminationStatus == 0)
        #expect(outputs.map(\.acknowledged.count) == [perChild, perChild])
        let indicesA = Set(outputs[0].acknowledged.keys)
        let indicesB = Set(outputs[1].acknowledged.keys)
        #expect(indicesA.isDisjoint(with: indicesB))
        #expect(indicesA.union(indicesB) == Set(0..<UInt64(2 * perChild)))
        // Both start at the same moment, but whether their entries interleave is up to the lock's
        // scheduling (SQLite's busy handler can let one process finish first), so it is only shown.
        print("audit processes: alpha holds \(indicesA.min() ?? 0)...\(indicesA.max() ?? 0), beta \(indicesB.min() ?? 0)...\(indicesB.max() ?? 0)")
        #expect(try await storage.count() == UInt64(2 * perChild))
        for output in outputs { try await expectAcknowledgedEntriesStored(output, in: storage) }

        let log = try await AuditLog(storage: storage, origin: processOrigin, signer: signer)
        let final = try checkpoint(try await log.checkpoint().serialized, signer)
        #expect(final.size == UInt64(2 * perChild))
        for output in outputs {
            let head = try checkpoint(try #require(output.heads.last), signer)
            let report = try await AuditVerifier.verify(storage: storage, trusted: head, latest: final)
            #expect(report.isIntact, "\(report.findings)")
            let proof = try await log.consistencyProof(from: head.size, to: final.size)
            #expect(MerkleTree.verifyConsistency(oldSize: head.size, newSize: final.size, oldRoot: head.rootHash,
                                                 newRoot: final.rootHash, proof: proof))
        }
        await storage.close()
    }
}

@Test func sqliteAuditTwoProcessesKeepOneTree() async throws { try await twoProcessesKeepOneTree(postgres: false) }

@Test(.enabled(if: processPostgresURL != nil, processPostgresSkip))
func postgresAuditTwoProcessesKeepOneTree() async throws { try await twoProcessesKeepOneTree(postgres: true) }

// MARK: kill -9

private func killMinus9KeepsAcknowledgedEntries(postgres: Bool) async throws {
    try await withAuditLocation(postgres: postgres) { location, directory in
        let signer = try NoteSigner.generate(name: processOrigin)
        let setup = try await SQLAuditStorage.open(location)
        await setup.close()
        let go = directory.appendingPathComponent("go").path
        _ = FileManager.default.createFile(atPath: go, contents: Data())
        let (child, pipe) = try startChild(location: location, signer: signer, writer: "victim", count: 1_000_000, go: go)
        let wanted = 240
        let pid = child.processIdentifier
        let output = await readLines(pipe, stop: { $0.acknowledged.count >= wanted && !$0.heads.isEmpty }, end: { kill(pid, SIGKILL) })
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        #expect(output.acknowledged.count >= wanted, "the child acknowledged only \(output.acknowledged.count) appends")

        let storage = try await SQLAuditStorage.open(location)
        try await expectAcknowledgedEntriesStored(output, in: storage)
        let head = try checkpoint(try #require(output.heads.last), signer)
        // The log verifies against the last checkpoint the killed process signed, and a new
        // writer continues it (on PostgreSQL the dead session's advisory lock is gone).
        let log = try await AuditLog(storage: storage, origin: processOrigin, signer: signer)
        #expect(await log.size >= UInt64((output.acknowledged.keys.max() ?? 0) + 1))
        let after = try await log.append(AuditEvent(actor: "survivor", action: "restart", resource: "audit", outcome: .succeeded))
        let latest = try checkpoint(try await log.checkpoint().serialized, signer)
        let report = try await AuditVerifier.verify(storage: storage, trusted: head, latest: latest)
        #expect(report.isIntact, "\(report.findings)")
        #expect(after.index + 1 == latest.size)
        await storage.close()
    }
}

@Test func sqliteAuditKillMinus9KeepsAcknowledgedEntries() async throws { try await killMinus9KeepsAcknowledgedEntries(postgres: false) }

@Test(.enabled(if: processPostgresURL != nil, processPostgresSkip))
func postgresAuditKillMinus9KeepsAcknowledgedEntries() async throws { try await killMinus9KeepsAcknowledgedEntries(postgres: true) }

// MARK: the child

/// The writer run in the child processes of the tests above; skipped in a normal run.
@Test(.enabled(if: ProcessInfo.processInfo.environment[ChildVariable.database] != nil,
               "runs only as a child process of the audit process tests"))
func auditChildAppends() async throws {
    let environment = ProcessInfo.processInfo.environment
    let location = try #require(environment[ChildVariable.database])
    let signer = try NoteSigner(signerKey: try #require(environment[ChildVariable.key]))
    let writer = try #require(environment[ChildVariable.writer])
    let count = try #require(environment[ChildVariable.count].flatMap { Int($0) })
    let go = try #require(environment[ChildVariable.go])
    let storage = try await SQLAuditStorage.open(location)
    let log = try await AuditLog(storage: storage, origin: processOrigin, signer: signer)
    _ = FileManager.default.createFile(atPath: go + ".\(writer).ready", contents: Data())
    let deadline = Date().addingTimeInterval(60)
    while !FileManager.default.fileExists(atPath: go), Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
    let tasks = 4
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                for seq in stride(from: task, to: count, by: tasks) {
                    let entry = try await log.append(AuditEvent(actor: writer, action: "test.append", resource: "audit", outcome: .allowed,
                                                                details: ["task": String(task), "seq": String(seq)]))
                    // one write(2) of a short line: atomic on a pipe, whichever task writes
                    FileHandle.standardOutput.write(Data("ACK \(entry.index) \(writer) \(task) \(seq)\n".utf8))
                    if task == 0, seq % 20 == 0 {
                        let note = try await log.checkpoint().serialized
                        FileHandle.standardOutput.write(Data("HEAD \(Data(note.utf8).base64EncodedString())\n".utf8))
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    // The last head covers every append of this process.
    let note = try await log.checkpoint().serialized
    FileHandle.standardOutput.write(Data("HEAD \(Data(note.utf8).base64EncodedString())\n".utf8))
    await storage.close()
}
