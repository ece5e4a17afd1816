import BulwarkAccess
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore

/// Passkeys (WebAuthn) on the control plane:
///
/// - a signed-in user registers credentials (`POST /api/v1/webauthn/register/options`, then
///   `POST /api/v1/webauthn/register` with what `navigator.credentials.create` returned), lists
///   them (`GET /api/v1/webauthn/credentials`) and deletes them
///   (`DELETE /api/v1/webauthn/credentials/{id}`);
/// - a pending login (the password step passed) finishes with an assertion
///   (`POST /api/v1/login/webauthn/options`, then `POST /api/v1/login/webauthn` with what
///   `navigator.credentials.get` returned) and gets a session with MFA verified.
///
/// Once a user has a second factor, adding or deleting one needs a session that passed MFA.
/// Login steps are audited here (action `login.webauthn`); the credential routes by the audit
/// middleware, and refusals of the MFA rule here (action `webauthn.manage`, outcome `denied`).
enum WebAuthnRoutes {
    struct PendingBody: Decodable { var pendingLogin: String }
    struct CredentialAnswer: Encodable {
        var id: String; var name: String; var createdAt: Date; var lastUsedAt: Date?; var transports: [String]; var signCount: UInt32
        var backupEligible: Bool; var backupState: Bool; var attestationType: String
    }
    struct CredentialList: Encodable { var credentials: [CredentialAnswer] }

    /// The largest JSON body the ceremony routes read, in bytes.
    static let maximumBody = 128 * 1024

    static let descriptorSchema: JSONValue = [
        "type": "object", "required": ["type", "id"],
        "properties": ["type": ["type": "string"], "id": ["type": "string"], "transports": ["type": "array", "items": ["type": "string"]]],
    ]
    static let creationOptionsSchema: JSONValue = [
        "type": "object", "description": "PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3 §5.1.1), byte fields base64url",
        "required": ["rp", "user", "challenge", "pubKeyCredParams", "timeout", "excludeCredentials", "authenticatorSelection", "attestation"],
        "properties": [
            "rp": ["type": "object", "properties": ["id": ["type": "string"], "name": ["type": "string"]]],
            "user": ["type": "object", "properties": ["id": ["type": "string"], "name": ["type": "string"], "displayName": ["type": "string"]]],
            "challenge": ["type": "string"],
            "pubKeyCredParams": ["type": "array", "items": ["type": "object", "properties": ["type": ["type": "string"], "alg": ["type": "integer"]]]],
            "timeout": ["type": "integer"],
            "excludeCredentials": ["type": "array", "items": descriptorSchema],
            "authenticatorSelection": ["type": "object", "properties": ["residentKey": ["type": "string"], "userVerification": ["type": "string"]]],
            "attestation": ["type": "string"],
        ],
    ]
    static let requestOptionsSchema: JSONValue = [
        "type": "object", "description": "PublicKeyCredentialRequestOptionsJSON (WebAuthn Level 3 §5.1.2), byte fields base64url",
        "required": ["challenge", "timeout", "rpId", "allowCredentials", "userVerification"],
        "properties": [
            "challenge": ["type": "string"], "timeout": ["type": "integer"], "rpId": ["type": "string"],
            "allowCredentials": ["type": "array", "items": descriptorSchema], "userVerification": ["type": "string"],
        ],
    ]
    static let credentialSchema: JSONValue = [
        "type": "object", "required": ["id", "name", "createdAt", "transports", "signCount", "backupEligible", "backupState", "attestationType"],
        "properties": [
            "id": ["type": "string", "description": "the credential ID, base64url"], "name": ["type": "string"],
            "createdAt": ["type": "string", "format": "date-time"], "lastUsedAt": ["type": "string", "format": "date-time"],
            "transports": ["type": "array", "items": ["type": "string"]], "signCount": ["type": "integer"],
            "backupEligible": ["type": "boolean"], "backupState": ["type": "boolean"], "attestationType": ["type": "string"],
        ],
    ]
    static let browserCredentialSchema: JSONValue = [
        "type": "object", "description": "what PublicKeyCredential.toJSON() returns", "required": ["id", "rawId", "type", "response"],
        "properties": ["id": ["type": "string"], "rawId": ["type": "string"], "type": ["type": "string"], "response": ["type": "object"]],
    ]

