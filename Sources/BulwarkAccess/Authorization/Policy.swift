import Foundation

/// A compiled authorization policy: roles with their granted actions, plus attribute rules;
/// deny by default, and an explicit deny wins over any allow.
///
/// ## File format (YAML)
///
/// ```yaml
/// version: 1                      # required; the format version
/// attributes:                     # optional: attributes beyond the built-in ones, with types
///   principal.clearance: number   # string | number | bool | list | time
/// actions: [report.publish]       # optional: actions beyond Action.catalog
/// roles:                          # role -> actions it grants (exact, `prefix.*` or `*`)
///   auditor: [audit.*, model.read]
///   anonymous: [model.list]       # the pseudo-role held only by anonymous principals
/// rules:
///   - id: approve-with-fresh-mfa  # unique; letters, digits, `.`, `_`, `-`
///     description: approvers approve others' uploads after a recent MFA check
///     effect: allow               # allow | deny
///     actions: [version.approve]
///     roles: [approver]           # optional; omitted = every authenticated principal
///     when:                       # all must hold
///       - principal.id != resource.uploadedBy
///       - mfaWithin: 15m
///     unless:                     # optional: the rule applies unless ALL of these hold
///       - network: [10.0.0.0/8, "fd00::/8"]
/// ```
///
/// A condition is either one comparison `ATTRIBUTE OP OPERAND`, with OP one of `==`, `!=`,
/// `<`, `<=`, `>`, `>=`, `in`, `not in`, `contains` and OPERAND a literal (`production`,
/// `"quoted text"`, `42`, `true`, `15m`, `2026-12-06T10:00:00Z`, `[a, b]`) or another
/// attribute (`principal.team == resource.owningTeam`); or a one-key mapping: `has: ATTRIBUTE`,
/// `mfaWithin: DURATION`, `network: [CIDR…]` (IPv4 and IPv6; `context.address`),
/// `timeWindow: {from: "08:00", to: "18:00", days: [mon, tue, wed, thu, fri]}` (UTC, `to`
/// exclusive, wraps midnight when `from` > `to`), `withinTokenScopes: true` (the principal's
/// token scopes cover the action; unscoped credentials always do).
///
/// Built-in attributes: `principal.{id, kind, roles, team, mfaVerifiedAt, mfaAge, scopes}`,
/// `resource.{type, id, riskTier, stage, owningTeam, dataClassification, uploadedBy, owner}`,
/// `context.{time, address, action}`. Any comparison with a missing attribute is false
/// (`!=` and `not in` included), so a rule that needs an attribute never fires without it;
/// state a requirement as a deny rule's `unless` so that a missing attribute denies.
///
/// ## Evaluation
///
/// Role grants are allow rules with id `role:<name>`. For a request, the rules whose actions
/// match and whose roles the principal holds are considered: the first deny (in file order)
/// whose conditions hold decides; otherwise the first allow (role grants in `roles:` order,
/// then `rules:` in file order); otherwise `default-deny`. An anonymous principal matches only
/// grants and rules naming `anonymous`. Rules are compiled once: evaluation resolves the action
/// with one hash lookup and runs only that action's rules, with no parsing or regular expressions.
///
/// Parsing is strict: an unknown key, attribute, role, action, operator, a bad CIDR, duration
/// or time is refused with one line naming the file, line and rule id.
///
/// ```swift
/// let policy = try Policy(contentsOf: "examples/policy.yaml")
/// let alice = Principal(id: "alice", roles: ["publisher"], team: "vision")
/// let version = Resource(type: "version", id: "cats/3", owningTeam: "vision")
/// let decision = policy.evaluate(principal: alice, action: .versionUpload, resource: version,
///                                context: AuthorizationContext(time: Date(), address: IPAddress("10.0.0.7")))
/// print(decision.allowed, decision.ruleID)   // true publisher-own-team
/// ```
public struct Policy: Sendable {
    /// Where the policy came from (a path), as error messages and decision reasons name it.
    public let source: String
    /// SHA-256 (lowercase hex) of the policy text.
    public let digest: String
    /// The roles defined under `roles:`, in file order (`anonymous` included when defined).
    public let roleNames: [String]
    /// Every action the policy knows: ``Action/catalog`` then the declared ones.
    public let actions: [Action]

    let rules: [CompiledRule]
    let actionIndex: [String: Int]
    let denyRulesByAction: [[Int]]
    let allowRulesByAction: [[Int]]
    let roleBits: [String: UInt64]
    let declaredTypes: [AttributeReference: AttributeType]
    /// Attribute names with references and types (built-in and declared), for test files.
    let schema: [String: (AttributeReference, AttributeType)]

    /// The bit for the `anonymous` pseudo-role in role masks.
    static let anonymousBit: UInt64 = 1

    /// Compiles policy YAML; `source` names it in errors (a path or "policy").
    ///
    /// - Throws: ``AccessError`` `.malformed` with one line naming the source, the line and the
    ///   rule id when the text is not a valid policy.
    public init(yaml: String, source: String = "policy") throws(AccessError) {
        self = try PolicyCompiler(source: source, text: yaml).compile()
    }

    /// Reads and compiles the policy file at `path` (a regular file of at most 1 MiB).
    ///
    /// - Throws: ``AccessError`` `.io` when the file cannot be read, `.malformed` when it is not
    ///   a valid policy.
    public init(contentsOf path: String) throws(AccessError) {
        let file = try PolicyFile.read(path)
        try self.init(yaml: file.text, source: path)
    }

