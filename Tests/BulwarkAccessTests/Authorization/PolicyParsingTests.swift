import BulwarkAccess
import Testing

/// A policy with `rule` appended as its only rule (the rule text starts at line 5).
private func policy(rule: String, extra: String = "") -> String {
    """
    version: 1
    \(extra)roles:
      publisher: [model.read]
    rules:
    \(rule)
    """
}

/// The message of the error compiling `text`, or nil if it compiles.
private func parseError(_ text: String) -> AccessError? {
    do {
        _ = try Policy(yaml: text, source: "p.yaml")
        return nil
    } catch {
        return error
    }
}

@Test func policyParsesTheShippedDefault() throws {
    let policy = try Policy(contentsOf: AuthorizationFixtures.defaultPolicyPath)
    #expect(policy.roleNames == ["admin", "publisher", "approver", "consumer", "auditor"])
    #expect(policy.grantedActions(of: "consumer") == [.modelList])
    #expect(policy.grantedActions(of: "admin").count == Action.catalog.count)
    #expect(policy.digest.count == 64)
}

@Test(arguments: [
    // (policy text, fragments the one-line message must contain)
    ("version: 1\nroles: {}\nrulez: []\n", ["p.yaml:3", "unknown key 'rulez'"]),
    ("roles: {}\n", ["missing 'version: 1'"]),
    ("version: 2\nroles: {}\n", ["p.yaml:1", "unsupported version"]),
    ("version: 1\nroles: [a, b\n", ["p.yaml", "not valid YAML"]),
    ("version: 1\nroles:\n  Admin: ['*']\n", ["p.yaml:3", "role 'Admin'"]),
    ("version: 1\nroles:\n  a: [model.raed]\n", ["p.yaml:3", "'model.raed' matches no known action"]),
    ("version: 1\nroles:\n  a: [model.read]\n  a: [model.list]\n", ["p.yaml", "duplicated key"]),
    ("version: 1\nattributes:\n  principal.level: integer\nroles: {}\n", ["p.yaml:3", "unknown type 'integer'"]),
    ("version: 1\nattributes:\n  principal.team: string\nroles: {}\n", ["p.yaml:3", "built in"]),
])
func policyRejectsMalformedTopLevels(text: String, fragments: [String]) {
    let error = parseError(text)
    #expect(error?.code == .malformed)
    for fragment in fragments { #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "no error") lacks \(fragment)") }
    #expect(error?.message.contains("\n") == false)
}

@Test(arguments: [
    ("  - id: r1\n    effect: allow\n    actions: [model.read]\n    whn: []\n", ["p.yaml:8", "rule 'r1'", "unknown key 'whn'"]),
    ("  - id: r2\n    effect: permit\n    actions: [model.read]\n", ["p.yaml:6", "rule 'r2'", "effect 'permit'"]),
    ("  - id: r3\n    effect: allow\n    actions: [model.read]\n    when:\n      - principal.tem == vision\n",
     ["p.yaml:9", "rule 'r3'", "unknown attribute 'principal.tem'"]),
    ("  - id: r4\n    effect: allow\n    actions: [model.read]\n    when:\n      - network: [10.0.0.0/33]\n",
     ["p.yaml:9", "rule 'r4'", "'10.0.0.0/33' is not a CIDR"]),
    ("  - id: r5\n    effect: allow\n    actions: [model.read]\n    when:\n      - network: [10.0.0.1/8]\n", ["rule 'r5'", "no host bits"]),
    ("  - id: r6\n    effect: allow\n    actions: [model.read]\n    when:\n      - mfaWithin: 15 minutes\n",
     ["p.yaml:9", "rule 'r6'", "not a duration"]),
    ("  - id: r7\n    effect: allow\n    actions: [model.read]\n    when:\n      - principal.mfaAge <= 15\n",
     ["rule 'r7'", "'15' is not a duration"]),
    ("  - id: r8\n    effect: allow\n    actions: [model.read]\n    roles: [approver]\n", ["p.yaml:8", "rule 'r8'", "unknown role 'approver'"]),
    ("  - id: r9\n    effect: allow\n    actions: [model.read]\n    when:\n      - principal.team < resource.owningTeam\n",
     ["rule 'r9'", "needs a number, duration or time"]),
    ("  - id: r10\n    effect: allow\n    actions: [model.read]\n    when:\n      - principal.team == resource.riskTier == x\n",
     ["rule 'r10'", "expected one value"]),
    ("  - id: r11\n    effect: allow\n    actions: [model.read]\n    when:\n      - principal.mfaAge == principal.team\n",
     ["rule 'r11'", "cannot be compared"]),
    ("  - id: r12\n    effect: allow\n    actions: [model.read]\n    when:\n      - timeWindow: {from: '8:00', to: '18:00'}\n",
     ["rule 'r12'", "not HH:MM"]),
    ("  - id: r13\n    effect: allow\n    actions: [model.read]\n    when:\n      - context.address == 10.0.0.1\n",
     ["rule 'r13'", "only by the `network:` condition"]),
    ("  - id: r14\n    effect: allow\n    actions: [model.read]\n    when:\n      - principal.kind == robot\n",
     ["rule 'r14'", "not a principal kind"]),
    ("  - id: default-deny\n    effect: allow\n    actions: [model.read]\n", ["p.yaml:5", "rule #1", "must be letters"]),
    ("  - effect: allow\n    actions: [model.read]\n", ["p.yaml:5", "rule #1", "missing 'id'"]),
    ("  - id: dup\n    effect: allow\n    actions: [model.read]\n  - id: dup\n    effect: deny\n    actions: [model.read]\n",
     ["p.yaml:8", "rule 'dup'", "used twice"]),
    ("  - id: r15\n    effect: allow\n    actions: [model.read]\n    when:\n      - resource.stage in production\n",
     ["rule 'r15'", "needs a list"]),
    ("  - id: r16\n    effect: allow\n    actions: [model.read]\n    when:\n      - principal.team = x\n", ["rule 'r16'", "unknown operator"]),
])
func policyRejectsMalformedRulesNamingTheRuleAndLine(rule: String, fragments: [String]) {
    let error = parseError(policy(rule: rule))
    #expect(error?.code == .malformed)
    for fragment in fragments { #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "no error") lacks \(fragment)") }
}

@Test func policyAcceptsEveryConditionForm() throws {
    let text = policy(rule: """
      - id: all-forms
        description: one of each condition form
        effect: allow
        actions: [model.*, "version.promote.*"]
        roles: [publisher, anonymous]
        when:
          - principal.team == resource.owningTeam
          - principal.id != "some one"
          - resource.riskTier in [low, medium]
          - resource.stage not in [archived]
          - principal.roles contains publisher
          - principal.mfaAge <= 1h30m
          - principal.level >= 2
          - context.time < 2030-01-01T00:00:00Z
          - has: resource.dataClassification
          - mfaWithin: 15m
          - network: [10.0.0.0/8, "2001:db8::/32"]
          - timeWindow: {from: "22:00", to: "06:00", days: [mon, fri]}
          - withinTokenScopes: true
        unless:
          - principal.clearances contains secret
    """, extra: "attributes:\n  principal.level: number\n  principal.clearances: list\n")
    let policy = try Policy(yaml: text, source: "p.yaml")
    #expect(policy.actions.count == Action.catalog.count)
}
