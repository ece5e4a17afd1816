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
/// A bearer credential that does not verify is refused with 401 (the client meant to
/// authenticate); a session cookie that does not verify (expired, revoked) is ignored, so that
/// a browser holding a stale cookie can still reach the login route.
public struct AuthenticationMiddleware: RouterMiddleware {
    /// The name of the session cookie (`__Host-`: Secure, path `/`, no domain).
    public static let sessionCookieName = "__Host-bulwark_session"

    /// The store credentials are verified against.
    public let accounts: AccountStore

    /// A middleware verifying credentials against `accounts`.
    public init(accounts: AccountStore) {
        self.accounts = accounts
    }

    /// Sets the context's principal (and session id), then calls the rest of the chain.
    public func handle(
        _ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let now = Date()
        if let header = request.headers[.authorization] {
            guard let token = Self.bearerToken(header) else {
                throw GatewayError(.unauthorized, "Authorization: expected Bearer followed by a token")
            }
            do {
                try await resolve(token: token, now: now, into: &context)
            } catch {
                throw GatewayError(.unauthorized, "credentials are not valid")
            }
        } else if let cookie = Self.cookie(named: Self.sessionCookieName, in: request.headers[values: .cookie]) {
            try? await resolve(token: cookie, now: now, into: &context)
        }
        if context.principal == nil { context.principal = .anonymous }
        return try await next(request, context)
    }

    /// Verifies an API token (`bwk_`) or a session token (`bws_`) and records the principal.
    private func resolve(token: String, now: Date, into context: inout GatewayRequestContext) async throws(AccessError) {
        if token.hasPrefix(APIToken.prefix + "_") {
            let (record, account) = try await accounts.authenticateAPIToken(token, now: now)
            context.principal = Principal(id: record.serviceAccountID, kind: .service, roles: Set(account.roles), team: account.team,
                                          scopes: record.scopes)
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
