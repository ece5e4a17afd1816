/// The SQL dialect behind a database, for the few statements (mostly DDL) that differ.
public enum SQLDialect: String, Sendable, Hashable {
    /// SQLite through GRDB: one file in WAL mode.
    case sqlite
    /// PostgreSQL through postgres-nio.
    case postgres
}

/// Something that runs statements: a ``SQLDatabase`` (each statement on its own) or a
/// ``SQLTransaction`` (statements inside one transaction).
public protocol SQLExecutor: Sendable {
    /// The engine's dialect.
    var dialect: SQLDialect { get }

    /// Runs `statement` and discards any rows it returns.
    ///
    /// On SQLite, a statement without bindings may hold several statements separated by `;`; on
    /// PostgreSQL it must be one statement (use ``SQLExecutor/executeScript(_:)`` for a script).
    func execute(_ statement: SQLStatement) async throws(StoreError)

    /// Runs `statement` and returns all its rows (use `RETURNING` to read back what an `INSERT`
    /// or `UPDATE` wrote: both engines support it).
    func query(_ statement: SQLStatement) async throws(StoreError) -> [SQLRow]
}

/// The statements of one open transaction, handed to the body of ``SQLDatabase/transaction(_:)``.
///
/// Valid only during that body: do not keep it or pass it to another task.
public protocol SQLTransaction: SQLExecutor {
    /// Waits until no other transaction, in this process or any other one using the same
    /// database, holds the lock named `key`, then holds it until this transaction ends.
    ///
    /// Use it around read-then-write sequences that must not interleave (appending to an audit
    /// log, allocating the next sequence number).
    ///
    /// - PostgreSQL: `pg_advisory_xact_lock` on a 64-bit hash of `key` (FNV-1a), released at
    ///   commit or rollback. Transactions that take no lock are not blocked.
    /// - SQLite: nothing to do. Every transaction starts with `BEGIN IMMEDIATE`, which takes the
    ///   database's one write lock (waiting up to the busy timeout while another process holds
    ///   it), and this process runs one transaction at a time, so every transaction already
    ///   holds every key.
    func lock(key: String) async throws(StoreError)
}

/// A database: SQLite (one file, WAL) or PostgreSQL (several server nodes), behind one API.
///
/// Open one with ``openDatabase(_:options:)``, bring its schema up to date with ``Migrator``, then
/// run statements directly or inside ``transaction(_:)``. Statements outside a transaction each
/// commit on their own. Call ``close()`` when done.
///
/// Descriptions and error messages name the database without its password.
public protocol SQLDatabase: SQLExecutor, AnyObject, CustomStringConvertible {
    /// Runs `body` inside one transaction: commits when it returns, rolls back when it throws
    /// (and rethrows its error), and turns a failure of the database itself (`BEGIN`, `COMMIT`,
    /// a lost connection) into `E` with `storeError`.
    ///
    /// Do not start a transaction inside `body` (on SQLite that waits for itself forever); run
    /// everything through the transaction handed to `body`.
    func transaction<T: Sendable, E: Error>(
        _ body: (any SQLTransaction) async throws(E) -> T,
        storeError: (StoreError) -> E
    ) async throws(E) -> T

    /// Closes the database and releases its connections; further calls fail with code
    /// `unavailable`, and calling it twice is harmless. SQLite waits for a running transaction
    /// to end; PostgreSQL shuts its pool down, failing statements still in flight, so finish
    /// your work first.
    func close() async
}

extension SQLDatabase {
    /// Runs `body` inside one transaction: commits when it returns, rolls back when it throws.
    ///
    /// ```swift
    /// let db = try await openDatabase("sqlite:/tmp/bulwark-example.db")
    /// let balance = try await db.transaction { tx throws(StoreError) in
    ///     try await tx.lock(key: "accounts")
    ///     let row = try await tx.query(SQLStatement("SELECT balance FROM accounts WHERE id = ?", [7]))
    ///     let balance = try (row.first?.int64("balance") ?? 0) + 10
    ///     try await tx.execute(SQLStatement("UPDATE accounts SET balance = ? WHERE id = ?", [.integer(balance), 7]))
    ///     return balance
    /// }
    /// ```
    public func transaction<T: Sendable>(
        _ body: (any SQLTransaction) async throws(StoreError) -> T
    ) async throws(StoreError) -> T {
        try await transaction(body, storeError: { $0 })
    }
}

extension SQLExecutor {
    /// Runs a script of several statements separated by `;` (as migrations hold). On PostgreSQL
    /// the script is split at semicolons outside literals, comments and `$$` bodies and each part
    /// runs in turn; on SQLite it runs as one call, so `CREATE TRIGGER … BEGIN …; END` works.
    public func executeScript(_ script: String) async throws(StoreError) {
        switch dialect {
        case .sqlite:
            try await execute(SQLStatement(script))
        case .postgres:
            for statement in SQLText.statements(script) {
                try await execute(SQLStatement(statement))
            }
        }
    }
}

/// The 64-bit FNV-1a hash of `key`'s UTF-8 bytes, as a signed PostgreSQL advisory-lock key.
package func advisoryLockKey(_ key: String) -> Int64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in key.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
    }
    return Int64(bitPattern: hash)
}
