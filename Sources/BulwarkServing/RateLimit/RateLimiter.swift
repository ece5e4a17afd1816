/// Something that meters requests by key against a ``RateLimit``: one process
/// (``InMemoryRateLimiter``), a store shared by replicas (``SQLRateLimiter``), or a local cache of
/// leases from a shared store (``LeasedRateLimiter``).
///
/// Keys name what is limited, such as `client:alice` or `model:fmnist`; a gateway checks both a
/// per-client and a per-model key for every request. Each key has its own bucket, which takes
/// the limit passed with the latest call.
///
/// ```swift
/// let limiter: any RateLimiter = InMemoryRateLimiter()
/// let client = try await limiter.acquire("client:alice", cost: 1, limit: try RateLimit(rate: 5, burst: 20))
/// let model = try await limiter.acquire("model:fmnist", cost: 1, limit: try RateLimit(rate: 200, burst: 400))
/// if !client.allowed || !model.allowed { /* 429, Retry-After: max of the two */ }
/// ```
public protocol RateLimiter: Sendable {
    /// Spends `cost` tokens of `key`'s bucket when it holds them.
    ///
    /// Fails with code `invalidParameter` when the key is empty or longer than 200 UTF-8 bytes,
    /// or `cost` is below 1 or above `limit.burst` (it could never be admitted); with code
    /// `storage` when a shared store fails. A refusal is not an error: it is a decision with
    /// `allowed == false`.
    func acquire(_ key: String, cost: Int, limit: RateLimit) async throws(ServingError) -> RateDecision
}
