import BulwarkServing
import BulwarkStore
import Testing

// The shared limiters keep their tables small on their own: `bulwark serve --shared-limits` never
// calls purgeFull() or purgeEnded(), so without this every key ever seen stayed in the database.

private func rowCount(_ db: any SQLDatabase, _ table: String) async throws -> Int {
    try #require(try await db.query(SQLStatement("SELECT COUNT(*) AS n FROM \(table)")).first).int("n")
}

/// An acquire deletes the full buckets once an interval has passed, and not before.
private func bucketsArePurgedByAcquires(_ engine: RateLimitEngine) async throws {
    try await withRateLimitDatabase(engine) { db, _ in
        let clock = ManualClock(1_000)
        let limit = try RateLimit(rate: 1, burst: 4)
        let patient = try await SQLRateLimiter(database: db, clock: .custom(clock.read), purgeIntervalSeconds: 3_600)
        #expect(patient.purgeIntervalSeconds == 3_600)
        for number in 0..<5 { #expect(try await patient.acquire("client:\(number)", cost: 1, limit: limit).allowed) }
        clock.set(1_010)   // every bucket is full again
        #expect(try await patient.acquire("client:late", cost: 4, limit: limit).allowed)
        #expect(try await rowCount(db, "serving_rate_buckets") == 6, "no purge within the interval")

        let eager = try await SQLRateLimiter(database: db, clock: .custom(clock.read), purgeIntervalSeconds: 0)
        let decision = try await eager.acquire("client:next", cost: 1, limit: limit)
        #expect(decision.allowed && decision.remaining == 3, "the purge does not change the decision")
        // The five full buckets are gone; client:late (empty) and client:next (not full) stay.
        #expect(try await rowCount(db, "serving_rate_buckets") == 2)
        let late = try await eager.acquire("client:late", cost: 1, limit: limit)
        #expect(!late.allowed, "an emptied bucket is never purged")
    }
}

/// A consume deletes the counters of ended windows once an interval has passed, and not before.
private func quotaWindowsArePurgedByConsumes(_ engine: RateLimitEngine) async throws {
    try await withRateLimitDatabase(engine) { db, _ in
        let clock = ManualClock(3_600 * 1_000)
        let quota = try Quota.perHour(2)
        let patient = try await SQLQuotaCounter(database: db, clock: .custom(clock.read), purgeIntervalSeconds: 3_600)
        for number in 0..<3 { #expect(try await patient.consume("client:\(number)", cost: 1, quota: quota).allowed) }
        #expect(try await patient.consume("client:0", cost: 2, quota: quota).allowed == false)
        clock.set(3_600 * 1_001 + 5)   // the next hour
        #expect(try await patient.consume("client:0", cost: 2, quota: quota).allowed)
        #expect(try await rowCount(db, "serving_quota_counters") == 4, "no purge within the interval")

        let eager = try await SQLQuotaCounter(database: db, clock: .custom(clock.read), purgeIntervalSeconds: 0)
        let refused = try await eager.consume("client:0", cost: 1, quota: quota)
        #expect(!refused.allowed && refused.remaining == 0, "the current window's count survives the purge")
        #expect(try await rowCount(db, "serving_quota_counters") == 1, "the three counters of the ended hour are gone")
    }
}

@Suite struct RateLimitPurgeTests {
    @Test func sqliteBucketsArePurgedByAcquires() async throws { try await bucketsArePurgedByAcquires(.sqlite) }
    @Test(.enabled(if: rateLimitPostgresURL != nil, rateLimitPostgresSkip))
    func postgresBucketsArePurgedByAcquires() async throws { try await bucketsArePurgedByAcquires(.postgres) }

    @Test func sqliteQuotaWindowsArePurgedByConsumes() async throws { try await quotaWindowsArePurgedByConsumes(.sqlite) }
    @Test(.enabled(if: rateLimitPostgresURL != nil, rateLimitPostgresSkip))
    func postgresQuotaWindowsArePurgedByConsumes() async throws { try await quotaWindowsArePurgedByConsumes(.postgres) }
}
