import BulwarkServing
import Synchronization
import Testing

@Suite struct RateLimitInMemoryTests {
    @Test func concurrentTasksAtOneInstantGetExactlyTheBurst() async throws {
        let clock = ManualClock(5)
        let limiter = InMemoryRateLimiter(clock: clock.read)
        let limit = try RateLimit(rate: 1_000, burst: 50)
        let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var count = 0
                    for _ in 0..<100 where try await limiter.acquire("model:fmnist", cost: 1, limit: limit).allowed { count += 1 }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(admitted == 50)
    }

    @Test func concurrentTasksOnTheRealClockStayUnderTheBound() async throws {
        let limiter = InMemoryRateLimiter()
        let limit = try RateLimit(rate: 200, burst: 20)
        let clock = ContinuousClock()
        let start = clock.now
        let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var count = 0
                    for _ in 0..<500 {
                        if try await limiter.acquire("client:alice", cost: 2, limit: limit).allowed { count += 2 }
                        await Task.yield()
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let duration = (clock.now - start).components
        let elapsed = Double(duration.seconds) + Double(duration.attoseconds) * 1e-18
        #expect(admitted >= 20)
        #expect(Double(admitted) <= 20 + 200 * elapsed + 1e-6, "admitted \(admitted) in \(elapsed) s")
    }

    @Test func perClientAndPerModelKeysAreSeparate() async throws {
        let clock = ManualClock()
        let limiter = InMemoryRateLimiter(clock: clock.read)
        let perClient = try RateLimit(rate: 1, burst: 2)
        #expect(try await limiter.acquire("client:alice", cost: 2, limit: perClient).allowed)
        #expect(!(try await limiter.acquire("client:alice", cost: 1, limit: perClient).allowed))
        #expect(try await limiter.acquire("client:bob", cost: 1, limit: perClient).remaining == 1)
        #expect(try await limiter.acquire("model:fmnist", cost: 1, limit: perClient).allowed)
    }

    @Test func theKeyCapHoldsAndFailsClosed() async throws {
        let clock = ManualClock()
        let limiter = InMemoryRateLimiter(maximumKeys: 32, shards: 4, clock: clock.read)
        #expect(limiter.capacity == 32)
        let limit = try RateLimit(rate: 1, burst: 5)
        for _ in 0..<5 { #expect(try await limiter.acquire("client:alice", cost: 1, limit: limit).allowed) }
        clock.set(0.1)
        var refusedNewKeys = 0
        for number in 0..<1_000 {
            let decision = try await limiter.acquire("client:churn-\(number)", cost: 1, limit: limit)
            if !decision.allowed {
                refusedNewKeys += 1
                #expect(decision.retryAfter >= 1)
            }
            #expect(limiter.count <= 32)
        }
        #expect(refusedNewKeys > 900)
        // The churn did not reset alice's drained bucket.
        #expect(!(try await limiter.acquire("client:alice", cost: 1, limit: limit).allowed))
        // Once buckets are full again they are dropped and new keys get in.
        for number in 0..<100 {
            clock.set(10 + 2 * Double(number))
            #expect(try await limiter.acquire("client:later-\(number)", cost: 1, limit: limit).allowed)
            #expect(limiter.count <= 32)
        }
        clock.set(1_000)
        #expect(limiter.purgeFull() > 0)
        #expect(limiter.count == 0)
    }

    @Test func badKeysAndCostsAreInvalid() async throws {
        let limiter = InMemoryRateLimiter()
        let limit = try RateLimit(rate: 1, burst: 3)
        await expectServingError(.invalidParameter) { _ = try await limiter.acquire("", cost: 1, limit: limit) }
        await expectServingError(.invalidParameter) { _ = try await limiter.acquire(String(repeating: "k", count: 201), cost: 1, limit: limit) }
        await expectServingError(.invalidParameter) { _ = try await limiter.acquire("client:a", cost: 0, limit: limit) }
        await expectServingError(.invalidParameter) { _ = try await limiter.acquire("client:a", cost: 4, limit: limit) }
        #expect(limiter.count == 0)
    }
}
