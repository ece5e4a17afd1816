import Synchronization

/// A ``RateLimiter`` that takes small leases of tokens from a shared limiter (usually a
/// ``SQLRateLimiter``) and spends them locally, so most requests cost no round trip to the
/// shared store.
///
/// On a request for `key` it spends tokens of the local lease when it holds enough. Otherwise
/// it asks the shared limiter for a lease of `L` tokens, with `L = min(maximumLease,
/// ⌊leaseFraction · burst⌋)`; when the shared bucket holds fewer than `L`, or another task of
/// this process is already fetching a lease for the key, or `L` is not above the cost, it asks
/// the shared limiter for just the request's cost (or refuses at once when the refused lease
/// showed fewer tokens than the cost). A replica holds less than `L` leased tokens
/// per key at any time, and drops leased tokens older than `leaseLifetimeSeconds`.
///
/// **The bound.** Every admitted token was first taken from the shared bucket, so with `R`
/// replicas the requests admitted per key, all replicas together, are
///
/// - from a start with a full shared bucket to time `t`: at most `burst + rate · t`;
/// - in any interval of `t` seconds: at most `burst + rate · t + R · L`, the last term for
///   tokens leased before the interval and spent inside it.
///
/// Leases trade accuracy for round trips: a replica may refuse while another holds unspent
/// leased tokens (at most `R · L` of them), and at the limit every request goes to the shared
/// store.
///
/// ```swift
/// let db = try await openDatabase("postgres://bulwark:secret@db.internal/bulwark")
/// let shared = try await SQLRateLimiter(database: db)
/// let limiter = LeasedRateLimiter(shared: shared)   // leases of min(16, burst / 10) tokens
/// let decision = try await limiter.acquire("model:fmnist", cost: 1, limit: try RateLimit(rate: 500, burst: 1_000))
/// ```
public final class LeasedRateLimiter: RateLimiter {
    private struct Lease {
        var tokens = 0
        var takenAt = -Double.infinity
        var fetching = false
        /// The shared bucket's tokens when the lease was taken (for ``RateDecision/remaining``).
        var sharedRemaining = 0
    }

    /// The limiter the leases come from.
    public let shared: any RateLimiter
    /// The fraction of the burst one lease takes.
    public let leaseFraction: Double
    /// The most tokens one lease takes.
    public let maximumLease: Int
    /// How long leased tokens may be spent, in seconds.
    public let leaseLifetimeSeconds: Double

    private let shards: [LockedBox<[String: Lease]>]
    private let keysPerShard: Int
    private let clock: @Sendable () -> Double

    /// A leasing limiter over `shared` taking leases of `min(maximumLease, ⌊leaseFraction ·
    /// burst⌋)` tokens that live `leaseLifetimeSeconds`, for at most `maximumKeys` keys at once
    /// (beyond that, requests go straight to `shared`). `clock` reads seconds on a monotonic
    /// clock (the default).
    public init(shared: any RateLimiter, leaseFraction: Double = 0.1, maximumLease: Int = 16,
                leaseLifetimeSeconds: Double = 2, maximumKeys: Int = 100_000, clock: (@Sendable () -> Double)? = nil) {
        self.shared = shared
        self.leaseFraction = leaseFraction.isFinite ? min(1, max(0, leaseFraction)) : 0
        self.maximumLease = max(0, maximumLease)
        self.leaseLifetimeSeconds = leaseLifetimeSeconds.isFinite ? max(0, leaseLifetimeSeconds) : 0
        let shardCount = 16
        shards = (0..<shardCount).map { _ in LockedBox([:]) }
        keysPerShard = max(1, maximumKeys / shardCount)
        self.clock = clock ?? monotonicSeconds()
    }

    /// The tokens one lease takes under `limit` (`L` above; 0 or 1 means no leasing).
    public func leaseSize(for limit: RateLimit) -> Int {
        min(maximumLease, Int((leaseFraction * Double(limit.burst)).rounded(.down)))
    }

    /// The leased tokens this replica holds for `key` now (unexpired ones).
    public func heldTokens(_ key: String) -> Int {
        let now = clock()
        let lifetime = leaseLifetimeSeconds
        return shards[shardIndex(key)].lock.withLock { leases in
            guard let lease = leases[key], now - lease.takenAt <= lifetime else { return 0 }
            return lease.tokens
        }
    }

    /// Spends `cost` tokens of `key`, from the local lease when it holds them (see the type's
    /// documentation for the bound this keeps).
    public func acquire(_ key: String, cost: Int, limit: RateLimit) async throws(ServingError) -> RateDecision {
        try RateLimitInput.check(key, cost: cost, capacity: limit.burst)
        let size = leaseSize(for: limit)
        guard size > cost else { return try await shared.acquire(key, cost: cost, limit: limit) }
        let now = clock()
        let lifetime = leaseLifetimeSeconds
        let keysPerShard = keysPerShard
        let index = shardIndex(key)
        enum Step { case spent(RateDecision), fetch, direct }
        let step: Step = shards[index].lock.withLock { leases in
            var lease = leases[key] ?? Lease()
            if now - lease.takenAt > lifetime { lease.tokens = 0 }
            if lease.tokens >= cost {
                lease.tokens -= cost
                leases[key] = lease
                return .spent(.admitted(remaining: lease.tokens + lease.sharedRemaining))
            }
            if lease.fetching { return .direct }
            if leases[key] == nil, leases.count >= keysPerShard {
                leases = leases.filter { $0.value.fetching || (now - $0.value.takenAt <= lifetime && $0.value.tokens > 0) }
                if leases.count >= keysPerShard { return .direct }
            }
            lease.fetching = true
            leases[key] = lease
            return .fetch
        }
        switch step {
        case .spent(let decision):
            return decision
        case .direct:
            return try await shared.acquire(key, cost: cost, limit: limit)
        case .fetch:
            let leased: RateDecision
            do {
                leased = try await shared.acquire(key, cost: size, limit: limit)
            } catch {
                shards[index].lock.withLock { $0[key]?.fetching = false }
                throw error
            }
            let takenAt = clock()
            let admitted: RateDecision? = shards[index].lock.withLock { leases in
                var lease = leases[key] ?? Lease()
                lease.fetching = false
                defer { leases[key] = lease }
                guard leased.allowed else { return nil }
                // What is left of the old lease is below `cost`, so the new total stays below `size`.
                if takenAt - lease.takenAt > lifetime { lease.tokens = 0 }
                lease.tokens += size - cost
                lease.takenAt = takenAt
                lease.sharedRemaining = leased.remaining
                return .admitted(remaining: lease.tokens + lease.sharedRemaining)
            }
            if let admitted { return admitted }
            if leased.remaining < cost {
                // The shared bucket cannot pay for this request either: refuse without a second
                // round trip (the wait is over-estimated by less than one token's refill).
                return .refused(remaining: leased.remaining, waitSeconds: Double(cost - leased.remaining) / limit.rate)
            }
            return try await shared.acquire(key, cost: cost, limit: limit)
        }
    }

    private func shardIndex(_ key: String) -> Int {
        var hasher = Hasher()
        hasher.combine(key)
        return Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))
    }
}
