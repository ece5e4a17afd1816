import BulwarkServing
import BulwarkStore
import Foundation
import Synchronization
import Testing

/// A database that passes everything to `inner`, except that the first query whose SQL contains
/// `pattern` after ``arm(_:)`` runs, then waits for ``release()`` before returning its rows: a
/// read that has seen the database as it was and is slow to hand the rows back.
private final class HeldReadDatabase: SQLDatabase {
    let inner: any SQLDatabase
    private let armed = Mutex<String?>(nil)
    private let reached: AsyncStream<Void>
    private let reachedContinuation: AsyncStream<Void>.Continuation
    private let released: AsyncStream<Void>
    private let releasedContinuation: AsyncStream<Void>.Continuation

    init(_ inner: any SQLDatabase) {
        self.inner = inner
        (reached, reachedContinuation) = AsyncStream.makeStream(of: Void.self)
        (released, releasedContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    var dialect: SQLDialect { inner.dialect }
    var description: String { "held(\(inner))" }

    /// Holds the next query containing `pattern`.
    func arm(_ pattern: String) { armed.withLock { $0 = pattern } }

    /// Returns once the armed query has run and is being held.
    func waitUntilHeld() async { for await _ in reached { return } }

    /// Lets the held query return.
    func release() { releasedContinuation.yield() }

    func execute(_ statement: SQLStatement) async throws(StoreError) { try await inner.execute(statement) }

    func query(_ statement: SQLStatement) async throws(StoreError) -> [SQLRow] {
        let rows = try await inner.query(statement)
        let hold = armed.withLock { (pattern: inout String?) -> Bool in
            guard let wanted = pattern, statement.sql.contains(wanted) else { return false }
            pattern = nil
            return true
        }
        if hold {
            reachedContinuation.yield()
            for await _ in released { break }
        }
        return rows
    }

    func transaction<T: Sendable, E: Error>(_ body: (any SQLTransaction) async throws(E) -> T, storeError: (StoreError) -> E) async throws(E) -> T {
        try await inner.transaction(body, storeError: storeError)
    }

    func close() async { await inner.close() }
}

/// Two polls of one watcher overlap (the replica's poll loop, and the route that applies its own
/// change at once): the slower one read an older state and must not apply it over the newer one.
@Test func incidentWatcherNeverAppliesAnOlderStateOverANewerOne() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-watcher-order-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try await openDatabase("sqlite:" + directory.appendingPathComponent("bulwark.db").path)
    let held = HeldReadDatabase(database)
    defer { Task { await held.close() } }
    let store = try await IncidentStore(database: held)
    let watcher = IncidentWatcher(store: store, host: nil, journal: QueryJournal())
    try await store.quarantine(client: "service:first", by: "bob", reason: "extraction")
    #expect(try await watcher.poll())
    #expect(watcher.quarantined == ["service:first"])

    // The slow poll reads the state with the second quarantine and is held before applying it.
    try await store.quarantine(client: "service:second", by: "bob", reason: "extraction")
    held.arm("FROM incident_quarantine")
    let slow = Task { try await watcher.poll() }
    await held.waitUntilHeld()
    // Meanwhile a third quarantine is made and applied by another poll.
    try await store.quarantine(client: "service:third", by: "bob", reason: "extraction")
    #expect(try await watcher.poll())
    #expect(watcher.quarantined == ["service:first", "service:second", "service:third"])

    held.release()
    #expect(try await slow.value == false, "the older state is dropped")
    #expect(watcher.quarantined == ["service:first", "service:second", "service:third"],
            "a quarantine applied by the newer poll stays in force")
    #expect(watcher.isQuarantined("service:third"))
    #expect(try await watcher.poll() == false, "the counter has not moved since the newer poll")
}
