import BulwarkServing
import BulwarkStore
import Foundation
import Testing

// The same bodies run on SQLite and on PostgreSQL (when BULWARK_TEST_POSTGRES_URL is set).

/// The shared bucket's decisions equal the token bucket's on a seeded schedule of times and costs.
private func agreesWithTheTokenBucket(_ engine: RateLimitEngine) async throws {
    try await withRateLimitDatabase(engine) { db, _ in
        let clock = ManualClock(1_800_000_000)
        let limiter = try await SQLRateLimiter(database: db, clock: .custom(clock.read))
        let limit = try RateLimit(rate: 2.5, burst: 6)
        var model = TokenBucket(limit: limit, at: clock.now)
        var random = SplitMix(state: 42)
        var admitted = 0
        for _ in 0..<150 {
            clock.set(clock.now + Double(Int.random(in: 0...4, using: &random)) * 0.125)
            let cost = Int.random(in: 1...3, using: &random)
            let shared = try await limiter.acquire("client:alice", cost: cost, limit: limit)
            let expected = model.take(cost, at: clock.now)
            #expect(shared == expected, "at \(clock.now) cost \(cost)")
            if shared.allowed { admitted += 1 }
        }
        #expect(admitted > 20 && admitted < 150)
    }
}

/// Two handles ("replicas") on the database clock, hammering one key, admit no more than the bound.
private func twoReplicasStayUnderTheBound(_ engine: RateLimitEngine) async throws {
    try await withRateLimitDatabase(engine) { db, location in
        let second = try await openDatabase(location)
        let replicas = [try await SQLRateLimiter(database: db), try await SQLRateLimiter(database: second)]
        let limit = try RateLimit(rate: 20, burst: 10)
        let start = Date()
        let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                let replica = replicas[task % 2]
                group.addTask {
                    var count = 0
                    for _ in 0..<25 where try await replica.acquire("model:fmnist", cost: 1, limit: limit).allowed { count += 1 }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = Date().timeIntervalSince(start)
        await second.close()
        #expect(admitted >= 10)
        #expect(Double(admitted) <= 10 + 20 * elapsed + 1e-6, "admitted \(admitted) of 200 in \(elapsed) s")
    }
}

/// Full buckets can be purged without changing a decision; bad input never reaches the table.
private func purgesFullBucketsAndRefusesBadInput(_ engine: RateLimitEngine) async throws {
    try await withRateLimitDatabase(engine) { db, _ in
        let clock = ManualClock(1_000)
        let limiter = try await SQLRateLimiter(database: db, clock: .custom(clock.read))
        let limit = try RateLimit(rate: 1, burst: 4)
        #expect(try await limiter.acquire("client:a", cost: 4, limit: limit).allowed)
        #expect(try await limiter.acquire("client:b", cost: 1, limit: limit).allowed)
        clock.set(1_001.5)
        #expect(try await limiter.purgeFull() == 1)   // b is full again, a is not
        let a = try await limiter.acquire("client:a", cost: 2, limit: limit)
        #expect(!a.allowed && a.retryAfter == 1 && a.remaining == 1)
        await expectServingError(.invalidParameter) { _ = try await limiter.acquire("client:a", cost: 5, limit: limit) }
        await expectServingError(.invalidParameter) { _ = try await limiter.acquire(String(repeating: "x", count: 300), cost: 1, limit: limit) }
        let rows = try await db.query("SELECT COUNT(*) AS n FROM serving_rate_buckets")
        #expect(try rows.first?.int("n") == 1)
    }
}

/// The database's own clock refills the bucket.
private func theDatabaseClockRefills(_ engine: RateLimitEngine) async throws {
    try await withRateLimitDatabase(engine) { db, _ in
        let limiter = try await SQLRateLimiter(database: db)
        // One token a second: the refusal holds even when a loaded machine takes a while between
        // the two calls (a refill of the 2 tokens takes 2 s), and 2.2 s later the bucket is full.
        let limit = try RateLimit(rate: 1, burst: 2)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await limiter.acquire("client:a", cost: 2, limit: limit).allowed)
        let refused = try await limiter.acquire("client:a", cost: 2, limit: limit)
        // The refusal is only certain when the two calls ran less than a token's time apart; on a
        // machine so loaded that they did not, the refill below still has to hold.
        if clock.now - start < .seconds(1) {
            #expect(!refused.allowed && (1...2).contains(refused.retryAfter))
        }
        try await Task.sleep(for: .milliseconds(2200))
        #expect(try await limiter.acquire("client:a", cost: 2, limit: limit).allowed)
    }
}

@Suite struct RateLimitSQLTests {
    @Test func sqliteAgreesWithTheTokenBucket() async throws { try await agreesWithTheTokenBucket(.sqlite) }
    @Test(.enabled(if: rateLimitPostgresURL != nil, rateLimitPostgresSkip))
    func postgresAgreesWithTheTokenBucket() async throws { try await agreesWithTheTokenBucket(.postgres) }

    @Test func sqliteTwoReplicasStayUnderTheBound() async throws { try await twoReplicasStayUnderTheBound(.sqlite) }
    @Test(.enabled(if: rateLimitPostgresURL != nil, rateLimitPostgresSkip))
    func postgresTwoReplicasStayUnderTheBound() async throws { try await twoReplicasStayUnderTheBound(.postgres) }

    @Test func sqlitePurgesFullBucketsAndRefusesBadInput() async throws { try await purgesFullBucketsAndRefusesBadInput(.sqlite) }
    @Test(.enabled(if: rateLimitPostgresURL != nil, rateLimitPostgresSkip))
    func postgresPurgesFullBucketsAndRefusesBadInput() async throws { try await purgesFullBucketsAndRefusesBadInput(.postgres) }

    @Test func sqliteDatabaseClockRefills() async throws { try await theDatabaseClockRefills(.sqlite) }
    @Test(.enabled(if: rateLimitPostgresURL != nil, rateLimitPostgresSkip))
    func postgresDatabaseClockRefills() async throws { try await theDatabaseClockRefills(.postgres) }
}
