@testable import BulwarkAccess
import BulwarkStore
import Foundation
import Testing

/// The bodies both engines must pass; the suites below run each on SQLite and PostgreSQL.
enum AccountContract {
    static let password = "correct horse battery"

    static func usernamesAreCaseInsensitiveUniqueAndPasswordsChecked(_ engine: AccountEngine) async throws {
        try await withFreshAccountStore(engine) { store, _ in
            let ada = try await store.createUser(NewUser(username: "Ada", team: "ml", roles: ["analyst"]), password: password, now: t0)
            #expect(ada.username == "ada" && ada.team == "ml" && ada.roles == ["analyst"] && !ada.hasTOTP)
            await expectAccessError(.conflict) { try await store.createUser(NewUser(username: "ADA"), password: password, now: t0) }
            #expect(try await store.user(named: "aDA")?.id == ada.id)
            await expectAccessError(.invalidParameter) { try await store.createUser(NewUser(username: "bob"), password: "short pass", now: t0) }
            await expectAccessError(.invalidParameter) {
                try await store.createUser(NewUser(username: "charlesbabbage"), password: "CharlesBabbage", now: t0)
            }
            #expect(try await store.listUsers().map(\.username) == ["ada"])
        }
    }

    static func loginIssuesSessionsAndAsksForMFA(_ engine: AccountEngine) async throws {
        try await withFreshAccountStore(engine) { store, _ in
            let ada = try await store.createUser(NewUser(username: "ada"), password: password, now: t0)
            let plain = try #require(try await store.login(username: "ADA", password: password, address: "10.0.0.1", now: t0).session)
            #expect(plain.record.userID == ada.id && plain.record.mfaVerifiedAt == nil)
            #expect(try await store.session(token: plain.token, now: t0.addingTimeInterval(5)).userID == ada.id)
            #expect(try await store.login(username: "ada", password: "wrong password!", address: "10.0.0.1", now: t0).isFailed)
            #expect(try await store.login(username: "nobody", password: password, address: "10.0.0.1", now: t0).isFailed)

            let totp = try await store.enrollTOTP(userID: ada.id, now: t0)
            let pending = try #require(try await store.login(username: "ada", password: password, address: "10.0.0.1", now: t0).pending)
            await expectAccessError(.unauthenticated) { try await store.verifyTOTP(pendingLogin: pending.token, code: "000000", now: t0) }
            let session = try await store.verifyTOTP(pendingLogin: pending.token, code: try totp.code(at: t0), now: t0)
            #expect(session.record.userID == ada.id && session.record.mfaVerifiedAt == t0)
            // the pending login is consumed
            await expectAccessError(.unauthenticated) {
                try await store.verifyTOTP(pendingLogin: pending.token, code: try totp.code(at: t0.addingTimeInterval(30)), now: t0.addingTimeInterval(30))
            }
            // a replayed code is refused on a fresh pending login; the next step's code works
            let again = try #require(try await store.login(username: "ada", password: password, address: "10.0.0.1", now: t0).pending)
            await expectAccessError(.unauthenticated) { try await store.verifyTOTP(pendingLogin: again.token, code: try totp.code(at: t0), now: t0) }
            let later = t0.addingTimeInterval(30)
            let third = try #require(try await store.login(username: "ada", password: password, address: "10.0.0.1", now: later).pending)
            _ = try await store.verifyTOTP(pendingLogin: third.token, code: try totp.code(at: later), now: later)
        }
    }

    static func totpReplayUnderConcurrencyAcceptsExactlyOne(_ engine: AccountEngine) async throws {
        try await withFreshAccountStore(engine) { store, reopen in
            let ada = try await store.createUser(NewUser(username: "ada"), password: password, now: t0)
            let totp = try await store.enrollTOTP(userID: ada.id, now: t0)
            let (other, _) = try await reopen()
            let first = try #require(try await store.login(username: "ada", password: password, address: "10.0.0.1", now: t0).pending)
            let second = try #require(try await other.login(username: "ada", password: password, address: "10.0.0.2", now: t0).pending)
            let code = try totp.code(at: t0)
            async let a = succeeds { try await store.verifyTOTP(pendingLogin: first.token, code: code, now: t0) }
            async let b = succeeds { try await other.verifyTOTP(pendingLogin: second.token, code: code, now: t0) }
            let results = await [a, b]
            #expect(results.filter { $0 }.count == 1)
        }
    }

