internal import PostgresNIO
internal import Synchronization

/// The PostgreSQL backend: a postgres-nio `PostgresClient` (a connection pool) whose `run()` loop
/// lives in a task this object owns; ``close()`` cancels that task and waits for it to end.
///
/// Placeholders `?` are rewritten to `$1…$n`. Integers bind as `int8`, reals as `float8`, text
/// as `text`, blobs as `bytea` and `NULL` untyped, so the server casts them to the column's type
/// (declare integer columns `BIGINT`). Result columns of type `int2/int4/int8/bool` read as
/// integers, `float4/float8` as reals, `text/varchar/char/name/uuid/json/jsonb` as text and
/// `bytea` as blobs; any other type (a timestamp, `numeric`) must be cast in the query
/// (`created_at::text`), or reading it fails with code `decoding`.
final class PostgreSQLDatabase: SQLDatabase {
    let dialect = SQLDialect.postgres
    let location: PostgresLocation
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let closed = Mutex(false)
    private let logger: Logger

    var description: String { location.description }

    /// Starts the pool and checks that a connection can be made.
    init(location: PostgresLocation, options: DatabaseOptions) async throws(StoreError) {
        self.location = location
        var configuration: PostgresClient.Configuration
        if let socketDirectory = location.unixSocketDirectory {
            configuration = PostgresClient.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(location.port)", username: location.user,
                password: location.password, database: location.database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch location.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(.makeClientConfiguration())
            case .require: tls = .require(.makeClientConfiguration())
            }
            configuration = PostgresClient.Configuration(
                host: location.host, port: location.port, username: location.user,
                password: location.password, database: location.database, tls: tls)
        }
        // one direct connection first: the pool retries a refused connection for a minute or more
        // before a lease fails, while this fails at once with the real reason
        do {
            try await Self.probe(location, connectTimeoutSeconds: options.connectTimeoutSeconds)
        } catch {
            throw StoreError(.unavailable, "\(location): cannot connect (\(Self.reason(error)))", underlying: error)
        }
        configuration.options.maximumConnections = max(1, options.maximumConnections)
        configuration.options.connectTimeout = .milliseconds(Int64(options.connectTimeoutSeconds * 1000))
        var logger = Logger(label: "bulwark.store")
        logger.logLevel = .critical
        self.logger = logger
        let client = PostgresClient(configuration: configuration)
        self.client = client
        runTask = Task { await client.run() }
        do {
            try await execute("SELECT 1")
        } catch {
            await close()
            throw StoreError(.unavailable, "\(location): cannot connect (\(Self.reason(error.underlying ?? error)))",
                             underlying: error.underlying)
        }
    }

    /// Opens and closes one connection with the pool's settings.
    private static func probe(_ location: PostgresLocation, connectTimeoutSeconds: Double) async throws {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory = location.unixSocketDirectory {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(location.port)", username: location.user,
                password: location.password, database: location.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch location.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user,
                password: location.password, database: location.database, tls: tls)
        }
        configuration.options.connectTimeout = .milliseconds(Int64(connectTimeoutSeconds * 1000))
        var logger = Logger(label: "bulwark.store")
        logger.logLevel = .critical
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        try await connection.close()
    }

    deinit {
        runTask.cancel()
    }

    // MARK: statements outside a transaction

    func execute(_ statement: SQLStatement) async throws(StoreError) {
        try checkOpen()
        let query = try makeQuery(statement)
        do {
            let rows = try await client.query(query, logger: logger)
            for try await _ in rows {}
        } catch {
            throw mapError(error, statement)
        }
    }

    func query(_ statement: SQLStatement) async throws(StoreError) -> [SQLRow] {
        try checkOpen()
        let query = try makeQuery(statement)
        let rows: PostgresRowSequence
        do {
            rows = try await client.query(query, logger: logger)
        } catch {
            throw mapError(error, statement)
        }
        return try await collect(rows, statement)
    }

    // MARK: transactions

    private enum Outcome<T: Sendable, E: Error>: Sendable {
        case success(T)
        case bodyFailed(E)
        case storeFailed(StoreError)
    }

    func transaction<T: Sendable, E: Error>(
        _ body: (any SQLTransaction) async throws(E) -> T,
        storeError: (StoreError) -> E
    ) async throws(E) -> T {
        do { try checkOpen() } catch { throw storeError(error) }
        let outcome: Outcome<T, E>
        do {
            outcome = try await client.withConnection { connection -> Outcome<T, E> in
                await self.run(body, on: connection)
            }
        } catch {
            throw storeError(mapError(error, "BEGIN"))
        }
        switch outcome {
        case .success(let value): return value
        case .bodyFailed(let error): throw error
        case .storeFailed(let error): throw storeError(error)
        }
    }

    private nonisolated(nonsending) func run<T: Sendable, E: Error>(
        _ body: (any SQLTransaction) async throws(E) -> T, on connection: PostgresConnection
    ) async -> Outcome<T, E> {
        let transaction = PostgreSQLTransaction(database: self, connection: connection)
        do throws(StoreError) {
            try await transaction.run("BEGIN")
        } catch {
            return .storeFailed(error)
        }
        let result: T
        do throws(E) {
            result = try await body(transaction)
        } catch {
            await rollback(transaction, connection)
            return .bodyFailed(error)
        }
        do throws(StoreError) {
            try await transaction.run("COMMIT")
            transaction.end()
            return .success(result)
        } catch {
            await rollback(transaction, connection)
            return .storeFailed(error)
        }
    }

    /// Rolls back; a connection that cannot even do that is closed, so the pool never hands out
    /// a connection stuck inside a transaction.
    private func rollback(_ transaction: PostgreSQLTransaction, _ connection: PostgresConnection) async {
        do {
            try await transaction.run("ROLLBACK")
        } catch {
            try? await connection.close()
        }
        transaction.end()
    }

    func close() async {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        runTask.cancel()
        await runTask.value
    }

    // MARK: helpers shared with PostgreSQLTransaction

    func makeQuery(_ statement: SQLStatement) throws(StoreError) -> PostgresQuery {
        let (sql, count) = SQLText.numberedPlaceholders(statement.sql)
        guard count == statement.bindings.count else {
            throw StoreError(.statement, "\(description): \(statement.summary): \(count) placeholders but \(statement.bindings.count) values")
        }
        var bindings = PostgresBindings(capacity: count)
        for value in statement.bindings {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let int): bindings.append(int)
            case .real(let real): bindings.append(real)
            case .text(let text): bindings.append(text)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    func collect(_ rows: PostgresRowSequence, _ statement: SQLStatement) async throws(StoreError) -> [SQLRow] {
        var result: [SQLRow] = []
        do {
            for try await row in rows {
                var columns: [String] = []
                var values: [SQLValue] = []
                for cell in row {
                    columns.append(cell.columnName)
                    values.append(try Self.value(cell))
                }
                result.append(SQLRow(columns: columns, values: values))
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw mapError(error, statement)
        }
        return result
    }

    private static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .float4, .float8: return .real(try cell.decode(Double.self))
            case .text, .varchar, .bpchar, .name, .uuid, .json, .jsonb: return .text(try cell.decode(String.self))
            case .bytea: return .blob(Array(try cell.decode(ByteBuffer.self).readableBytesView))
            default:
                throw StoreError(.decoding, "column '\(cell.columnName)' has PostgreSQL type \(cell.dataType); cast it in the query (\(cell.columnName)::text)")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.decoding, "column '\(cell.columnName)': cannot read PostgreSQL type \(cell.dataType)", underlying: error)
        }
    }

    func mapError(_ error: any Error, _ statement: SQLStatement) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            if error.code == .server {
                let state = error.serverInfo?[.sqlState] ?? ""
                let code: StoreError.Code = state.hasPrefix("23") ? .constraint : .statement
                let message = error.serverInfo?[.message] ?? "server error"
                return StoreError(code, "\(description): \(statement.summary): \(message) (SQLSTATE \(state))", underlying: error)
            }
            if [.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .sslUnsupported,
                .authMechanismRequiresPassword, .unsupportedAuthMechanism, .saslError].contains(error.code)
            {
                return StoreError(.unavailable, "\(description): \(statement.summary): \(Self.reason(error))", underlying: error)
            }
            return StoreError(.statement, "\(description): \(statement.summary): \(Self.reason(error))", underlying: error)
        }
        if error is CancellationError {
            return StoreError(.statement, "\(description): \(statement.summary): cancelled", underlying: error)
        }
        return StoreError(.statement, "\(description): \(statement.summary): \(Self.reason(error))", underlying: error)
    }

    /// A short reason: the server's message, or the kind of connection failure and its cause.
    /// postgres-nio's own descriptions are deliberately vague; none of these quote the password.
    private static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else {
            if let error = error as? StoreError { return error.message }
            return String(describing: error)
        }
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return "\(error.code): \(String(describing: underlying))" }
        return "\(error.code)"
    }

    private func checkOpen() throws(StoreError) {
        if closed.withLock({ $0 }) {
            throw StoreError(.unavailable, "\(description): the database is closed")
        }
    }
}

