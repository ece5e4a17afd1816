public import BulwarkStore
public import Foundation

/// Users, second factors, sessions, service accounts and API tokens over a ``SQLDatabase``
/// (SQLite for one node, PostgreSQL for several): the identity flows the server calls.
///
/// Every state change runs in one transaction. Secrets never reach the database in the clear:
/// passwords as Argon2id PHC strings, session, API-token, pending-login and recovery-code
/// secrets as domain-separated SHA-256 digests, TOTP secrets as AES-256-GCM ciphertext under the
/// ``AccountServerKey`` (bound to the user's id, so a row moved to another user does not open).
///
/// ```swift
/// let db = try await openDatabase("sqlite:/var/lib/bulwark/bulwark.db")
/// let key = try AccountServerKey.loadOrCreate(at: "/var/lib/bulwark/bulwark.db.accounts-key").key
/// let store = try await AccountStore.open(database: db, serverKey: key)
/// let (typedPassword, typedCode) = ("correct horse battery staple", "123456")   // from the login form
/// switch try await store.login(username: "ada", password: typedPassword, address: "203.0.113.9", now: .now) {
/// case .needsMFA(let pending): _ = try await store.verifyTOTP(pendingLogin: pending.token, code: typedCode, now: .now)
/// case .sessionIssued(let session): print(session.record.id)
/// case .throttled(let seconds): print("retry in \(seconds) s")
/// case .failed: print(LoginResult.failureMessage)
/// }
/// ```
public struct AccountStore: Sendable {
    /// The database the store reads and writes.
    public let database: any SQLDatabase
    /// The Argon2id parameters new password hashes get.
    public let passwordParameters: Argon2idParameters
    /// The rules new passwords must meet.
    public let passwordPolicy: PasswordPolicy
    /// Lockout and address rate limits for ``login(username:password:address:now:)``.
    public let throttlePolicy: LoginThrottlePolicy
    /// How long sessions live.
    public let sessionPolicy: SessionPolicy
    /// Seconds a pending login (password passed, second factor awaited) lives: 5 minutes.
    public let pendingLoginSeconds: TimeInterval = 300
    /// Wrong second-factor codes a pending login tolerates before it ends: 5.
    public let maximumMFAFailures = 5

    let serverKey: AccountServerKey
    /// A hash of a random password with ``passwordParameters``, verified for unknown usernames
    /// so that a login takes as long whether or not the user exists.
    let dummyHash: PasswordHash

    /// Brings the `accounts` schema of `database` up to date and returns a store over it.
    ///
    /// Cost: one Argon2id hash (the timing-equaliser for unknown usernames).
    ///
    /// - Throws: ``AccessError`` `.storage` when the migration fails.
    public static func open(database: any SQLDatabase, serverKey: AccountServerKey,
                            passwordParameters: Argon2idParameters = .rfc9106SecondRecommended,
                            passwordPolicy: PasswordPolicy = .default, throttlePolicy: LoginThrottlePolicy = .default,
                            sessionPolicy: SessionPolicy = .default) async throws(AccessError) -> AccountStore {
        do {
            try await AccountSchema.migrator().migrate(database)
        } catch {
            throw storage(error)
        }
        let dummy = try PasswordHasher.hash(Base32.encode(SecretBytes.random(count: 20), padding: false), parameters: passwordParameters)
        return AccountStore(database: database, passwordParameters: passwordParameters, passwordPolicy: passwordPolicy,
                            throttlePolicy: throttlePolicy, sessionPolicy: sessionPolicy, serverKey: serverKey, dummyHash: dummy)
    }

    private init(database: any SQLDatabase, passwordParameters: Argon2idParameters, passwordPolicy: PasswordPolicy,
                 throttlePolicy: LoginThrottlePolicy, sessionPolicy: SessionPolicy, serverKey: AccountServerKey, dummyHash: PasswordHash) {
        self.database = database
        self.passwordParameters = passwordParameters
        self.passwordPolicy = passwordPolicy
        self.throttlePolicy = throttlePolicy
        self.sessionPolicy = sessionPolicy
        self.serverKey = serverKey
        self.dummyHash = dummyHash
    }

    // MARK: users

    /// Creates a user with `password` after checking it against ``passwordPolicy``.
    ///
    /// Cost: one Argon2id hash, outside the transaction.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for a bad username, role or password;
    ///   `.conflict` when the username (compared case-insensitively) is taken.
    @discardableResult
    public func createUser(_ user: NewUser, password: String, now: Date) async throws(AccessError) -> StoredUser {
        let prepared = try prepare(user, password: password)
        let hash = try PasswordHasher.hash(password, parameters: passwordParameters)
        return try await transact { tx throws(AccessError) in
            try await insertUser(tx, prepared, hash: hash, now: now)
        }
    }

