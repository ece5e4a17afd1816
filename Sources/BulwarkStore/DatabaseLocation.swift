internal import Foundation

/// Where a database lives, parsed from the `--database` value: a SQLite file or a PostgreSQL
/// server. Its ``description`` never contains the password.
///
/// Accepted forms:
/// - a plain path, or `sqlite:PATH` (`sqlite:///abs/path.db` also works): a SQLite file;
/// - `postgres://user:password@host:port/database` or `postgresql://…`: PostgreSQL over TCP
///   (port 5432 when omitted; user name and password percent-decoded);
/// - `postgres://user@/database?host=/run/postgresql`: PostgreSQL over the Unix socket in
///   that directory (`.s.PGSQL.<port>`);
/// - query option `sslmode=disable|prefer|require` (default `prefer`; `require` also verifies
///   the server's certificate and host name against the system's trust roots).
///
/// ```swift
/// let location = try DatabaseLocation(parsing: "postgres://bulwark:secret@db.internal/bulwark")
/// print(location)   // postgres://bulwark@db.internal:5432/bulwark
/// ```
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    /// A SQLite file at this path (created when missing).
    case sqlite(path: String)
    /// A PostgreSQL database.
    case postgres(PostgresLocation)

    /// Parses `text`; a malformed PostgreSQL URL fails with code `unavailable`, in a message that
    /// does not repeat the text (it may hold a password).
    public init(parsing text: String) throws(StoreError) {
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(parsing: text))
            return
        }
        var path = text
        if lowered.hasPrefix("sqlite:") {
            path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("///") { path = String(path.dropFirst(2)) }
        } else if text.contains("://") {
            throw StoreError(.unavailable, "--database: unknown scheme (expected a file path, sqlite:PATH or postgres://…)")
        }
        guard !path.isEmpty else {
            throw StoreError(.unavailable, "--database: empty SQLite path (expected a file path or sqlite:PATH)")
        }
        self = .sqlite(path: path)
    }

    /// `sqlite:PATH`, or the PostgreSQL URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let location): location.description
        }
    }
}

/// A PostgreSQL server, database and credentials (see ``DatabaseLocation``).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// How the connection uses TLS (`sslmode` in the URL).
    public enum TLSMode: String, Sendable, Hashable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, plain otherwise (libpq's default).
        case prefer
        /// TLS, with the certificate and host name verified.
        case require
    }

    /// The host name or address (unused with ``unixSocketDirectory``).
    public var host: String
    /// The TCP port, also the number in the Unix socket's name.
    public var port: Int
    /// The directory of the server's Unix socket, or `nil` for TCP.
    public var unixSocketDirectory: String?
    /// The user name.
    public var user: String
    /// The password; never printed.
    public var password: String?
    /// The database name (the user name when the URL names none).
    public var database: String
    /// The TLS mode.
    public var tls: TLSMode

    /// Parses a `postgres://` or `postgresql://` URL.
    public init(parsing text: String) throws(StoreError) {
        let expected = "expected postgres://user:password@host:port/database"
        guard let components = URLComponents(string: text) else {
            throw StoreError(.unavailable, "--database: cannot parse the PostgreSQL URL (\(expected))")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError(.unavailable, "--database: the PostgreSQL URL names no user (\(expected))")
        }
        self.user = user
        password = components.password
        port = components.port ?? 5432
        host = components.host ?? ""
        let name = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = name.isEmpty ? user : (name.removingPercentEncoding ?? name)
        tls = .prefer
        unixSocketDirectory = nil
        for item in components.queryItems ?? [] {
            switch item.name {
            case "host":
                guard let value = item.value, !value.isEmpty else { continue }
                if value.hasPrefix("/") { unixSocketDirectory = value } else { host = value }
            case "port":
                guard let value = item.value.flatMap({ Int($0) }), (1...65535).contains(value) else {
                    throw StoreError(.unavailable, "--database: port must be a number from 1 to 65535")
                }
                port = value
            case "sslmode":
                switch item.value ?? "" {
                case "disable", "allow": tls = .disable
                case "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default:
                    throw StoreError(.unavailable, "--database: sslmode must be disable, prefer or require")
                }
            default:
                throw StoreError(.unavailable, "--database: unknown PostgreSQL URL option '\(item.name)' (known: host, port, sslmode)")
            }
        }
        if unixSocketDirectory == nil, host.isEmpty {
            throw StoreError(.unavailable, "--database: the PostgreSQL URL names no host (\(expected), or ?host=/socket/dir)")
        }
    }

    /// The URL without the password.
    public var description: String {
        let sslmode = tls == .prefer ? "" : "sslmode=\(tls.rawValue)"
        if let unixSocketDirectory {
            let port = port == 5432 ? "" : "&port=\(port)"
            return "postgres://\(user)@/\(database)?host=\(unixSocketDirectory)\(port)" + (sslmode.isEmpty ? "" : "&\(sslmode)")
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)" + (sslmode.isEmpty ? "" : "?\(sslmode)")
    }
}