    static func recoveryCodesWorkOnce(_ engine: AccountEngine) async throws {
        try await withFreshAccountStore(engine) { store, reopen in
            let enrolment = try await store.bootstrapAdministrator(NewUser(username: "root", team: "ops"), password: password, now: t0)
            #expect(enrolment.user.roles == ["admin"] && enrolment.user.hasTOTP && enrolment.recoveryCodes.count == 10)
            #expect(try await store.hasAdministrator())
            await expectAccessError(.conflict) {
                try await store.bootstrapAdministrator(NewUser(username: "root2"), password: password, now: t0)
            }
            let code = enrolment.recoveryCodes[3]
            let pending = try #require(try await store.login(username: "root", password: password, address: "a", now: t0).pending)
            let session = try await store.redeemRecoveryCode(pendingLogin: pending.token, code: code.uppercased(), now: t0)
            #expect(session.record.mfaVerifiedAt == t0)
            #expect(try await store.remainingRecoveryCodes(userID: enrolment.user.id) == 9)
            let again = try #require(try await store.login(username: "root", password: password, address: "a", now: t0).pending)
            await expectAccessError(.unauthenticated) { try await store.redeemRecoveryCode(pendingLogin: again.token, code: code, now: t0) }
            // two nodes redeem the same unused code at once: exactly one succeeds
            let (other, _) = try await reopen()
            let p1 = try #require(try await store.login(username: "root", password: password, address: "a", now: t0).pending)
            let p2 = try #require(try await other.login(username: "root", password: password, address: "b", now: t0).pending)
            let shared = enrolment.recoveryCodes[7]
            async let x = succeeds { try await store.redeemRecoveryCode(pendingLogin: p1.token, code: shared, now: t0) }
            async let y = succeeds { try await other.redeemRecoveryCode(pendingLogin: p2.token, code: shared, now: t0) }
            let results = await [x, y]
            #expect(results.filter { $0 }.count == 1)
            #expect(try await store.remainingRecoveryCodes(userID: enrolment.user.id) == 8)
        }
    }

    static func lockoutPersistsAcrossReopen(_ engine: AccountEngine) async throws {
        let policy = try LoginThrottlePolicy(maxFailures: 3, initialLockoutSeconds: 60)
        try await withFreshAccountStore(engine, throttle: policy) { store, reopen in
            try await store.createUser(NewUser(username: "ada"), password: password, now: t0)
            for i in 0..<3 {
                #expect(try await store.login(username: "ada", password: "not the password", address: "1.1.1.\(i)", now: t0).isFailed)
            }
            let locked = try await store.login(username: "ada", password: password, address: "2.2.2.2", now: t0.addingTimeInterval(1))
            #expect(locked.retryAfter == 59)
            // unknown usernames lock the same way (no enumeration through lockout)
            for _ in 0..<3 { _ = try await store.login(username: "ghost", password: "not the password", address: "3.3.3.3", now: t0) }
            #expect(try await store.login(username: "ghost", password: password, address: "4.4.4.4", now: t0).retryAfter != nil)
            await store.database.close()
            let (reopened, _) = try await reopen()
            #expect(try await reopened.login(username: "ada", password: password, address: "5.5.5.5", now: t0.addingTimeInterval(30)).retryAfter == 30)
            #expect(try await reopened.login(username: "ada", password: password, address: "5.5.5.5", now: t0.addingTimeInterval(61)).session != nil)
        }
    }

    static func addressRateLimitThrottles(_ engine: AccountEngine) async throws {
        let policy = try LoginThrottlePolicy(maxFailures: 100, addressBurst: 2, addressAttemptsPerMinute: 1)
        try await withFreshAccountStore(engine, throttle: policy) { store, _ in
            for name in ["u1", "u2"] {
                let result = try await store.login(username: name, password: password, address: "9.9.9.9", now: t0)
                #expect(result.isFailed)
            }
            let throttled = try await store.login(username: "u3", password: password, address: "9.9.9.9", now: t0)
            #expect(throttled.retryAfter == 60)
            let otherAddress = try await store.login(username: "u3", password: password, address: "9.9.9.8", now: t0)
            #expect(otherAddress.isFailed)
        }
    }