    /// Creates the first administrator (role `admin` added), with a TOTP enrolment and ten
    /// recovery codes, all in one transaction; refuses when any administrator exists.
    ///
    /// - Throws: ``AccessError`` `.conflict` ("an administrator already exists"), or what
    ///   ``createUser(_:password:now:)`` throws.
    public func bootstrapAdministrator(_ user: NewUser, password: String, now: Date) async throws(AccessError) -> AdministratorEnrollment {
        var user = user
        if !user.roles.contains("admin") { user.roles.append("admin") }
        let prepared = try prepare(user, password: password)
        let hash = try PasswordHasher.hash(password, parameters: passwordParameters)
        let totp = try TOTP.generate()
        let (codes, stored) = try RecoveryCodes.generate()
        return try await transact { tx throws(AccessError) in
            try await tx.accountLock("accounts.bootstrap")
            if try await administratorExists(tx) { throw AccessError(.conflict, "an administrator already exists; use `bulwark admin user add`") }
            let created = try await insertUser(tx, prepared, hash: hash, now: now)
            try await storeTOTP(tx, userID: created.id, totp: totp, now: now)
            try await storeRecoveryCodes(tx, userID: created.id, stored)
            return AdministratorEnrollment(user: try await loadUser(tx, id: created.id) ?? created, totp: totp, recoveryCodes: codes)
        }
    }

    /// Whether any user (disabled or not) has the `admin` role.
    public func hasAdministrator() async throws(AccessError) -> Bool {
        try await transact { tx throws(AccessError) in try await administratorExists(tx) }
    }

    /// Gives the user a new TOTP credential (replacing any earlier one) and returns it, to show
    /// once as a QR code; the next login asks for a code from it.
    ///
    /// - Throws: ``AccessError`` `.notFound` for an unknown user.
    public func enrollTOTP(userID: String, now: Date) async throws(AccessError) -> TOTP {
        let totp = try TOTP.generate()
        try await transact { tx throws(AccessError) in
            guard try await loadUser(tx, id: userID) != nil else { throw AccessError(.notFound, "user \(userID) does not exist") }
            try await tx.accountRun("DELETE FROM accounts_totp WHERE user_id = ?", [.text(userID)])
            try await storeTOTP(tx, userID: userID, totp: totp, now: now)
        }
        return totp
    }

    /// Replaces the user's recovery codes with `count` new ones and returns them, to show once.
    ///
    /// - Throws: ``AccessError`` `.notFound` for an unknown user.
    public func regenerateRecoveryCodes(userID: String, count: Int = 10) async throws(AccessError) -> [String] {
        let (codes, stored) = try RecoveryCodes.generate(count: count)
        try await transact { tx throws(AccessError) in
            guard try await loadUser(tx, id: userID) != nil else { throw AccessError(.notFound, "user \(userID) does not exist") }
            try await tx.accountRun("DELETE FROM accounts_recovery_codes WHERE user_id = ?", [.text(userID)])
            try await storeRecoveryCodes(tx, userID: userID, stored)
        }
        return codes
    }

    /// The user with login name `username` (normalised first), or `nil`.
    public func user(named username: String) async throws(AccessError) -> StoredUser? {
        guard let normalized = try? UserAccount.normalizedUsername(username) else { return nil }
        return try await transact { tx throws(AccessError) in
            try await tx.accountRows(Self.userSelect + " WHERE u.username = ?", [.text(normalized)]).first.map(Self.decodeUser)
        }
    }

    /// The user with id `id`, or `nil`.
    public func user(id: String) async throws(AccessError) -> StoredUser? {
        try await transact { tx throws(AccessError) in try await loadUser(tx, id: id) }
    }

    /// Every user, by username.
    public func listUsers() async throws(AccessError) -> [StoredUser] {
        try await transact { tx throws(AccessError) in
            var users: [StoredUser] = []
            for row in try await tx.accountRows(Self.userSelect + " ORDER BY u.username") { users.append(try Self.decodeUser(row)) }
            return users
        }
    }