    init(source: String, digest: String, roleNames: [String], actions: [Action], rules: [CompiledRule],
         roleBits: [String: UInt64], declaredTypes: [AttributeReference: AttributeType],
         schema: [String: (AttributeReference, AttributeType)]) {
        self.source = source
        self.digest = digest
        self.roleNames = roleNames
        self.actions = actions
        self.rules = rules
        self.roleBits = roleBits
        self.declaredTypes = declaredTypes
        self.schema = schema
        var index: [String: Int] = [:]
        for (position, action) in actions.enumerated() { index[action.name] = position }
        actionIndex = index
        var denies = [[Int]](repeating: [], count: actions.count)
        var allows = [[Int]](repeating: [], count: actions.count)
        for (position, rule) in rules.enumerated() {
            for action in rule.actionIndices {
                if rule.allows { allows[action].append(position) } else { denies[action].append(position) }
            }
        }
        denyRulesByAction = denies
        allowRulesByAction = allows
    }

    /// Decides whether `principal` may perform `action` on `resource` in `context`.
    ///
    /// Never throws and never allows by accident: an unknown action, a missing attribute or a
    /// declared attribute of the wrong type all end in a deny. The decision names the rule.
    /// Cost: one hash lookup for the action, one per role held, then the conditions of that
    /// action's candidate rules.
    public func evaluate(principal: Principal, action: Action, resource: Resource, context: AuthorizationContext) -> Decision {
        guard let actionPosition = actionIndex[action.name] else {
            return Decision(allowed: false, ruleID: Decision.defaultDenyRuleID, action: action.name, policyDigest: digest,
                            ruleLabel: Decision.unknownActionLabel, unmetRequirement: nil)
        }
        let mask = roleMask(of: principal)
        let request = AuthorizationRequest(principal: principal, action: action.name, resource: resource, context: context)
        for position in denyRulesByAction[actionPosition] {
            let rule = rules[position]
            guard rule.matchesRoles(mask, anonymous: principal.kind == .anonymous) else { continue }
            switch rule.applies(to: request, declaredTypes: declaredTypes) {
            case .no: continue
            case .yes:
                return Decision(allowed: false, ruleID: rule.id, action: action.name, policyDigest: digest, ruleLabel: rule.label,
                                unmetRequirement: nil)
            case let .unmet(requirement):
                return Decision(allowed: false, ruleID: rule.id, action: action.name, policyDigest: digest, ruleLabel: rule.label,
                                unmetRequirement: requirement.text)
            }
        }
        for position in allowRulesByAction[actionPosition] {
            let rule = rules[position]
            guard rule.matchesRoles(mask, anonymous: principal.kind == .anonymous) else { continue }
            if rule.applies(to: request, declaredTypes: declaredTypes) != .no {
                return Decision(allowed: true, ruleID: rule.id, action: action.name, policyDigest: digest, ruleLabel: rule.label,
                                unmetRequirement: nil)
            }
        }
        return Decision(allowed: false, ruleID: Decision.defaultDenyRuleID, action: action.name, policyDigest: digest,
                        ruleLabel: principal.kind == .anonymous ? Decision.anonymousLabel : Decision.noGrantLabel, unmetRequirement: nil)
    }

    /// The id of every rule in evaluation order: role grants (`role:<name>`) then `rules:`.
    public var ruleIDs: [String] { rules.map(\.id) }

    /// The actions role `role` is granted outright by `roles:` (conditional rules not included).
    public func grantedActions(of role: String) -> [Action] {
        guard let rule = rules.first(where: { $0.id == "role:\(role)" }) else { return [] }
        return rule.actionIndices.map { actions[$0] }
    }

    private func roleMask(of principal: Principal) -> UInt64 {
        if principal.kind == .anonymous { return Self.anonymousBit }
        var mask: UInt64 = 0
        for role in principal.roles {
            if let bit = roleBits[role], bit != Self.anonymousBit { mask |= bit }
        }
        return mask
    }
}

/// A rule after compilation: role grants and `rules:` entries alike (a class, so that
/// evaluation passes one reference rather than copying every field).
final class CompiledRule: Sendable {
    let id: String
    let allows: Bool
    let actionIndices: [Int]
    /// Roles the rule is limited to; 0 means every authenticated principal.
    let roleMask: UInt64
    let when: [Condition]
    let unless: [Condition]
    /// "rule 'id' (policy.yaml:12)" or "role grant 'publisher' (policy.yaml:5)".
    let label: String

    init(id: String, allows: Bool, actionIndices: [Int], roleMask: UInt64, when: [Condition], unless: [Condition], label: String) {
        self.id = id
        self.allows = allows
        self.actionIndices = actionIndices
        self.roleMask = roleMask
        self.when = when
        self.unless = unless
        self.label = label
    }

    func matchesRoles(_ mask: UInt64, anonymous: Bool) -> Bool {
        roleMask == 0 ? !anonymous : (roleMask & mask) != 0
    }

    /// Whether a rule applies to a request, and through which unmet `unless` requirement.
    enum Applicability: Equatable {
        case no, yes
        case unmet(Condition)

        static func == (lhs: Self, rhs: Self) -> Bool {
            switch (lhs, rhs) {
            case (.no, .no), (.yes, .yes): true
            case let (.unmet(a), .unmet(b)): a.text == b.text
            default: false
            }
        }
    }

    /// `.no` when some `when` condition fails or every `unless` condition holds; `.unmet` with
    /// the first failing `unless` condition; `.yes` when the rule has no `unless`.
    func applies(to request: AuthorizationRequest, declaredTypes: [AttributeReference: AttributeType]) -> Applicability {
        for condition in when where !condition.holds(for: request, declaredTypes: declaredTypes) { return .no }
        if unless.isEmpty { return .yes }
        for condition in unless where !condition.holds(for: request, declaredTypes: declaredTypes) { return .unmet(condition) }
        return .no
    }
}