    static func sessionsExpireAndRevoke(_ engine: AccountEngine) async throws {
        try await withFreshAccountStore(engine) { store, _ in
            let ada = try await store.createUser(NewUser(username: "ada"), password: password, now: t0)
            let login = { (now: Date) async throws -> IssuedSession in
                try #require(try await store.login(username: "ada", password: password, address: "x", now: now).session)
            }
            let idle = try await login(t0)
            await expectAccessError(.expired) { try await store.session(token: idle.token, now: t0.addingTimeInterval(31 * 60)) }
            let touched = try await login(t0)
            for minute in stride(from: 20.0, through: 100, by: 20) {
                _ = try await store.session(token: touched.token, now: t0.addingTimeInterval(minute * 60))  // touch keeps it alive
            }
            await expectAccessError(.expired) { try await store.session(token: touched.token, now: t0.addingTimeInterval(13 * 3600)) }
            let a = try await login(t0), b = try await login(t0), c = try await login(t0)
            #expect(try await store.revokeSession(id: a.record.id, now: t0))
            await expectAccessError(.expired) { try await store.session(token: a.token, now: t0) }
            await expectAccessError(.unauthenticated) { try await store.session(token: tampered(b.token), now: t0) }
            // a password change keeps the current session and revokes the others
            try await store.changePassword(userID: ada.id, currentPassword: password, newPassword: "a different passphrase",
                                           keepingSessionID: c.record.id, now: t0)
            await expectAccessError(.expired) { try await store.session(token: b.token, now: t0) }
            #expect(try await store.session(token: c.token, now: t0).id == c.record.id)
            #expect(try await store.login(username: "ada", password: password, address: "x", now: t0).isFailed)
            #expect(try await store.revokeAllSessions(userID: ada.id, now: t0) == 1)
            await expectAccessError(.expired) { try await store.session(token: c.token, now: t0) }
            // disabling a user ends their sessions and refuses their logins
            let last = try #require(try await store.login(username: "ada", password: "a different passphrase", address: "y", now: t0).session)
            let disabled = try await store.disableUser(named: "ADA", now: t0)
            #expect(disabled.disabledAt == t0)
            await expectAccessError(.expired) { try await store.session(token: last.token, now: t0) }
            #expect(try await store.login(username: "ada", password: "a different passphrase", address: "y", now: t0).isFailed)
        }
    }

    static func apiTokensHonourScopesExpiryAndRevocation(_ engine: AccountEngine) async throws {
        try await withFreshAccountStore(engine) { store, _ in
            let ci = try await store.createServiceAccount(name: "ci", now: t0)
            await expectAccessError(.conflict) { try await store.createServiceAccount(name: "ci", now: t0) }
            let (token, record) = try await store.issueAPIToken(serviceAccountID: ci.id, name: "deploy", scopes: ["models:read", "registry:promote"],
                                                                lifetimeSeconds: 3600, now: t0)
            let used = try await store.verifyAPIToken(token, now: t0.addingTimeInterval(10))
            #expect(used.scopes == ["models:read", "registry:promote"] && used.serviceAccountID == ci.id && used.lastUsedAt == t0.addingTimeInterval(10))
            await expectAccessError(.expired) { try await store.verifyAPIToken(token, now: t0.addingTimeInterval(3600)) }
            await expectAccessError(.unauthenticated) { try await store.verifyAPIToken(tampered(token), now: t0) }
            await expectAccessError(.notFound) {
                try await store.issueAPIToken(serviceAccountID: "svc_missing", name: "x", scopes: ["a"], lifetimeSeconds: 60, now: t0)
            }
            #expect(try await store.revokeAPIToken(id: record.id, now: t0.addingTimeInterval(20)))
            #expect(try await !store.revokeAPIToken(id: record.id, now: t0.addingTimeInterval(21)))
            await expectAccessError(.expired) { try await store.verifyAPIToken(token, now: t0.addingTimeInterval(30)) }
            // only the digest is stored
            let rows = try await store.database.query("SELECT * FROM accounts_api_tokens")
            let secret = String(token.split(separator: "_")[2])
            #expect(rows.count == 1 && !rows[0].values.contains(.text(token)) && !rows.description.contains(secret))
        }
    }