/// Settings of an opened database that are not part of its location.
public struct DatabaseOptions: Sendable, Hashable {
    /// SQLite: how long a statement waits for another process's lock before failing.
    public var busyTimeoutSeconds: Double = 30
    /// PostgreSQL: the most connections the pool opens.
    public var maximumConnections: Int = 10
    /// PostgreSQL: how long connecting may take.
    public var connectTimeoutSeconds: Double = 10
    /// SQLite: when a commit reaches the disk; ``SQLiteSynchronous/full`` (the default) fsyncs
    /// every commit. PostgreSQL keeps the server's own `synchronous_commit`.
    public var sqliteSynchronous: SQLiteSynchronous = .full

    /// The defaults: 30 s busy timeout, 10 connections, 10 s connect timeout, `synchronous = FULL`.
    public init() {}
}

/// How durable a SQLite commit is when it returns (SQLite's `PRAGMA synchronous`, in WAL mode).
///
/// | mode | a killed process (`kill -9`) | power loss or kernel crash |
/// | --- | --- | --- |
/// | ``full`` | loses nothing acknowledged | loses nothing acknowledged |
/// | ``normal`` | loses nothing acknowledged | may roll back the last commits (never corrupts) |
///
/// ``full`` costs one fsync of the WAL per commit, so a commit's latency is the disk's flush
/// latency; ``normal`` fsyncs only when the WAL is checkpointed into the database file.
public enum SQLiteSynchronous: String, Sendable, Hashable, CaseIterable {
    /// `PRAGMA synchronous = FULL`: every commit is on disk before it returns (the default).
    case full = "FULL"
    /// `PRAGMA synchronous = NORMAL`: a commit is in the OS page cache when it returns.
    case normal = "NORMAL"
}

/// Opens the database at `location` (see ``DatabaseLocation`` for the accepted forms): a SQLite
/// file (created when missing, WAL mode) or a PostgreSQL pool that has made one connection.
///
/// Fails with code `unavailable` when the location is malformed or the database cannot be
/// reached; the message names the database without its password.
///
/// ```swift
/// let db = try await openDatabase("sqlite:/var/lib/bulwark/control.db")
/// let rows = try await db.query("SELECT 1 AS one")
/// await db.close()
/// ```
public func openDatabase(_ location: String, options: DatabaseOptions = DatabaseOptions()) async throws(StoreError) -> any SQLDatabase {
    try await openDatabase(DatabaseLocation(parsing: location), options: options)
}

/// Opens the database at an already parsed `location` (see ``openDatabase(_:options:)``).
public func openDatabase(_ location: DatabaseLocation, options: DatabaseOptions = DatabaseOptions()) async throws(StoreError) -> any SQLDatabase {
    switch location {
    case .sqlite(let path):
        return try SQLiteDatabase(path: path, busyTimeoutSeconds: options.busyTimeoutSeconds, synchronous: options.sqliteSynchronous)
    case .postgres(let postgres):
        return try await PostgreSQLDatabase(location: postgres, options: options)
    }
}
