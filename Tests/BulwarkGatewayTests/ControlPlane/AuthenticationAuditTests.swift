import BulwarkAccess
import BulwarkGateway
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing

/// Every refused credential is audited (action `authenticate`, outcome `denied`) with the
/// credential's public id as actor, never its secret: a well-formed API token the store does not
/// know, a revoked API token, a bearer that is not a Bulwark token, a non-Bearer Authorization
/// header (all 401), and a session cookie that no longer verifies (ignored; the request goes on
/// as anonymous and its own denial is audited too).
@Test func controlPlaneRefusedCredentialsAreAudited() async throws {
    let fixture = try await ControlPlaneFixture()
    let accounts = fixture.plane.accounts
    let now = Date()
    // A token of the right shape that was never stored, and a stored one that is then revoked.
    let (unknown, unknownRecord) = try APIToken.issue(serviceAccountID: "ci", name: "never stored", scopes: ["audit:read"],
                                                      lifetimeSeconds: 3600, now: now)
    let service = try await accounts.createServiceAccount(name: "ci", now: now)
    let (revoked, revokedRecord) = try await accounts.issueAPIToken(serviceAccountID: service.id, name: "old", scopes: ["audit:read"],
                                                                     lifetimeSeconds: 3600, now: now)
    #expect(try await accounts.revokeAPIToken(id: revokedRecord.id, now: now))
    let (staleSession, staleRecord) = SessionToken.issue(userID: "nobody", now: now)
    let written = try await fixture.test { client in
        for headers in [bearer(unknown), bearer(revoked), bearer("not-a-bulwark-token"), [.authorization: "Basic YWRhOnB3"] as HTTPFields] {
            try await client.execute(uri: "/api/v1/audit/checkpoint", method: .get, headers: headers) { response in
                #expect(response.status == .unauthorized)
            }
        }
        try await client.execute(uri: "/api/v1/audit/checkpoint", method: .get,
                                 headers: [.cookie: "\(AuthenticationMiddleware.sessionCookieName)=\(staleSession)"]) { response in
            #expect(response.status == .forbidden)  // went on as anonymous, then denied by policy
        }
    }
    let refusals = written.filter { $0.action == "authenticate" }
    #expect(refusals.map(\.actor) == ["bwk_\(unknownRecord.id)", "bwk_\(revokedRecord.id)", "anonymous", "anonymous", "bws_\(staleRecord.id)"])
    #expect(refusals.map { $0.details["credential"] } == ["bearer", "bearer", "bearer", "authorization header", "session cookie"])
    #expect(refusals.map { $0.details["status"] } == ["401", "401", "401", "401", "ignored"])
    #expect(refusals.allSatisfy {
        $0.outcome == .denied && $0.details["path"] == "/api/v1/audit/checkpoint" && $0.details["method"] == "GET"
            && $0.requestID?.isEmpty == false && $0.clientAddress != nil
    })
    // The anonymous request behind the stale cookie is denied by policy and audited as well.
    #expect(written.contains { $0.action == "audit.verify" && $0.outcome == .denied && $0.actor == "anonymous" })
    // No secret reaches the log: each token's text after its id appears in no stored entry.
    let stored = written.map { AuditEntry(index: 0, timeUnixMilliseconds: 0, event: $0).canonicalBytes }
    for token in [unknown, revoked, staleSession] {
        let secret = String(token.split(separator: "_").last ?? "")
        #expect(secret.count > 20)
        #expect(!stored.contains { String(decoding: $0, as: UTF8.self).contains(secret) })
    }
}

@Test func authenticationPublicPartKeepsOnlyTheTokenID() throws {
    let (token, record) = try APIToken.issue(serviceAccountID: "ci", name: "n", scopes: ["a"], lifetimeSeconds: 60, now: Date())
    #expect(AuthenticationMiddleware.publicPart(of: token) == "bwk_\(record.id)")
    let (session, sessionRecord) = SessionToken.issue(userID: "u", now: Date())
    #expect(AuthenticationMiddleware.publicPart(of: session) == "bws_\(sessionRecord.id)")
    #expect(AuthenticationMiddleware.publicPart(of: "bwk_short") == "anonymous")
    #expect(AuthenticationMiddleware.publicPart(of: "hunter2") == "anonymous")
    #expect(AuthenticationMiddleware.publicPart(of: nil) == "anonymous")
}
