import Foundation

/// An attribute a condition reads, resolved when the policy is compiled so that evaluation is
/// a switch, not a string lookup (declared attributes are one dictionary lookup).
enum AttributeReference: Hashable, Sendable {
    case principalID, principalKind, principalRoles, principalTeam, principalMFAVerifiedAt, principalMFAAge, principalScopes
    case principalDeclared(String)
    case resourceType, resourceID, resourceRiskTier, resourceStage, resourceOwningTeam, resourceDataClassification
    case resourceUploadedBy, resourceOwner
    case resourceDeclared(String)
    case contextTime, contextAddress, contextAction
    case contextDeclared(String)

    /// The built-in attributes by their policy names, with their types.
    static let builtIn: [String: (AttributeReference, AttributeType)] = [
        "principal.id": (.principalID, .string),
        "principal.kind": (.principalKind, .string),
        "principal.roles": (.principalRoles, .list),
        "principal.team": (.principalTeam, .string),
        "principal.mfaVerifiedAt": (.principalMFAVerifiedAt, .time),
        "principal.mfaAge": (.principalMFAAge, .duration),
        "principal.scopes": (.principalScopes, .list),
        "resource.type": (.resourceType, .string),
        "resource.id": (.resourceID, .string),
        "resource.riskTier": (.resourceRiskTier, .string),
        "resource.stage": (.resourceStage, .string),
        "resource.owningTeam": (.resourceOwningTeam, .string),
        "resource.dataClassification": (.resourceDataClassification, .string),
        "resource.uploadedBy": (.resourceUploadedBy, .string),
        "resource.owner": (.resourceOwner, .string),
        "context.time": (.contextTime, .time),
        "context.address": (.contextAddress, .address),
        "context.action": (.contextAction, .string),
    ]

    /// The entity prefixes an attribute name may start with.
    static let entities = ["principal", "resource", "context"]

    /// How far in the future an MFA verification time may lie (clock skew between nodes) and
    /// still count; beyond it `principal.mfaAge` is missing.
    static let mfaClockSkewSeconds = 60.0
}

/// One request as conditions see it.
struct AuthorizationRequest {
    let principal: Principal
    let action: String
    let resource: Resource
    let context: AuthorizationContext

    /// The value of `reference` in this request, or nil when it is missing or (for a declared
    /// attribute) not of its declared type.
    func value(of reference: AttributeReference, declaredTypes: [AttributeReference: AttributeType]) -> AttributeValue? {
        switch reference {
        case .principalID: principal.id.isEmpty ? nil : .string(principal.id)
        case .principalKind: .string(principal.kind.rawValue)
        case .principalRoles: principal.kind == .anonymous ? .list([]) : .list(principal.roles.sorted().map { .string($0) })
        case .principalTeam: principal.team.map { .string($0) }
        case .principalMFAVerifiedAt: principal.mfaVerifiedAt.map { .time($0) }
        case .principalMFAAge: mfaAgeSeconds.map { .number($0) }
        case .principalScopes: principal.scopes.map { .list($0.map { .string($0) }) }
        case .resourceType: .string(resource.type)
        case .resourceID: resource.id.isEmpty ? nil : .string(resource.id)
        case .resourceRiskTier: resource.riskTier.map { .string($0) }
        case .resourceStage: resource.stage.map { .string($0) }
        case .resourceOwningTeam: resource.owningTeam.map { .string($0) }
        case .resourceDataClassification: resource.dataClassification.map { .string($0) }
        case .resourceUploadedBy: resource.uploadedBy.map { .string($0) }
        case .resourceOwner: resource.owner.map { .string($0) }
        case .contextTime: .time(context.time)
        case .contextAddress: nil
        case .contextAction: .string(action)
        case let .principalDeclared(name): typed(principal.attributes[name], reference, declaredTypes)
        case let .resourceDeclared(name): typed(resource.attributes[name], reference, declaredTypes)
        case let .contextDeclared(name): typed(context.attributes[name], reference, declaredTypes)
        }
    }

    /// Seconds since the principal's last MFA verification at `context.time`; nil if never
    /// verified or verified implausibly far in the future.
    var mfaAgeSeconds: Double? {
        guard let verifiedAt = principal.mfaVerifiedAt else { return nil }
        let age = context.time.timeIntervalSince(verifiedAt)
        guard age >= -AttributeReference.mfaClockSkewSeconds else { return nil }
        return max(age, 0)
    }

    private func typed(_ value: AttributeValue?, _ reference: AttributeReference,
                       _ declaredTypes: [AttributeReference: AttributeType]) -> AttributeValue? {
        guard let value, let type = declaredTypes[reference], type.admits(value) else { return nil }
        return value
    }
}
