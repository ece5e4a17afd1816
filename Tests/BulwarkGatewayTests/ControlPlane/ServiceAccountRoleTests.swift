import BulwarkAccess
import BulwarkGateway
import Foundation
import HummingbirdTesting
import HTTPTypes
import Testing

/// A service account's roles and team reach the policy; its token's scopes narrow them.
@Test func serviceAccountRolesReachThePolicyAndScopesNarrowThem() async throws {
    let fixture = try await ControlPlaneFixture()
    let accounts = fixture.plane.accounts
    // Only the auditor role grants audit.*; scopes narrow every credential.
    let policy = """
        version: 1
        roles:
          auditor: [audit.*]
        rules:
          - id: token-scopes
            effect: deny
            actions: ["*"]
            unless:
              - withinTokenScopes: true
        """
    try Data(policy.utf8).write(to: fixture.directory.appendingPathComponent("policy.yaml"))
    guard case .reloaded = fixture.plane.policies.reload() else {
        Issue.record("the test policy did not load")
        return
    }
    let auditor = try await accounts.createServiceAccount(name: "siem", roles: ["auditor", "auditor"], team: "security", now: Date())
    #expect(auditor.roles == ["auditor"])
    let plain = try await accounts.createServiceAccount(name: "plain", now: Date())
    func token(_ account: ServiceAccount, _ scopes: [String]) async throws -> String {
        try await accounts.issueAPIToken(serviceAccountID: account.id, name: "t", scopes: scopes, lifetimeSeconds: 600, now: Date()).token
    }
    let everything = try await token(auditor, ["*"])
    let narrow = try await token(auditor, ["model.read"])
    let roleless = try await token(plain, ["*"])
    let (record, account) = try await accounts.authenticateAPIToken(everything, now: Date())
    #expect(record.serviceAccountID == auditor.id && account.roles == ["auditor"] && account.team == "security")
    #expect(try await accounts.serviceAccounts().map(\.name) == ["plain", "siem"])

    try await fixture.test { client in
        // the auditor role grants audit.read; a scope that does not cover it, or no role, is refused
        for (credential, expected) in [(everything, HTTPResponse.Status.ok), (narrow, .forbidden), (roleless, .forbidden)] {
            try await client.execute(uri: "/api/v1/audit/entries?from=0&limit=5", method: .get,
                                     headers: [.authorization: "Bearer \(credential)", .accept: "application/x-ndjson"]) { response in
                #expect(response.status == expected)
            }
        }
        // disabling the account stops its tokens once the gateway's verified-token cache (1 s) has let go
        #expect(try await accounts.disableServiceAccount(named: "siem", now: Date()))
        #expect(try await accounts.disableServiceAccount(named: "siem", now: Date()) == false)
        try await Task.sleep(for: .milliseconds(1100))
        try await client.execute(uri: "/api/v1/audit/entries?from=0&limit=5", method: .get, headers: [.authorization: "Bearer \(everything)"]) { response in
            #expect(response.status == .unauthorized)
        }
    }
}
