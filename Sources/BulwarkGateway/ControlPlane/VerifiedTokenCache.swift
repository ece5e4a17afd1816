public import BulwarkAccess
import Crypto
public import Foundation
import Synchronization

/// API tokens the gateway verified in the last ``lifetime`` seconds, so that a client sending
/// many requests costs one database read per token per ``lifetime``, not one per request.
///
/// The key is the SHA-256 of the whole token (its secret included), so only the exact token that
/// verified hits, and the cache holds no secret. An entry answers only while it is younger than
/// ``lifetime`` and the token has not expired. The price: a token revoked, or a service account
/// disabled, in the database (by `bulwark admin` or another replica) keeps working on this
/// replica for at most ``lifetime`` seconds (1 s by default, the bound the kill switch also
/// keeps); refused tokens are never cached. At most ``capacity`` entries; when full, the table is
/// emptied (a burst of distinct tokens costs database reads, never memory).
///
/// ```swift
/// let cache = VerifiedTokenCache(lifetime: 1)
/// let now = Date()
/// let principal = Principal(id: "svc_1", kind: .service, roles: ["reader"], team: "platform", scopes: ["*"])
/// cache.store("bwk_example_secret", principal: principal, expiresAt: now.addingTimeInterval(3600), now: now)
/// print(cache.principal(for: "bwk_example_secret", now: now)?.id ?? "miss")   // svc_1
/// ```
public final class VerifiedTokenCache: Sendable {
    /// Seconds an entry answers for; 0 turns the cache off.
    public let lifetime: TimeInterval
    /// The most entries kept.
    public let capacity: Int

    private struct Entry {
        let principal: Principal
        let verifiedAt: Date
        let expiresAt: Date
    }

    private let entries = Mutex<[SHA256Digest: Entry]>([:])

    /// A cache whose entries answer for `lifetime` seconds (0 disables it), at most `capacity` of them.
    public init(lifetime: TimeInterval = 1, capacity: Int = 10_000) {
        self.lifetime = max(0, lifetime)
        self.capacity = max(1, capacity)
    }

    /// The principal `token` verified as, when it did so less than ``lifetime`` seconds before
    /// `now` and has not expired; `nil` otherwise (the caller verifies it against the database).
    public func principal(for token: String, now: Date) -> Principal? {
        guard lifetime > 0 else { return nil }
        let key = SHA256.hash(data: Data(token.utf8))
        return entries.withLock { table in
            guard let entry = table[key] else { return nil }
            let age = now.timeIntervalSince(entry.verifiedAt)
            guard age >= 0, age < lifetime, now < entry.expiresAt else {
                table[key] = nil
                return nil
            }
            return entry.principal
        }
    }

    /// Records that `token` verified at `now` as `principal`, valid until `expiresAt`.
    public func store(_ token: String, principal: Principal, expiresAt: Date, now: Date) {
        guard lifetime > 0 else { return }
        let key = SHA256.hash(data: Data(token.utf8))
        entries.withLock { table in
            if table.count >= capacity && table[key] == nil { table.removeAll(keepingCapacity: true) }
            table[key] = Entry(principal: principal, verifiedAt: now, expiresAt: expiresAt)
        }
    }

    /// Forgets every entry.
    public func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
