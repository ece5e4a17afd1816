@testable import BulwarkStore
import Testing

@Test func placeholdersOutsideLiteralsAndCommentsAreNumbered() {
    let sql = "SELECT '?', ?, \"a?\" -- why?\n, /* ? */ $$ ? $$, $tag$ ?; $tag$, x::text, ?"
    let (rewritten, count) = SQLText.numberedPlaceholders(sql)
    #expect(rewritten == "SELECT '?', $1, \"a?\" -- why?\n, /* ? */ $$ ? $$, $tag$ ?; $tag$, x::text, $2")
    #expect(count == 2)
    #expect(SQLText.placeholderCount("INSERT INTO t VALUES (?, ?, 'it''s ?')") == 2)
    // a doubled quote inside a literal does not end it
    #expect(SQLText.numberedPlaceholders("SELECT 'it''s ?', ?").sql == "SELECT 'it''s ?', $1")
}

@Test func scriptsSplitAtTopLevelSemicolons() {
    let script = """
        CREATE TABLE a (x TEXT DEFAULT 'x;y'); -- one; two
        CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
        /* only a comment; */
        ;
        INSERT INTO a VALUES ('z')
        """
    #expect(SQLText.statements(script) == [
        "CREATE TABLE a (x TEXT DEFAULT 'x;y')",
        "-- one; two\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
        "INSERT INTO a VALUES ('z')",
    ])
}

@Test func databaseLocationsParseWithoutLeakingPasswords() throws {
    #expect(try DatabaseLocation(parsing: "/var/lib/bulwark/db.sqlite") == .sqlite(path: "/var/lib/bulwark/db.sqlite"))
    #expect(try DatabaseLocation(parsing: "sqlite:control.db") == .sqlite(path: "control.db"))
    #expect(try DatabaseLocation(parsing: "sqlite:///tmp/x.db") == .sqlite(path: "/tmp/x.db"))

    let tcp = try DatabaseLocation(parsing: "postgresql://bulwark:s%40cr%3At@db.internal:6543/control?sslmode=require")
    guard case .postgres(let postgres) = tcp else {
        Issue.record("not parsed as PostgreSQL: \(tcp)")
        return
    }
    #expect(postgres.user == "bulwark")
    #expect(postgres.password == "s@cr:t")
    #expect(postgres.host == "db.internal")
    #expect(postgres.port == 6543)
    #expect(postgres.database == "control")
    #expect(postgres.tls == .require)
    #expect(tcp.description == "postgres://bulwark@db.internal:6543/control?sslmode=require")

    let socket = try PostgresLocation(parsing: "postgres://ops:pw@/audit?host=/run/postgresql")
    #expect(socket.unixSocketDirectory == "/run/postgresql")
    #expect(socket.port == 5432)
    #expect(socket.description == "postgres://ops@/audit?host=/run/postgresql")
    #expect(try PostgresLocation(parsing: "postgres://ops@localhost").database == "ops")

    for bad in ["postgres://:hunter2@host/db", "postgres://user:hunter2@/db", "postgres://user:hunter2@host/db?sslmode=maybe",
                "postgres://user:hunter2@host/db?password=hunter2", "mysql://user:hunter2@host/db", ""]
    {
        do {
            _ = try DatabaseLocation(parsing: bad)
            Issue.record("parsed: \(bad.isEmpty ? "(empty)" : "a malformed URL")")
        } catch {
            #expect(error.code == .unavailable)
            #expect(!error.message.contains("hunter2"))
        }
    }
}

@Test func advisoryLockKeysAreStableFNV1a() {
    // FNV-1a 64 of "" and "a" (published test values), as signed integers
    #expect(advisoryLockKey("") == Int64(bitPattern: 0xcbf2_9ce4_8422_2325))
    #expect(advisoryLockKey("a") == Int64(bitPattern: 0xaf63_dc4c_8601_ec8c))
}

@Test func unreachablePostgresIsUnavailableWithoutThePassword() async {
    var options = DatabaseOptions()
    options.connectTimeoutSeconds = 2
    do {
        // port 1 on loopback: nothing listens there
        let db = try await openDatabase("postgres://bulwark:hunter2@127.0.0.1:1/db?sslmode=disable", options: options)
        await db.close()
        Issue.record("connected to 127.0.0.1:1")
    } catch {
        #expect(error.code == .unavailable)
        #expect(error.message.hasPrefix("postgres://bulwark@127.0.0.1:1/db"))
        #expect(!error.description.contains("hunter2"))
        #expect(!error.message.contains("\n"))
    }
}

@Test func sqliteInAMissingDirectoryIsUnavailable() async {
    do {
        let db = try await openDatabase("sqlite:/nonexistent-bulwark-dir/x/store.db")
        await db.close()
        Issue.record("opened a database in a missing directory")
    } catch {
        #expect(error.code == .unavailable)
        #expect(error.message.hasPrefix("sqlite:/nonexistent-bulwark-dir/x/store.db: cannot open"))
    }
}
