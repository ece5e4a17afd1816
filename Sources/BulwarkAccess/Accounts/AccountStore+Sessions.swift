public import Foundation
import BulwarkStore

extension AccountStore {
    func insertSession(_ tx: any SQLTransaction, userID: String, policy: SessionPolicy, now: Date,
                       mfaVerifiedAt: Date?) async throws(AccessError) -> IssuedSession {
        let (token, record) = SessionToken.issue(userID: userID, policy: policy, now: now, mfaVerifiedAt: mfaVerifiedAt)
        try await tx.accountRun(
            """
            INSERT INTO accounts_sessions (id, secret_digest, user_id, created_at, last_seen_at, idle_timeout_seconds, expires_at, mfa_verified_at, revoked_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
            """,
            [.text(record.id), .text(record.secretDigest), .text(userID), sqlDate(record.createdAt), sqlDate(record.lastSeenAt),
             .real(record.idleTimeoutSeconds), sqlDate(record.expiresAt), sqlDate(record.mfaVerifiedAt)])
        return IssuedSession(token: token, record: record)
    }

    /// Looks the session of `token` up, verifies it (secret, revocation, idle and absolute
    /// expiry, user not disabled) and records `now` as its last use, in one transaction.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` ("session is not valid") for an unknown or
    ///   wrong token; `.expired` for a revoked or expired session or a disabled user.
    public func session(token: String, now: Date) async throws(AccessError) -> SessionRecord {
        let id = try SessionToken.identifier(of: token)
        // A read outside a transaction (concurrent readers; no write lock per request).
        guard let (record, disabled) = try await loadSession(database, id: id) else {
            throw AccessError(.unauthenticated, "session is not valid")
        }
        let seen = try SessionToken.verify(token, against: record, now: now)
        if disabled { throw AccessError(.expired, "session \(id) belongs to a disabled user") }
        // The idle clock is written when it moved by a tenth of the idle timeout (at most a
        // minute), not on every request: a session may end that much before its idle timeout,
        // never after it.
        if seen.lastSeenAt.timeIntervalSince(record.lastSeenAt) >= Self.lastSeenGranularity(idleTimeout: record.idleTimeoutSeconds) {
            try await database.accountRun("UPDATE accounts_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?",
                                          [sqlDate(seen.lastSeenAt), .text(id), sqlDate(seen.lastSeenAt)])
        }
        return seen
    }

    /// How far a session's stored last-seen time may lag: a tenth of its idle timeout, at most 60 s.
    static func lastSeenGranularity(idleTimeout: TimeInterval) -> TimeInterval { min(60, idleTimeout / 10) }

    /// Records that the user of session `id` passed a second factor at `now` (a step-up before a
    /// sensitive action), in one transaction.
    ///
    /// - Throws: ``AccessError`` `.notFound` for an unknown or revoked session.
    public func markSessionMFAVerified(id: String, now: Date) async throws(AccessError) {
        try await transact { tx throws(AccessError) in
            let rows = try await tx.accountRows(
                "UPDATE accounts_sessions SET mfa_verified_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id", [sqlDate(now), .text(id)])
            guard !rows.isEmpty else { throw AccessError(.notFound, "session \(id) does not exist or was revoked") }
        }
    }

    /// Revokes the session with public id `id` (logout). Returns whether it was active.
    @discardableResult
    public func revokeSession(id: String, now: Date) async throws(AccessError) -> Bool {
        try await transact { tx throws(AccessError) in
            !(try await tx.accountRows("UPDATE accounts_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
                                       [sqlDate(now), .text(id)])).isEmpty
        }
    }

    /// Revokes every active session of the user (all devices), but `exceptSessionID` when given.
    /// Returns how many were revoked.
    @discardableResult
    public func revokeAllSessions(userID: String, exceptSessionID: String? = nil, now: Date) async throws(AccessError) -> Int {
        try await transact { tx throws(AccessError) in
            try await tx.accountRows(
                "UPDATE accounts_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND id <> ? RETURNING id",
                [sqlDate(now), .text(userID), .text(exceptSessionID ?? "")]).count
        }
    }

    private func loadSession(_ tx: any SQLExecutor, id: String) async throws(AccessError) -> (SessionRecord, Bool)? {
        let rows = try await tx.accountRows(
            """
            SELECT s.id, s.secret_digest, s.user_id, s.created_at, s.last_seen_at, s.idle_timeout_seconds, s.expires_at,
                   s.mfa_verified_at, s.revoked_at, u.disabled_at
            FROM accounts_sessions s JOIN accounts_users u ON u.id = s.user_id WHERE s.id = ?
            """, [.text(id)])
        guard let row = rows.first else { return nil }
        return try decoding { () throws(StoreError) in
            (SessionRecord(id: try row.string("id"), userID: try row.string("user_id"), secretDigest: try row.string("secret_digest"),
                           createdAt: try row.date("created_at"), lastSeenAt: try row.date("last_seen_at"),
                           idleTimeoutSeconds: try row.double("idle_timeout_seconds"), expiresAt: try row.date("expires_at"),
                           mfaVerifiedAt: try row.optionalDate("mfa_verified_at"), revokedAt: try row.optionalDate("revoked_at")),
             try !row.isNull("disabled_at"))
        }
    }
}
