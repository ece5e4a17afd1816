@testable import BulwarkAccess
import BulwarkStore
import Foundation
import Testing

/// WebAuthn credentials and ceremonies in the account store, on both engines, driven by the
/// software-authenticator vectors of `WebAuthn/Fixtures/GeneratedVectors.swift`.
enum AccountWebAuthnContract {
    static let password = AccountContract.password

    static func registration(_ vector: [String: String]) -> RegistrationResponse {
        RegistrationResponse(credentialId: field(vector, "credentialId"), clientDataJSON: field(vector, "clientDataJSON"),
                             attestationObject: field(vector, "attestationObject"), transports: ["internal"])
    }

    /// The assertion of `vector` without its user handle (the store's user handle is the user's id,
    /// not the vectors' fixed one; with `allowCredentials` given the handle is optional).
    static func assertion(_ vector: [String: String]) -> AuthenticationResponse {
        AuthenticationResponse(credentialId: field(GeneratedVectors.regNone, "credentialId"), clientDataJSON: field(vector, "clientDataJSON"),
                               authenticatorData: field(vector, "authenticatorData"), signature: field(vector, "signature"), userHandle: nil)
    }

    static func registersListsAndDeletesCredentials(_ engine: AccountEngine) async throws {
        try await withFreshAccountStore(engine) { store, _ in
            let party = try generatedParty()
            let ada = try await store.createUser(NewUser(username: "ada", displayName: "Ada L."), password: password, now: t0)
            let bob = try await store.createUser(NewUser(username: "bob"), password: password, now: t0)
            let vector = GeneratedVectors.regNone
            let pending = try await store.beginWebAuthnRegistration(userID: ada.id, relyingParty: party, now: t0,
                                                                    challenge: field(vector, "challenge"))
            #expect(pending.options.user.id == Base64URL.encode(Array(ada.id.utf8)))
            #expect(pending.options.user.name == "ada" && pending.options.user.displayName == "Ada L.")
            #expect(pending.options.rp.id == GeneratedVectors.rpId && pending.options.excludeCredentials.isEmpty)
            // The challenge is bound to its user: bob cannot finish ada's registration.
            await expectAccessError(.unauthenticated) {
                try await store.finishWebAuthnRegistration(userID: bob.id, response: registration(vector), name: "key", relyingParty: party, now: t0)
            }
            await expectAccessError(.invalidParameter) {
                try await store.finishWebAuthnRegistration(userID: ada.id, response: registration(vector), name: "  ", relyingParty: party, now: t0)
            }
            let record = try await store.finishWebAuthnRegistration(userID: ada.id, response: registration(vector), name: " laptop ",
                                                                    relyingParty: party, now: t0.addingTimeInterval(10))
            #expect(record.id == Base64URL.encode(field(vector, "credentialId")) && record.name == "laptop" && record.userID == ada.id)
            #expect(try await store.webAuthnCredentials(userID: ada.id) == [record])
            let listed = try #require(try await store.webAuthnCredentials(userID: ada.id).first)
            #expect(listed.credential.transports == ["internal"] && listed.createdAt == t0.addingTimeInterval(10) && listed.lastUsedAt == nil)
            #expect(try await store.webAuthnCredentials(userID: bob.id).isEmpty)
            // Single use: the same response again finds no registration in progress.
            await expectAccessError(.unauthenticated) {
                try await store.finishWebAuthnRegistration(userID: ada.id, response: registration(vector), name: "again", relyingParty: party, now: t0)
            }
            // Registered credentials are excluded and refused again.
            let second = try await store.beginWebAuthnRegistration(userID: ada.id, relyingParty: party, now: t0, challenge: field(vector, "challenge"))
            #expect(second.options.excludeCredentials.map(\.id) == [record.id])
            await expectAccessError(.unauthenticated) {
                try await store.finishWebAuthnRegistration(userID: ada.id, response: registration(vector), name: "dup", relyingParty: party, now: t0)
            }
            // An expired challenge is gone.
            _ = try await store.beginWebAuthnRegistration(userID: bob.id, relyingParty: party, now: t0, challenge: field(vector, "challenge"))
            await expectAccessError(.unauthenticated) {
                try await store.finishWebAuthnRegistration(userID: bob.id, response: registration(vector), name: "late", relyingParty: party,
                                                           now: t0.addingTimeInterval(TimeInterval(party.timeoutSeconds) + 1))
            }
            // Deleting: only the owner's credential, once.
            await expectAccessError(.notFound) { try await store.deleteWebAuthnCredential(userID: bob.id, id: record.id) }
            try await store.deleteWebAuthnCredential(userID: ada.id, id: record.id)
            #expect(try await store.webAuthnCredentials(userID: ada.id).isEmpty)
            await expectAccessError(.notFound) { try await store.deleteWebAuthnCredential(userID: ada.id, id: record.id) }
            // Without a credential the password alone gives a session again.
            #expect(try await store.login(username: "ada", password: password, address: "10.0.0.1", now: t0).session != nil)
        }
    }

