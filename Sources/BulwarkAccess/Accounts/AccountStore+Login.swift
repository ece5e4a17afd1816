public import Foundation
import BulwarkStore

extension AccountStore {
    static let pendingPrefix = "bwp"
    static let pendingDomain = "bulwark pending login v1"

    /// What the first transaction of a login decided.
    private enum Admission: Sendable {
        case throttled(TimeInterval)
        case admitted(userID: String?, passwordHash: String?, disabled: Bool, hasSecondFactor: Bool)
    }

    /// One password login from client `address` at `now`.
    ///
    /// 1. In one transaction: the address's rate limit and the account's lockout (keyed by the
    ///    normalised username, whether or not it exists); an admitted attempt is counted as a
    ///    failure at once, so concurrent guesses cannot overrun the lockout.
    /// 2. Argon2id verification outside any transaction — against a dummy hash for an unknown
    ///    username, so the time taken does not reveal which usernames exist.
    /// 3. On success, in one transaction: the account's failures are forgotten and either a
    ///    session is issued or, for a user with TOTP or a WebAuthn credential, a pending login (5 minutes).
    ///
    /// A wrong password, an unknown username and a disabled account all give ``LoginResult/failed``.
    ///
    /// - Throws: ``AccessError`` `.storage` when the database fails (never for a wrong password).
    public func login(username: String, password: String, address: String, now: Date) async throws(AccessError) -> LoginResult {
        let accountKey = (try? UserAccount.normalizedUsername(username)) ?? "invalid:" + String(username.lowercased().prefix(64))
        let addressKey = String(address.prefix(128))
        let policy = throttlePolicy
        let admission = try await transact { tx throws(AccessError) -> Admission in
            try await tx.accountLock("accounts.throttle.address." + addressKey)
            try await tx.accountLock("accounts.throttle.account." + accountKey)
            let addressState: AddressThrottleState = try await loadThrottle(tx, kind: "address", key: addressKey) ?? AddressThrottleState()
            let (nextAddress, addressWait) = addressState.consuming(at: now, policy: policy)
            try await saveThrottle(tx, kind: "address", key: addressKey, nextAddress)
            if let addressWait { return .throttled(addressWait) }
            let accountState: AccountThrottleState = try await loadThrottle(tx, kind: "account", key: accountKey) ?? AccountThrottleState()
            if let remaining = accountState.lockRemaining(at: now) { return .throttled(remaining) }
            try await saveThrottle(tx, kind: "account", key: accountKey, accountState.recordingFailure(at: now, policy: policy))
            let rows = try await tx.accountRows(
                "SELECT u.id, u.password_hash, u.disabled_at, (SELECT COUNT(*) FROM accounts_totp t WHERE t.user_id = u.id) + (SELECT COUNT(*) FROM accounts_webauthn_credentials w WHERE w.user_id = u.id) AS factor_count FROM accounts_users u WHERE u.username = ?",
                [.text(accountKey)])
            guard let row = rows.first else { return .admitted(userID: nil, passwordHash: nil, disabled: false, hasSecondFactor: false) }
            return try decoding { () throws(StoreError) in
                .admitted(userID: try row.string("id"), passwordHash: try row.string("password_hash"),
                          disabled: try !row.isNull("disabled_at"), hasSecondFactor: try row.int64("factor_count") > 0)
            }
        }
        guard case .admitted(let userID, let storedHash, let disabled, let hasSecondFactor) = admission else {
            if case .throttled(let seconds) = admission { return .throttled(retryAfterSeconds: seconds) }
            return .failed
        }
        let hash = storedHash.flatMap { try? PasswordHash(phc: $0) }
        let verified = try PasswordHasher.verify(password, against: hash ?? dummyHash)
        guard verified, hash != nil, let userID, !disabled else { return .failed }
        let pendingSeconds = pendingLoginSeconds
        let sessionPolicy = sessionPolicy
        return try await transact { tx throws(AccessError) -> LoginResult in
            try await tx.accountLock("accounts.throttle.account." + accountKey)
            try await saveThrottle(tx, kind: "account", key: accountKey, AccountThrottleState().recordingSuccess())
            if hasSecondFactor {
                let token = OpaqueToken.generate()
                let expires = now.addingTimeInterval(pendingSeconds)
                try await tx.accountRun(
                    "INSERT INTO accounts_pending_logins (id, secret_digest, user_id, created_at, expires_at, failures) VALUES (?, ?, ?, ?, ?, 0)",
                    [.text(token.id), .text(token.digest(domain: Self.pendingDomain)), .text(userID), sqlDate(now), sqlDate(expires)])
                return .needsMFA(PendingLogin(token: token.text(prefix: Self.pendingPrefix), userID: userID, expiresAt: expires))
            }
            return .sessionIssued(try await insertSession(tx, userID: userID, policy: sessionPolicy, now: now, mfaVerifiedAt: nil))
        }
    }

