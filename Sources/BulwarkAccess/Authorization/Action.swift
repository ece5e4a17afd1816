/// An operation a principal asks to perform, named `noun.verb` (`model.read`,
/// `version.promote.production`).
///
/// ``catalog`` lists the control plane's actions. A policy's patterns (`model.*`, `*`) are
/// expanded against the catalog plus the names it declares under `actions:`, and a pattern that
/// matches nothing is an error, so a misspelt action cannot silently grant nothing.
///
/// ```swift
/// let policy = try Policy(yaml: "version: 1\nroles:\n  publisher: [model.*, version.upload]\n")
/// let decision = policy.evaluate(principal: Principal(id: "alice", roles: ["publisher"]), action: .versionUpload,
///                                resource: Resource(type: "version"), context: AuthorizationContext())
/// print(decision.allowed, Action.catalog.count)   // true 23
/// ```
public struct Action: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The dotted name.
    public let name: String

    /// The action named `name`.
    public init(_ name: String) { self.name = name }

    /// The action named by a string literal.
    public init(stringLiteral value: String) { name = value }

    /// The dotted name.
    public var description: String { name }

    /// Register a new model.
    public static let modelCreate: Action = "model.create"
    /// List models.
    public static let modelList: Action = "model.list"
    /// Read a model's metadata, versions and lineage.
    public static let modelRead: Action = "model.read"
    /// Download a model version's artifact.
    public static let modelDownload: Action = "model.download"
    /// Ask a served model for predictions (the inference gateway's routes).
    public static let modelInfer: Action = "model.infer"
    /// Upload a new version of a model.
    public static let versionUpload: Action = "version.upload"
    /// Promote a version to staging.
    public static let versionPromoteStaging: Action = "version.promote.staging"
    /// Promote a version to production.
    public static let versionPromoteProduction: Action = "version.promote.production"
    /// Approve a version (the second person of the two-person rule).
    public static let versionApprove: Action = "version.approve"
    /// Revoke a version.
    public static let versionRevoke: Action = "version.revoke"
    /// Override a failed gate (scan, signature, attestation).
    public static let gateOverride: Action = "gate.override"
    /// Read audit log entries.
    public static let auditRead: Action = "audit.read"
    /// Export the audit log.
    public static let auditExport: Action = "audit.export"
    /// Verify the audit log's proofs and checkpoints.
    public static let auditVerify: Action = "audit.verify"
    /// Read user accounts and their roles.
    public static let userRead: Action = "user.read"
    /// Create, disable or change user accounts.
    public static let userAdmin: Action = "user.admin"
    /// Assign and remove roles.
    public static let roleAdmin: Action = "role.admin"
    /// Create an API token.
    public static let tokenCreate: Action = "token.create"
    /// Revoke an API token.
    public static let tokenRevoke: Action = "token.revoke"
    /// Read the authorization policy in force.
    public static let policyRead: Action = "policy.read"
    /// Scrape the gateway's Prometheus metrics (`GET /metrics`).
    public static let metricsRead: Action = "metrics.read"
    /// Read incidents, killed versions, quarantined clients and evidence bundles.
    public static let incidentRead: Action = "incident.read"
    /// Respond to an incident: kill or revive a model version, roll a model back, quarantine or
    /// release a client, open an incident.
    public static let incidentRespond: Action = "incident.respond"

    /// Every action the control plane authorizes, in a stable order.
    public static let catalog: [Action] = [
        .modelCreate, .modelList, .modelRead, .modelDownload, .modelInfer, .versionUpload, .versionPromoteStaging, .versionPromoteProduction,
        .versionApprove, .versionRevoke, .gateOverride, .auditRead, .auditExport, .auditVerify, .userRead, .userAdmin, .roleAdmin,
        .tokenCreate, .tokenRevoke, .policyRead, .metricsRead, .incidentRead, .incidentRespond,
    ]

    /// Whether a policy pattern (`*`, `prefix.*` or an exact name) matches `name`.
    static func pattern(_ pattern: String, matches name: String) -> Bool {
        if pattern == "*" { return true }
        if pattern.hasSuffix(".*") { return name.hasPrefix(pattern.dropLast()) }
        return pattern == name
    }

    /// Whether `pattern` is well formed: `*`, `prefix.*`, or dotted lowercase words.
    static func isWellFormedPattern(_ pattern: String) -> Bool {
        if pattern == "*" { return true }
        let body = pattern.hasSuffix(".*") ? String(pattern.dropLast(2)) : pattern
        let words = body.split(separator: ".", omittingEmptySubsequences: false)
        return !words.isEmpty && words.allSatisfy { word in
            !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }
}
