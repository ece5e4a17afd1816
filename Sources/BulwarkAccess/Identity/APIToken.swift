import BulwarkErrors
public import Foundation

/// The stored form of a service account's API token: who it belongs to, what it may do, when it
/// stops working, and a digest of its secret (never the secret).
public struct APITokenRecord: Codable, Sendable, Equatable {
    /// The token's public id, the part after `bwk_`; the store's key.
    public let id: String
    /// The service account the token acts for.
    public let serviceAccountID: String
    /// A label for people ("CI deploy key").
    public let name: String
    /// What the token may do (`models:read`, `registry:promote`); interpreted by authorization.
    public let scopes: [String]
    /// Lower-case hex SHA-256 of the domain label, id and secret.
    public let secretDigest: String
    /// When the token was issued.
    public let createdAt: Date
    /// When the token stops working; every token expires.
    public let expiresAt: Date
    /// When the token last verified; updated by ``APIToken/verify(_:against:now:)``.
    public var lastUsedAt: Date?
    /// When the token was revoked, if it was.
    public var revokedAt: Date?

    /// Whether the token was revoked.
    public var isRevoked: Bool { revokedAt != nil }

    /// The record revoked at `now` (the first revocation time is kept).
    public func revoked(at now: Date) -> APITokenRecord {
        var copy = self
        copy.revokedAt = revokedAt ?? now
        return copy
    }
}

/// API tokens for service accounts: `bwk_<id>_<secret>` with 256 secret bits, stored as a digest.
///
/// SHA-256 rather than Argon2id for the stored digest: the secret is 256 uniformly random bits,
/// so no slow hash is needed to resist guessing, and a token is checked on every request.
/// Verification checks the digest in constant time, then revocation, then expiry; an unknown or
/// wrong token gets one coarse message.
///
/// ```swift
/// let (token, record) = try APIToken.issue(serviceAccountID: "svc-ci", name: "deploy",
///                                          scopes: ["models:read"], lifetimeSeconds: 90 * 86_400, now: .now)
/// // later: the store finds the record by `try APIToken.identifier(of: token)`, then
/// let used = try APIToken.verify(token, against: record, now: .now)   // persist `used`
/// ```
public enum APIToken {
    /// The prefix that makes a leaked token recognisable to secret scanners.
    public static let prefix = "bwk"
    /// The longest lifetime a token may be issued with: 366 days.
    public static let maximumLifetimeSeconds: TimeInterval = 366 * 86_400
    static let domain = "bulwark api token v1"

    /// A new token and its record. The token text is returned once and never stored.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for a lifetime outside (0, 366 days], an
    ///   empty name, or scopes that are empty, more than 64, or not 1...128 characters of
    ///   `A-Z a-z 0-9 : . _ * / -`.
    public static func issue(serviceAccountID: String, name: String, scopes: [String],
                             lifetimeSeconds: TimeInterval, now: Date) throws(AccessError) -> (token: String, record: APITokenRecord) {
        guard lifetimeSeconds > 0, lifetimeSeconds <= maximumLifetimeSeconds else {
            throw AccessError(.invalidParameter, "API token lifetime \(lifetimeSeconds) s: expected more than 0 and at most 366 days")
        }
        guard !serviceAccountID.isEmpty, !name.isEmpty else {
            throw AccessError(.invalidParameter, "API token: service account and name must not be empty")
        }
        let scopes = try validatedScopes(scopes)
        let token = OpaqueToken.generate()
        let record = APITokenRecord(id: token.id, serviceAccountID: serviceAccountID, name: name, scopes: scopes,
                                    secretDigest: token.digest(domain: domain), createdAt: now,
                                    expiresAt: now.addingTimeInterval(lifetimeSeconds), lastUsedAt: nil, revokedAt: nil)
        return (token.text(prefix: prefix), record)
    }

    /// The public id in `token`, to look its record up.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` when `token` is not shaped like an API token.
    public static func identifier(of token: String) throws(AccessError) -> String {
        guard let parsed = OpaqueToken.parse(token, prefix: prefix) else { throw invalid }
        return parsed.id
    }

    /// Verifies `token` against its stored `record` and returns the record with ``APITokenRecord/lastUsedAt`` set to `now`.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` ("API token is not valid") for a malformed
    ///   token, another token's record or a wrong secret; `.expired` for a revoked or expired
    ///   token (only after the secret verified).
    public static func verify(_ token: String, against record: APITokenRecord, now: Date) throws(AccessError) -> APITokenRecord {
        guard let parsed = OpaqueToken.parse(token, prefix: prefix), parsed.id == record.id,
              parsed.matches(record.secretDigest, domain: domain) else { throw invalid }
        if record.isRevoked { throw AccessError(.expired, "API token \(record.id) was revoked") }
        guard now < record.expiresAt else { throw AccessError(.expired, "API token \(record.id) has expired") }
        var used = record
        used.lastUsedAt = now
        return used
    }

    private static var invalid: AccessError { AccessError(.unauthenticated, "API token is not valid") }

    private static func validatedScopes(_ scopes: [String]) throws(AccessError) -> [String] {
        guard (1...64).contains(scopes.count) else {
            throw AccessError(.invalidParameter, "API token scopes: \(scopes.count) given, expected 1...64")
        }
        var seen: Set<String> = []
        var out: [String] = []
        for scope in scopes {
            let valid = (1...128).contains(scope.utf8.count) && scope.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                     UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "-"): true
                default: false
                }
            }
            guard valid else {
                throw AccessError(.invalidParameter, "API token scope \"\(scope.oneLine(limit: 40))\": expected 1...128 characters of A-Z a-z 0-9 : . _ * / -")
            }
            if seen.insert(scope).inserted { out.append(scope) }
        }
        return out
    }
}
