import BulwarkAccess
import BulwarkGateway
import Foundation
import Testing

private let principal = Principal(id: "svc_1", kind: .service, roles: ["reader"], team: "platform", scopes: ["*"])

@Test func aVerifiedTokenAnswersForItsLifetimeOnlyAndOnlyForTheExactToken() {
    let cache = VerifiedTokenCache(lifetime: 1)
    let t0 = Date(timeIntervalSince1970: 1_000_000)
    cache.store("bwk_abc_secret", principal: principal, expiresAt: t0.addingTimeInterval(3600), now: t0)
    #expect(cache.principal(for: "bwk_abc_secret", now: t0.addingTimeInterval(0.5)) == principal)
    #expect(cache.principal(for: "bwk_abc_secreT", now: t0.addingTimeInterval(0.5)) == nil)   // same id, other secret
    #expect(cache.principal(for: "bwk_abc_secret", now: t0.addingTimeInterval(1.0)) == nil)   // lifetime over: read the store again
    #expect(cache.principal(for: "bwk_abc_secret", now: t0.addingTimeInterval(0.5)) == nil)   // and the entry is gone
    // A clock that went backwards does not extend an entry.
    cache.store("bwk_abc_secret", principal: principal, expiresAt: t0.addingTimeInterval(3600), now: t0)
    #expect(cache.principal(for: "bwk_abc_secret", now: t0.addingTimeInterval(-5)) == nil)
}

@Test func anExpiredTokenIsNeverAnsweredFromTheCache() {
    let cache = VerifiedTokenCache(lifetime: 10)
    let t0 = Date(timeIntervalSince1970: 1_000_000)
    cache.store("bwk_abc_secret", principal: principal, expiresAt: t0.addingTimeInterval(2), now: t0)
    #expect(cache.principal(for: "bwk_abc_secret", now: t0.addingTimeInterval(1)) == principal)
    #expect(cache.principal(for: "bwk_abc_secret", now: t0.addingTimeInterval(2)) == nil)
}

@Test func aDisabledOrFullCacheKeepsNothingItShouldNot() {
    let t0 = Date(timeIntervalSince1970: 1_000_000)
    let off = VerifiedTokenCache(lifetime: 0)
    off.store("bwk_a_s", principal: principal, expiresAt: t0.addingTimeInterval(60), now: t0)
    #expect(off.principal(for: "bwk_a_s", now: t0) == nil)
    let small = VerifiedTokenCache(lifetime: 5, capacity: 2)
    for token in ["bwk_a_1", "bwk_b_2", "bwk_c_3"] {
        small.store(token, principal: principal, expiresAt: t0.addingTimeInterval(60), now: t0)
    }
    // The third token found the table full: it was emptied, then the third stored.
    #expect(small.principal(for: "bwk_a_1", now: t0) == nil)
    #expect(small.principal(for: "bwk_c_3", now: t0) == principal)
    small.removeAll()
    #expect(small.principal(for: "bwk_c_3", now: t0) == nil)
}
