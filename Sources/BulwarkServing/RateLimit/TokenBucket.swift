/// One token bucket, the meter of network traffic policing (as in RFC 2697's markers): it holds up to `burst` tokens, gains `rate` tokens per second, and admits a request
/// of cost `c` when it holds at least `c` tokens, which the request spends.
///
/// Time is passed in explicitly as seconds on any clock that does not go backwards (a time
/// earlier than the last one counts as no time passed), so tests are deterministic. A new
/// bucket is full. Over any `t` seconds it admits at most `burst + rate · t` tokens.
///
/// ```swift
/// var bucket = TokenBucket(limit: try RateLimit(rate: 2, burst: 3), at: 0)
/// bucket.take(3, at: 0).allowed       // true: the burst
/// bucket.take(1, at: 0).retryAfter    // 1: half a second rounded up
/// bucket.take(1, at: 0.5).allowed     // true: one token refilled
/// ```
public struct TokenBucket: Sendable, Hashable {
    /// The limit the bucket meters; changing it keeps the tokens, clamped to the new burst.
    public var limit: RateLimit
    /// The tokens held at ``updatedAt`` (fractional between refills).
    public private(set) var tokens: Double
    /// The time, in seconds, the tokens were last brought up to date.
    public private(set) var updatedAt: Double

    /// A full bucket for `limit` at time `now`.
    public init(limit: RateLimit, at now: Double) {
        self.limit = limit
        tokens = Double(limit.burst)
        updatedAt = now
    }

    /// Comparisons allow this much floating-point error, so `0.1 · 10` refilled tokens pay for 1.
    static let tolerance = 1e-9

    /// The tokens the bucket holds at `now` without changing it.
    public func tokens(at now: Double) -> Double {
        let elapsed = max(0, now - updatedAt)
        return min(Double(limit.burst), tokens + elapsed * limit.rate)
    }

    /// Refills the bucket up to `now`.
    public mutating func refill(at now: Double) {
        tokens = tokens(at: now)
        updatedAt = max(updatedAt, now)
    }

    /// Spends `cost` tokens at `now` when the bucket holds them; otherwise spends nothing and
    /// says how long until it would.
    ///
    /// A cost above the burst is never admitted; its `retryAfter` is the one-day ceiling. Use
    /// ``RateLimiter`` implementations for checked input.
    public mutating func take(_ cost: Int, at now: Double) -> RateDecision {
        refill(at: now)
        let needed = Double(cost)
        if tokens + Self.tolerance >= needed {
            tokens = max(0, tokens - needed)
            return .admitted(remaining: Int((tokens + Self.tolerance).rounded(.down)))
        }
        let wait = cost > limit.burst ? Double.infinity : (needed - tokens) / limit.rate
        return .refused(remaining: Int((tokens + Self.tolerance).rounded(.down)), waitSeconds: wait)
    }

    /// Whether the bucket is full at `now`, so forgetting it changes nothing (a new bucket is full).
    public func isFull(at now: Double) -> Bool {
        tokens(at: now) + Self.tolerance >= Double(limit.burst)
    }

    /// The time at which the bucket will be full if nothing more is taken.
    public var fullAt: Double {
        updatedAt + max(0, Double(limit.burst) - tokens) / limit.rate
    }
}
