import BulwarkAccess
import Crypto
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// The web UI's defences against cross-site request forgery, and its form reader.
///
/// Every state-changing form carries a token in a hidden `csrf` field, and every POST is
/// refused (403, audited as `ui.csrf`) unless both hold:
///
/// - the `Origin` header names this server (`http(s)://` + the request's host); a missing
///   origin, `null` or another site is refused. The pages set `<meta name="referrer"
///   content="same-origin">` so that browsers send the real origin despite the gateway's
///   `Referrer-Policy: no-referrer`;
/// - the token matches. Signed in, it is HMAC-SHA256 keyed by the session token (a 256-bit
///   secret the browser holds only in the `HttpOnly`, `SameSite=Strict` session cookie), so it
///   needs no server state, works on every node of a cluster and dies with the session.
///   Before login it is keyed by a random `__Host-bulwark_login` cookie set by the login form
///   (a double-submit token: another site can neither read nor set a `__Host-` cookie).
package enum WebUISecurity {
    /// The cookie holding the pre-login CSRF secret.
    static let loginCookieName = "__Host-bulwark_login"
    /// The form field holding the token.
    package static let tokenField = "csrf"
    /// The largest form body read (the forms hold a few short fields).
    static let maximumFormBytes = 16 * 1024

    /// The CSRF token for `secret` (a session token or a login cookie) and `purpose`.
    package static func token(secret: String, purpose: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("bulwark web ui \(purpose) v1".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A fresh 256-bit secret for the login cookie, base64url.
    static func newLoginSecret() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The `Set-Cookie` value of the login cookie (`maxAgeSeconds` 0 clears it).
    static func loginCookie(_ secret: String, maxAgeSeconds: Int) -> String {
        "\(loginCookieName)=\(secret); Path=/; Max-Age=\(max(0, maxAgeSeconds)); Secure; HttpOnly; SameSite=Strict"
    }

    /// Whether `a` and `b` are equal, in time that depends only on their lengths.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// The origin this server is reached at, from the request's host: `http://127.0.0.1:8080`.
    static func expectedOrigin(_ request: Request, usesTLS: Bool) -> String? {
        guard let host = request.head.authority ?? request.headers[HTTPField.Name("Host")!], !host.isEmpty else { return nil }
        return (usesTLS ? "https://" : "http://") + host.lowercased()
    }

    /// Why `request` fails the CSRF check with `form` and the expected `token`, or `nil` when it
    /// passes.
    static func refusal(_ request: Request, form: [String: String], expected token: String?, usesTLS: Bool) -> String? {
        guard let origin = request.headers[.origin] else { return "no Origin header" }
        guard let expected = expectedOrigin(request, usesTLS: usesTLS), origin.lowercased() == expected else {
            return "foreign Origin"
        }
        guard let given = form[tokenField], !given.isEmpty else { return "no CSRF token" }
        guard let token, constantTimeEqual(given, token) else { return "wrong CSRF token" }
        return nil
    }

    /// The fields of an `application/x-www-form-urlencoded` body of at most
    /// ``maximumFormBytes`` bytes (a later duplicate field is ignored).
    ///
    /// - Throws: ``GatewayError`` `.unsupportedMediaType` for another content type,
    ///   `.payloadTooLarge` for a larger body, `.badRequest` for bad percent-encoding.
    static func form(_ request: Request) async throws -> [String: String] {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/x-www-form-urlencoded" else {
            throw GatewayError(.unsupportedMediaType, "Content-Type: expected application/x-www-form-urlencoded")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumFormBytes)
        } catch {
            throw GatewayError(.payloadTooLarge, "form body exceeds \(maximumFormBytes) bytes")
        }
        return try parseForm(String(buffer: buffer))
    }

    /// The fields of a URL-encoded form `text`.
    static func parseForm(_ text: String) throws(GatewayError) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw GatewayError(.badRequest, "form: a field is not valid percent-encoding")
            }
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

/// Who is using the UI: a signed-in user with a browser session.
struct WebUISession {
    /// The principal the authentication middleware resolved.
    let principal: Principal
    /// The session's token, from the cookie (the CSRF key).
    let token: String

    /// The CSRF token of this session's forms.
    var csrf: String { WebUISecurity.token(secret: token, purpose: "session") }

    /// The session of `request`, when it carries a valid session cookie (a bearer token does not
    /// open the UI: browsers never send one).
    init?(_ request: Request, context: GatewayRequestContext) {
        guard let principal = context.principal, principal.kind == .user, context.sessionID != nil, request.headers[.authorization] == nil,
              let token = AuthenticationMiddleware.cookie(named: AuthenticationMiddleware.sessionCookieName, in: request.headers[values: .cookie])
        else { return nil }
        self.principal = principal
        self.token = token
    }
}
