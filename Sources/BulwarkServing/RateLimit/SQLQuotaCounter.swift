public import BulwarkStore

/// A ``QuotaCounter`` whose counts live in a table of a ``SQLDatabase`` (one row per key, window
/// length and window), so every gateway replica that opens the same database shares them.
///
/// Each consume is one atomic `INSERT … ON CONFLICT … DO UPDATE … RETURNING` statement that adds
/// the cost only when the count stays within the limit, so all replicas together never count
/// more than `limit` units in one window. The window is found from "now" on ``SharedClock``
/// (the database server's clock by default). Rows of ended windows can be deleted
/// (``purgeEnded()``); a consume does so itself once every ``purgeIntervalSeconds`` per handle.
///
/// ```swift
/// let db = try await openDatabase("postgres://bulwark:secret@db.internal/bulwark")
/// let quotas = try await SQLQuotaCounter(database: db)
/// let decision = try await quotas.consume("client:alice", cost: 1, quota: try .perDay(10_000))
/// ```
public final class SQLQuotaCounter: QuotaCounter {
    /// The database holding the counters.
    public let database: any SQLDatabase
    /// How often a consume also deletes the counters of ended windows (``purgeEnded()``), in
    /// seconds on this process's monotonic clock; the first purge comes one interval after the
    /// counter is made.
    public let purgeIntervalSeconds: Double
    private let clock: SharedClock
    private let purges: PurgeSchedule

    /// A counter on `database`, creating its tables when missing (migration namespace
    /// `serving_rate_limits`), deleting ended windows every `purgeIntervalSeconds` (default five
    /// minutes); fails with code `storage` when the database refuses.
    public init(database: any SQLDatabase, clock: SharedClock = .database, purgeIntervalSeconds: Double = 300) async throws(ServingError) {
        try await RateLimitSchema.migrate(database)
        self.database = database
        self.clock = clock
        self.purgeIntervalSeconds = purgeIntervalSeconds.isFinite ? max(0, purgeIntervalSeconds) : 300
        purges = PurgeSchedule(interval: self.purgeIntervalSeconds)
    }

    /// Adds `cost` to `key`'s shared count in the current window, in one statement (see
    /// ``QuotaCounter``).
    public func consume(_ key: String, cost: Int, quota: Quota) async throws(ServingError) -> RateDecision {
        try RateLimitInput.check(key, cost: cost, capacity: quota.limit, what: "quota")
        let dialect = database.dialect
        let now = clock.now(dialect)
        let window = dialect == .sqlite ? "CAST(\(now.sql) / ? AS INTEGER)" : "CAST(FLOOR(\(now.sql) / ?) AS BIGINT)"
        let windowBindings = now.bindings + [.real(Double(quota.windowSeconds))]
        let table = "serving_quota_counters"
        let fits = "\(table).used + excluded.cost <= excluded.quota_limit"
        let sql = """
            INSERT INTO \(table) (key, window_seconds, window_index, used, quota_limit, cost, admitted, seen_at, window_end)
            VALUES (?, ?, \(window), ?, ?, ?, 1, \(now.sql), (\(window) + 1) * ?)
            ON CONFLICT (key, window_seconds, window_index) DO UPDATE SET
                used = CASE WHEN \(fits) THEN \(table).used + excluded.cost ELSE \(table).used END,
                admitted = CASE WHEN \(fits) THEN 1 ELSE 0 END,
                quota_limit = excluded.quota_limit, cost = excluded.cost, seen_at = excluded.seen_at
            RETURNING used, admitted, seen_at, window_end
            """
        let bindings: [SQLValue] = [.text(key), .integer(Int64(quota.windowSeconds))] + windowBindings
            + [.integer(Int64(cost)), .integer(Int64(quota.limit)), .integer(Int64(cost))] + now.bindings
            + windowBindings + [.real(Double(quota.windowSeconds))]
        let used: Int
        let admitted: Bool
        let wait: Double
        do throws(StoreError) {
            guard let row = try await database.query(SQLStatement(sql, bindings)).first else {
                throw StoreError(.statement, "the upsert returned no row")
            }
            used = try row.int("used")
            admitted = try row.bool("admitted")
            wait = try row.double("window_end") - row.double("seen_at")
        } catch {
            throw ServingError(.storage, "quota \(key): \(database) failed: \(error.message)", underlying: error)
        }
        if purges.due() { _ = try? await purgeEnded() }   // housekeeping: a failure leaves the rows for the next time
        if admitted { return .admitted(remaining: quota.limit - used) }
        return .refused(remaining: quota.limit - used, waitSeconds: wait)
    }

    /// Deletes the counters of windows that have ended and returns how many.
    @discardableResult
    public func purgeEnded() async throws(ServingError) -> Int {
        let now = clock.now(database.dialect)
        do {
            let rows = try await database.query(SQLStatement(
                "DELETE FROM serving_quota_counters WHERE window_end <= \(now.sql) RETURNING key", now.bindings))
            return rows.count
        } catch {
            throw ServingError(.storage, "quotas: purging ended windows in \(database) failed: \(error.message)", underlying: error)
        }
    }
}
