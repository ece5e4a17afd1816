public import Foundation

/// How long web sessions live: an idle timeout (no request for that long ends the session) and
/// an absolute lifetime (the session ends then whatever its activity). Defaults: 30 minutes
/// idle, 12 hours absolute (OWASP Session Management Cheat Sheet's ranges for ordinary apps).
public struct SessionPolicy: Codable, Sendable, Equatable {
    /// Seconds without a request after which the session ends.
    public let idleTimeoutSeconds: TimeInterval
    /// Seconds after creation at which the session ends.
    public let absoluteLifetimeSeconds: TimeInterval

    /// 30 minutes idle, 12 hours absolute.
    public static let `default` = SessionPolicy(unchecked: 30 * 60, absolute: 12 * 3600)

    /// A policy; the idle timeout must be positive and at most the absolute lifetime, which is
    /// at most 30 days.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` otherwise.
    public init(idleTimeoutSeconds: TimeInterval, absoluteLifetimeSeconds: TimeInterval) throws(AccessError) {
        guard idleTimeoutSeconds > 0, idleTimeoutSeconds <= absoluteLifetimeSeconds, absoluteLifetimeSeconds <= 30 * 86_400 else {
            throw AccessError(.invalidParameter,
                              "session policy: expected 0 < idle timeout (\(idleTimeoutSeconds) s) <= absolute lifetime (\(absoluteLifetimeSeconds) s) <= 30 days")
        }
        self.init(unchecked: idleTimeoutSeconds, absolute: absoluteLifetimeSeconds)
    }

    private init(unchecked idle: TimeInterval, absolute: TimeInterval) {
        idleTimeoutSeconds = idle
        absoluteLifetimeSeconds = absolute
    }
}

/// The stored form of a web session: whose it is, its timestamps, when MFA was last passed in it,
/// and a digest of its secret.
public struct SessionRecord: Codable, Sendable, Equatable {
    /// The session's public id, the part after `bws_`; the store's key.
    public let id: String
    /// The user the session belongs to.
    public let userID: String
    /// Lower-case hex SHA-256 of the domain label, id and secret.
    public let secretDigest: String
    /// When the session was created (the user logged in).
    public let createdAt: Date
    /// When the session last verified a request.
    public var lastSeenAt: Date
    /// The idle timeout it was created with, in seconds.
    public let idleTimeoutSeconds: TimeInterval
    /// When the session ends whatever its activity.
    public let expiresAt: Date
    /// When the user last passed a second factor in this session; `nil` when never.
    public var mfaVerifiedAt: Date?
    /// When the session was revoked (logout, password change, an administrator), if it was.
    public var revokedAt: Date?

    /// Whether the session was revoked.
    public var isRevoked: Bool { revokedAt != nil }

    /// The record after the user passed a second factor at `now`.
    public func withMFAVerified(at now: Date) -> SessionRecord {
        var copy = self
        copy.mfaVerifiedAt = now
        return copy
    }

    /// Whether a second factor was passed in this session within `maxAgeSeconds` before `now`,
    /// for policies that require recent MFA (say, 5 minutes before deleting a model).
    public func isMFAFresh(maxAgeSeconds: TimeInterval, now: Date) -> Bool {
        guard let verified = mfaVerifiedAt else { return false }
        return verified <= now && now.timeIntervalSince(verified) <= maxAgeSeconds
    }

    /// The record revoked at `now` (the first revocation time is kept).
    public func revoked(at now: Date) -> SessionRecord {
        var copy = self
        copy.revokedAt = revokedAt ?? now
        return copy
    }
}

/// Web session tokens: `bws_<id>_<secret>` (256 secret bits), stored as a digest, with idle and
/// absolute expiry and revocation.
///
/// ```swift
/// let (cookie, record) = SessionToken.issue(userID: "user-1", policy: .default, now: .now)
/// let seen = try SessionToken.verify(cookie, against: record, now: .now)   // persist `seen`
/// ```
public enum SessionToken {
    /// The prefix of session tokens.
    public static let prefix = "bws"
    static let domain = "bulwark session v1"

    /// A new session for `userID`. Issue a new session (never reuse one) at login and when
    /// privileges change, so a session id planted before login is worthless (session fixation).
    public static func issue(userID: String, policy: SessionPolicy = .default, now: Date,
                             mfaVerifiedAt: Date? = nil) -> (token: String, record: SessionRecord) {
        let token = OpaqueToken.generate()
        let record = SessionRecord(id: token.id, userID: userID, secretDigest: token.digest(domain: domain), createdAt: now,
                                   lastSeenAt: now, idleTimeoutSeconds: policy.idleTimeoutSeconds,
                                   expiresAt: now.addingTimeInterval(policy.absoluteLifetimeSeconds),
                                   mfaVerifiedAt: mfaVerifiedAt, revokedAt: nil)
        return (token.text(prefix: prefix), record)
    }

    /// The public id in `token`, to look its record up.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` when `token` is not shaped like a session token.
    public static func identifier(of token: String) throws(AccessError) -> String {
        guard let parsed = OpaqueToken.parse(token, prefix: prefix) else { throw invalid }
        return parsed.id
    }

    /// Verifies `token` against its stored `record` and returns the record with
    /// ``SessionRecord/lastSeenAt`` set to `now`.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` ("session is not valid") for a malformed
    ///   token, another session's record or a wrong secret; `.expired` for a revoked session,
    ///   one past its absolute lifetime, or one idle longer than its timeout.
    public static func verify(_ token: String, against record: SessionRecord, now: Date) throws(AccessError) -> SessionRecord {
        guard let parsed = OpaqueToken.parse(token, prefix: prefix), parsed.id == record.id,
              parsed.matches(record.secretDigest, domain: domain) else { throw invalid }
        if record.isRevoked { throw AccessError(.expired, "session \(record.id) was revoked") }
        guard now < record.expiresAt else { throw AccessError(.expired, "session \(record.id) reached its absolute lifetime") }
        guard now.timeIntervalSince(record.lastSeenAt) < record.idleTimeoutSeconds else {
            throw AccessError(.expired, "session \(record.id) was idle too long")
        }
        var seen = record
        seen.lastSeenAt = Swift.max(record.lastSeenAt, now)
        return seen
    }

    private static var invalid: AccessError { AccessError(.unauthenticated, "session is not valid") }
}
