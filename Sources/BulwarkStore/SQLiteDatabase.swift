internal import Foundation
internal import GRDB
internal import Synchronization

/// The SQLite backend: a GRDB `DatabasePool` on one file.
///
/// - WAL journal (the pool's mode): readers never block the writer nor each other, and other
///   processes may open the same file.
/// - `synchronous = FULL` by default: every commit fsyncs the WAL before it returns. In WAL mode
///   `NORMAL` (``SQLiteSynchronous/normal``, chosen in ``DatabaseOptions``) already survives a
///   killed process (the WAL is in the OS's page cache), but may lose the last commits on power
///   loss or a kernel crash; an audit log promises more, and one fsync per commit is the price.
/// - busy timeout: a statement that finds the file locked by another process waits for it.
/// - foreign keys enforced.
/// - Transactions begin with `BEGIN IMMEDIATE`, so a transaction takes the write lock before it
///   reads and two processes' read-then-write transactions serialise instead of failing with
///   `SQLITE_BUSY` at their first write. Within this process an ``AsyncGate`` lets one
///   transaction (or single write) at a time use the writer connection.
final class SQLiteDatabase: SQLDatabase {
    let dialect = SQLDialect.sqlite
    let path: String
    private let pool: DatabasePool
    private let gate = AsyncGate()
    private let closed = Mutex(false)

    var description: String { "sqlite:\(path)" }

