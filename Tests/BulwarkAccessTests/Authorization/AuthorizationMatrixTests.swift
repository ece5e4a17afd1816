import BulwarkAccess
import Foundation
import Testing

/// Every catalog action × the five default roles × anonymous against examples/policy.yaml, in
/// the ordinary case: principals of team "vision" who passed MFA 5 minutes ago, calling from
/// 10.0.0.5; resources of team "vision", at stage "production", uploaded by someone else, and
/// (tokens) owned by the caller. The expected decisions are written out, not derived.
///
/// Columns: admin, publisher, approver, consumer, auditor, anonymous. A = allow, D = deny.
private let matrix: [(action: Action, expected: String)] = [
    (.modelCreate,              "A A D D D D"),
    (.modelList,                "A A A A A D"),
    (.modelRead,                "A A A A A D"),
    (.modelDownload,            "A A A A D D"),
    (.modelInfer,               "A A D A D D"),
    (.versionUpload,            "A A D D D D"),
    (.versionPromoteStaging,    "A A D D D D"),
    (.versionPromoteProduction, "A D A D D D"),
    (.versionApprove,           "A D A D D D"),
    (.versionRevoke,            "A D A D D D"),
    (.gateOverride,             "A D D D D D"),
    (.auditRead,                "A D D D A D"),
    (.auditExport,              "A D D D A D"),
    (.auditVerify,              "A D D D A D"),
    (.userRead,                 "A D D D A D"),
    (.userAdmin,                "A D D D D D"),
    (.roleAdmin,                "A D D D D D"),
    (.tokenCreate,              "A A A A A D"),
    (.tokenRevoke,              "A A A A A D"),
    (.policyRead,               "A D D D A D"),
    (.metricsRead,              "A D D D A D"),
    (.incidentRead,             "A D A D A D"),
    (.incidentRespond,          "A D A D D D"),
]

private let columns = ["admin", "publisher", "approver", "consumer", "auditor", "anonymous"]

private func resourceType(of action: Action) -> String {
    String(action.name.prefix { $0 != "." })
}

@Test func authorizationMatrixCoversEveryActionRoleAndAnonymous() throws {
    let policy = try Policy(contentsOf: AuthorizationFixtures.defaultPolicyPath)
    #expect(Set(matrix.map(\.action)) == Set(Action.catalog), "the matrix must list every catalog action once")
    #expect(matrix.count == Action.catalog.count)
    let now = AuthorizationFixtures.noon
    let context = AuthorizationFixtures.context(now, address: "10.0.0.5")
    var cells = 0
    for row in matrix {
        let expected = row.expected.split(separator: " ").map { $0 == "A" }
        try #require(expected.count == columns.count)
        for (column, role) in columns.enumerated() {
            let principal = role == "anonymous"
                ? Principal.anonymous
                : Principal(id: "\(role)-user", roles: [role], team: "vision", mfaVerifiedAt: now.addingTimeInterval(-300))
            let resource = Resource(type: resourceType(of: row.action), id: "cats", riskTier: "high", stage: "production",
                                    owningTeam: "vision", dataClassification: "internal", uploadedBy: "someone-else",
                                    owner: principal.id.isEmpty ? nil : principal.id)
            let decision = policy.evaluate(principal: principal, action: row.action, resource: resource, context: context)
            #expect(decision.allowed == expected[column], "\(row.action) as \(role): \(decision.reason)")
            #expect(!decision.ruleID.isEmpty && decision.policyDigest == policy.digest)
            if role == "anonymous" { #expect(decision.ruleID == Decision.defaultDenyRuleID) }
            cells += 1
        }
    }
    #expect(cells == Action.catalog.count * 6)
}

/// The same principals with their last MFA check 20 minutes ago: the high-impact actions close,
/// and the deny names the MFA rule even for admin. Only the cells that change are listed.
@Test func authorizationMatrixWithStaleMFA() throws {
    let policy = try Policy(contentsOf: AuthorizationFixtures.defaultPolicyPath)
    let now = AuthorizationFixtures.noon
    let expectations: [(role: String, action: Action, ruleID: String)] = [
        ("admin", .gateOverride, "fresh-mfa-for-high-impact"),
        ("admin", .versionPromoteProduction, "fresh-mfa-for-high-impact"),
        ("approver", .versionPromoteProduction, "fresh-mfa-for-high-impact"),
        ("approver", .versionApprove, Decision.defaultDenyRuleID),
        ("approver", .versionRevoke, Decision.defaultDenyRuleID),
        ("approver", .incidentRespond, Decision.defaultDenyRuleID),
    ]
    for (role, action, ruleID) in expectations {
        let principal = Principal(id: "\(role)-user", roles: [role], team: "vision", mfaVerifiedAt: now.addingTimeInterval(-1200))
        let resource = Resource(type: "version", id: "cats/3", stage: "staging", owningTeam: "vision", uploadedBy: "someone-else")
        let decision = policy.evaluate(principal: principal, action: action, resource: resource, context: AuthorizationFixtures.context(now))
        #expect(!decision.allowed && decision.ruleID == ruleID, "\(action) as \(role): \(decision.reason)")
    }
    // Unchanged by MFA age: admin still approves others' uploads and manages users.
    let admin = Principal(id: "admin-user", roles: ["admin"], mfaVerifiedAt: now.addingTimeInterval(-1200))
    let version = Resource(type: "version", id: "cats/3", uploadedBy: "someone-else")
    #expect(policy.evaluate(principal: admin, action: .versionApprove, resource: version, context: AuthorizationFixtures.context(now)).allowed)
    #expect(policy.evaluate(principal: admin, action: .userAdmin, resource: Resource(type: "user"), context: AuthorizationFixtures.context(now)).allowed)
}
