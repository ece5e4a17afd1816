public import Foundation
import BulwarkStore

/// A WebAuthn credential registered to a user, as the account store lists it.
public struct WebAuthnCredentialRecord: Sendable, Equatable {
    /// The credential ID, base64url: the name routes and administrators use for it.
    public let id: String
    /// The user it belongs to.
    public let userID: String
    /// The name the user gave it (`YubiKey 5`, `laptop passkey`).
    public let name: String
    /// What authentication verifies against: public key, counter, flags, times.
    public let credential: StoredWebAuthnCredential

    /// When the credential was registered.
    public var createdAt: Date { credential.createdAt }
    /// When an assertion with it last verified, if ever.
    public var lastUsedAt: Date? { credential.lastVerifiedAt }
}

extension AccountStore {
    /// The most WebAuthn credentials one user may register: 20.
    public static let maximumWebAuthnCredentials = 20
    /// The longest credential name accepted, in characters: 64.
    public static let maximumWebAuthnCredentialNameLength = 64

    static let webAuthnRegistrationKind = "registration"
    static let webAuthnLoginKind = "login"

    private enum RegistrationOutcome: Sendable {
        case stored(WebAuthnCredentialRecord)
        case refused(AccessError)
    }

    /// Starts registering a WebAuthn credential for the user `userID` and returns the options
    /// to send to the browser (``RegistrationChallenge/optionsJSON()``).
    ///
    /// The challenge is kept in the database, bound to the user, until
    /// ``finishWebAuthnRegistration(userID:response:name:relyingParty:now:)`` consumes it or it
    /// expires (``WebAuthnRelyingParty/timeoutSeconds``); a second call replaces the first
    /// challenge. The user handle is the user's id (random, no personal data); the user's
    /// credentials are listed in `excludeCredentials`.
    ///
    /// - Parameter challenge: `nil` for 32 random bytes; fixed bytes only for tests.
    /// - Throws: ``AccessError`` `.notFound` for an unknown or disabled user; `.conflict` when
    ///   the user already has ``maximumWebAuthnCredentials``.
    public func beginWebAuthnRegistration(
        userID: String, relyingParty: WebAuthnRelyingParty, now: Date, challenge: [UInt8]? = nil
    ) async throws(AccessError) -> RegistrationChallenge {
        try await transact { tx throws(AccessError) -> RegistrationChallenge in
            guard let user = try await loadUser(tx, id: userID), user.disabledAt == nil else {
                throw AccessError(.notFound, "user \(userID) does not exist or is disabled")
            }
            let existing = try await loadWebAuthnCredentials(tx, userID: userID)
            guard existing.count < Self.maximumWebAuthnCredentials else {
                throw AccessError(.conflict, "user \(user.username) has \(existing.count) WebAuthn credentials, the most allowed; delete one first")
            }
            let entity = try WebAuthnUser(handle: Array(userID.utf8), name: user.username, displayName: user.displayName ?? user.username)
            let pending = try relyingParty.beginRegistration(user: entity, excludeCredentials: existing.map(\.credential), now: now,
                                                             challenge: challenge)
            try await saveWebAuthnChallenge(tx, kind: Self.webAuthnRegistrationKind, subject: userID, userID: userID, state: pending,
                                            now: now, expiresAt: now.addingTimeInterval(TimeInterval(relyingParty.timeoutSeconds)))
            return pending
        }
    }