    /// Completes a pending login with a TOTP code and issues a session (MFA verified now).
    ///
    /// The accepted time step is recorded with a conditional `UPDATE … WHERE last_step < step`
    /// in the same transaction that consumes the pending login, so of two concurrent uses of
    /// one code exactly one succeeds. A wrong code counts against the pending login, which ends
    /// after ``maximumMFAFailures``; a replayed code ends it at once.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` for a wrong or replayed code or an unknown
    ///   pending login; `.expired` when it expired or ended; `.tampered` when the stored secret
    ///   does not decrypt under the server key.
    public func verifyTOTP(pendingLogin: String, code: String, now: Date) async throws(AccessError) -> IssuedSession {
        try await completePendingLogin(pendingLogin, now: now) { tx, userID throws(AccessError) -> SecondFactorCheck in
            let rows = try await tx.accountRows(
                "SELECT sealed_secret, algorithm, digits, period_seconds, last_step FROM accounts_totp WHERE user_id = ?", [.text(userID)])
            guard let row = rows.first else { return .wrong(AccessError(.unauthenticated, "TOTP code is not valid")) }
            let (sealed, algorithm, digits, period, lastStep) = try decoding { () throws(StoreError) in
                (try row.bytes("sealed_secret"), try row.string("algorithm"), try row.int("digits"), try row.int("period_seconds"),
                 try row.decode("last_step", as: Int64?.self))
            }
            let secret = try serverKey.openSecret(sealed, context: Self.totpContext(userID))
            guard let hashAlgorithm = OTPAlgorithm(rawValue: algorithm) else {
                throw AccessError(.malformed, "stored TOTP enrolment of \(userID): unknown algorithm \(algorithm.oneLine(limit: 20))")
            }
            let totp = try TOTP(secret: secret, algorithm: hashAlgorithm, digits: digits, periodSeconds: period)
            let step: UInt64
            do throws(AccessError) {
                step = try totp.verify(code, at: now, lastAcceptedStep: lastStep.map { UInt64(max(0, $0)) })
            } catch {
                return .wrong(error)
            }
            let claimed = try await tx.accountRows(
                "UPDATE accounts_totp SET last_step = ? WHERE user_id = ? AND (last_step IS NULL OR last_step < ?) RETURNING user_id",
                [.integer(Int64(step)), .text(userID), .integer(Int64(step))])
            guard !claimed.isEmpty else { return .replayed(AccessError(.unauthenticated, "TOTP code was already used; wait for the next code")) }
            return .accepted
        }
    }

    /// Completes a pending login with a recovery code (each works once) and issues a session
    /// (MFA verified now). The code is marked used with a conditional `UPDATE … WHERE used_at
    /// IS NULL` in the transaction that issues the session, so it works exactly once even when
    /// submitted twice at the same moment.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` for a wrong or used code or an unknown
    ///   pending login; `.expired` when the pending login expired or ended.
    public func redeemRecoveryCode(pendingLogin: String, code: String, now: Date) async throws(AccessError) -> IssuedSession {
        try await completePendingLogin(pendingLogin, now: now) { tx, userID throws(AccessError) -> SecondFactorCheck in
            let rows = try await tx.accountRows(
                "SELECT position, digest, used_at FROM accounts_recovery_codes WHERE user_id = ? ORDER BY position", [.text(userID)])
            var entries: [RecoveryCodes.Entry] = []
            var positions: [Int64] = []
            for row in rows {
                try decoding { () throws(StoreError) in
                    positions.append(try row.int64("position"))
                    entries.append(RecoveryCodes.Entry(digest: try row.string("digest"), usedAt: try row.optionalDate("used_at")))
                }
            }
            let updated: RecoveryCodes
            do throws(AccessError) {
                updated = try RecoveryCodes(entries: entries).redeeming(code, at: now)
            } catch {
                return .wrong(error)
            }
            guard let index = zip(entries, updated.entries).enumerated().first(where: { $0.element.0.usedAt != $0.element.1.usedAt })?.offset else {
                return .wrong(AccessError(.unauthenticated, "recovery code is not valid"))
            }
            let claimed = try await tx.accountRows(
                "UPDATE accounts_recovery_codes SET used_at = ? WHERE user_id = ? AND position = ? AND used_at IS NULL RETURNING position",
                [sqlDate(now), .text(userID), .integer(positions[index])])
            guard !claimed.isEmpty else { return .replayed(AccessError(.unauthenticated, "recovery code was already used")) }
            return .accepted
        }
    }

