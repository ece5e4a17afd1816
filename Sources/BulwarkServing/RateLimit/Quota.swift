import Synchronization
internal import Foundation

/// A quota: at most ``limit`` units per fixed window of ``windowSeconds`` (such as 10 000
/// requests per day).
///
/// Windows are aligned to 1970-01-01 UTC: window `i` covers `[i · windowSeconds, (i + 1) ·
/// windowSeconds)`, so a daily quota rolls over at midnight UTC. Unlike a ``RateLimit`` it does
/// not smooth: the whole quota may go in the window's first second, and a refused request waits
/// until the window ends.
///
/// ```swift
/// let daily = try Quota.perDay(10_000)
/// let quotas = InMemoryQuotaCounter()
/// let decision = try await quotas.consume("client:alice", cost: 1, quota: daily)
/// ```
public struct Quota: Sendable, Hashable, Codable {
    /// The units allowed per window (at least 1).
    public let limit: Int
    /// The window's length in seconds (at least 1).
    public let windowSeconds: Int

    /// A quota of `limit` units per `windowSeconds`; fails with code `invalidParameter` when
    /// either is below 1.
    public init(limit: Int, windowSeconds: Int) throws(ServingError) {
        guard limit >= 1 else {
            throw ServingError(.invalidParameter, "quota: limit \(limit) must be at least 1")
        }
        guard windowSeconds >= 1 else {
            throw ServingError(.invalidParameter, "quota: window of \(windowSeconds) s must be at least 1 s")
        }
        self.limit = limit
        self.windowSeconds = windowSeconds
    }

    /// `limit` units per UTC day.
    public static func perDay(_ limit: Int) throws(ServingError) -> Quota {
        try Quota(limit: limit, windowSeconds: 86_400)
    }

    /// `limit` units per hour.
    public static func perHour(_ limit: Int) throws(ServingError) -> Quota {
        try Quota(limit: limit, windowSeconds: 3_600)
    }

    /// Decodes and validates a quota (`{"limit": 10000, "windowSeconds": 86400}`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(limit: container.decode(Int.self, forKey: .limit), windowSeconds: container.decode(Int.self, forKey: .windowSeconds))
    }

    private enum CodingKeys: String, CodingKey {
        case limit, windowSeconds
    }

    /// The index of the window holding `now` (seconds since 1970).
    public func window(at now: Double) -> Int64 {
        let index = (now / Double(windowSeconds)).rounded(.down)
        return Int64(exactly: index) ?? (index < 0 ? Int64.min : Int64.max)
    }

    /// When window `index` ends, in seconds since 1970.
    public func end(ofWindow index: Int64) -> Double {
        (Double(index) + 1) * Double(windowSeconds)
    }
}

/// Something that counts quota use by key: one process (``InMemoryQuotaCounter``) or a store
/// shared by replicas (``SQLQuotaCounter``).
///
/// A refused request gets a decision with `allowed == false` and a `retryAfter` until the
/// window ends; ``RateDecision/requireAllowed(_:)`` turns it into a ``ServingError`` with code
/// `rateLimited`.
///
/// ```swift
/// let quotas: any QuotaCounter = InMemoryQuotaCounter()
/// try await quotas.consume("client:alice", cost: 1, quota: try .perDay(10_000)).requireAllowed("client:alice")
/// ```
public protocol QuotaCounter: Sendable {
    /// Adds `cost` to `key`'s count in the current window when it stays within the quota.
    ///
    /// Fails with code `invalidParameter` for an empty or over-long key or a cost outside
    /// `1...quota.limit`, and with code `storage` when a shared store fails.
    func consume(_ key: String, cost: Int, quota: Quota) async throws(ServingError) -> RateDecision
}

/// A ``QuotaCounter`` for one process: a count per key and quota window behind one lock.
///
/// At most `maximumKeys` counters are kept; when full, counters of windows that have ended are
/// dropped, and when none have, a new key is refused until the earliest window ends (failing
/// closed, as ``InMemoryRateLimiter`` does).
///
/// ```swift
/// let quotas = InMemoryQuotaCounter(maximumKeys: 10_000)
/// let decision = try await quotas.consume("client:alice", cost: 1, quota: try .perDay(10_000))
/// ```
public final class InMemoryQuotaCounter: QuotaCounter {
    private struct Counter {
        var window: Int64
        var used: Int
        var windowEnd: Double
    }

    private struct CounterKey: Hashable {
        var key: String
        var windowSeconds: Int
    }

    private let counters = Mutex<[CounterKey: Counter]>([:])
    private let maximumKeys: Int
    private let clock: @Sendable () -> Double

    /// A counter keeping at most `maximumKeys` keys, reading the time in seconds since 1970 from
    /// `clock` (by default the system's wall clock).
    public init(maximumKeys: Int = 100_000, clock: (@Sendable () -> Double)? = nil) {
        self.maximumKeys = max(1, maximumKeys)
        self.clock = clock ?? { Date().timeIntervalSince1970 }
    }

    /// The counters held now.
    public var count: Int { counters.withLock { $0.count } }

    /// Adds `cost` to `key`'s count in the current window (see ``QuotaCounter``).
    public func consume(_ key: String, cost: Int, quota: Quota) async throws(ServingError) -> RateDecision {
        try RateLimitInput.check(key, cost: cost, capacity: quota.limit, what: "quota")
        let now = clock()
        let window = quota.window(at: now)
        let windowEnd = quota.end(ofWindow: window)
        let id = CounterKey(key: key, windowSeconds: quota.windowSeconds)
        let maximumKeys = maximumKeys
        return counters.withLock { counters in
            var counter = counters[id] ?? Counter(window: window, used: 0, windowEnd: windowEnd)
            if counter.window < window {
                counter = Counter(window: window, used: 0, windowEnd: windowEnd)
            }
            if counters[id] == nil, counters.count >= maximumKeys {
                counters = counters.filter { $0.value.windowEnd > now }
                if counters.count >= maximumKeys {
                    let earliest = counters.values.map(\.windowEnd).min() ?? windowEnd
                    return .refused(remaining: 0, waitSeconds: earliest - now)
                }
            }
            guard counter.used + cost <= quota.limit else {
                counters[id] = counter
                return .refused(remaining: quota.limit - counter.used, waitSeconds: counter.windowEnd - now)
            }
            counter.used += cost
            counters[id] = counter
            return .admitted(remaining: quota.limit - counter.used)
        }
    }
}
