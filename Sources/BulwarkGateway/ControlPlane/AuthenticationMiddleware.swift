public import BulwarkAccess
import Foundation
public import Hummingbird
import HTTPTypes

/// Resolves the request's credentials to a ``Principal`` on ``GatewayRequestContext/principal``:
///
/// - `Authorization: Bearer bwk_…`: an API token (``AccountStore/authenticateAPIToken(_:now:)``), a
///   `service` principal with the token's scopes;
/// - `Authorization: Bearer bws_…` or the `__Host-bulwark_session` cookie: a session, a `user`
///   principal with the user's roles and team and the session's MFA time;
/// - nothing: ``Principal/anonymous``.
///
/// A verified API token is remembered for one second (``VerifiedTokenCache``): a busy client
/// costs one database read per second, and a revoked token stops within that second.
///
/// A bearer credential that does not verify is refused with 401 (the client meant to
/// authenticate); a session cookie that does not verify (expired, revoked) is ignored, so that
/// a browser holding a stale cookie can still reach the login route.
///
/// Made with ``init(plane:)`` (as ``ControlPlane/install(on:)`` does), every refused credential is
/// audited, each time, as action `authenticate`, outcome `denied`: the actor is the credential's
/// public part (`bwk_<id>` or `bws_<id>`, never its secret) or `anonymous` when it has none, and
/// `details` give the credential's kind, the method, path and answer (`401`, or `ignored` for a
/// cookie).
public struct AuthenticationMiddleware: RouterMiddleware {
    /// The name of the session cookie (`__Host-`: Secure, path `/`, no domain).
    public static let sessionCookieName = "__Host-bulwark_session"

    /// The store credentials are verified against.
    public let accounts: AccountStore
    /// Where refused credentials are audited; `nil` audits nothing.
    let plane: ControlPlane?
    /// API tokens verified in the last second (see ``VerifiedTokenCache``); sessions are always
    /// read from the store (their idle timeout moves with every request).
    public let tokenCache: VerifiedTokenCache

    /// A middleware verifying credentials against `accounts`, auditing nothing (see ``init(plane:tokenCache:)``).
    public init(accounts: AccountStore, tokenCache: VerifiedTokenCache = VerifiedTokenCache()) {
        self.accounts = accounts
        self.plane = nil
        self.tokenCache = tokenCache
    }

    /// A middleware verifying credentials against `plane`'s accounts and auditing each refused
    /// credential in `plane`'s audit log.
    public init(plane: ControlPlane, tokenCache: VerifiedTokenCache = VerifiedTokenCache()) {
        self.accounts = plane.accounts
        self.plane = plane
        self.tokenCache = tokenCache
    }

    /// Sets the context's principal (and session id), then calls the rest of the chain.
    public func handle(
        _ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let now = Date()
        if let header = request.headers[.authorization] {
            guard let token = Self.bearerToken(header) else {
                await audit(credential: nil, kind: "authorization header", answer: "401", request: request, context: context)
                throw GatewayError(.unauthorized, "Authorization: expected Bearer followed by a token")
            }
            do {
                try await resolve(token: token, now: now, into: &context)
            } catch {
                await audit(credential: token, kind: "bearer", answer: "401", request: request, context: context)
                throw GatewayError(.unauthorized, "credentials are not valid")
            }
        } else if let cookie = Self.cookie(named: Self.sessionCookieName, in: request.headers[values: .cookie]) {
            do {
                try await resolve(token: cookie, now: now, into: &context)
            } catch {
                await audit(credential: cookie, kind: "session cookie", answer: "ignored", request: request, context: context)
            }
        }
        if context.principal == nil { context.principal = .anonymous }
        return try await next(request, context)
    }

    /// Audits a refused credential (nothing when the middleware has no control plane).
    private func audit(credential: String?, kind: String, answer: String, request: Request, context: GatewayRequestContext) async {
        guard let plane else { return }
        await plane.record(
            AuditEvent(actor: Self.publicPart(of: credential), action: "authenticate", resource: "credentials", outcome: .denied,
                       clientAddress: ControlPlane.clientAddress(context), requestID: context.requestID,
                       details: ["credential": kind, "method": request.method.rawValue, "path": request.uri.path, "status": answer]),
            context: context)
    }