    /// Disables the user named `username`: logins are refused, and their sessions and pending
    /// logins end, in one transaction. Disabling a disabled user keeps the first time.
    ///
    /// - Throws: ``AccessError`` `.notFound` for an unknown user.
    @discardableResult
    public func disableUser(named username: String, now: Date) async throws(AccessError) -> StoredUser {
        let normalized = try UserAccount.normalizedUsername(username)
        return try await transact { tx throws(AccessError) in
            let rows = try await tx.accountRows(
                "UPDATE accounts_users SET disabled_at = COALESCE(disabled_at, ?) WHERE username = ? RETURNING id",
                [sqlDate(now), .text(normalized)])
            guard let row = rows.first else { throw AccessError(.notFound, "user \(normalized) does not exist") }
            let id = try decoding { () throws(StoreError) in try row.string("id") }
            try await revokeSessions(tx, userID: id, except: nil, now: now)
            try await tx.accountRun("DELETE FROM accounts_pending_logins WHERE user_id = ?", [.text(id)])
            guard let user = try await loadUser(tx, id: id) else { throw AccessError(.notFound, "user \(normalized) does not exist") }
            return user
        }
    }

    /// Changes the password after verifying the current one, and revokes every other session
    /// of the user (all of them when `keepingSessionID` is `nil`), in one transaction.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` when `currentPassword` is wrong (or the user
    ///   is unknown or disabled); `.invalidParameter` when the new password breaks the policy;
    ///   `.conflict` when the password changed meanwhile.
    public func changePassword(userID: String, currentPassword: String, newPassword: String,
                               keepingSessionID: String?, now: Date) async throws(AccessError) {
        let (user, stored) = try await transact { tx throws(AccessError) -> (StoredUser?, String?) in
            let rows = try await tx.accountRows("SELECT password_hash FROM accounts_users WHERE id = ?", [.text(userID)])
            return (try await loadUser(tx, id: userID), try decoding { () throws(StoreError) in try rows.first?.string("password_hash") })
        }
        let wrong = AccessError(.unauthenticated, "current password is not valid")
        guard let user, let stored, user.disabledAt == nil else { throw wrong }
        let hash = try PasswordHash(phc: stored)
        guard try PasswordHasher.verify(currentPassword, against: hash) else { throw wrong }
        try passwordPolicy.check(newPassword, username: user.username)
        let replacement = try PasswordHasher.hash(newPassword, parameters: passwordParameters)
        try await transact { tx throws(AccessError) in
            let updated = try await tx.accountRows(
                "UPDATE accounts_users SET password_hash = ? WHERE id = ? AND password_hash = ? RETURNING id",
                [.text(replacement.phcString), .text(userID), .text(stored)])
            guard !updated.isEmpty else { throw AccessError(.conflict, "the password of \(user.username) changed meanwhile; try again") }
            try await revokeSessions(tx, userID: userID, except: keepingSessionID, now: now)
            try await tx.accountRun("DELETE FROM accounts_pending_logins WHERE user_id = ?", [.text(userID)])
        }
    }

    // MARK: helpers shared by the flows

    struct PreparedUser {
        let username: String
        let user: NewUser
        let roles: String
    }

    private func prepare(_ user: NewUser, password: String) throws(AccessError) -> PreparedUser {
        let username = try UserAccount.normalizedUsername(user.username)
        for role in user.roles { try checkRoleName(role) }
        try passwordPolicy.check(password, username: username)
        var roles: [String] = []
        for role in user.roles where !roles.contains(role) { roles.append(role) }
        return PreparedUser(username: username, user: user, roles: roles.joined(separator: ","))
    }

