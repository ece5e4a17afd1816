public import Foundation

/// Who asks: a user, a service (a token holder without a person behind it) or nobody.
///
/// Policies read its attributes as `principal.id`, `principal.kind`, `principal.roles`,
/// `principal.team`, `principal.mfaVerifiedAt`, `principal.mfaAge` (the time since the last MFA
/// verification, at the request's `context.time`), `principal.scopes` and any attribute the
/// policy declares (`principal.<name>`, read from ``attributes``).
///
/// An anonymous principal holds no role: it matches only role grants and rules that name the
/// pseudo-role `anonymous`.
///
/// ```swift
/// let alice = Principal(id: "alice", kind: .user, roles: ["publisher"], team: "vision",
///                       mfaVerifiedAt: Date())
/// ```
public struct Principal: Sendable, Hashable {
    /// The kinds of principal.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A person who signed in.
        case user
        /// A workload holding a token.
        case service
        /// A request without credentials.
        case anonymous
    }

    /// The stable identifier (user name or service account id); empty for anonymous.
    public var id: String
    /// User, service or anonymous.
    public var kind: Kind
    /// The roles held; ignored for an anonymous principal.
    public var roles: Set<String>
    /// The team the principal belongs to, if any.
    public var team: String?
    /// When the principal last passed an MFA check, if ever in this session.
    public var mfaVerifiedAt: Date?
    /// The actions the presented token is limited to (exact names or `prefix.*`); nil when the
    /// credential is not scope-limited (an interactive session), empty when it allows nothing.
    public var scopes: [String]?
    /// Further attributes the policy declares under `attributes:` as `principal.<name>`.
    public var attributes: [String: AttributeValue]
    /// The person answerable for this principal: a user's own name, a service account's owner
    /// (nil when it has none). Rules about *people*, such as the registry's two-person rule,
    /// compare this, so that a person's own service account does not count as a second person.
    public var accountableUser: String?

    /// A principal with the given attributes.
    public init(id: String, kind: Kind = .user, roles: Set<String> = [], team: String? = nil, mfaVerifiedAt: Date? = nil,
                scopes: [String]? = nil, attributes: [String: AttributeValue] = [:], accountableUser: String? = nil) {
        self.id = id
        self.kind = kind
        self.roles = roles
        self.team = team
        self.mfaVerifiedAt = mfaVerifiedAt
        self.scopes = scopes
        self.attributes = attributes
        self.accountableUser = accountableUser ?? (kind == .user ? id : nil)
    }

    /// A request without credentials.
    public static let anonymous = Principal(id: "", kind: .anonymous)
}