    static func loginWithAssertionRefusesCounterRegressionAndReuse(_ engine: AccountEngine) async throws {
        try await withFreshAccountStore(engine) { store, _ in
            let party = try generatedParty()
            let ada = try await store.createUser(NewUser(username: "ada"), password: password, now: t0)
            _ = try await store.beginWebAuthnRegistration(userID: ada.id, relyingParty: party, now: t0,
                                                          challenge: field(GeneratedVectors.regNone, "challenge"))
            let record = try await store.finishWebAuthnRegistration(userID: ada.id, response: registration(GeneratedVectors.regNone),
                                                                    name: "laptop", relyingParty: party, now: t0)
            // A credential makes the password step ask for a second factor.
            let pending = try #require(try await store.login(username: "ada", password: password, address: "10.0.0.1", now: t0).pending)
            await expectAccessError(.unauthenticated) {
                try await store.beginWebAuthnLogin(pendingLogin: AccountContract.tampered(pending.token), relyingParty: party, now: t0)
            }
            let count6 = GeneratedVectors.authNoneCount6Extensions
            let options = try await store.beginWebAuthnLogin(pendingLogin: pending.token, relyingParty: party, now: t0,
                                                             challenge: field(count6, "challenge"))
            #expect(options.options.allowCredentials.map(\.id) == [record.id] && options.options.rpId == GeneratedVectors.rpId)
            // The challenge belongs to its pending login: another pending login of the same user has none.
            let other = try #require(try await store.login(username: "ada", password: password, address: "10.0.0.1", now: t0).pending)
            await expectAccessError(.unauthenticated) {
                try await store.verifyWebAuthn(pendingLogin: other.token, response: assertion(count6), relyingParty: party, now: t0)
            }
            let verifiedAt = t0.addingTimeInterval(10)
            let session = try await store.verifyWebAuthn(pendingLogin: pending.token, response: assertion(count6), relyingParty: party, now: verifiedAt)
            #expect(session.record.userID == ada.id && session.record.mfaVerifiedAt == verifiedAt)
            let updated = try #require(try await store.webAuthnCredentials(userID: ada.id).first)
            #expect(updated.credential.signCount == 6 && updated.lastUsedAt == verifiedAt)

            // An older assertion (counter 5 after 6) is a clone signal and is refused; the
            // challenge is used up by the refusal, so even a good assertion needs new options.
            let count5 = GeneratedVectors.authNoneCount5
            let third = try #require(try await store.login(username: "ada", password: password, address: "10.0.0.1", now: t0).pending)
            _ = try await store.beginWebAuthnLogin(pendingLogin: third.token, relyingParty: party, now: t0, challenge: field(count5, "challenge"))
            do {
                _ = try await store.verifyWebAuthn(pendingLogin: third.token, response: assertion(count5), relyingParty: party, now: verifiedAt)
                Issue.record("a counter regression was accepted")
            } catch let error as AccessError {
                #expect(error.code == .unauthenticated && error.message.contains("may be cloned"), "\(error)")
            }
            await expectAccessError(.unauthenticated) {
                try await store.verifyWebAuthn(pendingLogin: third.token, response: assertion(count5), relyingParty: party, now: verifiedAt)
            }
            #expect(try await store.webAuthnCredentials(userID: ada.id).first?.credential.signCount == 6)

            // A user without credentials gets no options.
            let bob = try await store.createUser(NewUser(username: "bob"), password: password, now: t0)
            _ = try await store.enrollTOTP(userID: bob.id, now: t0)
            let bobPending = try #require(try await store.login(username: "bob", password: password, address: "10.0.0.1", now: t0).pending)
            await expectAccessError(.notFound) { try await store.beginWebAuthnLogin(pendingLogin: bobPending.token, relyingParty: party, now: t0) }
        }
    }
}

@Suite struct SQLiteAccountWebAuthnTests {
    @Test func sqliteWebAuthnRegistersListsAndDeletesCredentials() async throws {
        try await AccountWebAuthnContract.registersListsAndDeletesCredentials(.sqlite)
    }
    @Test func sqliteWebAuthnLoginRefusesCounterRegressionAndReuse() async throws {
        try await AccountWebAuthnContract.loginWithAssertionRefusesCounterRegressionAndReuse(.sqlite)
    }
}

@Suite(.enabled(if: accountPostgresURL != nil, accountPostgresSkip)) struct PostgresAccountWebAuthnTests {
    @Test func postgresWebAuthnRegistersListsAndDeletesCredentials() async throws {
        try await AccountWebAuthnContract.registersListsAndDeletesCredentials(.postgres)
    }
    @Test func postgresWebAuthnLoginRefusesCounterRegressionAndReuse() async throws {
        try await AccountWebAuthnContract.loginWithAssertionRefusesCounterRegressionAndReuse(.postgres)
    }
}
