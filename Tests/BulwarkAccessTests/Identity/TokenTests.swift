import BulwarkAccess
import Foundation
import Testing

private let start = Date(timeIntervalSince1970: 1_800_000_000)

@Test func apiTokensVerifyAndCarryScopes() throws {
    let (token, record) = try APIToken.issue(serviceAccountID: "svc-ci", name: "deploy", scopes: ["models:read", "registry:promote", "models:read"],
                                             lifetimeSeconds: 86_400, now: start)
    #expect(token.hasPrefix("bwk_") && token.count == 4 + 16 + 1 + 52)
    #expect(record.scopes == ["models:read", "registry:promote"])
    #expect(record.expiresAt == start.addingTimeInterval(86_400))
    #expect(!record.secretDigest.isEmpty && !token.contains(record.secretDigest))
    #expect(try APIToken.identifier(of: token) == record.id)
    let used = try APIToken.verify(token, against: record, now: start.addingTimeInterval(60))
    #expect(used.lastUsedAt == start.addingTimeInterval(60) && record.lastUsedAt == nil)
    let decoded = try JSONDecoder().decode(APITokenRecord.self, from: JSONEncoder().encode(used))
    #expect(decoded == used)

    let (otherToken, otherRecord) = try APIToken.issue(serviceAccountID: "svc-ci", name: "other", scopes: ["a"], lifetimeSeconds: 60, now: start)
    #expect(otherToken != token && otherRecord.id != record.id)
    // A flipped secret character, another token, the wrong prefix, garbage: one coarse answer.
    var flipped = Array(token)
    flipped[flipped.count - 5] = flipped[flipped.count - 5] == "a" ? "b" : "a"
    let sessionLike = "bws" + token.dropFirst(3)
    for wrong in [String(flipped), otherToken, sessionLike, "bwk_", token + "a", token.uppercased(), ""] {
        #expect { try APIToken.verify(wrong, against: record, now: start) } throws: { error in
            (error as? AccessError)?.code == .unauthenticated && (error as? AccessError)?.message == "API token is not valid"
        }
    }
    #expect { try APIToken.verify(token, against: record, now: start.addingTimeInterval(86_400)) } throws: { error in
        (error as? AccessError)?.code == .expired
    }
    let revoked = record.revoked(at: start.addingTimeInterval(10))
    #expect(revoked.isRevoked && revoked.revoked(at: start.addingTimeInterval(99)).revokedAt == start.addingTimeInterval(10))
    #expect { try APIToken.verify(token, against: revoked, now: start.addingTimeInterval(20)) } throws: { error in
        (error as? AccessError)?.code == .expired && (error as? AccessError)?.message.contains("revoked") == true
    }
}

@Test func apiTokenIssueRefusesBadLifetimesAndScopes() {
    #expect(throws: AccessError.self) { try APIToken.issue(serviceAccountID: "s", name: "n", scopes: ["a"], lifetimeSeconds: 0, now: start) }
    #expect(throws: AccessError.self) {
        try APIToken.issue(serviceAccountID: "s", name: "n", scopes: ["a"], lifetimeSeconds: 400 * 86_400, now: start)
    }
    for scopes in [[], ["has space"], [""], ["a\nb"], Array(repeating: "x", count: 65)] {
        #expect(throws: AccessError.self) { try APIToken.issue(serviceAccountID: "s", name: "n", scopes: scopes, lifetimeSeconds: 60, now: start) }
    }
}

@Test func sessionsExpireWhenIdleOrOldAndTrackMFA() throws {
    let policy = try SessionPolicy(idleTimeoutSeconds: 600, absoluteLifetimeSeconds: 3600)
    let (token, record) = SessionToken.issue(userID: "u1", policy: policy, now: start)
    #expect(token.hasPrefix("bws_"))
    #expect(try SessionToken.identifier(of: token) == record.id)
    #expect(!record.isMFAFresh(maxAgeSeconds: 300, now: start))

    // Activity every 9 minutes keeps it alive until the absolute lifetime.
    var current = record
    var now = start
    for _ in 0..<6 {
        now = now.addingTimeInterval(540)
        current = try SessionToken.verify(token, against: current, now: now)
        #expect(current.lastSeenAt == now)
    }
    now = now.addingTimeInterval(540)   // 3780 s after creation
    #expect { try SessionToken.verify(token, against: current, now: now) } throws: { error in
        (error as? AccessError)?.code == .expired && (error as? AccessError)?.message.contains("absolute") == true
    }
    #expect { try SessionToken.verify(token, against: record, now: start.addingTimeInterval(600)) } throws: { error in
        (error as? AccessError)?.message.contains("idle") == true
    }
    #expect(throws: AccessError.self) { try SessionToken.verify(token, against: record.revoked(at: start), now: start) }
    let (otherToken, _) = SessionToken.issue(userID: "u1", now: start)
    #expect { try SessionToken.verify(otherToken, against: record, now: start) } throws: { error in
        (error as? AccessError)?.code == .unauthenticated
    }

    let verified = record.withMFAVerified(at: start.addingTimeInterval(100))
    #expect(verified.isMFAFresh(maxAgeSeconds: 300, now: start.addingTimeInterval(400)))
    #expect(!verified.isMFAFresh(maxAgeSeconds: 300, now: start.addingTimeInterval(401)))
    #expect(throws: AccessError.self) { try SessionPolicy(idleTimeoutSeconds: 7200, absoluteLifetimeSeconds: 3600) }
    #expect(SessionPolicy.default.idleTimeoutSeconds == 1800)
}
