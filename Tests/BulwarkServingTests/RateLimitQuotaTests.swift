import BulwarkServing
import BulwarkStore
import Foundation
import Testing

/// A quota of 3 per minute, consumed around the boundary at t = 120: refused with a Retry-After to
/// the window's end, admitted again once the window rolls over.
private func rollsOverAtTheWindowBoundary(_ quotas: any QuotaCounter, _ clock: ManualClock) async throws {
    let quota = try Quota(limit: 3, windowSeconds: 60)
    clock.set(1_800_000_100)   // window 30_000_001 ends at 1_800_000_120
    #expect(try await quotas.consume("client:alice", cost: 2, quota: quota) == .admitted(remaining: 1))
    #expect(try await quotas.consume("client:alice", cost: 1, quota: quota) == .admitted(remaining: 0))
    let refused = try await quotas.consume("client:alice", cost: 1, quota: quota)
    #expect(!refused.allowed && refused.retryAfter == 20)
    clock.set(1_800_000_119.5)
    #expect(try await quotas.consume("client:alice", cost: 1, quota: quota).retryAfter == 1)
    #expect(try await quotas.consume("client:bob", cost: 3, quota: quota).allowed)
    clock.set(1_800_000_120)
    #expect(try await quotas.consume("client:alice", cost: 3, quota: quota) == .admitted(remaining: 0))
    // A daily quota on the same key is counted apart and ends at midnight UTC.
    let daily = try Quota.perDay(1)
    #expect(try await quotas.consume("client:alice", cost: 1, quota: daily).allowed)
    let tomorrow = try await quotas.consume("client:alice", cost: 1, quota: daily)
    #expect(tomorrow.retryAfter == 1_800_057_600 - 1_800_000_120)
    await expectServingError(.rateLimited) { try tomorrow.requireAllowed("client:alice") }
    await expectServingError(.invalidParameter) { _ = try await quotas.consume("client:alice", cost: 4, quota: quota) }
}

@Suite struct RateLimitQuotaTests {
    @Test func inMemoryQuotaRollsOverAtTheWindowBoundary() async throws {
        let clock = ManualClock()
        try await rollsOverAtTheWindowBoundary(InMemoryQuotaCounter(clock: clock.read), clock)
    }

    @Test func sqliteQuotaRollsOverAtTheWindowBoundary() async throws {
        try await withRateLimitDatabase(.sqlite) { db, _ in
            let clock = ManualClock()
            try await rollsOverAtTheWindowBoundary(try await SQLQuotaCounter(database: db, clock: .custom(clock.read)), clock)
        }
    }

    @Test(.enabled(if: rateLimitPostgresURL != nil, rateLimitPostgresSkip))
    func postgresQuotaRollsOverAtTheWindowBoundary() async throws {
        try await withRateLimitDatabase(.postgres) { db, _ in
            let clock = ManualClock()
            try await rollsOverAtTheWindowBoundary(try await SQLQuotaCounter(database: db, clock: .custom(clock.read)), clock)
        }
    }

    @Test func sqliteReplicasShareOneQuota() async throws { try await replicasShareOneQuota(.sqlite) }
    @Test(.enabled(if: rateLimitPostgresURL != nil, rateLimitPostgresSkip))
    func postgresReplicasShareOneQuota() async throws { try await replicasShareOneQuota(.postgres) }

    @Test func invalidQuotasAndTheKeyCap() async throws {
        await expectServingError(.invalidParameter) { _ = try Quota(limit: 0, windowSeconds: 60) }
        await expectServingError(.invalidParameter) { _ = try Quota(limit: 1, windowSeconds: 0) }
        let clock = ManualClock(1_000)
        let quotas = InMemoryQuotaCounter(maximumKeys: 4, clock: clock.read)
        let quota = try Quota(limit: 5, windowSeconds: 10)   // this window ends at 1_010
        for number in 0..<4 { #expect(try await quotas.consume("client:\(number)", cost: 1, quota: quota).allowed) }
        let refused = try await quotas.consume("client:new", cost: 1, quota: quota)
        #expect(!refused.allowed && refused.retryAfter == 10)
        #expect(quotas.count == 4)
        clock.set(1_010)
        #expect(try await quotas.consume("client:new", cost: 1, quota: quota).allowed)
        #expect(quotas.count == 1)
    }
}

/// Two handles on one database consume one quota concurrently: exactly the limit is admitted.
private func replicasShareOneQuota(_ engine: RateLimitEngine) async throws {
    try await withRateLimitDatabase(engine) { db, location in
        let second = try await openDatabase(location)
        let replicas = [try await SQLQuotaCounter(database: db), try await SQLQuotaCounter(database: second)]
        let quota = try Quota(limit: 37, windowSeconds: 86_400)
        let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<6 {
                let replica = replicas[task % 2]
                group.addTask {
                    var count = 0
                    for _ in 0..<20 {
                        let decision = try await replica.consume("client:alice", cost: 1, quota: quota)
                        if decision.allowed { count += 1 } else { #expect(decision.retryAfter >= 1 && decision.retryAfter <= 86_400) }
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(try await replicas[0].purgeEnded() == 0)
        await second.close()
        // A window could roll over at midnight UTC mid-test; then at most twice the limit.
        #expect(admitted == 37 || (admitted > 37 && admitted <= 74 && Int(Date().timeIntervalSince1970) % 86_400 < 60))
    }
}