    static func totpSecretIsEncryptedAtRest(_ engine: AccountEngine) async throws {
        try await withFreshAccountStore(engine) { store, reopen in
            let ada = try await store.createUser(NewUser(username: "ada"), password: password, now: t0)
            let totp = try await store.enrollTOTP(userID: ada.id, now: t0)
            let rows = try await store.database.query("SELECT * FROM accounts_totp")
            let row = try #require(rows.first)
            let sealed = try row.bytes("sealed_secret")
            #expect(sealed.count == 12 + totp.secret.count + 16)
            let base32 = Base32.encode(totp.secret, padding: false)
            for value in row.values {
                if case .blob(let bytes) = value { #expect(!contains(bytes, totp.secret)) }
                if case .text(let text) = value { #expect(!text.uppercased().contains(base32)) }
            }
            // under another server key the secret does not open
            let (other, otherDB) = try await reopen()
            _ = other
            let wrongKey = try await AccountStore.open(database: otherDB, serverKey: AccountServerKey.generate(), passwordParameters: cheapArgon2)
            let pending = try #require(try await wrongKey.login(username: "ada", password: password, address: "z", now: t0).pending)
            await expectAccessError(.tampered) { try await wrongKey.verifyTOTP(pendingLogin: pending.token, code: try totp.code(at: t0), now: t0) }
        }
    }

    /// Whether `body` returns rather than throws.
    static func succeeds<T>(_ body: () async throws -> T) async -> Bool {
        do {
            _ = try await body()
            return true
        } catch {
            return false
        }
    }

    /// `token` with one character of its secret changed (still well-formed base32).
    static func tampered(_ token: String) -> String {
        var characters = Array(token)
        let index = characters.count - 10
        characters[index] = characters[index] == "b" ? "c" : "b"
        return String(characters)
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<$0 + needle.count]) == needle }
    }
}

@Suite struct SQLiteAccountStoreTests {
    @Test func sqliteUsernamesAreCaseInsensitiveUniqueAndPasswordsChecked() async throws {
        try await AccountContract.usernamesAreCaseInsensitiveUniqueAndPasswordsChecked(.sqlite)
    }
    @Test func sqliteLoginIssuesSessionsAndAsksForMFA() async throws { try await AccountContract.loginIssuesSessionsAndAsksForMFA(.sqlite) }
    @Test func sqliteTOTPReplayUnderConcurrencyAcceptsExactlyOne() async throws {
        try await AccountContract.totpReplayUnderConcurrencyAcceptsExactlyOne(.sqlite)
    }
    @Test func sqliteRecoveryCodesWorkOnce() async throws { try await AccountContract.recoveryCodesWorkOnce(.sqlite) }
    @Test func sqliteLockoutPersistsAcrossReopen() async throws { try await AccountContract.lockoutPersistsAcrossReopen(.sqlite) }
    @Test func sqliteAddressRateLimitThrottles() async throws { try await AccountContract.addressRateLimitThrottles(.sqlite) }
    @Test func sqliteSessionsExpireAndRevoke() async throws { try await AccountContract.sessionsExpireAndRevoke(.sqlite) }
    @Test func sqliteAPITokensHonourScopesExpiryAndRevocation() async throws {
        try await AccountContract.apiTokensHonourScopesExpiryAndRevocation(.sqlite)
    }
    @Test func sqliteTOTPSecretIsEncryptedAtRest() async throws { try await AccountContract.totpSecretIsEncryptedAtRest(.sqlite) }
}

@Suite(.enabled(if: accountPostgresURL != nil, accountPostgresSkip)) struct PostgresAccountStoreTests {
    @Test func postgresUsernamesAreCaseInsensitiveUniqueAndPasswordsChecked() async throws {
        try await AccountContract.usernamesAreCaseInsensitiveUniqueAndPasswordsChecked(.postgres)
    }
    @Test func postgresLoginIssuesSessionsAndAsksForMFA() async throws { try await AccountContract.loginIssuesSessionsAndAsksForMFA(.postgres) }
    @Test func postgresTOTPReplayUnderConcurrencyAcceptsExactlyOne() async throws {
        try await AccountContract.totpReplayUnderConcurrencyAcceptsExactlyOne(.postgres)
    }
    @Test func postgresRecoveryCodesWorkOnce() async throws { try await AccountContract.recoveryCodesWorkOnce(.postgres) }
    @Test func postgresLockoutPersistsAcrossReopen() async throws { try await AccountContract.lockoutPersistsAcrossReopen(.postgres) }
    @Test func postgresAddressRateLimitThrottles() async throws { try await AccountContract.addressRateLimitThrottles(.postgres) }
    @Test func postgresSessionsExpireAndRevoke() async throws { try await AccountContract.sessionsExpireAndRevoke(.postgres) }
    @Test func postgresAPITokensHonourScopesExpiryAndRevocation() async throws {
        try await AccountContract.apiTokensHonourScopesExpiryAndRevocation(.postgres)
    }
    @Test func postgresTOTPSecretIsEncryptedAtRest() async throws { try await AccountContract.totpSecretIsEncryptedAtRest(.postgres) }
}
