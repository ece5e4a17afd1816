import BulwarkAccess
import Foundation
import Hummingbird
import HTTPTypes

/// The web UI's login and logout: `GET/POST /ui/login` (password), `POST /ui/login/mfa` (a
/// TOTP or recovery code for the pending login) and `POST /ui/logout`.
///
/// The steps call the same ``AccountStore`` methods and write the same audit entries (`login`,
/// `login.totp`, `login.recovery`) as `POST /api/v1/login…`, and end with the same session
/// cookie. Before a session exists the forms are protected by the `__Host-bulwark_login`
/// double-submit cookie (``WebUISecurity``); the pending-login token travels only in a hidden
/// field of the second form, never in a URL.
enum WebUILogin {
    /// How long the login cookie lives: the login form and the pending login's 5 minutes, with room.
    static let loginCookieSeconds = 15 * 60

    static func add(to routes: GatewayRoutes, plane: ControlPlane, usesTLS: Bool) {
        routes.add(WebUI.route(.get, "/ui/login", "uiLoginForm", "Web UI: the login form.")) { request, context in
            if WebUISession(request, context: context) != nil { return WebUIViews.redirect("/ui/models") }
            let secret = loginSecret(request) ?? WebUISecurity.newLoginSecret()
            var response = loginForm(csrf: WebUISecurity.token(secret: secret, purpose: "login"), username: "", error: nil, status: .ok)
            response.headers[.setCookie] = WebUISecurity.loginCookie(secret, maxAgeSeconds: loginCookieSeconds)
            return response
        }

        routes.add(WebUI.route(.post, "/ui/login", "uiLogin", "Web UI form: password login; answers the second-factor form or a session.")) { request, context in
            do {
                let secret = loginSecret(request)
                let (form, refusal) = try await WebUI.checkForm(plane, request, context, session: nil, secret: secret, purpose: "login", usesTLS: usesTLS)
                if let refusal { return refusal }
                guard let secret else { return WebUIViews.redirect("/ui/login") }
                let csrf = WebUISecurity.token(secret: secret, purpose: "login")
                let username = String((form["username"] ?? "").prefix(256))
                let address = ControlPlane.clientAddress(context)
                let result = try await plane.accounts.login(username: username, password: form["password"] ?? "", address: address, now: Date())
                func audit(_ outcome: AuditOutcome, _ details: [String: String] = [:]) async {
                    await plane.record(AuditEvent(actor: String(username.prefix(64)), action: "login", resource: "session", outcome: outcome,
                                                  clientAddress: address, requestID: context.requestID, details: details.merging(["via": "web-ui"]) { a, _ in a }),
                                       context: context)
                }
                switch result {
                case .sessionIssued(let session):
                    await audit(.succeeded)
                    return signedIn(session)
                case .needsMFA(let pending):
                    await audit(.succeeded, ["next": "mfa"])
                    return secondFactorForm(csrf: csrf, pending: pending.token, error: nil, status: .ok)
                case .throttled(let seconds):
                    let retry = max(1, Int(seconds.rounded(.up)))
                    await audit(AuditOutcome(rawValue: "throttled"), ["retryAfterSeconds": String(retry)])
                    var response = loginForm(csrf: csrf, username: username, error: "Too many login attempts; try again in \(retry) s.", status: .tooManyRequests)
                    response.headers[.retryAfter] = String(retry)
                    return response
                case .failed:
                    await audit(.failed)
                    return loginForm(csrf: csrf, username: username, error: "The username or password is not valid.", status: .unauthorized)
                }
            } catch {
                return WebUI.errorPage(error, session: nil, context: context)
            }
        }

        routes.add(WebUI.route(.post, "/ui/login/mfa", "uiLoginSecondFactor", "Web UI form: completes a pending login with a TOTP or recovery code.",
                               status: 303)) { request, context in
            do {
                let secret = loginSecret(request)
                let (form, refusal) = try await WebUI.checkForm(plane, request, context, session: nil, secret: secret, purpose: "login", usesTLS: usesTLS)
                if let refusal { return refusal }
                guard let secret else { return WebUIViews.redirect("/ui/login") }
                let pending = form["pending"] ?? ""
                let code = (form["code"] ?? "").trimmingCharacters(in: .whitespaces)
                let recovery = form["method"] == "recovery"
                let action = recovery ? "login.recovery" : "login.totp"
                let address = ControlPlane.clientAddress(context)
                let session: IssuedSession
                do throws(AccessError) {
                    if recovery {
                        session = try await plane.accounts.redeemRecoveryCode(pendingLogin: pending, code: code, now: Date())
                    } else {
                        session = try await plane.accounts.verifyTOTP(pendingLogin: pending, code: code, now: Date())
                    }
                } catch {
                    guard error.code == .unauthenticated || error.code == .expired else { throw error }
                    await plane.record(AuditEvent(actor: "unknown", action: action, resource: "session", outcome: .failed, clientAddress: address,
                                                  requestID: context.requestID, details: ["via": "web-ui"]), context: context)
                    return secondFactorForm(csrf: WebUISecurity.token(secret: secret, purpose: "login"), pending: pending,
                                            error: "The code is not valid. If the login expired, start again from the login page.", status: .unauthorized)
                }
                let actor = (try? await plane.accounts.user(id: session.record.userID))?.username ?? session.record.userID
                await plane.record(AuditEvent(actor: actor, action: action, resource: "session", outcome: .succeeded, clientAddress: address,
                                              requestID: context.requestID, details: ["via": "web-ui"]), context: context)
                return signedIn(session)
            } catch {
                return WebUI.errorPage(error, session: nil, context: context)
            }
        }

        routes.add(WebUI.route(.post, "/ui/logout", "uiLogout", "Web UI form: ends the session.", status: 303)) { request, context in
            await WebUI.page(request, context) { session in
                if let refused = try await WebUI.checkForm(plane, request, context, session: session, usesTLS: usesTLS).refusal { return refused }
                if let id = context.sessionID { try await plane.accounts.revokeSession(id: id, now: Date()) }
                return WebUIViews.redirect("/ui/login", cookies: [AuthenticationMiddleware.sessionCookie(token: "", maxAgeSeconds: 0)])
            }
        }
    }

    /// The login cookie's secret, when the browser sent one.
    static func loginSecret(_ request: Request) -> String? {
        AuthenticationMiddleware.cookie(named: WebUISecurity.loginCookieName, in: request.headers[values: .cookie]).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A 303 to the models page that sets the session cookie and clears the login cookie.
    static func signedIn(_ session: IssuedSession) -> Response {
        let maxAge = Int(session.record.expiresAt.timeIntervalSinceNow.rounded(.down))
        return WebUIViews.redirect("/ui/models", cookies: [AuthenticationMiddleware.sessionCookie(token: session.token, maxAgeSeconds: maxAge),
                                                           WebUISecurity.loginCookie("", maxAgeSeconds: 0)])
    }

    static func loginForm(csrf: String, username: String, error: String?, status: HTTPResponse.Status) -> Response {
        WebUIViews.page("login", WebUIViews.Login(frame: WebUIViews.Frame(title: "Sign in", session: nil, error: error), csrf: csrf, username: username),
                        status: status)
    }

    static func secondFactorForm(csrf: String, pending: String, error: String?, status: HTTPResponse.Status) -> Response {
        WebUIViews.page("secondFactor", WebUIViews.SecondFactor(frame: WebUIViews.Frame(title: "Second factor", session: nil, error: error),
                                                                csrf: csrf, pending: pending), status: status)
    }
}
