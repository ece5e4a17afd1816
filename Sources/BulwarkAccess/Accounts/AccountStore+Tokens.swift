public import Foundation
import BulwarkStore

extension AccountStore {
    /// Creates a service account named `name` (unique), optionally owned by a user, with
    /// `roles` and `team` for the policy (its tokens' scopes narrow what the roles allow).
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for an empty name or a malformed role;
    ///   `.conflict` when the name is taken; `.notFound` for an unknown owner.
    @discardableResult
    public func createServiceAccount(name: String, ownerUserID: String? = nil, roles: [String] = [], team: String? = nil,
                                     now: Date) async throws(AccessError) -> ServiceAccount {
        var unique: [String] = []
        for role in roles where !unique.contains(role) { unique.append(role) }
        let account = try ServiceAccount(id: Self.newID("svc"), name: name, ownerUserID: ownerUserID, roles: unique, team: team, createdAt: now)
        try await transact { tx throws(AccessError) in
            if let ownerUserID, try await loadUser(tx, id: ownerUserID) == nil {
                throw AccessError(.notFound, "user \(ownerUserID) does not exist")
            }
            let taken = try await tx.accountRows("SELECT id FROM accounts_service_accounts WHERE name = ?", [.text(name)])
            guard taken.isEmpty else { throw AccessError(.conflict, "service account \(name.oneLine(limit: 64)) exists") }
            try await tx.accountRun(
                "INSERT INTO accounts_service_accounts (id, name, owner_user_id, roles, team, created_at, disabled_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
                [.text(account.id), .text(name), SQLValue(ownerUserID), .text(unique.joined(separator: ",")), SQLValue(team), sqlDate(now)])
        }
        return account
    }

    /// Every service account, by name (disabled ones included, with `disabledAt` set).
    public func serviceAccounts() async throws(AccessError) -> [ServiceAccount] {
        try await transact { tx throws(AccessError) -> [ServiceAccount] in
            let rows = try await tx.accountRows(
                "SELECT id, name, owner_user_id, roles, team, created_at, disabled_at FROM accounts_service_accounts ORDER BY name", [])
            var accounts: [ServiceAccount] = []
            for row in rows { accounts.append(try Self.serviceAccount(row)) }
            return accounts
        }
    }

    /// The service account named `name`, or `nil`.
    public func serviceAccount(named name: String) async throws(AccessError) -> ServiceAccount? {
        try await transact { tx throws(AccessError) -> ServiceAccount? in
            let rows = try await tx.accountRows(
                "SELECT id, name, owner_user_id, roles, team, created_at, disabled_at FROM accounts_service_accounts WHERE name = ?", [.text(name)])
            guard let row = rows.first else { return nil }
            return try Self.serviceAccount(row)
        }
    }

    /// Disables the service account named `name`: its tokens stop working at once. Returns
    /// whether it was enabled.
    @discardableResult
    public func disableServiceAccount(named name: String, now: Date) async throws(AccessError) -> Bool {
        try await transact { tx throws(AccessError) in
            !(try await tx.accountRows(
                "UPDATE accounts_service_accounts SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL RETURNING id",
                [sqlDate(now), .text(name)])).isEmpty
        }
    }

    private static func serviceAccount(_ row: SQLRow) throws(AccessError) -> ServiceAccount {
        let (id, name, owner, roles, team, created, disabled) = try decoding { () throws(StoreError) in
            (try row.string("id"), try row.string("name"), try row.decode("owner_user_id", as: String?.self), try row.string("roles"),
             try row.decode("team", as: String?.self), try row.date("created_at"), try row.optionalDate("disabled_at"))
        }
        var account = try ServiceAccount(id: id, name: name, ownerUserID: owner,
                                         roles: roles.isEmpty ? [] : roles.split(separator: ",").map(String.init), team: team, createdAt: created)
        account.disabledAt = disabled
        return account
    }

