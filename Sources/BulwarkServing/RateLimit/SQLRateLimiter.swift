public import BulwarkStore
import Synchronization

/// A ``RateLimiter`` whose buckets live in a table of a ``SQLDatabase``, so every gateway replica
/// that opens the same database shares them.
///
/// Each acquire is one atomic statement, `INSERT … ON CONFLICT (key) DO UPDATE … RETURNING`, on
/// PostgreSQL and on SQLite alike: it refills the stored tokens from the stored timestamp to
/// "now", spends the cost when they suffice, and returns the tokens left and whether it spent
/// them. The row lock of the upsert (PostgreSQL) or the database's write lock (SQLite)
/// serializes concurrent acquires of one key, so over any `t` seconds all replicas together
/// admit at most `burst + rate · t` tokens per key. A time earlier than the stored one (a
/// statement that started before another committed) counts as no time passed.
///
/// Time is the database server's clock by default (see ``SharedClock``), so replicas with
/// skewed clocks still agree. A round trip per request costs throughput; wrap this limiter in a
/// ``LeasedRateLimiter`` for the hot path. Rows of full buckets can be deleted at any time
/// without changing a decision (``purgeFull()``); an acquire does so itself once every
/// ``purgeIntervalSeconds`` per handle, so the table holds about the keys of the last few
/// minutes instead of every key ever seen.
///
/// ```swift
/// let db = try await openDatabase("postgres://bulwark:secret@db.internal/bulwark")
/// let shared = try await SQLRateLimiter(database: db)
/// let decision = try await shared.acquire("client:alice", cost: 1, limit: try RateLimit(rate: 5, burst: 20))
/// ```
public final class SQLRateLimiter: RateLimiter {
    /// The database holding the buckets.
    public let database: any SQLDatabase
    /// How often an acquire also purges the full buckets (``purgeFull()``), in seconds on this
    /// process's monotonic clock; the first purge comes one interval after the limiter is made.
    public let purgeIntervalSeconds: Double
    private let clock: SharedClock
    private let purges: PurgeSchedule

    /// A limiter on `database`, creating its tables when missing (migration namespace
    /// `serving_rate_limits`), purging full buckets every `purgeIntervalSeconds` (default five
    /// minutes); fails with code `storage` when the database refuses.
    public init(database: any SQLDatabase, clock: SharedClock = .database, purgeIntervalSeconds: Double = 300) async throws(ServingError) {
        try await RateLimitSchema.migrate(database)
        self.database = database
        self.clock = clock
        self.purgeIntervalSeconds = purgeIntervalSeconds.isFinite ? max(0, purgeIntervalSeconds) : 300
        purges = PurgeSchedule(interval: self.purgeIntervalSeconds)
    }

    /// Spends `cost` tokens of `key`'s shared bucket in one statement (see ``RateLimiter``).
    public func acquire(_ key: String, cost: Int, limit: RateLimit) async throws(ServingError) -> RateDecision {
        try RateLimitInput.check(key, cost: cost, capacity: limit.burst)
        let dialect = database.dialect
        let (least, greatest) = RateLimitSchema.functions(dialect)
        let now = clock.now(dialect)
        let table = "serving_rate_buckets"
        let elapsed = "\(greatest)(0, excluded.updated_at - \(table).updated_at)"
        let refilled = "\(least)(excluded.burst, \(table).tokens + \(elapsed) * excluded.rate)"
        let enough = "\(refilled) + \(TokenBucket.tolerance) >= excluded.cost"
        let left = "(CASE WHEN \(enough) THEN \(greatest)(0, \(refilled) - excluded.cost) ELSE \(refilled) END)"
        let updated = "\(greatest)(\(table).updated_at, excluded.updated_at)"
        let sql = """
            INSERT INTO \(table) (key, tokens, updated_at, rate, burst, cost, admitted, full_at)
            VALUES (?, ?, \(now.sql), ?, ?, ?, 1, \(now.sql) + ?)
            ON CONFLICT (key) DO UPDATE SET
                tokens = \(left),
                admitted = CASE WHEN \(enough) THEN 1 ELSE 0 END,
                updated_at = \(updated),
                rate = excluded.rate, burst = excluded.burst, cost = excluded.cost,
                full_at = \(updated) + (excluded.burst - \(left)) / excluded.rate
            RETURNING tokens, admitted
            """
        let bindings: [SQLValue] = [.text(key), .real(Double(limit.burst - cost))] + now.bindings
            + [.real(limit.rate), .integer(Int64(limit.burst)), .integer(Int64(cost))] + now.bindings
            + [.real(Double(cost) / limit.rate)]
        let tokens: Double
        let admitted: Bool
        do throws(StoreError) {
            guard let row = try await database.query(SQLStatement(sql, bindings)).first else {
                throw StoreError(.statement, "the upsert returned no row")
            }
            tokens = try row.double("tokens")
            admitted = try row.bool("admitted")
        } catch {
            throw ServingError(.storage, "rate limit \(key): \(database) failed: \(error.message)", underlying: error)
        }
        if purges.due() { _ = try? await purgeFull() }   // housekeeping: a failure leaves the rows for the next time
        let remaining = Int((tokens + TokenBucket.tolerance).rounded(.down))
        if admitted { return .admitted(remaining: remaining) }
        return .refused(remaining: remaining, waitSeconds: (Double(cost) - tokens) / limit.rate)
    }

    /// Deletes the rows of buckets that are full by now (lossless: a missing bucket is full) and
    /// returns how many; run it now and then to keep the table small.
    @discardableResult
    public func purgeFull() async throws(ServingError) -> Int {
        let now = clock.now(database.dialect)
        do {
            let rows = try await database.query(SQLStatement(
                "DELETE FROM serving_rate_buckets WHERE full_at <= \(now.sql) RETURNING key", now.bindings))
            return rows.count
        } catch {
            throw ServingError(.storage, "rate limits: purging full buckets in \(database) failed: \(error.message)", underlying: error)
        }
    }
}

/// When a shared limiter last purged its table: ``due()`` says yes at most once per interval.
final class PurgeSchedule: Sendable {
    private let interval: Double
    private let clock: @Sendable () -> Double
    private let last: Mutex<Double>

    /// A schedule whose first purge is due `interval` seconds from now.
    init(interval: Double) {
        self.interval = interval
        clock = monotonicSeconds()
        last = Mutex(0)
    }

    /// Whether a purge is due now; when it is, the next one is due an interval later.
    func due() -> Bool {
        let now = clock()
        let interval = interval
        return last.withLock { last in
            guard now - last >= interval else { return false }
            last = now
            return true
        }
    }
}