    static func add(to routes: GatewayRoutes, plane optionalPlane: ControlPlane?) {
        routes.add(
            GatewayRoute(
                method: .post, path: "/api/v1/webauthn/register/options", operationID: "webauthnRegistrationOptions",
                summary: "Starts registering a passkey for the signed-in user: options for navigator.credentials.create.",
                tags: ["webauthn"], successDescription: "The creation options (valid for one registration, a few minutes).",
                responseSchema: creationOptionsSchema, errorStatuses: [401, 403, 409]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let party = try relyingParty(plane)
            let user = try await signedInUser(plane, context)
            try await requireMFAToChangeFactors(plane, user: user, request: request, context: context)
            do throws(AccessError) {
                let pending = try await plane.accounts.beginWebAuthnRegistration(userID: user.id, relyingParty: party, now: Date())
                return AccountRoutes.json(pending.options, status: .ok)
            } catch {
                throw clientError(error)
            }
        }

        routes.add(
            GatewayRoute(
                method: .post, path: "/api/v1/webauthn/register", operationID: "webauthnRegister",
                summary: "Finishes a registration with the browser's credential and stores it.", tags: ["webauthn"],
                successStatus: 201, successDescription: "The stored credential.", responseSchema: credentialSchema,
                requestSchema: [
                    "type": "object", "required": ["credential"],
                    "properties": ["name": ["type": "string", "description": "1…64 characters; default `passkey`"], "credential": browserCredentialSchema],
                ],
                errorStatuses: [400, 401, 403, 409]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let party = try relyingParty(plane)
            let user = try await signedInUser(plane, context)
            try await requireMFAToChangeFactors(plane, user: user, request: request, context: context)
            let body = try await jsonBody(request, context)
            let name = (body["name"] as? String) ?? "passkey"
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...AccountStore.maximumWebAuthnCredentialNameLength).contains(trimmed.count), !trimmed.contains(where: \.isNewline) else {
                throw GatewayError(.badRequest, "name: expected 1…\(AccountStore.maximumWebAuthnCredentialNameLength) characters on one line")
            }
            let credentialJSON = try nested(body, "credential")
            do throws(AccessError) {
                let response = try RegistrationResponse(json: credentialJSON)
                let record = try await plane.accounts.finishWebAuthnRegistration(userID: user.id, response: response, name: trimmed,
                                                                                 relyingParty: party, now: Date())
                return AccountRoutes.json(answer(record), status: .created)
            } catch {
                guard error.code != .storage else { throw error }
                if error.code == .conflict { throw GatewayError(.conflict, error.message) }
                context.logger.info("WebAuthn registration refused", metadata: ["reason": .string(error.message)])
                throw GatewayError(.badRequest, "the WebAuthn registration did not verify; ask for new options and try again")
            }
        }

        routes.add(
            GatewayRoute(
                method: .get, path: "/api/v1/webauthn/credentials", operationID: "listWebAuthnCredentials",
                summary: "The signed-in user's passkeys.", tags: ["webauthn"], successDescription: "The credentials, oldest first.",
                responseSchema: ["type": "object", "required": ["credentials"], "properties": ["credentials": ["type": "array", "items": credentialSchema]]],
                errorStatuses: [401]
            )
        ) { _, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let user = try await signedInUser(plane, context)
            do throws(AccessError) {
                let records = try await plane.accounts.webAuthnCredentials(userID: user.id)
                return AccountRoutes.json(CredentialList(credentials: records.map(answer)), status: .ok)
            } catch {
                throw clientError(error)
            }
        }

        routes.add(
            GatewayRoute(
                method: .delete, path: "/api/v1/webauthn/credentials/{id}", operationID: "deleteWebAuthnCredential",
                summary: "Deletes one of the signed-in user's passkeys.", tags: ["webauthn"], successStatus: 204,
                successDescription: "The credential is deleted; it cannot sign in again.", errorStatuses: [401, 403, 404]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let user = try await signedInUser(plane, context)
            guard let id = context.parameters.get("id"), !id.isEmpty else { throw GatewayError(.badRequest, "id: expected a credential ID") }
            try await requireMFAToChangeFactors(plane, user: user, request: request, context: context)
            do throws(AccessError) {
                try await plane.accounts.deleteWebAuthnCredential(userID: user.id, id: id)
            } catch {
                throw clientError(error)
            }
            return Response(status: .noContent)
        }

        routes.add(
            GatewayRoute(
                method: .post, path: "/api/v1/login/webauthn/options", operationID: "loginWebAuthnOptions",
                summary: "Request options (navigator.credentials.get) for the WebAuthn second factor of a pending login.",
                tags: ["accounts", "webauthn"], successDescription: "The request options, allowing the user's credentials.",
                responseSchema: requestOptionsSchema,
                requestSchema: ["type": "object", "required": ["pendingLogin"], "properties": ["pendingLogin": ["type": "string"]]],
                errorStatuses: [400, 401]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let party = try relyingParty(plane)
            let body = try await request.decode(as: PendingBody.self, context: context)
            do throws(AccessError) {
                let pending = try await plane.accounts.beginWebAuthnLogin(pendingLogin: body.pendingLogin, relyingParty: party, now: Date())
                return AccountRoutes.json(pending.options, status: .ok)
            } catch {
                guard error.code != .storage else { throw error }
                await plane.record(AuditEvent(actor: "unknown", action: "login.webauthn.options", resource: "session", outcome: .failed,
                                              clientAddress: ControlPlane.clientAddress(context), requestID: context.requestID,
                                              details: ["reason": error.message]), context: context)
                throw GatewayError(.unauthorized, "the pending login is not valid or has no WebAuthn credential; log in again")
            }
        }

        routes.add(
            GatewayRoute(
                method: .post, path: "/api/v1/login/webauthn", operationID: "loginWebAuthn",
                summary: "Completes a pending login with a WebAuthn assertion.", tags: ["accounts", "webauthn"],
                successDescription: "A session with MFA verified.", responseSchema: AccountRoutes.sessionSchema,
                requestSchema: [
                    "type": "object", "required": ["pendingLogin", "credential"],
                    "properties": ["pendingLogin": ["type": "string"], "credential": browserCredentialSchema],
                ],
                errorStatuses: [400, 401]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let party = try relyingParty(plane)
            let body = try await jsonBody(request, context)
            guard let pendingLogin = body["pendingLogin"] as? String else { throw GatewayError(.badRequest, "pendingLogin: expected a string") }
            let credentialJSON = try nested(body, "credential")
            let address = ControlPlane.clientAddress(context)
            let session: IssuedSession
            var details: [String: String] = [:]
            do throws(AccessError) {
                let response = try AuthenticationResponse(json: credentialJSON)
                details["credentialId"] = Base64URL.encode(response.credentialId)
                session = try await plane.accounts.verifyWebAuthn(pendingLogin: pendingLogin, response: response, relyingParty: party, now: Date())
            } catch {
                guard error.code != .storage else { throw error }
                details["reason"] = error.message
                await plane.record(AuditEvent(actor: "unknown", action: "login.webauthn", resource: "session", outcome: .failed,
                                              clientAddress: address, requestID: context.requestID, details: details), context: context)
                throw GatewayError(.unauthorized, "the WebAuthn assertion or the pending login is not valid; ask for new options or log in again")
            }
            let actor = (try? await plane.accounts.user(id: session.record.userID))?.username ?? session.record.userID
            await plane.record(AuditEvent(actor: actor, action: "login.webauthn", resource: "session", outcome: .succeeded,
                                          clientAddress: address, requestID: context.requestID, details: details), context: context)
            return AccountRoutes.sessionResponse(session)
        }
    }

    /// The second factors a pending login of `userID` may finish with, for the password step's
    /// 202 answer: `totp` and `recovery` for a TOTP user, `recovery` while codes remain, and
    /// `webauthn` when the user has a credential.
    static func secondFactors(_ plane: ControlPlane, userID: String) async -> [String] {
        let hasTOTP = (try? await plane.accounts.user(id: userID))?.hasTOTP ?? false
        let recoveryLeft = ((try? await plane.accounts.remainingRecoveryCodes(userID: userID)) ?? 0) > 0
        let hasWebAuthn = !((try? await plane.accounts.webAuthnCredentials(userID: userID)) ?? []).isEmpty
        var factors = hasTOTP ? ["totp", "recovery"] : (recoveryLeft ? ["recovery"] : [])
        if hasWebAuthn { factors.append("webauthn") }
        return factors
    }

    // MARK: helpers

    static func relyingParty(_ plane: ControlPlane) throws(GatewayError) -> WebAuthnRelyingParty {
        guard let party = plane.webAuthn.relyingParty else {
            throw GatewayError(.unavailable, "WebAuthn is not configured on this server (--webauthn-rp-id, --webauthn-origin)")
        }
        return party
    }

    /// The user behind the request's session; API tokens and anonymous callers are refused.
    static func signedInUser(_ plane: ControlPlane, _ context: GatewayRequestContext) async throws(GatewayError) -> StoredUser {
        let refused = GatewayError(.unauthorized, "sign in with a session to manage passkeys")
        guard let principal = context.principal, principal.kind == .user, context.sessionID != nil else { throw refused }
        guard let user = try? await plane.accounts.user(named: principal.id), user.disabledAt == nil else { throw refused }
        return user
    }

    /// Refuses (403, audited) a change of second factors in a session that did not pass MFA
    /// when the user already has a second factor.
    static func requireMFAToChangeFactors(
        _ plane: ControlPlane, user: StoredUser, request: Request, context: GatewayRequestContext
    ) async throws(GatewayError) {
        guard context.principal?.mfaVerifiedAt == nil else { return }
        let credentials: [WebAuthnCredentialRecord]
        do throws(AccessError) {
            credentials = try await plane.accounts.webAuthnCredentials(userID: user.id)
        } catch {
            throw GatewayError(.unavailable, "the account store did not answer", underlying: error)
        }
        guard user.hasTOTP || !credentials.isEmpty else { return }
        await plane.record(
            AuditEvent(actor: user.username, action: "webauthn.manage", resource: "user/\(user.username)", outcome: .denied,
                       rule: "second-factor-change-needs-mfa", clientAddress: ControlPlane.clientAddress(context), requestID: context.requestID,
                       details: ["method": request.method.rawValue, "path": request.uri.path]),
            context: context)
        throw GatewayError(.forbidden, "changing second factors needs a session that passed MFA; log in again with a second factor")
    }

    /// A refusal of the account store as a client error; a storage failure stays a 500.
    static func clientError(_ error: AccessError) -> any Error {
        switch error.code {
        case .notFound: GatewayError(.notFound, error.message)
        case .conflict: GatewayError(.conflict, error.message)
        case .unauthenticated, .expired: GatewayError(.unauthorized, error.message)
        case .invalidParameter, .malformed: GatewayError(.badRequest, error.message)
        default: error
        }
    }

    /// The request body as a JSON object (at most ``maximumBody`` bytes).
    static func jsonBody(_ request: Request, _ context: GatewayRequestContext) async throws -> [String: Any] {
        let buffer = try await request.body.collect(upTo: min(context.maxUploadSize, maximumBody))
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw GatewayError(.badRequest, "body: expected a JSON object")
        }
        return object
    }

    /// The member `key` of `object`, an object, as JSON bytes.
    static func nested(_ object: [String: Any], _ key: String) throws(GatewayError) -> [UInt8] {
        guard let member = object[key] as? [String: Any], let data = try? JSONSerialization.data(withJSONObject: member) else {
            throw GatewayError(.badRequest, "\(key): expected the JSON object PublicKeyCredential.toJSON() returns")
        }
        return Array(data)
    }

    static func answer(_ record: WebAuthnCredentialRecord) -> CredentialAnswer {
        CredentialAnswer(id: record.id, name: record.name, createdAt: record.createdAt, lastUsedAt: record.lastUsedAt,
                         transports: record.credential.transports, signCount: record.credential.signCount,
                         backupEligible: record.credential.backupEligible, backupState: record.credential.backupState,
                         attestationType: record.credential.attestationType)
    }
}
