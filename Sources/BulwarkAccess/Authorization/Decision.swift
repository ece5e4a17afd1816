/// The outcome of one authorization check, naming the rule that made it.
///
/// Every evaluation returns one: ``ruleID`` is the deciding rule's `id` (a role grant is
/// `role:<name>`), or ``defaultDenyRuleID`` when nothing allowed the request. Record it with
/// the request in the audit log; ``policyDigest`` says which policy version decided.
///
/// ```swift
/// let policy = try Policy(yaml: "version: 1\nroles:\n  consumer: [model.list]\n")
/// let decision = policy.evaluate(principal: Principal(id: "bob", roles: ["consumer"]), action: .modelRead,
///                                resource: Resource(type: "model", id: "cats"), context: AuthorizationContext())
/// print(decision.ruleID, decision.reason)
/// // default-deny denied by default: no role grant or rule allows 'model.read' for this principal
/// ```
public struct Decision: Sendable, Hashable, CustomStringConvertible {
    /// The rule id of a decision no rule made.
    public static let defaultDenyRuleID = "default-deny"

    /// Whether the request may proceed.
    public let allowed: Bool
    /// The deciding rule: a rule's `id`, `role:<name>` for a role grant, or `default-deny`.
    public let ruleID: String
    /// The action that was checked.
    public let action: String
    /// SHA-256 (hex) of the policy text that decided.
    public let policyDigest: String
    /// The deciding rule as a phrase ("role grant 'publisher' (policy.yaml:12)").
    let ruleLabel: String
    /// The `unless` requirement a deny rule found unmet, as written.
    let unmetRequirement: String?

    /// One line saying why: the effect, the deciding rule and where it is written, and for a
    /// deny by an `unless` rule the requirement that was not met.
    public var reason: String {
        if ruleID == Self.defaultDenyRuleID {
            switch ruleLabel {
            case Self.unknownActionLabel: return "denied by default: unknown action '\(action)'"
            case Self.anonymousLabel:
                return "denied by default: anonymous principals get only what names 'anonymous', and nothing allows '\(action)'"
            default: return "denied by default: no role grant or rule allows '\(action)' for this principal"
            }
        }
        let verdict = allowed ? "allowed" : "denied"
        guard let unmetRequirement else { return "\(verdict) by \(ruleLabel)" }
        return "\(verdict) by \(ruleLabel): requirement '\(unmetRequirement)' not met"
    }

    static let unknownActionLabel = "unknown action"
    static let anonymousLabel = "anonymous"
    static let noGrantLabel = "no grant"

    /// `allow`/`deny`, the rule id and the reason.
    public var description: String { "\(allowed ? "allow" : "deny") [\(ruleID)] \(reason)" }
}