    init(path: String, busyTimeoutSeconds: Double, synchronous: SQLiteSynchronous = .full) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        configuration.allowsUnsafeTransactions = true  // a transaction spans several writer accesses
        configuration.label = "bulwark-store"
        let pragma = "PRAGMA synchronous = \(synchronous.rawValue)"
        configuration.prepareDatabase { db in
            try db.execute(sql: pragma)
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // the pool switches its writer to NORMAL when it enables WAL, after prepareDatabase
            try pool.writeWithoutTransaction { db in try db.execute(sql: pragma) }
        } catch {
            throw StoreError(.unavailable, "sqlite:\(path): cannot open (\(Self.reason(error)))", underlying: error)
        }
    }

    // MARK: statements outside a transaction

    func execute(_ statement: SQLStatement) async throws(StoreError) {
        try checkOpen()
        try await gate.withGate { () async throws(StoreError) in
            try await write(statement) { db, sql, arguments in
                try db.execute(sql: sql, arguments: arguments)
            }
        }
    }

    func query(_ statement: SQLStatement) async throws(StoreError) -> [SQLRow] {
        try checkOpen()
        let arguments = Self.arguments(statement.bindings)
        let sql = statement.sql
        let snapshot: [SQLRow]?
        do {
            // a read-only statement runs on a reader (concurrent, never waits for writers);
            // one that writes (`INSERT … RETURNING`) goes to the writer like `execute`
            snapshot = try await pool.read { db -> [SQLRow]? in
                guard try db.makeStatement(sql: sql).isReadonly else { return nil }
                return try Self.rows(db, sql, arguments)
            }
        } catch {
            throw mapError(error, statement)
        }
        if let snapshot { return snapshot }
        return try await gate.withGate { () async throws(StoreError) -> [SQLRow] in
            try await write(statement) { db, sql, arguments in try Self.rows(db, sql, arguments) }
        }
    }

    // MARK: transactions

    func transaction<T: Sendable, E: Error>(
        _ body: (any SQLTransaction) async throws(E) -> T,
        storeError: (StoreError) -> E
    ) async throws(E) -> T {
        do { try checkOpen() } catch { throw storeError(error) }
        return try await gate.withGate { () async throws(E) -> T in
            do throws(StoreError) {
                try await control("BEGIN IMMEDIATE", rollingBackStale: true)
            } catch {
                throw storeError(error)
            }
            let transaction = SQLiteTransaction(database: self)
            let result: T
            do throws(E) {
                result = try await body(transaction)
            } catch {
                transaction.end()
                await rollback()
                throw error
            }
            transaction.end()
            do throws(StoreError) {
                try await control("COMMIT", rollingBackStale: false)
            } catch {
                await rollback()
                throw storeError(error)
            }
            return result
        }
    }

    func close() async {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        await gate.withGate {
            try? pool.close()
        }
    }

    // MARK: helpers shared with SQLiteTransaction

    /// Runs `work` on the writer connection (the caller holds the gate).
    func write<T: Sendable>(
        _ statement: SQLStatement,
        _ work: @escaping @Sendable (Database, String, StatementArguments) throws -> T
    ) async throws(StoreError) -> T {
        let arguments = Self.arguments(statement.bindings)
        let sql = statement.sql
        do {
            return try await pool.writeWithoutTransaction { db in try work(db, sql, arguments) }
        } catch {
            throw mapError(error, statement)
        }
    }

    static func rows(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> [SQLRow] {
        let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
        return rows.map { row in
            SQLRow(columns: Array(row.columnNames), values: row.databaseValues.map(Self.value))
        }
    }

    private func control(_ sql: String, rollingBackStale: Bool) async throws(StoreError) {
        try await write(SQLStatement(sql)) { db, sql, _ in
            // a transaction left open by a cancelled task must not swallow this one
            if rollingBackStale, db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
            try db.execute(sql: sql)
        }
    }

    private func rollback() async {
        _ = try? await write(SQLStatement("ROLLBACK")) { db, _, _ in
            if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
        }
    }

    private func checkOpen() throws(StoreError) {
        if closed.withLock({ $0 }) {
            throw StoreError(.unavailable, "\(description): the database is closed")
        }
    }

    func mapError(_ error: any Error, _ statement: SQLStatement) -> StoreError {
        if let error = error as? DatabaseError {
            let code: StoreError.Code = error.resultCode == .SQLITE_CONSTRAINT ? .constraint : .statement
            return StoreError(code, "\(description): \(statement.summary): \(Self.reason(error))", underlying: error)
        }
        if error is CancellationError {
            return StoreError(.statement, "\(description): \(statement.summary): cancelled", underlying: error)
        }
        return StoreError(.statement, "\(description): \(statement.summary): \(Self.reason(error))", underlying: error)
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return error.message ?? "SQLite error \(error.extendedResultCode.rawValue)"
        }
        return String(describing: error)
    }

    private static func arguments(_ bindings: [SQLValue]) -> StatementArguments {
        StatementArguments(bindings.map { value -> DatabaseValue in
            switch value {
            case .null: .null
            case .integer(let int): int.databaseValue
            case .real(let real): real.databaseValue
            case .text(let text): text.databaseValue
            case .blob(let bytes): Data(bytes).databaseValue
            }
        })
    }

    private static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case .int64(let int): .integer(int)
        case .double(let real): .real(real)
        case .string(let text): .text(text)
        case .blob(let data): .blob([UInt8](data))
        }
    }
}

/// The statements of one SQLite transaction: they run on the writer connection, which the
/// transaction's gate keeps for it.
final class SQLiteTransaction: SQLTransaction {
    let dialect = SQLDialect.sqlite
    private let database: SQLiteDatabase
    private let active = Mutex(true)

    init(database: SQLiteDatabase) {
        self.database = database
    }

    func end() { active.withLock { $0 = false } }

    func execute(_ statement: SQLStatement) async throws(StoreError) {
        try checkActive()
        try await database.write(statement) { db, sql, arguments in
            try db.execute(sql: sql, arguments: arguments)
        }
    }

    func query(_ statement: SQLStatement) async throws(StoreError) -> [SQLRow] {
        try checkActive()
        return try await database.write(statement) { db, sql, arguments in
            try SQLiteDatabase.rows(db, sql, arguments)
        }
    }

    /// Nothing to do: `BEGIN IMMEDIATE` already holds SQLite's one write lock (see
    /// ``SQLTransaction/lock(key:)``).
    func lock(key: String) async throws(StoreError) {
        try checkActive()
    }

    private func checkActive() throws(StoreError) {
        if !active.withLock({ $0 }) {
            throw StoreError(.statement, "\(database.description): the transaction has ended; use the one handed to the body")
        }
    }
}
