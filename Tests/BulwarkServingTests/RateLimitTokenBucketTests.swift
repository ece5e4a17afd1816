import BulwarkServing
import Foundation
import Testing

@Suite struct RateLimitTokenBucketTests {
    @Test func burstThenRefillThenRetryAfter() throws {
        var bucket = TokenBucket(limit: try RateLimit(rate: 2, burst: 3), at: 10)
        #expect(bucket.take(3, at: 10) == .admitted(remaining: 0))
        let refused = bucket.take(1, at: 10)
        #expect(!refused.allowed)
        #expect(refused.retryAfter == 1)   // 0.5 s rounded up
        #expect(bucket.take(1, at: 10.25).retryAfter == 1)  // 0.25 s rounded up
        #expect(bucket.take(1, at: 10.5) == .admitted(remaining: 0))
        // Long idle: the bucket holds at most its burst.
        #expect(bucket.take(3, at: 1_000) == .admitted(remaining: 0))
        #expect(!bucket.take(1, at: 1_000).allowed)
    }

    @Test func retryAfterIsTheExactWaitRoundedUp() throws {
        var bucket = TokenBucket(limit: try RateLimit(rate: 0.25, burst: 4), at: 0)
        #expect(bucket.take(4, at: 0).allowed)
        #expect(bucket.take(2, at: 0).retryAfter == 8)      // 2 tokens at 0.25/s
        #expect(bucket.take(2, at: 3).retryAfter == 5)      // 1.25 s later: 0.75 held, 1.25 to go = 5 s
        #expect(bucket.take(2, at: 7.9).retryAfter == 1)    // 0.1 s to go
        #expect(bucket.take(2, at: 8) == .admitted(remaining: 0))
        #expect(bucket.tokens(at: 8) == 0)
    }

    @Test func fractionalRefillPaysForWholeTokens() throws {
        var bucket = TokenBucket(limit: try RateLimit(rate: 0.1, burst: 1), at: 0)
        #expect(bucket.take(1, at: 0).allowed)
        var time = 0.0
        for _ in 0..<10 { time += 1 }   // ten steps of 1 s: 0.1 · 10 must pay for one token
        #expect(bucket.take(1, at: time).allowed)
    }

    @Test func aClockGoingBackwardsAddsNothing() throws {
        var bucket = TokenBucket(limit: try RateLimit(rate: 1, burst: 2), at: 100)
        #expect(bucket.take(2, at: 100).allowed)
        #expect(!bucket.take(1, at: 50).allowed)
        #expect(!bucket.take(1, at: 100.5).allowed)
        #expect(bucket.take(1, at: 101).allowed)
    }

    @Test func aCostAboveTheBurstNeverPasses() throws {
        var bucket = TokenBucket(limit: try RateLimit(rate: 100, burst: 5), at: 0)
        let decision = bucket.take(6, at: 1_000)
        #expect(!decision.allowed)
        #expect(decision.retryAfter == 86_400)
        #expect(decision.remaining == 5)
    }

    @Test func aLowerLimitClampsTheTokens() throws {
        var bucket = TokenBucket(limit: try RateLimit(rate: 1, burst: 10), at: 0)
        bucket.limit = try RateLimit(rate: 1, burst: 2)
        #expect(bucket.take(2, at: 0).allowed)
        #expect(!bucket.take(1, at: 0).allowed)
        #expect(bucket.fullAt == 2)
        #expect(bucket.isFull(at: 2) && !bucket.isFull(at: 1.5))
    }

    @Test func invalidLimitsAreRefused() async throws {
        for (rate, burst) in [(0.0, 1), (-1.0, 1), (Double.nan, 1), (Double.infinity, 1), (1.0, 0)] {
            await expectServingError(.invalidParameter) { _ = try RateLimit(rate: rate, burst: burst) }
        }
        let bad = Data(#"{"rate": 0, "burst": 3}"#.utf8)
        #expect(throws: ServingError.self) { _ = try JSONDecoder().decode(RateLimit.self, from: bad) }
        let good = try JSONDecoder().decode(RateLimit.self, from: Data(#"{"rate": 2.5, "burst": 3}"#.utf8))
        #expect(good == (try RateLimit(rate: 2.5, burst: 3)))
    }

    @Test func decisionsClampRetryAfterAndRaiseRateLimited() throws {
        #expect(RateDecision(allowed: false, remaining: -3, retryAfter: 0).retryAfter == 1)
        #expect(RateDecision(allowed: false, remaining: -3, retryAfter: 0).remaining == 0)
        #expect(RateDecision(allowed: true, remaining: 2, retryAfter: 9).retryAfter == 0)
        #expect(RateDecision.refused(remaining: 0, waitSeconds: 2.0).retryAfter == 2)
        #expect(RateDecision.refused(remaining: 0, waitSeconds: 2.01).retryAfter == 3)
        #expect(RateDecision.refused(remaining: 0, waitSeconds: .infinity).retryAfter == 86_400)
        do {
            try RateDecision.refused(remaining: 0, waitSeconds: 4).requireAllowed("client:alice")
            Issue.record("a refused decision passed")
        } catch {
            #expect(error.code == .rateLimited)
            #expect(error.message.contains("client:alice") && error.message.contains("4 s"))
        }
        #expect(try RateDecision.admitted(remaining: 1).requireAllowed("client:alice").allowed)
    }
}
