public import Hummingbird
package import HTTPTypes

/// Adds the security headers to every response, error responses included:
///
/// - `Strict-Transport-Security: max-age=31536000; includeSubDomains` when the server speaks
///   TLS (never over plain HTTP, where RFC 6797 says browsers ignore it);
/// - `Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; base-uri 'self';
///   form-action 'self'`;
/// - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`;
/// - `Cache-Control: no-store` unless the route set its own `Cache-Control` (the web UI's static
///   assets may), so API answers and errors are never cached.
public struct SecurityHeadersMiddleware: RouterMiddleware {
    /// The `Content-Security-Policy` value sent.
    public static let contentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    /// The `Strict-Transport-Security` value sent over TLS.
    public static let strictTransportSecurity = "max-age=31536000; includeSubDomains"

    /// Whether responses go out over TLS (and so carry `Strict-Transport-Security`).
    public let usesTLS: Bool

    /// A middleware for a server that speaks TLS (`usesTLS`) or plain HTTP.
    public init(usesTLS: Bool) {
        self.usesTLS = usesTLS
    }

    /// Calls the rest of the chain and adds the headers to its response.
    public func handle(
        _ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        apply(to: &response.headers)
        return response
    }

    /// Sets the headers on `headers`, replacing any value a route gave them except
    /// `Cache-Control`.
    package func apply(to headers: inout HTTPFields) {
        if usesTLS { headers[.strictTransportSecurity] = Self.strictTransportSecurity }
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "no-referrer"
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }
}

extension HTTPField.Name {
    /// `X-Frame-Options`, which HTTPTypes does not name.
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    /// `Referrer-Policy`, which HTTPTypes does not name.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