    private func insertUser(_ tx: any SQLTransaction, _ prepared: PreparedUser, hash: PasswordHash, now: Date) async throws(AccessError) -> StoredUser {
        let id = Self.newID("usr")
        do {
            try await tx.execute(SQLStatement(
                "INSERT INTO accounts_users (id, username, display_name, team, roles, password_hash, created_at, disabled_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                [.text(id), .text(prepared.username), SQLValue(prepared.user.displayName), SQLValue(prepared.user.team),
                 .text(prepared.roles), .text(hash.phcString), sqlDate(now)]))
        } catch where error.code == .constraint {
            throw AccessError(.conflict, "username \(prepared.username) is taken")
        } catch {
            throw Self.storage(error)
        }
        return StoredUser(id: id, username: prepared.username, displayName: prepared.user.displayName, team: prepared.user.team,
                          roles: prepared.roles.isEmpty ? [] : prepared.roles.split(separator: ",").map(String.init),
                          createdAt: now, disabledAt: nil, hasTOTP: false)
    }

    private func administratorExists(_ tx: any SQLTransaction) async throws(AccessError) -> Bool {
        let rows = try await tx.accountRows("SELECT roles FROM accounts_users")
        for row in rows {
            let roles = try decoding { () throws(StoreError) in try row.string("roles") }
            if roles.split(separator: ",").contains("admin") { return true }
        }
        return false
    }

    func storeTOTP(_ tx: any SQLTransaction, userID: String, totp: TOTP, now: Date) async throws(AccessError) {
        let sealed = try serverKey.sealSecret(totp.secret, context: Self.totpContext(userID))
        try await tx.accountRun(
            "INSERT INTO accounts_totp (user_id, sealed_secret, algorithm, digits, period_seconds, enrolled_at, last_step) VALUES (?, ?, ?, ?, ?, ?, NULL)",
            [.text(userID), .blob(sealed), .text(totp.algorithm.rawValue), .integer(Int64(totp.digits)),
             .integer(Int64(totp.periodSeconds)), sqlDate(now)])
    }

    private func storeRecoveryCodes(_ tx: any SQLTransaction, userID: String, _ codes: RecoveryCodes) async throws(AccessError) {
        for (position, entry) in codes.entries.enumerated() {
            try await tx.accountRun("INSERT INTO accounts_recovery_codes (user_id, position, digest, used_at) VALUES (?, ?, ?, NULL)",
                                    [.text(userID), .integer(Int64(position)), .text(entry.digest)])
        }
    }

    func revokeSessions(_ tx: any SQLTransaction, userID: String, except: String?, now: Date) async throws(AccessError) {
        try await tx.accountRun(
            "UPDATE accounts_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND id <> ?",
            [sqlDate(now), .text(userID), .text(except ?? "")])
    }

    static func totpContext(_ userID: String) -> String { "bulwark totp secret v1\u{0}" + userID }

    static let userSelect = """
        SELECT u.id, u.username, u.display_name, u.team, u.roles, u.created_at, u.disabled_at,
               (SELECT COUNT(*) FROM accounts_totp t WHERE t.user_id = u.id) AS totp_count
        FROM accounts_users u
        """

    func loadUser(_ tx: any SQLTransaction, id: String) async throws(AccessError) -> StoredUser? {
        try await tx.accountRows(Self.userSelect + " WHERE u.id = ?", [.text(id)]).first.map(Self.decodeUser)
    }

    static func decodeUser(_ row: SQLRow) throws(AccessError) -> StoredUser {
        try decoding { () throws(StoreError) in
            let roles = try row.string("roles")
            return StoredUser(id: try row.string("id"), username: try row.string("username"),
                              displayName: try row.decode("display_name"), team: try row.decode("team"),
                              roles: roles.isEmpty ? [] : roles.split(separator: ",").map(String.init),
                              createdAt: try row.date("created_at"), disabledAt: try row.optionalDate("disabled_at"),
                              hasTOTP: try row.int64("totp_count") > 0)
        }
    }

    /// `prefix_` and 16 random base32 characters (80 bits).
    static func newID(_ prefix: String) -> String {
        prefix + "_" + Base32.encode(SecretBytes.random(count: 10), padding: false).lowercased()
    }

    func transact<T: Sendable>(_ body: (any SQLTransaction) async throws(AccessError) -> T) async throws(AccessError) -> T {
        try await database.transaction(body, storeError: Self.storage)
    }

    static func storage(_ error: StoreError) -> AccessError {
        AccessError(.storage, "account store: \(error.message)", underlying: error)
    }
}

/// Runs row decoding, turning a ``StoreError`` into ``AccessError`` `.storage`.
func decoding<T>(_ body: () throws(StoreError) -> T) throws(AccessError) -> T {
    do {
        return try body()
    } catch {
        throw AccountStore.storage(error)
    }
}

/// A date as stored: seconds since 1970.
func sqlDate(_ date: Date?) -> SQLValue {
    date.map { .real($0.timeIntervalSince1970) } ?? .null
}

extension SQLRow {
    func date(_ column: String) throws(StoreError) -> Date { Date(timeIntervalSince1970: try double(column)) }
    func optionalDate(_ column: String) throws(StoreError) -> Date? {
        try decode(column, as: Double?.self).map { Date(timeIntervalSince1970: $0) }
    }
}

extension SQLExecutor {
    func accountRows(_ sql: String, _ values: [SQLValue] = []) async throws(AccessError) -> [SQLRow] {
        do {
            return try await query(SQLStatement(sql, values))
        } catch {
            throw AccountStore.storage(error)
        }
    }

    func accountRun(_ sql: String, _ values: [SQLValue] = []) async throws(AccessError) {
        do {
            try await execute(SQLStatement(sql, values))
        } catch {
            throw AccountStore.storage(error)
        }
    }
}

extension SQLTransaction {
    func accountLock(_ key: String) async throws(AccessError) {
        do {
            try await lock(key: key)
        } catch {
            throw AccountStore.storage(error)
        }
    }
}