    /// Issues an API token for an enabled service account; the token text is returned once,
    /// only its digest is stored.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for scopes or a lifetime that
    ///   ``APIToken/issue(serviceAccountID:name:scopes:lifetimeSeconds:now:)`` refuses;
    ///   `.notFound` for an unknown or disabled service account.
    public func issueAPIToken(serviceAccountID: String, name: String, scopes: [String], lifetimeSeconds: TimeInterval,
                              now: Date) async throws(AccessError) -> (token: String, record: APITokenRecord) {
        let (token, record) = try APIToken.issue(serviceAccountID: serviceAccountID, name: name, scopes: scopes,
                                                 lifetimeSeconds: lifetimeSeconds, now: now)
        try await transact { tx throws(AccessError) in
            let owner = try await tx.accountRows(
                "SELECT id FROM accounts_service_accounts WHERE id = ? AND disabled_at IS NULL", [.text(serviceAccountID)])
            guard !owner.isEmpty else { throw AccessError(.notFound, "service account \(serviceAccountID) does not exist or is disabled") }
            try await tx.accountRun(
                """
                INSERT INTO accounts_api_tokens (id, service_account_id, name, scopes, secret_digest, created_at, expires_at, last_used_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)
                """,
                [.text(record.id), .text(serviceAccountID), .text(name), .text(record.scopes.joined(separator: " ")),
                 .text(record.secretDigest), sqlDate(now), sqlDate(record.expiresAt)])
        }
        return (token, record)
    }

    /// Verifies an API token (secret, revocation, expiry, service account enabled), records
    /// its use at `now`, and returns its record with the scopes it grants.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` ("API token is not valid") for an unknown
    ///   or wrong token; `.expired` for a revoked or expired one or a disabled service account.
    public func verifyAPIToken(_ token: String, now: Date) async throws(AccessError) -> APITokenRecord {
        try await authenticateAPIToken(token, now: now).token
    }

    /// Verifies an API token like ``verifyAPIToken(_:now:)`` and also returns the service
    /// account it acts for (its roles and team are what the policy sees).
    public func authenticateAPIToken(_ token: String, now: Date) async throws(AccessError) -> (token: APITokenRecord, account: ServiceAccount) {
        let id = try APIToken.identifier(of: token)
        // A read outside a transaction (concurrent readers; no write lock per request).
        let tx = database
        let rows = try await tx.accountRows(
            """
            SELECT t.id, t.service_account_id, t.name, t.scopes, t.secret_digest, t.created_at, t.expires_at, t.last_used_at,
                   t.revoked_at, a.disabled_at, a.name AS account_name, a.owner_user_id, a.roles, a.team, a.created_at AS account_created_at
            FROM accounts_api_tokens t JOIN accounts_service_accounts a ON a.id = t.service_account_id WHERE t.id = ?
            """, [.text(id)])
        guard let row = rows.first else { throw AccessError(.unauthenticated, "API token is not valid") }
        let (record, disabled) = try decoding { () throws(StoreError) in
            (APITokenRecord(id: try row.string("id"), serviceAccountID: try row.string("service_account_id"),
                            name: try row.string("name"), scopes: try row.string("scopes").split(separator: " ").map(String.init),
                            secretDigest: try row.string("secret_digest"), createdAt: try row.date("created_at"),
                            expiresAt: try row.date("expires_at"), lastUsedAt: try row.optionalDate("last_used_at"),
                            revokedAt: try row.optionalDate("revoked_at")),
             try !row.isNull("disabled_at"))
        }
        let used = try APIToken.verify(token, against: record, now: now)
        if disabled { throw AccessError(.expired, "API token \(id) belongs to a disabled service account") }
        let (name, owner, roles, team, created) = try decoding { () throws(StoreError) in
            (try row.string("account_name"), try row.decode("owner_user_id", as: String?.self), try row.string("roles"),
             try row.decode("team", as: String?.self), try row.date("account_created_at"))
        }
        let account = try ServiceAccount(id: record.serviceAccountID, name: name, ownerUserID: owner,
                                         roles: roles.isEmpty ? [] : roles.split(separator: ",").map(String.init), team: team, createdAt: created)
        // The last-use time is written at most once a minute, not on every request.
        if record.lastUsedAt.map({ now.timeIntervalSince($0) >= 60 }) ?? true {
            try await tx.accountRun("UPDATE accounts_api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                                    [sqlDate(now), .text(id), sqlDate(now)])
        }
        return (used, account)
    }

    /// Revokes the API token with public id `id`. Returns whether it was active.
    @discardableResult
    public func revokeAPIToken(id: String, now: Date) async throws(AccessError) -> Bool {
        try await transact { tx throws(AccessError) in
            !(try await tx.accountRows("UPDATE accounts_api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
                                       [sqlDate(now), .text(id)])).isEmpty
        }
    }
}
