import BulwarkStore
import Foundation
import Testing

/// The test bodies both engines must pass; `SQLiteStoreTests` and `PostgresStoreTests` run each
/// of them on their engine.
enum StoreContract {
    static func valuesTable(_ dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite: "CREATE TABLE vals (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB)"
        case .postgres: "CREATE TABLE vals (id BIGINT PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, t TEXT, b BYTEA)"
        }
    }

    static func roundTripsEveryValueType(_ engine: Engine) async throws {
        try await withFreshDatabase(engine) { db, _ in
            try await db.execute(SQLStatement(valuesTable(db.dialect)))
            let allBytes = (0...255).map { UInt8($0) }
            let cases: [(Int64, SQLValue, SQLValue, SQLValue, SQLValue)] = [
                (1, .integer(.max), .real(0.1), .text("Grüße, 世界 🔐 'quoted' \"double\" ?"), .blob(allBytes)),
                (2, .integer(.min), .real(-1e300), .text(""), .blob([])),
                (3, .integer(0), .real(-0.0), .text("line\nbreak\ttab"), .blob([0])),
                (4, .null, .null, .null, .null),
            ]
            for (id, i, r, t, b) in cases {
                try await db.execute(SQLStatement("INSERT INTO vals (id, i, r, t, b) VALUES (?, ?, ?, ?, ?)", [.integer(id), i, r, t, b]))
            }
            let rows = try await db.query("SELECT id, i, r, t, b FROM vals ORDER BY id")
            #expect(rows.count == cases.count)
            for (row, expected) in zip(rows, cases) {
                #expect(try row.int64("id") == expected.0)
                #expect(try row.value("i") == expected.1)
                #expect(try row.value("r") == expected.2)
                #expect(try row.value("t") == expected.3)
                #expect(try row.value("b") == expected.4)
            }
            // the typed accessors and Optional decoding
            let first = try #require(rows.first)
            #expect(try first.int64("i") == Int64.max)
            #expect(try first.double("r") == 0.1)
            #expect(try first.bytes("b") == allBytes)
            let last = try #require(rows.last)
            #expect(try last.decode("t", as: String?.self) == nil)
            #expect(try last.isNull("b"))
            // a zero-length blob is not NULL, and bindings compare on the server
            let empty = try await db.query(SQLStatement("SELECT id FROM vals WHERE b = ?", [.blob([])]))
            #expect(try empty.map { try $0.int64("id") } == [2])
            let unicode = try await db.query(SQLStatement("SELECT id FROM vals WHERE t = ?", [.text("Grüße, 世界 🔐 'quoted' \"double\" ?")]))
            #expect(try unicode.map { try $0.int64("id") } == [1])
            // a writing statement run through query() (outside a transaction) returns its rows
            let returned = try await db.query(SQLStatement("INSERT INTO vals (id, t) VALUES (?, ?) RETURNING id, t", [5, "five"]))
            #expect(returned == [SQLRow(columns: ["id", "t"], values: [5, "five"])])
        }
    }

    struct Abort: Error, Equatable {}

    static func rollsBackWhenTheBodyThrows(_ engine: Engine) async throws {
        try await withFreshDatabase(engine) { db, _ in
            try await db.execute("CREATE TABLE items (name TEXT NOT NULL)")
            await #expect(throws: Abort.self) {
                try await db.transaction({ tx throws(Abort) in
                    do {
                        try await tx.execute(SQLStatement("INSERT INTO items (name) VALUES (?)", ["lost"]))
                    } catch {
                        Issue.record("insert failed: \(error)")
                    }
                    throw Abort()
                }, storeError: { _ in Abort() })
            }
            // a StoreError inside the body rolls back too, and the committed one stays
            let committed = try await db.transaction { tx throws(StoreError) in
                try await tx.execute(SQLStatement("INSERT INTO items (name) VALUES (?)", ["kept"]))
                return try await tx.query("SELECT COUNT(*) AS n FROM items").first?.int64("n")
            }
            #expect(committed == 1)
            await expectStoreError(.statement) {
                try await db.transaction { tx throws(StoreError) in
                    try await tx.execute(SQLStatement("INSERT INTO items (name) VALUES (?)", ["lost too"]))
                    try await tx.execute("INSERT INTO no_such_table VALUES (1)")
                }
            }
            let names = try await db.query("SELECT name FROM items").map { try $0.string("name") }
            #expect(names == ["kept"])
            // the database is usable after a rollback
            try await db.execute(SQLStatement("INSERT INTO items (name) VALUES (?)", ["after"]))
            #expect(try await db.query("SELECT name FROM items").count == 2)
        }
    }

    static func mapsConstraintViolations(_ engine: Engine) async throws {
        try await withFreshDatabase(engine) { db, _ in
            try await db.executeScript("""
                CREATE TABLE owners (id BIGINT PRIMARY KEY, email TEXT NOT NULL UNIQUE);
                CREATE TABLE pets (id BIGINT PRIMARY KEY, owner BIGINT NOT NULL REFERENCES owners (id));
                """)
            try await db.execute(SQLStatement("INSERT INTO owners (id, email) VALUES (?, ?)", [1, "a@example.org"]))
            let unique = await expectStoreError(.constraint) {
                try await db.execute(SQLStatement("INSERT INTO owners (id, email) VALUES (?, ?)", [2, "a@example.org"]))
            }
            #expect(unique?.message.contains(db.description) == true)
            await expectStoreError(.constraint) {
                try await db.execute(SQLStatement("INSERT INTO owners (id, email) VALUES (?, ?)", [1, "b@example.org"]))
            }
            await expectStoreError(.constraint) {
                try await db.execute(SQLStatement("INSERT INTO pets (id, owner) VALUES (?, ?)", [1, 99]))
            }
            await expectStoreError(.constraint) {
                try await db.transaction { tx throws(StoreError) in
                    try await tx.execute(SQLStatement("INSERT INTO pets (id, owner) VALUES (?, ?)", [2, 98]))
                }
            }
            await expectStoreError(.statement) { try await db.execute("INSERT INTO owners VALUES (") }
            await expectStoreError(.statement) { try await db.query(SQLStatement("SELECT ? AS a, ? AS b", [1])) }
            // decoding errors name the column
            let row = try #require(try await db.query("SELECT id, email FROM owners").first)
            let wrongType = await expectStoreError(.decoding) { try row.string("id") }
            #expect(wrongType?.message.contains("'id'") == true)
            let missing = await expectStoreError(.decoding) { try row.int64("name") }
            #expect(missing?.message.contains("'name'") == true)
        }
    }

    static let usersV1 = Migration(
        version: 1, name: "create users",
        sqlite: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
        postgres: "CREATE TABLE users (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
    static let usersV2 = Migration(
        version: 2, name: "add email and roles",
        sql: """
            ALTER TABLE users ADD COLUMN email TEXT;
            CREATE TABLE roles (user_id BIGINT NOT NULL REFERENCES users (id), role TEXT NOT NULL); -- a comment; with a semicolon
            INSERT INTO roles (user_id, role) SELECT id, 'reader;writer' FROM users
            """)
    static let usersV3 = Migration(version: 3, name: "index roles", sql: "CREATE INDEX roles_by_user ON roles (user_id)")

    static func appliesMigrationsOnceInOrder(_ engine: Engine) async throws {
        try await withFreshDatabase(engine) { db, _ in
            let v1 = try Migrator(namespace: "access", [usersV1])
            #expect(try await v1.currentVersion(db) == 0)
            #expect(try await v1.migrate(db) == 1)
            try await db.execute(SQLStatement("INSERT INTO users (name) VALUES (?)", ["alice"]))
            let v2 = try Migrator(namespace: "access", [usersV1, usersV2])
            #expect(try await v2.migrate(db) == 2)
            #expect(try await v2.migrate(db) == 2)  // re-run: nothing to do
            let roles = try await db.query("SELECT role FROM roles").map { try $0.string("role") }
            #expect(roles == ["reader;writer"])  // applied exactly once, semicolon in a literal kept
            let recorded = try await db.query(SQLStatement(
                "SELECT version, name FROM schema_migrations WHERE namespace = ? ORDER BY version", ["access"]))
            #expect(try recorded.map { try $0.int64("version") } == [1, 2])
            #expect(try recorded.map { try $0.string("name") } == ["create users", "add email and roles"])

            // another module keeps its own sequence in the same database
            let registry = try Migrator(namespace: "registry", [
                Migration(version: 1, name: "models", sql: "CREATE TABLE models (name TEXT PRIMARY KEY)"),
                Migration(version: 7, name: "stages", sql: "ALTER TABLE models ADD COLUMN stage TEXT"),
            ])
            #expect(try await registry.migrate(db) == 7)
            #expect(try await v2.currentVersion(db) == 2)
            #expect(try await registry.currentVersion(db) == 7)
        }
    }

    static func refusesNewerOrMismatchedSchemas(_ engine: Engine) async throws {
        try await withFreshDatabase(engine) { db, _ in
            try await Migrator(namespace: "access", [usersV1, usersV2, usersV3]).migrate(db)
            let older = try Migrator(namespace: "access", [usersV1, usersV2])
            let newer = await expectStoreError(.migration) { try await older.migrate(db) }
            #expect(newer?.message.contains("version 3, newer than this build knows (2)") == true)
            let renamed = Migration(version: 1, name: "something else", sql: "SELECT 1")
            await expectStoreError(.migration) {
                try await Migrator(namespace: "access", [renamed, usersV2, usersV3]).migrate(db)
            }
            await expectStoreError(.migration) { try Migrator(namespace: "access", [usersV2, usersV1]) }
            // a failing migration is rolled back whole and leaves the version where it was
            let broken = Migration(version: 4, name: "broken", sql: "CREATE TABLE half (x BIGINT); CREATE TABLE oops (")
            let failure = await expectStoreError(.migration) {
                try await Migrator(namespace: "access", [usersV1, usersV2, usersV3, broken]).migrate(db)
            }
            #expect(failure?.message.contains("'broken'") == true)
            #expect(try await older.currentVersion(db) == 3)
            await expectStoreError(.statement) { try await db.query("SELECT x FROM half") }
        }
    }

    static func concurrentMigratorsApplyEachMigrationOnce(_ engine: Engine) async throws {
        try await withFreshDatabase(engine) { db, location in
            let second = try await openDatabase(location, options: testDatabaseOptions)  // as a second server process would
            let migrator = try Migrator(namespace: "access", [usersV1, usersV2, usersV3])
            async let first = migrator.migrate(db)
            async let other = migrator.migrate(second)
            let versions = try await [first, other]
            await second.close()
            #expect(versions == [3, 3])
            let count = try await db.query("SELECT COUNT(*) AS n FROM schema_migrations").first?.int64("n")
            #expect(count == 3)
        }
    }

    /// Read-then-write increments under `lock(key:)` from two handles (two pools, as two server
    /// processes would have) lose no update.
    static func lockSerialisesReadThenWrite(_ engine: Engine) async throws {
        try await withFreshDatabase(engine) { db, location in
            try await db.execute("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
            try await db.execute("INSERT INTO counter (id, n) VALUES (1, 0)")
            let second = try await openDatabase(location, options: testDatabaseOptions)
            let perHandle = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for handle in [db, second] {
                    for _ in 0..<perHandle {
                        group.addTask {
                            try await handle.transaction { tx throws(StoreError) in
                                try await tx.lock(key: "counter")
                                let n = try await tx.query("SELECT n FROM counter WHERE id = 1").first?.int64("n") ?? -1
                                try await tx.execute(SQLStatement("UPDATE counter SET n = ? WHERE id = 1", [.integer(n + 1)]))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            await second.close()
            let n = try await db.query("SELECT n FROM counter WHERE id = 1").first?.int64("n")
            #expect(n == Int64(2 * perHandle))
        }
    }

    static func refusesUseAfterClose(_ engine: Engine) async throws {
        try await withFreshDatabase(engine) { _, location in
            let db = try await openDatabase(location, options: testDatabaseOptions)
            #expect(try await db.query("SELECT 1 AS one").first?.int64("one") == 1)
            await db.close()
            await db.close()  // harmless
            await expectStoreError(.unavailable) { try await db.query("SELECT 1 AS one") }
            await expectStoreError(.unavailable) { try await db.transaction { _ throws(StoreError) in } }
        }
    }
}

@Suite struct SQLiteStoreTests {
    @Test func sqliteRoundTripsEveryValueType() async throws { try await StoreContract.roundTripsEveryValueType(.sqlite) }
    @Test func sqliteRollsBackWhenTheBodyThrows() async throws { try await StoreContract.rollsBackWhenTheBodyThrows(.sqlite) }
    @Test func sqliteMapsConstraintViolations() async throws { try await StoreContract.mapsConstraintViolations(.sqlite) }
    @Test func sqliteAppliesMigrationsOnceInOrder() async throws { try await StoreContract.appliesMigrationsOnceInOrder(.sqlite) }
    @Test func sqliteRefusesNewerOrMismatchedSchemas() async throws { try await StoreContract.refusesNewerOrMismatchedSchemas(.sqlite) }
    @Test func sqliteConcurrentMigratorsApplyEachMigrationOnce() async throws {
        try await StoreContract.concurrentMigratorsApplyEachMigrationOnce(.sqlite)
    }
    @Test func sqliteLockSerialisesReadThenWrite() async throws { try await StoreContract.lockSerialisesReadThenWrite(.sqlite) }
    @Test func sqliteRefusesUseAfterClose() async throws { try await StoreContract.refusesUseAfterClose(.sqlite) }
}

@Suite(.enabled(if: postgresTestURL != nil, postgresSkipReason)) struct PostgresStoreTests {
    @Test func postgresRoundTripsEveryValueType() async throws { try await StoreContract.roundTripsEveryValueType(.postgres) }
    @Test func postgresRollsBackWhenTheBodyThrows() async throws { try await StoreContract.rollsBackWhenTheBodyThrows(.postgres) }
    @Test func postgresMapsConstraintViolations() async throws { try await StoreContract.mapsConstraintViolations(.postgres) }
    @Test func postgresAppliesMigrationsOnceInOrder() async throws { try await StoreContract.appliesMigrationsOnceInOrder(.postgres) }
    @Test func postgresRefusesNewerOrMismatchedSchemas() async throws { try await StoreContract.refusesNewerOrMismatchedSchemas(.postgres) }
    @Test func postgresConcurrentMigratorsApplyEachMigrationOnce() async throws {
        try await StoreContract.concurrentMigratorsApplyEachMigrationOnce(.postgres)
    }
    @Test func postgresLockSerialisesReadThenWrite() async throws { try await StoreContract.lockSerialisesReadThenWrite(.postgres) }
    @Test func postgresRefusesUseAfterClose() async throws { try await StoreContract.refusesUseAfterClose(.postgres) }
}
