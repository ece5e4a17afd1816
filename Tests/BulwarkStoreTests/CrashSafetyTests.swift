import BulwarkStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Kill -9 during writes loses no committed record (SQLite).
///
/// The test re-runs this test binary as a child process that runs only
/// `crashChildWritesUntilKilled`: it commits rows in a loop and prints each id after its commit
/// returns. The parent kills it with SIGKILL mid-stream, reopens the file and checks that every
/// acknowledged id is there and the database is intact.
@Suite struct CrashSafetyTests {
    static let childVariable = "BULWARK_STORE_CRASH_CHILD_DB"

    @Test func sqliteKeepsCommittedRowsAfterKillMinus9() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.db").path
        let setup = try await openDatabase(.sqlite(path: path))
        try await setup.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        await setup.close()

        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = ["--testing-library", "swift-testing", "--filter", "crashChildWritesUntilKilled"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childVariable] = path
        child.environment = environment
        let output = Pipe()
        child.standardOutput = output
        child.standardError = FileHandle.nullDevice
        try child.run()

        // read acknowledgements on a thread of our own until enough commits happened, then kill
        let wanted = 300
        let acknowledged: Int = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var buffer = ""
                var last = 0
                let deadline = Date().addingTimeInterval(60)
                while last < wanted, Date() < deadline {
                    let data = output.fileHandleForReading.availableData
                    if data.isEmpty { break }  // the child ended
                    buffer += String(decoding: data, as: UTF8.self)
                    while let newline = buffer.firstIndex(of: "\n") {
                        let line = buffer[..<newline]
                        buffer.removeSubrange(...newline)
                        if line.hasPrefix("COMMITTED "), let id = Int(line.dropFirst("COMMITTED ".count)) { last = id }
                    }
                }
                kill(child.processIdentifier, SIGKILL)
                continuation.resume(returning: last)
            }
        }
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        #expect(acknowledged >= wanted, "the child acknowledged only \(acknowledged) commits")
        #expect(FileManager.default.fileExists(atPath: path + "-wal"), "the kill should leave a WAL to recover")

        let db = try await openDatabase(.sqlite(path: path))
        let integrity = try await db.query("PRAGMA integrity_check")
        #expect(try integrity.first?.string("integrity_check") == "ok")
        let present = try await db.query(SQLStatement(
            "SELECT COUNT(*) AS n FROM events WHERE id <= ?", [.integer(Int64(acknowledged))]))
        #expect(try present.first?.int64("n") == Int64(acknowledged))
        let total = try await db.query("SELECT COUNT(*) AS n, MAX(id) AS last FROM events").first
        // nothing half-written: the rows form 1...last, possibly a few beyond the last acknowledgement
        #expect(try total?.int64("n") == total?.int64("last"))
        await db.close()
    }

    /// The writer run in the child process by `sqliteKeepsCommittedRowsAfterKillMinus9`; skipped
    /// in a normal run.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childVariable] != nil,
                   "runs only as the child process of sqliteKeepsCommittedRowsAfterKillMinus9"))
    func crashChildWritesUntilKilled() async throws {
        let path = try #require(ProcessInfo.processInfo.environment[Self.childVariable])
        let db = try await openDatabase(.sqlite(path: path))
        let payload = (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for id in 1...1_000_000 {
            try await db.transaction { tx throws(StoreError) in
                try await tx.execute(SQLStatement("INSERT INTO events (id, payload) VALUES (?, ?)", [.integer(Int64(id)), .blob(payload)]))
            }
            FileHandle.standardOutput.write(Data("COMMITTED \(id)\n".utf8))
        }
        await db.close()
    }
}

/// The settings the SQLite backend promises (WAL, `synchronous = FULL`, foreign keys), on a
/// reader connection and on the writer.
@Test func sqliteConnectionsUseWALFullSyncAndForeignKeys() async throws {
    try await withFreshDatabase(.sqlite) { db, _ in
        func settings(_ executor: any SQLExecutor) async throws -> [Int64] {
            let journal = try await executor.query("PRAGMA journal_mode").first?.string("journal_mode")
            #expect(journal == "wal")
            let synchronous = try #require(try await executor.query("PRAGMA synchronous").first?.int64("synchronous"))
            let foreignKeys = try #require(try await executor.query("PRAGMA foreign_keys").first?.int64("foreign_keys"))
            return [synchronous, foreignKeys]
        }
        #expect(try await settings(db) == [2, 1])  // 2 is FULL
        let writer = try await db.transaction { tx throws(StoreError) in
            do { return try await settings(tx) } catch { throw StoreError(.statement, "\(error)") }
        }
        #expect(writer == [2, 1])
    }
}
