public import Hummingbird
import HTTPTypes
import Logging

/// Turns every error thrown below it into a response with the JSON ``ErrorBody`` and the
/// error's status.
///
/// - A ``GatewayError`` with a request code keeps its code and message: those are written for
///   clients.
/// - Hummingbird's `HTTPError` (no route, a body too large to decode) keeps its status; the
///   message is the status's standard phrase, never the error's own text.
/// - Anything else is a 500 `internal` with the message `internal error`; the error itself is
///   logged at `error` level with the request id, and never sent. Other refusals are logged at
///   `debug` level (the access log line has their status).
public struct ErrorBodyMiddleware: RouterMiddleware {
    /// A middleware with no settings.
    public init() {}

    /// Calls the rest of the chain; on an error, answers with its JSON body.
    public func handle(
        _ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (status, body) = Self.describe(error, requestID: context.requestID)
            if status == .internalServerError {
                context.logger.error("request failed", metadata: ["error.type": "\(type(of: error))", "error": "\(String(describing: error).prefix(400))"])
            } else {
                context.logger.debug("request refused", metadata: ["error.code": .string(body.error.code), "error": .string(body.error.message)])
            }
            return body.response(status: status)
        }
    }

    /// The status and body a client sees for `error`.
    package static func describe(_ error: any Error, requestID: String) -> (HTTPResponse.Status, ErrorBody) {
        if let error = error as? GatewayError {
            let status = error.httpStatus
            if status == .internalServerError {
                // A configuration error or an unknown code reaching a request: not for clients.
                return (status, ErrorBody(code: GatewayError.Code.internal.description, message: "internal error", requestID: requestID))
            }
            return (status, ErrorBody(code: error.code.description, message: error.message, requestID: requestID))
        }
        if let error = error as? any HTTPResponseError {
            let status = error.status
            let code = GatewayError.code(forStatus: status)
            let message = status.code >= 500 ? "internal error" : status.reasonPhrase.lowercased()
            return (status, ErrorBody(code: code.description, message: message, requestID: requestID))
        }
        return (.internalServerError, ErrorBody(code: GatewayError.Code.internal.description, message: "internal error", requestID: requestID))
    }
}
