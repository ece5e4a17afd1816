import BulwarkStore
internal import Foundation

/// Where a shared limiter reads the time: the database server's clock (the default: every
/// replica then agrees, whatever its own clock says) or a clock of the caller's (seconds since
/// 1970; for tests, or replicas whose clocks are kept in step).
///
/// ```swift
/// let db = try await openDatabase("sqlite:/tmp/bulwark-example.db")
/// let limiter = try await SQLRateLimiter(database: db)                                   // the server's clock
/// let fixed = try await SQLRateLimiter(database: db, clock: .custom { 1_800_000_000 })   // a test's clock
/// ```
public enum SharedClock: Sendable {
    /// The database's clock: PostgreSQL's `statement_timestamp()`, SQLite's `julianday('now')`.
    case database
    /// The caller's clock, in seconds since 1970, read once per statement.
    case custom(@Sendable () -> Double)

    /// The SQL expression of "now" in seconds since 1970, and its bindings (none or one).
    func now(_ dialect: SQLDialect) -> (sql: String, bindings: [SQLValue]) {
        switch self {
        case .custom(let read):
            return ("?", [.real(read())])
        case .database:
            switch dialect {
            case .postgres: return ("CAST(EXTRACT(EPOCH FROM statement_timestamp()) AS DOUBLE PRECISION)", [])
            case .sqlite: return ("((julianday('now') - 2440587.5) * 86400.0)", [])
            }
        }
    }
}

/// The tables of the `serving_rate_limits` migration namespace: token buckets and quota counters.
///
/// Times are seconds since 1970 (`REAL` / `DOUBLE PRECISION`).
enum RateLimitSchema {
    static let namespace = "serving_rate_limits"

    static let version1 = """
        CREATE TABLE serving_rate_buckets (
            key TEXT PRIMARY KEY,
            tokens {REAL} NOT NULL,
            updated_at {REAL} NOT NULL,
            rate {REAL} NOT NULL,
            burst {INT} NOT NULL,
            cost {INT} NOT NULL,
            admitted {INT} NOT NULL,
            full_at {REAL} NOT NULL);
        CREATE INDEX serving_rate_buckets_full_at ON serving_rate_buckets (full_at);
        CREATE TABLE serving_quota_counters (
            key TEXT NOT NULL,
            window_seconds {INT} NOT NULL,
            window_index {INT} NOT NULL,
            used {INT} NOT NULL,
            quota_limit {INT} NOT NULL,
            cost {INT} NOT NULL,
            admitted {INT} NOT NULL,
            seen_at {REAL} NOT NULL,
            window_end {REAL} NOT NULL,
            PRIMARY KEY (key, window_seconds, window_index));
        CREATE INDEX serving_quota_counters_window_end ON serving_quota_counters (window_end);
        """

    static func script(_ dialect: SQLDialect) -> String {
        let types: [(String, String)] = dialect == .sqlite
            ? [("{REAL}", "REAL"), ("{INT}", "INTEGER")]
            : [("{REAL}", "DOUBLE PRECISION"), ("{INT}", "BIGINT")]
        return types.reduce(version1) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    }

    static let migrations = [
        Migration(version: 1, name: "rate buckets and quota counters", sqlite: script(.sqlite), postgres: script(.postgres)),
    ]

    /// Brings `database`'s rate-limit tables up to date; fails with code `storage`.
    static func migrate(_ database: any SQLDatabase) async throws(ServingError) {
        do {
            try await Migrator(namespace: namespace, migrations).migrate(database)
        } catch {
            throw ServingError(.storage, "rate limits: cannot prepare the tables in \(database): \(error.message)", underlying: error)
        }
    }

    /// `LEAST`/`GREATEST` on PostgreSQL, the scalar `MIN`/`MAX` on SQLite.
    static func functions(_ dialect: SQLDialect) -> (least: String, greatest: String) {
        dialect == .sqlite ? ("MIN", "MAX") : ("LEAST", "GREATEST")
    }
}
