/// What a request acts on: a model, a version, the audit log, a user, a token, the policy.
///
/// Policies read `resource.type`, `resource.id`, `resource.riskTier`, `resource.stage`,
/// `resource.owningTeam`, `resource.dataClassification`, `resource.uploadedBy` (who uploaded a
/// version: compare it with `principal.id` to state the two-person rule), `resource.owner` (the
/// user a token or account belongs to) and any attribute the policy declares
/// (`resource.<name>`, read from ``attributes``). An attribute left nil is missing, and every
/// comparison with a missing attribute is false.
///
/// ```swift
/// let version = Resource(type: "version", id: "fraud/3", riskTier: "high", stage: "staging",
///                        owningTeam: "risk", uploadedBy: "alice")
/// ```
public struct Resource: Sendable, Hashable {
    /// The kind of resource (`model`, `version`, `audit`, `user`, `token`, `policy`…).
    public var type: String
    /// The resource's identifier.
    public var id: String
    /// The model's risk tier (for example `low`, `medium`, `high`, `critical`).
    public var riskTier: String?
    /// The lifecycle stage (for example `development`, `staging`, `production`, `archived`).
    public var stage: String?
    /// The team that owns the resource.
    public var owningTeam: String?
    /// The classification of the data the model was trained on (for example `public`, `internal`, `restricted`).
    public var dataClassification: String?
    /// The principal that uploaded this version.
    public var uploadedBy: String?
    /// The user the resource belongs to (a token's subject, an account).
    public var owner: String?
    /// Further attributes the policy declares under `attributes:` as `resource.<name>`.
    public var attributes: [String: AttributeValue]

    /// A resource with the given attributes.
    public init(type: String, id: String = "", riskTier: String? = nil, stage: String? = nil, owningTeam: String? = nil,
                dataClassification: String? = nil, uploadedBy: String? = nil, owner: String? = nil,
                attributes: [String: AttributeValue] = [:]) {
        self.type = type
        self.id = id
        self.riskTier = riskTier
        self.stage = stage
        self.owningTeam = owningTeam
        self.dataClassification = dataClassification
        self.uploadedBy = uploadedBy
        self.owner = owner
        self.attributes = attributes
    }
}
