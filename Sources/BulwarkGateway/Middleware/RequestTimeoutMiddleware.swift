public import Hummingbird
import HTTPTypes

/// Bounds the time from a request's head to its response head.
///
/// The rest of the chain runs in a child task raced against a timer. When the timer wins, the
/// child is cancelled and the request fails with ``GatewayError`` `.requestTimeout` (408) if
/// its body was still being read (a slow client) or `.unavailable` (503) otherwise (a slow
/// server). Handlers must honour task cancellation, as reading the body and Swift's sleeps do:
/// a handler that ignores it keeps its task until it returns, though the client has its answer.
/// A response body streamed after the head is not covered; the connection's idle timeout is.
public struct RequestTimeoutMiddleware: RouterMiddleware {
    /// The limit.
    public let timeout: Duration

    /// A middleware failing requests that take longer than `timeout`.
    public init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Runs the rest of the chain under the limit.
    public func handle(
        _ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        let expectsBody = request.headers[.transferEncoding] != nil || (request.headers[.contentLength].flatMap { Int($0) } ?? 0) > 0
        return try await withoutActuallyEscaping(next) { next in
            let work = UncheckedNext(next: next)
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await work.next(request, context) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw GatewayError(.internal, "request task group finished empty") }
                if let response = first { return response }
                let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
                if expectsBody && !context.bodyProgress.isFinished {
                    throw GatewayError(.requestTimeout, "the request body was not received within \(seconds) seconds")
                }
                throw GatewayError(.unavailable, "the request did not complete within \(seconds) seconds")
            }
        }
    }
}

/// The `next` closure of a middleware, carried into a child task of the group that
/// ``RequestTimeoutMiddleware`` waits on before it returns, so it never outlives its caller.
// @unchecked Sendable: Hummingbird's `next` is not declared `@Sendable`, but the chain it calls
// is built of Sendable middleware and responders, and the task group ends before `handle` returns.
private struct UncheckedNext: @unchecked Sendable {
    let next: (Request, GatewayRequestContext) async throws -> Response
}
