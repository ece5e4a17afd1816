/// A token-bucket limit: tokens refill at ``rate`` per second up to ``burst``, and a request
/// spends as many tokens as it costs.
///
/// Over any interval of `t` seconds a bucket that starts full admits at most
/// `burst + rate · t` tokens' worth of requests.
///
/// ```swift
/// let perClient = try RateLimit(rate: 5, burst: 20)   // 5 requests/s, bursts of 20
/// ```
public struct RateLimit: Sendable, Hashable, Codable {
    /// Tokens added per second (positive, finite).
    public let rate: Double
    /// The most tokens the bucket holds, so the largest burst it admits at once (at least 1).
    public let burst: Int

    /// A limit of `rate` tokens per second and bursts of `burst`; fails with code
    /// `invalidParameter` when `rate` is not positive and finite or `burst` is below 1.
    public init(rate: Double, burst: Int) throws(ServingError) {
        guard rate.isFinite, rate > 0 else {
            throw ServingError(.invalidParameter, "rate limit: rate \(rate) must be a positive number of tokens per second")
        }
        guard burst >= 1 else {
            throw ServingError(.invalidParameter, "rate limit: burst \(burst) must be at least 1")
        }
        self.rate = rate
        self.burst = burst
    }

    /// Decodes and validates a limit (`{"rate": 5, "burst": 20}`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(rate: container.decode(Double.self, forKey: .rate), burst: container.decode(Int.self, forKey: .burst))
    }

    private enum CodingKeys: String, CodingKey {
        case rate, burst
    }
}

/// The answer of a rate limiter or a quota to one request.
///
/// A gateway answers a refused request with HTTP 429 and `Retry-After: \(retryAfter)`.
///
/// ```swift
/// let limiter = InMemoryRateLimiter()
/// let decision = try await limiter.acquire("client:alice", cost: 1, limit: try RateLimit(rate: 5, burst: 20))
/// if !decision.allowed { print("429 Too Many Requests, Retry-After: \(decision.retryAfter)") }
/// ```
public struct RateDecision: Sendable, Hashable {
    /// Whether the request may go ahead (its cost has been spent).
    public let allowed: Bool
    /// The whole tokens (or quota units) left after this request; an estimate for limiters that
    /// spend leased tokens (see ``LeasedRateLimiter``).
    public let remaining: Int
    /// Whole seconds to wait before the same request can succeed: 0 when allowed, at least 1
    /// when refused (the exact wait rounded up), for the HTTP `Retry-After` header.
    public let retryAfter: Int

    /// A decision; `retryAfter` is clamped to 0 when allowed and to at least 1 when refused.
    public init(allowed: Bool, remaining: Int, retryAfter: Int) {
        self.allowed = allowed
        self.remaining = max(0, remaining)
        self.retryAfter = allowed ? 0 : max(1, retryAfter)
    }

    /// An admitted request with `remaining` tokens left.
    public static func admitted(remaining: Int) -> RateDecision {
        RateDecision(allowed: true, remaining: remaining, retryAfter: 0)
    }

    /// A refused request that could succeed after `waitSeconds` (rounded up to whole seconds, at
    /// least 1; an infinite or huge wait becomes one day).
    public static func refused(remaining: Int, waitSeconds: Double) -> RateDecision {
        RateDecision(allowed: false, remaining: remaining, retryAfter: wholeSeconds(waitSeconds))
    }

    /// Throws a ``ServingError`` with code `rateLimited` naming `key` and the wait when the
    /// request was refused; returns `self` otherwise.
    ///
    /// ```swift
    /// let limiter = InMemoryRateLimiter()
    /// let perModel = try RateLimit(rate: 200, burst: 400)
    /// try await limiter.acquire("model:fmnist", cost: 1, limit: perModel).requireAllowed("model:fmnist")
    /// ```
    @discardableResult
    public func requireAllowed(_ key: String) throws(ServingError) -> RateDecision {
        guard allowed else {
            throw ServingError(.rateLimited, "\(key): over its rate limit or quota; retry after \(retryAfter) s",
                               underlying: RetryAfter(seconds: retryAfter))
        }
        return self
    }

    /// `seconds` rounded up to a whole number in 1...86_400.
    static func wholeSeconds(_ seconds: Double) -> Int {
        guard seconds.isFinite, seconds < 86_400 else { return 86_400 }
        return max(1, Int((seconds - 1e-9).rounded(.up)))
    }
}

/// The checks every limiter makes on a key and a cost before touching its state.
package enum RateLimitInput {
    /// The longest key accepted, in UTF-8 bytes.
    package static let maximumKeyBytes = 200

    /// Fails with code `invalidParameter` when `key` is empty or too long, or `cost` is below 1
    /// or above `capacity` (so it could never be admitted).
    package static func check(_ key: String, cost: Int, capacity: Int, what: String = "burst") throws(ServingError) {
        let bytes = key.utf8.count
        guard bytes > 0, bytes <= maximumKeyBytes else {
            throw ServingError(.invalidParameter, "rate limit key: \(bytes) bytes (expected 1 to \(maximumKeyBytes))")
        }
        guard cost >= 1 else {
            throw ServingError(.invalidParameter, "\(key): cost \(cost) must be at least 1")
        }
        guard cost <= capacity else {
            throw ServingError(.invalidParameter, "\(key): cost \(cost) exceeds the \(what) of \(capacity), so it could never be admitted")
        }
    }
}

/// The wait a refusal asks for, carried as the `underlying` error of a ``ServingError``
/// `.rateLimited` so that the HTTP layer can send it as `Retry-After` without reading the message.
public struct RetryAfter: Error, Sendable, Equatable {
    /// Whole seconds, at least 1.
    public let seconds: Int

    /// A wait of `seconds` (raised to 1).
    public init(seconds: Int) {
        self.seconds = max(1, seconds)
    }
}
