import BulwarkAccess
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// `POST /api/v1/login` (its 202 lists the user's second factors: `totp`, `recovery`, `webauthn`), `/api/v1/login/totp`, `/api/v1/login/recovery`, `/api/v1/logout` and
/// `GET /api/v1/me`: password login with a second factor, sessions, and who the caller is.
/// Every login attempt is audited (action `login`, `login.totp` or `login.recovery`).
enum AccountRoutes {
    struct LoginBody: Decodable { var username: String; var password: String }
    struct SecondFactorBody: Decodable { var pendingLogin: String; var code: String }
    struct SessionAnswer: Encodable { var session: String; var expiresAt: Date; var mfaVerified: Bool }
    struct PendingAnswer: Encodable { var pendingLogin: String; var mfa: [String]; var expiresAt: Date }
    struct MeAnswer: Encodable {
        var id: String; var kind: String; var roles: [String]; var team: String?; var mfaVerifiedAt: Date?; var scopes: [String]?
    }

    static let credentialsSchema: JSONValue = [
        "type": "object", "required": ["username", "password"],
        "properties": ["username": ["type": "string"], "password": ["type": "string"]],
    ]
    static let secondFactorSchema: JSONValue = [
        "type": "object", "required": ["pendingLogin", "code"],
        "properties": ["pendingLogin": ["type": "string"], "code": ["type": "string"]],
    ]
    static let sessionSchema: JSONValue = [
        "type": "object", "required": ["session", "expiresAt", "mfaVerified"],
        "properties": ["session": ["type": "string"], "expiresAt": ["type": "string", "format": "date-time"], "mfaVerified": ["type": "boolean"]],
    ]

