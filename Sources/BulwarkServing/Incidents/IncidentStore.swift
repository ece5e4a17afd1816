public import BulwarkStore
import Foundation

/// The incident state every gateway replica shares, in the control plane's database (SQLite or
/// PostgreSQL, migration namespace `incidents`): incidents, killed model versions and
/// quarantined clients, plus a one-row change counter.
///
/// Every change bumps the counter in the same transaction, so a replica learns that something
/// changed with one primary-key read (``generation()``) and reads the full state
/// (``state()``) only then — what ``IncidentWatcher`` does every 250 ms. Changes take the lock
/// `bulwark.incidents` (see ``SQLTransaction/lock(key:)``), so two replicas acting at once are
/// serialised.
///
/// ```swift
/// let database = try await openDatabase("sqlite:/tmp/bulwark-incidents-example.db")
/// let store = try await IncidentStore(database: database)
/// let incident = try await store.kill(model: "cats", version: 3, by: "bob", reason: "answers leak training data")
/// try await store.revive(model: "cats", version: 3, by: "bob")
/// ```
public struct IncidentStore: Sendable {
    /// The database the tables live in.
    public let database: any SQLDatabase
    private let clock: @Sendable () -> Int64

    /// The incident tables (migration namespace `incidents`); times are milliseconds since 1970.
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "create incident tables",
                  sqlite: script(id: "INTEGER PRIMARY KEY AUTOINCREMENT", int: "INTEGER"),
                  postgres: script(id: "BIGSERIAL PRIMARY KEY", int: "BIGINT")),
    ]

    private static func script(id: String, int: String) -> String {
        """
        CREATE TABLE incident_records (
            id \(id), kind TEXT NOT NULL, target TEXT NOT NULL, opened_by TEXT NOT NULL, reason TEXT NOT NULL,
            opened_at \(int) NOT NULL, closed_at \(int), closed_by TEXT);
        CREATE INDEX incident_records_target ON incident_records (target);
        CREATE TABLE incident_killed (
            model TEXT NOT NULL, version \(int) NOT NULL, incident_id \(int) NOT NULL REFERENCES incident_records(id),
            killed_by TEXT NOT NULL, killed_at \(int) NOT NULL, PRIMARY KEY (model, version));
        CREATE TABLE incident_quarantine (
            client TEXT PRIMARY KEY, incident_id \(int) NOT NULL REFERENCES incident_records(id),
            quarantined_by TEXT NOT NULL, quarantined_at \(int) NOT NULL);
        CREATE TABLE incident_generation (id \(int) PRIMARY KEY, generation \(int) NOT NULL);
        INSERT INTO incident_generation (id, generation) VALUES (1, 0)
        """
    }

    /// A store over `database`, bringing its incident tables up to date.
    ///
    /// - Throws: ``ServingError`` `.storage` when the database fails or holds a newer schema.
    public init(database: any SQLDatabase, clock: @escaping @Sendable () -> Int64 = IncidentStore.systemClock) async throws(ServingError) {
        self.database = database
        self.clock = clock
        do {
            _ = try await Migrator(namespace: "incidents", Self.migrations).migrate(database)
        } catch {
            throw ServingError(.storage, "incident tables: \(error.message)", underlying: error)
        }
    }

    /// The current time in milliseconds since the Unix epoch.
    public static let systemClock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The most characters a reason, target or actor may have.
    public static let maximumFieldLength = 2048

    // MARK: reads

    /// The change counter: one primary-key read.
    public func generation() async throws(ServingError) -> Int64 {
        let rows = try await run { () throws(StoreError) in
            try await database.query(SQLStatement("SELECT generation FROM incident_generation WHERE id = 1"))
        }
        return try decode { () throws(StoreError) in try rows.first?.int64("generation") ?? 0 }
    }

    /// The killed versions and quarantined clients, with the counter read *before* them (three
    /// plain reads, no write lock): a change landing in between is seen again at the next poll,
    /// never missed.
    public func state() async throws(ServingError) -> IncidentState {
        let (generation, killed, quarantined) = try await run { () throws(StoreError) in
            (try await database.query(SQLStatement("SELECT generation FROM incident_generation WHERE id = 1")),
             try await database.query(SQLStatement("SELECT model, version, incident_id, killed_by, killed_at FROM incident_killed ORDER BY model, version")),
             try await database.query(SQLStatement("SELECT client, incident_id, quarantined_by, quarantined_at FROM incident_quarantine ORDER BY client")))
        }
        return try decode { () throws(StoreError) in
            IncidentState(
                generation: try generation.first?.int64("generation") ?? 0,
                killed: try killed.map { row throws(StoreError) in
                    KilledVersion(model: try row.string("model"), version: try row.int("version"), incident: try row.int64("incident_id"),
                                  by: try row.string("killed_by"), atMilliseconds: try row.int64("killed_at"))
                },
                quarantined: try quarantined.map { row throws(StoreError) in
                    QuarantinedClient(client: try row.string("client"), incident: try row.int64("incident_id"),
                                      by: try row.string("quarantined_by"), atMilliseconds: try row.int64("quarantined_at"))
                })
        }
    }

    /// Incidents, newest first (at most `limit`), only open ones with `openOnly`.
    public func incidents(openOnly: Bool = false, limit: Int = 100) async throws(ServingError) -> [Incident] {
        let filter = openOnly ? " WHERE closed_at IS NULL" : ""
        let rows = try await run { () throws(StoreError) in
            try await database.query(SQLStatement("SELECT * FROM incident_records\(filter) ORDER BY id DESC LIMIT ?", [.integer(Int64(max(1, min(limit, 10_000))))]))
        }
        return try rows.map { row throws(ServingError) in try Self.incident(row) }
    }

    /// Incident `id`.
    /// - Throws: ``ServingError`` `.notFound` when there is none.
    public func incident(id: Int64) async throws(ServingError) -> Incident {
        let rows = try await run { () throws(StoreError) in
            try await database.query(SQLStatement("SELECT * FROM incident_records WHERE id = ?", [.integer(id)]))
        }
        guard let row = rows.first else { throw ServingError(.notFound, "incident \(id) does not exist") }
        return try Self.incident(row)
    }

    // MARK: changes

    /// Opens an incident of `kind` on `target` (an investigation, or the record of a rollback
    /// with `closed`), bumping the counter.
    @discardableResult
    public func open(kind: Incident.Kind, target: String, by actor: String, reason: String, closed: Bool = false) async throws(ServingError) -> Incident {
        try Self.check(target: target, actor: actor, reason: reason)
        return try await change { tx throws(ServingError) in
            try await self.insert(tx, kind: kind, target: target, actor: actor, reason: reason, closed: closed)
        }
    }

    /// Closes open incident `id` (an investigation), bumping the counter.
    /// - Throws: ``ServingError`` `.notFound` for an unknown or closed incident.
    @discardableResult
    public func close(id: Int64, by actor: String) async throws(ServingError) -> Incident {
        try await change { tx throws(ServingError) in
            try await self.closeIncident(tx, id: id, actor: actor)
        }
    }

    /// Stops `model` version `version` on every replica, opening a `kill` incident.
    /// - Throws: ``ServingError`` `.refused` when it is already killed, `.invalidParameter` for an
    ///   empty or too long reason.
    @discardableResult
    public func kill(model: String, version: Int, by actor: String, reason: String) async throws(ServingError) -> Incident {
        let target = ModelHost.key(model, version)
        try Self.check(target: target, actor: actor, reason: reason)
        guard version >= 1 else { throw ServingError(.invalidParameter, "version: expected a positive number") }
        return try await change { tx throws(ServingError) in
            let existing = try await run { () throws(StoreError) in
                try await tx.query(SQLStatement("SELECT incident_id FROM incident_killed WHERE model = ? AND version = ?", [.text(model), .integer(Int64(version))]))
            }
            guard existing.isEmpty else { throw ServingError(.refused, "model '\(model)' version \(version) is already killed") }
            let incident = try await self.insert(tx, kind: .kill, target: target, actor: actor, reason: reason, closed: false)
            try await run { () throws(StoreError) in
                try await tx.execute(SQLStatement("INSERT INTO incident_killed (model, version, incident_id, killed_by, killed_at) VALUES (?, ?, ?, ?, ?)",
                                                  [.text(model), .integer(Int64(version)), .integer(incident.id), .text(actor), .integer(incident.openedAtMilliseconds)]))
            }
            return incident
        }
    }

    /// Serves `model` version `version` again, closing its `kill` incident.
    /// - Throws: ``ServingError`` `.notFound` when it is not killed.
    @discardableResult
    public func revive(model: String, version: Int, by actor: String) async throws(ServingError) -> Incident {
        try await change { tx throws(ServingError) in
            let rows = try await run { () throws(StoreError) in
                try await tx.query(SQLStatement("DELETE FROM incident_killed WHERE model = ? AND version = ? RETURNING incident_id", [.text(model), .integer(Int64(version))]))
            }
            guard let id = try Self.decode({ () throws(StoreError) in try rows.first?.int64("incident_id") }) else {
                throw ServingError(.notFound, "model '\(model)' version \(version) is not killed")
            }
            return try await self.closeIncident(tx, id: id, actor: actor)
        }
    }

    /// Refuses `client` on every inference route of every replica, opening a `quarantine`
    /// incident; its query journal is kept.
    /// - Throws: ``ServingError`` `.refused` when it is already quarantined.
    @discardableResult
    public func quarantine(client: String, by actor: String, reason: String) async throws(ServingError) -> Incident {
        try Self.check(target: client, actor: actor, reason: reason)
        // A client is a principal's name as the gateway writes it: a user id, `service:ID` or `anonymous`.
        guard !client.hasSuffix(":"), !client.contains(where: { $0.isWhitespace || $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) }) else {
            throw ServingError(.invalidParameter, "client '\(client)': expected a user id, service:ID or anonymous")
        }
        return try await change { tx throws(ServingError) in
            let existing = try await run { () throws(StoreError) in
                try await tx.query(SQLStatement("SELECT incident_id FROM incident_quarantine WHERE client = ?", [.text(client)]))
            }
            guard existing.isEmpty else { throw ServingError(.refused, "client '\(client)' is already quarantined") }
            let incident = try await self.insert(tx, kind: .quarantine, target: client, actor: actor, reason: reason, closed: false)
            try await run { () throws(StoreError) in
                try await tx.execute(SQLStatement("INSERT INTO incident_quarantine (client, incident_id, quarantined_by, quarantined_at) VALUES (?, ?, ?, ?)",
                                                  [.text(client), .integer(incident.id), .text(actor), .integer(incident.openedAtMilliseconds)]))
            }
            return incident
        }
    }

    /// Lets `client` query again, closing its `quarantine` incident.
    /// - Throws: ``ServingError`` `.notFound` when it is not quarantined.
    @discardableResult
    public func release(client: String, by actor: String) async throws(ServingError) -> Incident {
        try await change { tx throws(ServingError) in
            let rows = try await run { () throws(StoreError) in
                try await tx.query(SQLStatement("DELETE FROM incident_quarantine WHERE client = ? RETURNING incident_id", [.text(client)]))
            }
            guard let id = try Self.decode({ () throws(StoreError) in try rows.first?.int64("incident_id") }) else {
                throw ServingError(.notFound, "client '\(client)' is not quarantined")
            }
            return try await self.closeIncident(tx, id: id, actor: actor)
        }
    }

    // MARK: helpers

    /// Runs `body` in one transaction under the incident lock, then bumps the counter.
    private func change<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws(ServingError) -> T) async throws(ServingError) -> T {
        try await database.transaction({ tx throws(ServingError) -> T in
            try await run { () throws(StoreError) in try await tx.lock(key: "bulwark.incidents") }
            let result = try await body(tx)
            try await run { () throws(StoreError) in
                try await tx.execute(SQLStatement("UPDATE incident_generation SET generation = generation + 1 WHERE id = 1"))
            }
            return result
        }, storeError: Self.mapped)
    }

    private func insert(_ tx: any SQLTransaction, kind: Incident.Kind, target: String, actor: String, reason: String, closed: Bool) async throws(ServingError) -> Incident {
        let now = clock()
        let rows = try await run { () throws(StoreError) in
            try await tx.query(SQLStatement(
                "INSERT INTO incident_records (kind, target, opened_by, reason, opened_at, closed_at, closed_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [.text(kind.rawValue), .text(target), .text(actor), .text(reason), .integer(now),
                 closed ? .integer(now) : .null, closed ? .text(actor) : .null]))
        }
        let id = try Self.decode { () throws(StoreError) in try rows.first?.int64("id") ?? 0 }
        return Incident(id: id, kind: kind.rawValue, target: target, openedBy: actor, reason: reason, openedAtMilliseconds: now,
                        closedAtMilliseconds: closed ? now : nil, closedBy: closed ? actor : nil)
    }

    private func closeIncident(_ tx: any SQLTransaction, id: Int64, actor: String) async throws(ServingError) -> Incident {
        let rows = try await run { () throws(StoreError) in
            try await tx.query(SQLStatement("UPDATE incident_records SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL RETURNING *",
                                            [.integer(clock()), .text(actor), .integer(id)]))
        }
        guard let row = rows.first else { throw ServingError(.notFound, "incident \(id) does not exist or is closed") }
        return try Self.incident(row)
    }

    private static func check(target: String, actor: String, reason: String) throws(ServingError) {
        guard !target.isEmpty, target.count <= maximumFieldLength, !actor.isEmpty, actor.count <= maximumFieldLength else {
            throw ServingError(.invalidParameter, "incident target and actor: expected 1 to \(maximumFieldLength) characters")
        }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, reason.count <= maximumFieldLength else {
            throw ServingError(.invalidParameter, "reason: expected 1 to \(maximumFieldLength) characters")
        }
    }

    private static func incident(_ row: SQLRow) throws(ServingError) -> Incident {
        try decode { () throws(StoreError) in
            Incident(id: try row.int64("id"), kind: try row.string("kind"), target: try row.string("target"), openedBy: try row.string("opened_by"),
                     reason: try row.string("reason"), openedAtMilliseconds: try row.int64("opened_at"),
                     closedAtMilliseconds: try row.decode("closed_at", as: Int64?.self), closedBy: try row.decode("closed_by", as: String?.self))
        }
    }

    private func run<T>(_ body: () async throws(StoreError) -> T) async throws(ServingError) -> T {
        do { return try await body() } catch { throw Self.mapped(error) }
    }

    private func decode<T>(_ body: () throws(StoreError) -> T) throws(ServingError) -> T {
        try Self.decode(body)
    }

    private static func decode<T>(_ body: () throws(StoreError) -> T) throws(ServingError) -> T {
        do { return try body() } catch { throw mapped(error) }
    }

    private static func mapped(_ error: StoreError) -> ServingError {
        ServingError(.storage, "incident store: \(error.message)", underlying: error)
    }
}
