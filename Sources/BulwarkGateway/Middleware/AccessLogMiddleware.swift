import Foundation
public import Hummingbird
import HTTPTypes
import Logging

/// One structured log line per request, at `info` level, after the response head is ready:
/// `method`, `path` (without the query, which may carry secrets), `status`, `duration_ms`,
/// `remote` and `request.id` (from the logger's metadata) as swift-log metadata. Headers and
/// bodies are never logged.
public struct AccessLogMiddleware: RouterMiddleware {
    /// A middleware with no settings.
    public init() {}

    /// Times the rest of the chain and logs its outcome.
    public func handle(
        _ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var status: HTTPResponse.Status = .internalServerError
        defer {
            let elapsed = ContinuousClock.now - start
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            context.logger.info(
                "request",
                metadata: [
                    "method": .string(request.method.rawValue),
                    "path": .string(String(request.uri.path.prefix(512))),
                    "status": .stringConvertible(status.code),
                    "duration_ms": .string(String(format: "%.3f", milliseconds)),
                    "remote": .string(context.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "-"),
                ]
            )
        }
        let response = try await next(request, context)
        status = response.status
        return response
    }
}