    /// Verifies the browser's answer to the user's outstanding registration and stores the
    /// credential under `name`.
    ///
    /// The challenge is consumed in the same transaction whatever the outcome, so a response
    /// verifies at most once; a refused response needs new options.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` when no registration is in progress or a
    ///   check failed (see ``WebAuthnRelyingParty/finishRegistration(_:challenge:now:)``, which
    ///   also throws `.expired`, `.malformed` and `.invalidParameter`); `.invalidParameter` for
    ///   an empty or over-long name; `.conflict` when the credential is already registered.
    public func finishWebAuthnRegistration(
        userID: String, response: RegistrationResponse, name: String, relyingParty: WebAuthnRelyingParty, now: Date
    ) async throws(AccessError) -> WebAuthnCredentialRecord {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...Self.maximumWebAuthnCredentialNameLength).contains(name.count), !name.contains(where: \.isNewline) else {
            throw AccessError(.invalidParameter, "WebAuthn credential name: expected 1…\(Self.maximumWebAuthnCredentialNameLength) characters on one line")
        }
        let outcome = try await transact { tx throws(AccessError) -> RegistrationOutcome in
            let taken: (RegistrationChallenge, String)? = try await takeWebAuthnChallenge(
                tx, kind: Self.webAuthnRegistrationKind, subject: userID, now: now)
            guard let (pending, _) = taken else {
                return .refused(AccessError(.unauthenticated, "no WebAuthn registration of user \(userID) is in progress (or it expired); ask for new options"))
            }
            let credential: StoredWebAuthnCredential
            do throws(AccessError) {
                credential = try relyingParty.finishRegistration(response, challenge: pending, now: now)
            } catch {
                return .refused(error)
            }
            guard let user = try await loadUser(tx, id: userID), user.disabledAt == nil else {
                return .refused(AccessError(.notFound, "user \(userID) does not exist or is disabled"))
            }
            let id = Base64URL.encode(credential.credentialId)
            let clash = try await tx.accountRows("SELECT user_id FROM accounts_webauthn_credentials WHERE credential_id = ?", [.text(id)])
            guard clash.isEmpty else { return .refused(AccessError(.conflict, "this WebAuthn credential is already registered")) }
            let count = try await loadWebAuthnCredentials(tx, userID: userID).count
            guard count < Self.maximumWebAuthnCredentials else {
                return .refused(AccessError(.conflict, "user \(user.username) has \(count) WebAuthn credentials, the most allowed; delete one first"))
            }
            try await tx.accountRun(
                """
                INSERT INTO accounts_webauthn_credentials (credential_id, user_id, name, user_handle, public_key, sign_count, aaguid,
                    transports, backup_eligible, backup_state, user_verified_at_registration, attestation_type, created_at, last_used_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
                """,
                [.text(id), .text(userID), .text(name), .blob(credential.userHandle), .blob(credential.publicKeyCOSE),
                 .integer(Int64(credential.signCount)), .blob(credential.aaguid), .text(credential.transports.joined(separator: ",")),
                 .integer(credential.backupEligible ? 1 : 0), .integer(credential.backupState ? 1 : 0),
                 .integer(credential.userVerifiedAtRegistration ? 1 : 0), .text(credential.attestationType), sqlDate(now)])
            return .stored(WebAuthnCredentialRecord(id: id, userID: userID, name: name, credential: credential))
        }
        switch outcome {
        case .stored(let record): return record
        case .refused(let error): throw error
        }
    }

    /// The user's WebAuthn credentials, oldest first.
    public func webAuthnCredentials(userID: String) async throws(AccessError) -> [WebAuthnCredentialRecord] {
        try await transact { tx throws(AccessError) in try await loadWebAuthnCredentials(tx, userID: userID) }
    }

    /// Deletes the user's credential `id` (base64url); it cannot sign in again.
    ///
    /// - Throws: ``AccessError`` `.notFound` when the user has no credential `id`.
    public func deleteWebAuthnCredential(userID: String, id: String) async throws(AccessError) {
        try await transact { tx throws(AccessError) in
            let deleted = try await tx.accountRows(
                "DELETE FROM accounts_webauthn_credentials WHERE credential_id = ? AND user_id = ? RETURNING credential_id",
                [.text(id), .text(userID)])
            guard !deleted.isEmpty else { throw AccessError(.notFound, "WebAuthn credential \(id.oneLine(limit: 64)) does not exist") }
        }
    }

    /// Starts the WebAuthn second factor of a pending login (the password step passed): the
    /// request options to send to the browser, allowing the user's credentials.
    ///
    /// The challenge is bound to the pending login, expires with it or after
    /// ``WebAuthnRelyingParty/timeoutSeconds`` (whichever comes first), and replaces an earlier
    /// one of the same pending login.
    ///
    /// - Parameter challenge: `nil` for 32 random bytes; fixed bytes only for tests.
    /// - Throws: ``AccessError`` `.unauthenticated` for an unknown pending login; `.expired`
    ///   when it expired; `.notFound` when the user has no WebAuthn credential.
    public func beginWebAuthnLogin(
        pendingLogin token: String, relyingParty: WebAuthnRelyingParty, now: Date, challenge: [UInt8]? = nil
    ) async throws(AccessError) -> AuthenticationChallenge {
        let invalid = AccessError(.unauthenticated, "pending login is not valid; log in again")
        guard let parsed = OpaqueToken.parse(token, prefix: Self.pendingPrefix) else { throw invalid }
        return try await transact { tx throws(AccessError) -> AuthenticationChallenge in
            let rows = try await tx.accountRows(
                "SELECT p.secret_digest, p.user_id, p.expires_at, u.disabled_at FROM accounts_pending_logins p JOIN accounts_users u ON u.id = p.user_id WHERE p.id = ?",
                [.text(parsed.id)])
            guard let row = rows.first else { throw invalid }
            let (digest, userID, expiresAt, disabled) = try decoding { () throws(StoreError) in
                (try row.string("secret_digest"), try row.string("user_id"), try row.date("expires_at"), try !row.isNull("disabled_at"))
            }
            guard parsed.matches(digest, domain: Self.pendingDomain) else { throw invalid }
            guard now < expiresAt, !disabled else { throw AccessError(.expired, "pending login expired; log in again") }
            let credentials = try await loadWebAuthnCredentials(tx, userID: userID)
            guard !credentials.isEmpty else { throw AccessError(.notFound, "the user has no WebAuthn credential; use another second factor") }
            let pending = try relyingParty.beginAuthentication(allowCredentials: credentials.map(\.credential), now: now, challenge: challenge)
            let expires = min(expiresAt, now.addingTimeInterval(TimeInterval(relyingParty.timeoutSeconds)))
            try await saveWebAuthnChallenge(tx, kind: Self.webAuthnLoginKind, subject: parsed.id, userID: userID, state: pending,
                                            now: now, expiresAt: expires)
            return pending
        }
    }

    /// Completes a pending login with a WebAuthn assertion and issues a session (MFA verified
    /// now).
    ///
    /// In one transaction: the pending login is checked, its challenge is consumed (whatever the
    /// outcome), the assertion is verified against the stored credential of that user
    /// (``WebAuthnRelyingParty/finishAuthentication(_:challenge:credential:now:)``, which refuses
    /// a signature counter that does not advance: a cloned authenticator), and the new counter
    /// is written with a conditional `UPDATE … WHERE sign_count = old`, so of two concurrent
    /// assertions over one stored counter exactly one succeeds. A refused assertion counts
    /// against the pending login like a wrong TOTP code.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` for an unknown pending login, a missing
    ///   challenge, a credential that is not the user's or a failed check; `.expired` when the
    ///   pending login or challenge expired; `.malformed` or `.invalidParameter` for bytes the
    ///   relying party cannot parse.
    public func verifyWebAuthn(
        pendingLogin token: String, response: AuthenticationResponse, relyingParty: WebAuthnRelyingParty, now: Date
    ) async throws(AccessError) -> IssuedSession {
        let subject = OpaqueToken.parse(token, prefix: Self.pendingPrefix)?.id ?? ""
        return try await completePendingLogin(token, now: now) { tx, userID throws(AccessError) -> SecondFactorCheck in
            let taken: (AuthenticationChallenge, String)? = try await takeWebAuthnChallenge(
                tx, kind: Self.webAuthnLoginKind, subject: subject, now: now)
            guard let (pending, owner) = taken, owner == userID else {
                return .wrong(AccessError(.unauthenticated, "no WebAuthn challenge is outstanding for this pending login; ask for new options"))
            }
            let id = Base64URL.encode(response.credentialId)
            let rows = try await tx.accountRows(
                Self.webAuthnSelect + " WHERE credential_id = ? AND user_id = ?", [.text(id), .text(userID)])
            guard let row = rows.first else {
                return .wrong(AccessError(.unauthenticated, "the WebAuthn credential is not registered to this user"))
            }
            let record = try Self.decodeWebAuthnCredential(row)
            let result: AuthenticationResult
            do throws(AccessError) {
                result = try relyingParty.finishAuthentication(response, challenge: pending, credential: record.credential, now: now)
            } catch {
                return .wrong(error)
            }
            let claimed = try await tx.accountRows(
                "UPDATE accounts_webauthn_credentials SET sign_count = ?, backup_state = ?, last_used_at = ? WHERE credential_id = ? AND sign_count = ? RETURNING credential_id",
                [.integer(Int64(result.newSignCount)), .integer(result.updatedCredential.backupState ? 1 : 0), sqlDate(now), .text(id),
                 .integer(Int64(record.credential.signCount))])
            guard !claimed.isEmpty else {
                return .replayed(AccessError(.unauthenticated, "the WebAuthn credential was used concurrently; log in again"))
            }
            return .accepted
        }
    }

    // MARK: rows

    static let webAuthnSelect = """
        SELECT credential_id, user_id, name, user_handle, public_key, sign_count, aaguid, transports, backup_eligible,
               backup_state, user_verified_at_registration, attestation_type, created_at, last_used_at
        FROM accounts_webauthn_credentials
        """

    func loadWebAuthnCredentials(_ tx: any SQLTransaction, userID: String) async throws(AccessError) -> [WebAuthnCredentialRecord] {
        var records: [WebAuthnCredentialRecord] = []
        for row in try await tx.accountRows(Self.webAuthnSelect + " WHERE user_id = ? ORDER BY created_at, credential_id", [.text(userID)]) {
            records.append(try Self.decodeWebAuthnCredential(row))
        }
        return records
    }

    static func decodeWebAuthnCredential(_ row: SQLRow) throws(AccessError) -> WebAuthnCredentialRecord {
        let (id, userID, name) = try decoding { () throws(StoreError) in
            (try row.string("credential_id"), try row.string("user_id"), try row.string("name"))
        }
        guard let credentialID = Base64URL.decode(id) else {
            throw AccessError(.malformed, "stored WebAuthn credential \(id.oneLine(limit: 64)): credential_id is not base64url")
        }
        let credential = try decoding { () throws(StoreError) in
            let transports = try row.string("transports")
            return StoredWebAuthnCredential(
                credentialId: credentialID, userHandle: try row.bytes("user_handle"), publicKeyCOSE: try row.bytes("public_key"),
                signCount: UInt32(clamping: try row.int64("sign_count")), aaguid: try row.bytes("aaguid"),
                transports: transports.isEmpty ? [] : transports.split(separator: ",").map(String.init),
                backupEligible: try row.bool("backup_eligible"), backupState: try row.bool("backup_state"),
                userVerifiedAtRegistration: try row.bool("user_verified_at_registration"),
                attestationType: try row.string("attestation_type"), createdAt: try row.date("created_at"),
                lastVerifiedAt: try row.optionalDate("last_used_at"))
        }
        return WebAuthnCredentialRecord(id: id, userID: userID, name: name, credential: credential)
    }

    /// Stores `state` as the one challenge of `(kind, subject)`, replacing an earlier one, and
    /// drops every expired challenge.
    func saveWebAuthnChallenge<State: Encodable>(
        _ tx: any SQLTransaction, kind: String, subject: String, userID: String, state: State, now: Date, expiresAt: Date
    ) async throws(AccessError) {
        let text: String
        do {
            text = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        } catch {
            throw AccessError(.malformed, "WebAuthn \(kind) challenge cannot be encoded", underlying: error)
        }
        try await tx.accountRun("DELETE FROM accounts_webauthn_challenges WHERE expires_at <= ?", [sqlDate(now)])
        try await tx.accountRun(
            """
            INSERT INTO accounts_webauthn_challenges (kind, subject, user_id, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (kind, subject) DO UPDATE SET user_id = excluded.user_id, state = excluded.state,
                created_at = excluded.created_at, expires_at = excluded.expires_at
            """,
            [.text(kind), .text(subject), .text(userID), .text(text), sqlDate(now), sqlDate(expiresAt)])
    }

    /// Deletes the challenge of `(kind, subject)` and returns it with its user, or `nil` when
    /// there is none or it expired.
    func takeWebAuthnChallenge<State: Decodable>(
        _ tx: any SQLTransaction, kind: String, subject: String, now: Date
    ) async throws(AccessError) -> (State, String)? {
        let rows = try await tx.accountRows(
            "DELETE FROM accounts_webauthn_challenges WHERE kind = ? AND subject = ? RETURNING state, user_id, expires_at",
            [.text(kind), .text(subject)])
        guard let row = rows.first else { return nil }
        let (text, userID, expiresAt) = try decoding { () throws(StoreError) in
            (try row.string("state"), try row.string("user_id"), try row.date("expires_at"))
        }
        guard now < expiresAt else { return nil }
        do {
            return (try JSONDecoder().decode(State.self, from: Data(text.utf8)), userID)
        } catch {
            throw AccessError(.malformed, "stored WebAuthn \(kind) challenge is not valid JSON", underlying: error)
        }
    }
}