/// The statements of one PostgreSQL transaction, on the one connection leased for it.
final class PostgreSQLTransaction: SQLTransaction {
    let dialect = SQLDialect.postgres
    private let database: PostgreSQLDatabase
    private let connection: PostgresConnection
    private let active = Mutex(true)
    private let logger: Logger

    init(database: PostgreSQLDatabase, connection: PostgresConnection) {
        self.database = database
        self.connection = connection
        var logger = Logger(label: "bulwark.store")
        logger.logLevel = .critical
        self.logger = logger
    }

    func end() { active.withLock { $0 = false } }

    /// Runs a control statement (`BEGIN`, `COMMIT`, `ROLLBACK`) whatever the state.
    func run(_ sql: String) async throws(StoreError) {
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            for try await _ in rows {}
        } catch {
            throw database.mapError(error, SQLStatement(sql))
        }
    }

    func execute(_ statement: SQLStatement) async throws(StoreError) {
        try checkActive()
        let query = try database.makeQuery(statement)
        do {
            let rows = try await connection.query(query, logger: logger)
            for try await _ in rows {}
        } catch {
            throw database.mapError(error, statement)
        }
    }

    func query(_ statement: SQLStatement) async throws(StoreError) -> [SQLRow] {
        try checkActive()
        let query = try database.makeQuery(statement)
        let rows: PostgresRowSequence
        do {
            rows = try await connection.query(query, logger: logger)
        } catch {
            throw database.mapError(error, statement)
        }
        return try await database.collect(rows, statement)
    }

    /// `pg_advisory_xact_lock` on the FNV-1a hash of `key`: held until commit or rollback.
    func lock(key: String) async throws(StoreError) {
        try await execute(SQLStatement("SELECT pg_advisory_xact_lock(?)", [.integer(advisoryLockKey(key))]))
    }

    private func checkActive() throws(StoreError) {
        if !active.withLock({ $0 }) {
            throw StoreError(.statement, "\(database.description): the transaction has ended; use the one handed to the body")
        }
    }
}
