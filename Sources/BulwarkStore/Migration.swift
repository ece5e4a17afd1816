/// One versioned schema change, written once per dialect.
///
/// ```swift
/// let createUsers = Migration(version: 1, name: "create users",
///     sqlite: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
///     postgres: "CREATE TABLE users (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
/// ```
public struct Migration: Sendable, Hashable {
    /// The version this migration brings its namespace to; versions of one namespace increase.
    public let version: Int64
    /// A short name, recorded with the version; a database that recorded another name for the
    /// same version is refused.
    public let name: String
    /// The SQLite script (several statements separated by `;` are allowed).
    public let sqlite: String
    /// The PostgreSQL script (split at top-level `;`, see ``SQLExecutor/executeScript(_:)``).
    public let postgres: String

    /// A migration with one script per dialect.
    public init(version: Int64, name: String, sqlite: String, postgres: String) {
        self.version = version
        self.name = name
        self.sqlite = sqlite
        self.postgres = postgres
    }

    /// A migration whose script is the same on both dialects.
    public init(version: Int64, name: String, sql: String) {
        self.init(version: version, name: name, sqlite: sql, postgres: sql)
    }

    /// The script for `dialect`.
    public func script(for dialect: SQLDialect) -> String {
        dialect == .sqlite ? sqlite : postgres
    }
}

/// Brings one namespace of a database's schema up to date: each module (`access`, `registry`)
/// owns a namespace with its own version sequence, so several modules share one database.
///
/// Applied versions are recorded in the table `schema_migrations (namespace, version, name,
/// applied_at)`. ``migrate(_:)`` applies each missing migration in order, in a transaction of its
/// own, under the lock `bulwark.schema_migrations` (see ``SQLTransaction/lock(key:)``), so two
/// processes that start at once apply each migration exactly once. A database whose namespace
/// is at a version this code does not know (written by a newer build) is refused.
///
/// ```swift
/// let createUsers = Migration(version: 1, name: "create users",
///     sqlite: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
///     postgres: "CREATE TABLE users (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
/// let addEmail = Migration(version: 2, name: "add email", sql: "ALTER TABLE users ADD COLUMN email TEXT")
/// let db = try await openDatabase("sqlite:/tmp/bulwark-example.db")
/// let migrator = try Migrator(namespace: "access", [createUsers, addEmail])
/// let version = try await migrator.migrate(db)   // 2
/// ```
public struct Migrator: Sendable {
    /// The namespace, such as `access`.
    public let namespace: String
    /// The migrations, in increasing version order.
    public let migrations: [Migration]

    /// The lock every migration transaction takes.
    static let lockKey = "bulwark.schema_migrations"

    /// A migrator of `migrations` for `namespace`; fails with code `migration` when the namespace
    /// is empty or the versions are not positive and strictly increasing.
    public init(namespace: String, _ migrations: [Migration]) throws(StoreError) {
        guard !namespace.isEmpty else {
            throw StoreError(.migration, "migrations: the namespace is empty")
        }
        var previous: Int64 = 0
        for migration in migrations {
            guard migration.version > previous else {
                throw StoreError(.migration, "migrations of '\(namespace)': version \(migration.version) ('\(migration.name)') must be positive and above \(previous)")
            }
            previous = migration.version
        }
        self.namespace = namespace
        self.migrations = migrations
    }

    /// The highest version this code knows (0 with no migrations).
    public var latestVersion: Int64 { migrations.last?.version ?? 0 }

    /// Applies the missing migrations and returns the namespace's version afterwards.
    ///
    /// Fails with code `migration` when the database is newer than this code, records another
    /// name for a known version, or a migration's script fails (that migration is rolled back;
    /// the ones before it stay applied).
    @discardableResult
    public func migrate(_ database: any SQLDatabase) async throws(StoreError) -> Int64 {
        var version = try await database.transaction { tx throws(StoreError) in
            try await prepare(tx)
            return try await check(tx, database)
        }
        for migration in migrations where migration.version > version {
            version = try await database.transaction { tx throws(StoreError) in
                try await tx.lock(key: Self.lockKey)
                let current = try await appliedVersion(tx)
                guard current < migration.version else { return current }  // another process did it
                do throws(StoreError) {
                    try await tx.executeScript(migration.script(for: tx.dialect))
                } catch {
                    throw StoreError(.migration, "\(database): migration '\(namespace)' \(migration.version) ('\(migration.name)') failed: \(error.message)", underlying: error)
                }
                try await tx.execute(SQLStatement(
                    "INSERT INTO schema_migrations (namespace, version, name) VALUES (?, ?, ?)",
                    [.text(namespace), .integer(migration.version), .text(migration.name)]))
                return migration.version
            }
        }
        return version
    }

    /// The namespace's recorded version (0 when nothing is applied), without changing anything
    /// but creating the empty `schema_migrations` table when missing.
    public func currentVersion(_ database: any SQLDatabase) async throws(StoreError) -> Int64 {
        try await database.transaction { tx throws(StoreError) in
            try await prepare(tx)
            return try await appliedVersion(tx)
        }
    }

    private func prepare(_ tx: any SQLTransaction) async throws(StoreError) {
        try await tx.lock(key: Self.lockKey)
        switch tx.dialect {
        case .sqlite:
            try await tx.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    namespace TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
                    applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (namespace, version))
                """)
        case .postgres:
            try await tx.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    namespace TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (namespace, version))
                """)
        }
    }

    private func appliedVersion(_ tx: any SQLTransaction) async throws(StoreError) -> Int64 {
        let rows = try await tx.query(SQLStatement(
            "SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations WHERE namespace = ?", [.text(namespace)]))
        return try rows.first?.int64("version") ?? 0
    }

    /// The recorded version, after checking it against the known migrations.
    private func check(_ tx: any SQLTransaction, _ database: any SQLDatabase) async throws(StoreError) -> Int64 {
        let rows = try await tx.query(SQLStatement(
            "SELECT version, name FROM schema_migrations WHERE namespace = ? ORDER BY version", [.text(namespace)]))
        var version: Int64 = 0
        for row in rows {
            let applied = try row.int64("version")
            let name = try row.string("name")
            version = max(version, applied)
            if applied > latestVersion {
                throw StoreError(.migration, "\(database): schema '\(namespace)' is at version \(applied), newer than this build knows (\(latestVersion)); use a newer bulwark")
            }
            if let known = migrations.first(where: { $0.version == applied }), known.name != name {
                throw StoreError(.migration, "\(database): schema '\(namespace)' version \(applied) was applied as '\(name)', but this build calls it '\(known.name)'")
            }
        }
        return version
    }
}
