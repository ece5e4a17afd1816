import Synchronization

/// A ``RateLimiter`` for one process: buckets in a sharded dictionary, each shard behind its own
/// lock, so concurrent requests for different keys rarely wait for each other. An acquire costs
/// one hash, one uncontended lock and a few floating-point operations.
///
/// Memory is bounded: at most `maximumKeys` buckets are kept. When a shard is full, the buckets
/// that have refilled to their burst are dropped (a dropped bucket comes back full, so nothing
/// changes). When none can be dropped the new key is refused, with a `retryAfter` until one
/// bucket is full: this fails closed, so a flood of new keys can neither grow memory nor reset
/// anyone's bucket. Size `maximumKeys` well above the clients and models you serve.
///
/// ```swift
/// let limiter = InMemoryRateLimiter(maximumKeys: 100_000)
/// let decision = try await limiter.acquire("client:alice", cost: 1, limit: try RateLimit(rate: 5, burst: 20))
/// ```
public final class InMemoryRateLimiter: RateLimiter {
    private struct Shard {
        var buckets: [String: TokenBucket] = [:]
        /// No bucket of this shard is full before this time, so a sweep before it frees nothing
        /// (a lower bound: taking tokens only delays a bucket's `fullAt`).
        var nextSweepAt = Double.infinity
    }

    private let shards: [LockedBox<Shard>]
    private let keysPerShard: Int
    private let clock: @Sendable () -> Double

    /// A limiter that keeps at most `maximumKeys` buckets (at least one per shard) in `shards`
    /// shards, reading time in seconds from `clock` (by default a monotonic clock).
    public init(maximumKeys: Int = 100_000, shards: Int = 16, clock: (@Sendable () -> Double)? = nil) {
        let shardCount = max(1, shards)
        self.shards = (0..<shardCount).map { _ in LockedBox(Shard()) }
        keysPerShard = max(1, maximumKeys / shardCount)
        self.clock = clock ?? monotonicSeconds()
    }

    /// The buckets held now, across all shards.
    public var count: Int {
        shards.reduce(0) { total, shard in total + shard.lock.withLock { $0.buckets.count } }
    }

    /// The most buckets this limiter keeps.
    public var capacity: Int { keysPerShard * shards.count }

    /// Spends `cost` tokens of `key`'s bucket at the clock's time (see ``RateLimiter``).
    public func acquire(_ key: String, cost: Int, limit: RateLimit) async throws(ServingError) -> RateDecision {
        try acquireNow(key, cost: cost, limit: limit, at: clock())
    }

    /// ``acquire(_:cost:limit:)`` without suspending, at time `now`.
    public func acquireNow(_ key: String, cost: Int, limit: RateLimit, at now: Double) throws(ServingError) -> RateDecision {
        try RateLimitInput.check(key, cost: cost, capacity: limit.burst)
        var hasher = Hasher()
        hasher.combine(key)
        let index = Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))
        let keysPerShard = keysPerShard
        return shards[index].lock.withLock { shard in
            if var bucket = shard.buckets[key] {
                bucket.limit = limit
                let decision = bucket.take(cost, at: now)
                shard.buckets[key] = bucket
                shard.nextSweepAt = min(shard.nextSweepAt, bucket.fullAt)
                return decision
            }
            if shard.buckets.count >= keysPerShard {
                guard now >= shard.nextSweepAt else {
                    return .refused(remaining: 0, waitSeconds: shard.nextSweepAt - now)
                }
                Self.sweep(&shard, at: now)
                guard shard.buckets.count < keysPerShard else {
                    return .refused(remaining: 0, waitSeconds: shard.nextSweepAt - now)
                }
            }
            var bucket = TokenBucket(limit: limit, at: now)
            let decision = bucket.take(cost, at: now)
            shard.buckets[key] = bucket
            shard.nextSweepAt = min(shard.nextSweepAt, bucket.fullAt)
            return decision
        }
    }

    /// Drops every bucket of `shard` that is full at `now` and records when the next one will be.
    private static func sweep(_ shard: inout Shard, at now: Double) {
        var earliest = Double.infinity
        shard.buckets = shard.buckets.filter { _, bucket in
            if bucket.isFull(at: now) { return false }
            earliest = min(earliest, bucket.fullAt)
            return true
        }
        shard.nextSweepAt = earliest
    }

    /// Drops every bucket that is full now (lossless), for a periodic clean-up; returns how many.
    @discardableResult
    public func purgeFull() -> Int {
        let now = clock()
        return shards.reduce(0) { total, shard in
            total + shard.lock.withLock { shard in
                let before = shard.buckets.count
                Self.sweep(&shard, at: now)
                return before - shard.buckets.count
            }
        }
    }
}

/// Seconds on the monotonic clock since this function was called.
package func monotonicSeconds() -> @Sendable () -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    return {
        let elapsed = start.duration(to: clock.now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
    }
}

/// A `Mutex` in a class, so arrays of them (shards) can be built: `Mutex` cannot be copied.
final class LockedBox<Value: Sendable>: Sendable {
    /// The lock and the value it guards.
    let lock: Mutex<Value>

    /// A box holding `value`.
    init(_ value: Value) { lock = Mutex(value) }
}
