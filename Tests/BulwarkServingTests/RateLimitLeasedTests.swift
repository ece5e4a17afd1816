import BulwarkServing
import BulwarkStore
import Foundation
import Testing

@Suite struct RateLimitLeasedTests {
    /// Two replicas leasing from one shared bucket on a stepped clock: every prefix of time stays
    /// within `burst + rate · t`, and every interval within `burst + rate · t + replicas · lease`.
    @Test func twoReplicasKeepTheDocumentedBound() async throws {
        let clock = ManualClock(0)
        let shared = CountingLimiter(InMemoryRateLimiter(clock: clock.read))
        let replicas = [LeasedRateLimiter(shared: shared, clock: clock.read), LeasedRateLimiter(shared: shared, clock: clock.read)]
        let limit = try RateLimit(rate: 40, burst: 100)
        let lease = replicas[0].leaseSize(for: limit)
        #expect(lease == 10)
        var admittedAtStep: [Int] = []
        var requests = 0
        var random = SplitMix(state: 7)
        for step in 0..<60 {
            clock.set(Double(step) * 0.1)
            let demand = Int.random(in: 0...6, using: &random)   // 60 requests/s on average against a rate of 40/s
            requests += 2 * demand
            let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
                for replica in replicas {
                    group.addTask {
                        var count = 0
                        for _ in 0..<demand where try await replica.acquire("model:fmnist", cost: 1, limit: limit).allowed { count += 1 }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            admittedAtStep.append(admitted)
        }
        for first in 0..<admittedAtStep.count {
            for last in first..<admittedAtStep.count {
                let count = admittedAtStep[first...last].reduce(0, +)
                let seconds = Double(last - first) * 0.1
                #expect(Double(count) <= 100 + 40 * seconds + Double(2 * lease) + 1e-9, "steps \(first)...\(last)")
                if first == 0 { #expect(Double(count) <= 100 + 40 * seconds + 1e-9, "prefix to step \(last)") }
            }
        }
        #expect(admittedAtStep.reduce(0, +) > 100)
        #expect(requests > 300)
    }

    /// Under the rate, about one request in a lease's size reaches the shared limiter.
    @Test func underTheRateMostRequestsSpendLeasedTokens() async throws {
        let clock = ManualClock(0)
        let shared = CountingLimiter(InMemoryRateLimiter(clock: clock.read))
        let replicas = [LeasedRateLimiter(shared: shared, clock: clock.read), LeasedRateLimiter(shared: shared, clock: clock.read)]
        let limit = try RateLimit(rate: 40, burst: 100)   // leases of 10
        var admitted = 0
        for step in 0..<100 {
            clock.set(Double(step) * 0.1)
            for replica in replicas where try await replica.acquire("model:fmnist", cost: 1, limit: limit).allowed { admitted += 1 }
        }
        #expect(admitted == 200)
        #expect(shared.count <= 22, "\(shared.count) shared calls for 200 requests")
    }

    /// Leased tokens outlive a drained shared bucket by less than one lease per replica, and expire.
    @Test func leasedTokensOutliveTheSharedBucketByLessThanALease() async throws {
        let clock = ManualClock(0)
        let shared = InMemoryRateLimiter(clock: clock.read)
        let replicas = [LeasedRateLimiter(shared: shared, clock: clock.read), LeasedRateLimiter(shared: shared, clock: clock.read)]
        let limit = try RateLimit(rate: 0.001, burst: 100)
        for replica in replicas { #expect(try await replica.acquire("client:alice", cost: 1, limit: limit).allowed) }
        #expect(replicas[0].heldTokens("client:alice") == 9)
        while try await shared.acquire("client:alice", cost: 1, limit: limit).allowed {}
        var extra = 0
        for replica in replicas {
            while try await replica.acquire("client:alice", cost: 1, limit: limit).allowed { extra += 1 }
        }
        #expect(extra == 18)
        // Expiry: a new lease is dropped after its lifetime.
        clock.set(100_000)   // the shared bucket is full again
        #expect(try await replicas[0].acquire("client:alice", cost: 1, limit: limit).allowed)
        #expect(replicas[0].heldTokens("client:alice") == 9)
        clock.set(100_003)
        #expect(replicas[0].heldTokens("client:alice") == 0)
    }

    /// Small bursts and large costs go straight to the shared limiter.
    @Test func smallLeasesGoStraightToTheSharedLimiter() async throws {
        let clock = ManualClock(0)
        let shared = CountingLimiter(InMemoryRateLimiter(clock: clock.read))
        let replica = LeasedRateLimiter(shared: shared, clock: clock.read)
        let small = try RateLimit(rate: 1, burst: 10)   // a lease of 1 token is no lease
        for _ in 0..<3 { _ = try await replica.acquire("client:a", cost: 1, limit: small) }
        #expect(shared.count == 3)
        let large = try RateLimit(rate: 1, burst: 1_000)   // lease 16
        _ = try await replica.acquire("client:b", cost: 16, limit: large)
        #expect(shared.count == 4)
        await expectServingError(.invalidParameter) { _ = try await replica.acquire("client:b", cost: 1_001, limit: large) }
        // On an empty shared bucket a refused lease answers at once: one shared call, not two.
        while try await shared.acquire("client:c", cost: 1, limit: large).allowed {}
        let before = shared.count
        let refused = try await replica.acquire("client:c", cost: 2, limit: large)
        #expect(!refused.allowed && refused.retryAfter == 2)
        #expect(shared.count == before + 1)
    }

    /// Two database handles ("replicas"), each leasing from its own SQL limiter, hammering one key.
    @Test func twoSQLiteReplicasWithLeasesStayUnderTheBound() async throws {
        try await withRateLimitDatabase(.sqlite) { db, location in
            let second = try await openDatabase(location)
            let counters = [CountingLimiter(try await SQLRateLimiter(database: db)), CountingLimiter(try await SQLRateLimiter(database: second))]
            let replicas = counters.map { LeasedRateLimiter(shared: $0) }
            let limit = try RateLimit(rate: 100, burst: 200)
            let start = Date()
            let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<8 {
                    let replica = replicas[task % 2]
                    group.addTask {
                        var count = 0
                        for _ in 0..<100 where try await replica.acquire("model:fmnist", cost: 1, limit: limit).allowed { count += 1 }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = Date().timeIntervalSince(start)
            await second.close()
            #expect(admitted >= 200)
            #expect(Double(admitted) <= 200 + 100 * elapsed + 1e-6, "admitted \(admitted) of 800 in \(elapsed) s")
        }
    }
}
