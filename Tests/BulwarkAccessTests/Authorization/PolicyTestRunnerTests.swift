import BulwarkAccess
import Testing

@Test func policyTestRunnerPassesTheShippedCases() throws {
    let report = try PolicyTests.run(testFile: AuthorizationFixtures.defaultPolicyTestsPath, policyFile: AuthorizationFixtures.defaultPolicyPath)
    #expect(report.results.count == 9)
    #expect(report.allPassed, "\(report.failures.compactMap(\.diff))")
    #expect(report.summary == "9 cases, 9 passed, 0 failed")
}

@Test func policyTestRunnerReportsFailuresWithAOneLineDiff() throws {
    let policy = try Policy(contentsOf: AuthorizationFixtures.defaultPolicyPath)
    let cases = try PolicyTests.parseCases(yaml: """
    now: 2026-12-06T12:00:00Z
    cases:
      - name: wrong effect
        principal: {id: carol, roles: [auditor]}
        action: model.create
        resource: {type: model}
        expect: allow
      - name: right effect, wrong rule
        principal: {id: root, roles: [admin], mfaAge: 20m}
        action: gate.override
        resource: {type: version, uploadedBy: someone}
        expect: deny
        rule: no-self-approval
      - name: passes
        principal: {id: root, kind: user, roles: [admin], mfaVerifiedAt: 2026-12-06T11:50:00Z}
        action: gate.override
        resource: {type: version}
        context: {time: 2026-12-06T12:00:00Z, address: "2001:db8::1"}
        expect: allow
        rule: role:admin
    """, source: "t.yaml", policy: policy)
    let report = PolicyTests.run(cases, against: policy)
    #expect(report.summary == "3 cases, 1 passed, 2 failed")
    #expect(report.failures.map(\.testCase.name) == ["wrong effect", "right effect, wrong rule"])
    #expect(report.results[0].diff == "case 'wrong effect' (line 3): expected allow, got deny by 'default-deny' "
        + "(denied by default: no role grant or rule allows 'model.create' for this principal)")
    let second = try #require(report.results[1].diff)
    #expect(second.hasPrefix("case 'right effect, wrong rule' (line 8): expected deny by 'no-self-approval', got deny by 'fresh-mfa-for-high-impact'"))
    #expect(!second.contains("\n"))
    #expect(report.results[2].diff == nil)
}

@Test(arguments: [
    ("cases:\n  - principal: {id: a, rolez: [x]}\n    action: model.read\n    resource: {type: model}\n    expect: allow\n",
     ["t.yaml:2", "case #1", "unknown principal attribute 'rolez'"]),
    ("cases:\n  - name: n\n    principal: anonymous\n    action: model.raed\n    resource: {type: model}\n    expect: deny\n",
     ["t.yaml:4", "case 'n'", "unknown action 'model.raed'"]),
    ("cases:\n  - principal: anonymous\n    action: model.read\n    resource: {type: model}\n    expect: maybe\n", ["t.yaml:5", "expect 'maybe'"]),
    ("cases:\n  - principal: anonymous\n    action: model.read\n    resource: {type: model}\n    expect: deny\n    rule: nope\n",
     ["t.yaml:6", "rule 'nope' is not in the policy"]),
    ("cases:\n  - principal: anonymous\n    action: model.read\n    resource: {id: m}\n    expect: deny\n", ["t.yaml:4", "needs a 'type'"]),
    ("cases:\n  - principal: anonymous\n    action: model.read\n    resource: {type: model}\n    context: {address: 10.0.0.300}\n    expect: deny\n",
     ["t.yaml:5", "not an IP address"]),
    ("cases:\n  - principal: {id: a, mfaAge: soon}\n    action: model.read\n    resource: {type: model}\n    expect: deny\n", ["t.yaml:2", "not a duration"]),
    ("kases: []\n", ["t.yaml:1", "unknown key 'kases'"]),
])
func policyTestRunnerRejectsMalformedCases(text: String, fragments: [String]) throws {
    let policy = try Policy(contentsOf: AuthorizationFixtures.defaultPolicyPath)
    do {
        _ = try PolicyTests.parseCases(yaml: text, source: "t.yaml", policy: policy)
        Issue.record("accepted: \(text)")
    } catch {
        #expect(error.code == .malformed)
        for fragment in fragments { #expect(error.message.contains(fragment), "\(error.message) lacks \(fragment)") }
    }
}