    static func add(to routes: GatewayRoutes, plane optionalPlane: ControlPlane?) {
        routes.add(
            GatewayRoute(
                method: .post, path: "/api/v1/login", operationID: "login",
                summary: "Password login: a session (200), or a pending login awaiting a second factor (202).", tags: ["accounts"],
                successDescription: "A session (also set as the __Host-bulwark_session cookie).", responseSchema: sessionSchema,
                requestSchema: credentialsSchema, errorStatuses: [400, 401, 429]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let body = try await request.decode(as: LoginBody.self, context: context)
            let address = ControlPlane.clientAddress(context)
            let actor = String(body.username.prefix(64))
            let result = try await plane.accounts.login(username: body.username, password: body.password, address: address, now: Date())
            func audit(_ outcome: AuditOutcome, _ details: [String: String] = [:]) async {
                await plane.record(AuditEvent(actor: actor, action: "login", resource: "session", outcome: outcome,
                                              clientAddress: address, requestID: context.requestID, details: details), context: context)
            }
            switch result {
            case .sessionIssued(let session):
                await audit(.succeeded)
                return sessionResponse(session)
            case .needsMFA(let pending):
                await audit(.succeeded, ["next": "mfa"])
                let factors = await WebAuthnRoutes.secondFactors(plane, userID: pending.userID)
                return json(PendingAnswer(pendingLogin: pending.token, mfa: factors, expiresAt: pending.expiresAt), status: .accepted)
            case .throttled(let seconds):
                let retry = Int(seconds.rounded(.up))
                await audit(AuditOutcome(rawValue: "throttled"), ["retryAfterSeconds": String(retry)])
                var response = ErrorBody(code: GatewayError.Code.tooManyRequests.description, message: "too many login attempts; retry later",
                                         requestID: context.requestID).response(status: .tooManyRequests)
                response.headers[.retryAfter] = String(max(1, retry))
                return response
            case .failed:
                await audit(.failed)
                throw GatewayError(.unauthorized, LoginResult.failureMessage)
            }
        }

        for (factor, action) in [("totp", "login.totp"), ("recovery", "login.recovery")] {
            routes.add(
                GatewayRoute(
                    method: .post, path: "/api/v1/login/\(factor)", operationID: factor == "totp" ? "loginTOTP" : "loginRecoveryCode",
                    summary: factor == "totp" ? "Completes a pending login with a TOTP code." : "Completes a pending login with a recovery code (each works once).",
                    tags: ["accounts"], successDescription: "A session with MFA verified.", responseSchema: sessionSchema,
                    requestSchema: secondFactorSchema, errorStatuses: [400, 401]
                )
            ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
                let body = try await request.decode(as: SecondFactorBody.self, context: context)
                let address = ControlPlane.clientAddress(context)
                let session: IssuedSession
                do throws(AccessError) {
                    if factor == "totp" {
                        session = try await plane.accounts.verifyTOTP(pendingLogin: body.pendingLogin, code: body.code, now: Date())
                    } else {
                        session = try await plane.accounts.redeemRecoveryCode(pendingLogin: body.pendingLogin, code: body.code, now: Date())
                    }
                } catch {
                    guard error.code == .unauthenticated || error.code == .expired else { throw error }
                    await plane.record(AuditEvent(actor: "unknown", action: action, resource: "session", outcome: .failed,
                                                  clientAddress: address, requestID: context.requestID), context: context)
                    throw GatewayError(.unauthorized, "the code or the pending login is not valid; log in again if it expired")
                }
                let actor = (try? await plane.accounts.user(id: session.record.userID))?.username ?? session.record.userID
                await plane.record(AuditEvent(actor: actor, action: action, resource: "session", outcome: .succeeded,
                                              clientAddress: address, requestID: context.requestID), context: context)
                return sessionResponse(session)
            }
        }

        routes.add(
            GatewayRoute(
                method: .post, path: "/api/v1/logout", operationID: "logout", summary: "Revokes the caller's session.",
                tags: ["accounts"], successStatus: 204, successDescription: "The session is revoked and its cookie cleared.",
                errorStatuses: [401]
            )
        ) { _, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            guard let sessionID = context.sessionID else { throw GatewayError(.unauthorized, "no session to log out of") }
            try await plane.accounts.revokeSession(id: sessionID, now: Date())
            var headers = HTTPFields()
            headers[.setCookie] = AuthenticationMiddleware.sessionCookie(token: "", maxAgeSeconds: 0)
            return Response(status: .noContent, headers: headers)
        }

        routes.add(
            GatewayRoute(
                method: .get, path: "/api/v1/me", operationID: "getMe", summary: "The caller as the server sees it (anonymous without credentials).",
                tags: ["accounts"], successDescription: "The caller's principal.",
                responseSchema: [
                    "type": "object", "required": ["id", "kind", "roles"],
                    "properties": ["id": ["type": "string"], "kind": ["type": "string"], "roles": ["type": "array", "items": ["type": "string"]],
                                   "team": ["type": "string"], "mfaVerifiedAt": ["type": "string", "format": "date-time"],
                                   "scopes": ["type": "array", "items": ["type": "string"]]],
                ],
                errorStatuses: [401]
            )
        ) { _, context in
            guard optionalPlane != nil else { throw ControlPlane.notConfigured }
            let principal = context.principal ?? .anonymous
            return json(MeAnswer(id: principal.id, kind: principal.kind.rawValue, roles: principal.roles.sorted(), team: principal.team,
                                 mfaVerifiedAt: principal.mfaVerifiedAt, scopes: principal.scopes), status: .ok)
        }
    }

    /// A 200 with the session token, and the same token as the session cookie.
    static func sessionResponse(_ session: IssuedSession) -> Response {
        var response = json(SessionAnswer(session: session.token, expiresAt: session.record.expiresAt,
                                          mfaVerified: session.record.mfaVerifiedAt != nil), status: .ok)
        let maxAge = Int(session.record.expiresAt.timeIntervalSinceNow.rounded(.down))
        response.headers[.setCookie] = AuthenticationMiddleware.sessionCookie(token: session.token, maxAgeSeconds: maxAge)
        return response
    }

    /// `value` as a JSON response (ISO 8601 dates, sorted keys, `Cache-Control: no-store`).
    static func json(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