    /// The part of a credential that is not secret: `bwk_<id>` or `bws_<id>` for a token shaped
    /// like an API or session token, `anonymous` for anything else (which may be a secret of
    /// another kind, so nothing of it is kept).
    package static func publicPart(of credential: String?) -> String {
        guard let credential else { return "anonymous" }
        if let id = try? APIToken.identifier(of: credential) { return "\(APIToken.prefix)_\(id)" }
        if let id = try? SessionToken.identifier(of: credential) { return "\(SessionToken.prefix)_\(id)" }
        return "anonymous"
    }

    /// Verifies an API token (`bwk_`) or a session token (`bws_`) and records the principal.
    private func resolve(token: String, now: Date, into context: inout GatewayRequestContext) async throws(AccessError) {
        if token.hasPrefix(APIToken.prefix + "_") {
            if let principal = tokenCache.principal(for: token, now: now) {
                context.principal = principal
                return
            }
            let (record, account) = try await accounts.authenticateAPIToken(token, now: now)
            // The owner's name makes the account answerable to a person (the two-person rule).
            var owner: String?
            if let ownerID = account.ownerUserID { owner = try await accounts.user(id: ownerID)?.username }
            let principal = Principal(id: record.serviceAccountID, kind: .service, roles: Set(account.roles), team: account.team,
                                      scopes: record.scopes, accountableUser: owner)
            tokenCache.store(token, principal: principal, expiresAt: record.expiresAt, now: now)
            context.principal = principal
        } else if token.hasPrefix(SessionToken.prefix + "_") {
            let session = try await accounts.session(token: token, now: now)
            guard let user = try await accounts.user(id: session.userID) else {
                throw AccessError(.unauthenticated, "session is not valid")
            }
            context.principal = Principal(id: user.username, kind: .user, roles: Set(user.roles), team: user.team,
                                          mfaVerifiedAt: session.mfaVerifiedAt, scopes: nil)
            context.sessionID = session.id
        } else {
            throw AccessError(.unauthenticated, "credential is not a Bulwark token")
        }
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
    package static func bearerToken(_ header: String) -> String? {
        // ASCII headers (every real one) in one pass over the bytes; the rest as below.
        let bytes = Array(header.utf8)
        if bytes.allSatisfy({ $0 < 0x80 }) {
            var at = 0
            while at < bytes.count && bytes[at] == 0x20 { at += 1 }
            let scheme = at
            while at < bytes.count && bytes[at] != 0x20 { at += 1 }
            guard at < bytes.count, at - scheme == 6,
                  zip(bytes[scheme..<at], "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
            var start = at + 1, end = bytes.count
            while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
            while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
            return start == end || end - start > 512 ? nil : String(decoding: bytes[start..<end], as: UTF8.self)
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.count > 512 ? nil : token
    }

    /// The value of cookie `name` in the request's `Cookie` headers.
    package static func cookie(named name: String, in headers: [String]) -> String? {
        for header in headers {
            for pair in header.split(separator: ";") {
                let trimmed = pair.trimmingCharacters(in: .whitespaces)
                guard let equals = trimmed.firstIndex(of: "=") else { continue }
                if trimmed[..<equals] == name { return String(trimmed[trimmed.index(after: equals)...]) }
            }
        }
        return nil
    }

    /// The `Set-Cookie` value carrying session `token` until `expires` (Secure, HttpOnly,
    /// SameSite=Strict, `__Host-` prefixed).
    package static func sessionCookie(token: String, maxAgeSeconds: Int) -> String {
        "\(sessionCookieName)=\(token); Path=/; Max-Age=\(max(0, maxAgeSeconds)); Secure; HttpOnly; SameSite=Strict"
    }
}