    /// How many of the user's recovery codes are unused.
    public func remainingRecoveryCodes(userID: String) async throws(AccessError) -> Int {
        try await transact { tx throws(AccessError) in
            let rows = try await tx.accountRows(
                "SELECT COUNT(*) AS n FROM accounts_recovery_codes WHERE user_id = ? AND used_at IS NULL", [.text(userID)])
            return try decoding { () throws(StoreError) in try rows.first?.int("n") ?? 0 }
        }
    }

    /// What a second-factor check decided inside the transaction.
    enum SecondFactorCheck: Sendable {
        case accepted
        case wrong(AccessError)
        case replayed(AccessError)
    }

    private enum Completion: Sendable {
        case issued(IssuedSession)
        case refused(AccessError)
    }

    /// The transaction shared by every second factor (TOTP, recovery code, WebAuthn): find and check the pending login, run
    /// `check`, then consume the pending login and issue the session, or count the failure.
    /// Failures are returned (not thrown) from the body so that their counting commits.
    func completePendingLogin(
        _ token: String, now: Date,
        check: (any SQLTransaction, String) async throws(AccessError) -> SecondFactorCheck
    ) async throws(AccessError) -> IssuedSession {
        let invalid = AccessError(.unauthenticated, "pending login is not valid; log in again")
        guard let parsed = OpaqueToken.parse(token, prefix: Self.pendingPrefix) else { throw invalid }
        let maximumFailures = maximumMFAFailures
        let sessionPolicy = sessionPolicy
        let completion = try await transact { tx throws(AccessError) -> Completion in
            let rows = try await tx.accountRows(
                "SELECT p.secret_digest, p.user_id, p.expires_at, p.failures, u.disabled_at FROM accounts_pending_logins p JOIN accounts_users u ON u.id = p.user_id WHERE p.id = ?",
                [.text(parsed.id)])
            guard let row = rows.first else { return .refused(invalid) }
            let (digest, userID, expiresAt, failures, disabled) = try decoding { () throws(StoreError) in
                (try row.string("secret_digest"), try row.string("user_id"), try row.date("expires_at"), try row.int("failures"),
                 try !row.isNull("disabled_at"))
            }
            guard parsed.matches(digest, domain: Self.pendingDomain) else { return .refused(invalid) }
            guard now < expiresAt, !disabled else {
                try await tx.accountRun("DELETE FROM accounts_pending_logins WHERE id = ?", [.text(parsed.id)])
                return .refused(AccessError(.expired, "pending login expired; log in again"))
            }
            switch try await check(tx, userID) {
            case .wrong(let error):
                if failures + 1 >= maximumFailures {
                    try await tx.accountRun("DELETE FROM accounts_pending_logins WHERE id = ?", [.text(parsed.id)])
                } else {
                    try await tx.accountRun("UPDATE accounts_pending_logins SET failures = failures + 1 WHERE id = ?", [.text(parsed.id)])
                }
                return .refused(error)
            case .replayed(let error):
                try await tx.accountRun("DELETE FROM accounts_pending_logins WHERE id = ?", [.text(parsed.id)])
                return .refused(error)
            case .accepted:
                let consumed = try await tx.accountRows("DELETE FROM accounts_pending_logins WHERE id = ? RETURNING id", [.text(parsed.id)])
                guard !consumed.isEmpty else { throw invalid }  // rolls the claimed code back
                return .issued(try await insertSession(tx, userID: userID, policy: sessionPolicy, now: now, mfaVerifiedAt: now))
            }
        }
        switch completion {
        case .issued(let session): return session
        case .refused(let error): throw error
        }
    }

    func loadThrottle<State: Decodable>(_ tx: any SQLTransaction, kind: String, key: String) async throws(AccessError) -> State? {
        let rows = try await tx.accountRows("SELECT state FROM accounts_throttle WHERE kind = ? AND key = ?", [.text(kind), .text(key)])
        guard let row = rows.first else { return nil }
        let text = try decoding { () throws(StoreError) in try row.string("state") }
        do {
            return try JSONDecoder().decode(State.self, from: Data(text.utf8))
        } catch {
            throw AccessError(.malformed, "stored \(kind) throttle state is not valid JSON", underlying: error)
        }
    }

    func saveThrottle<State: Encodable>(_ tx: any SQLTransaction, kind: String, key: String, _ state: State) async throws(AccessError) {
        let text: String
        do {
            text = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        } catch {
            throw AccessError(.malformed, "\(kind) throttle state cannot be encoded", underlying: error)
        }
        try await tx.accountRun(
            "INSERT INTO accounts_throttle (kind, key, state) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET state = excluded.state",
            [.text(kind), .text(key), .text(text)])
    }
}
