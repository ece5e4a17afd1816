@_exported public import BulwarkErrors
public import HTTPTypes

/// An error of the HTTP gateway: a configuration that cannot be served (a missing `--tls-cert`,
/// an unreadable PEM file, a public bind without TLS) or a request that fails (too large, too
/// slow, not found).
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code, a
/// one-line `message` and the `underlying` error. Configuration messages name the flag or file
/// and what was expected. Request messages are sent to the client in the JSON error body, so
/// they never quote internals; ``httpStatus`` is the status the response carries.
///
/// ```swift
/// throw GatewayError(.notFound, "no model named that")   // 404 {"error": {"code": "notFound", …}}
/// ```
public typealias GatewayError = ModuleError<GatewayErrorDomain>

/// The domain of ``GatewayError``: tells its codes from other modules'.
public enum GatewayErrorDomain: ErrorDomain {}

extension ErrorCode<GatewayErrorDomain> {
    /// A flag or a combination of flags that cannot be served (`--insecure-http` on a public
    /// address, a missing `--tls-key`).
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
    /// A file is missing or cannot be read.
    public static var io: Self { Self("io") }
    /// A file's bytes are not what its flag expects (a PEM without a certificate, a key that does
    /// not match the certificate).
    public static var malformed: Self { Self("malformed") }
    /// 400: the request is malformed.
    public static var badRequest: Self { Self("badRequest") }
    /// 401: the request carries no valid credentials.
    public static var unauthorized: Self { Self("unauthorized") }
    /// 403: the caller may not do this.
    public static var forbidden: Self { Self("forbidden") }
    /// 404: no such route or resource.
    public static var notFound: Self { Self("notFound") }
    /// 405: the route exists, not for this method.
    public static var methodNotAllowed: Self { Self("methodNotAllowed") }
    /// 408: the client took too long to send its request.
    public static var requestTimeout: Self { Self("requestTimeout") }
    /// 409: the request conflicts with the current state.
    public static var conflict: Self { Self("conflict") }
    /// 413: the request body exceeds the route's limit.
    public static var payloadTooLarge: Self { Self("payloadTooLarge") }
    /// 415: the request body's media type is not accepted.
    public static var unsupportedMediaType: Self { Self("unsupportedMediaType") }
    /// 429: too many requests.
    public static var tooManyRequests: Self { Self("tooManyRequests") }
    /// 500: an error the server does not describe to clients.
    public static var `internal`: Self { Self("internal") }
    /// 503: the server could not answer in time, or is not ready.
    public static var unavailable: Self { Self("unavailable") }
}

extension ModuleError where Domain == GatewayErrorDomain {
    /// The HTTP status a response for this error carries: the status its code names, and 500
    /// for configuration codes and codes this table does not know.
    public var httpStatus: HTTPResponse.Status {
        GatewayError.status(forCode: code)
    }

    /// The status of each request code; 500 for any other.
    package static func status(forCode code: Code) -> HTTPResponse.Status {
        switch code {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .requestTimeout: .requestTimeout
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        default: .internalServerError
        }
    }

    /// The code a status answers to when an error other than a ``GatewayError`` (Hummingbird's
    /// own `HTTPError`) carries only a status.
    package static func code(forStatus status: HTTPResponse.Status) -> Code {
        switch status.code {
        case 400: .badRequest
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 405: .methodNotAllowed
        case 408: .requestTimeout
        case 409: .conflict
        case 413: .payloadTooLarge
        case 415: .unsupportedMediaType
        case 429: .tooManyRequests
        case 503: .unavailable
        default: status.code >= 500 ? .internal : .badRequest
        }
    }
}
