public import Hummingbird
import HTTPTypes
import NIOCore
import Synchronization

/// Enforces a request body limit without buffering: a declared `Content-Length` over the limit
/// is refused before any byte is read, and a streamed (chunked) body is counted as the handler
/// reads it, failing with 413 as soon as it passes the limit.
public enum BodyLimit {
    /// Refuses `request` when it declares more than `maxBytes`, and replaces its body with one
    /// that throws once more than `maxBytes` have been read; `progress`, when given, learns when
    /// the body has been read to its end.
    ///
    /// - Throws: ``GatewayError`` `.payloadTooLarge` (413) for a declared length over the limit,
    ///   `.badRequest` for a `Content-Length` that is not a number.
    public static func apply(to request: inout Request, maxBytes: Int, progress: BodyProgress? = nil) throws(GatewayError) {
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), length >= 0 else {
                throw GatewayError(.badRequest, "Content-Length is not a byte count")
            }
            guard length <= maxBytes else { throw tooLarge(maxBytes) }
        }
        request.body = RequestBody(asyncSequence: LimitedBody(base: request.body, maxBytes: maxBytes, progress: progress))
    }

    /// The error for a body over `maxBytes`.
    package static func tooLarge(_ maxBytes: Int) -> GatewayError {
        GatewayError(.payloadTooLarge, "request body exceeds the limit of \(maxBytes) bytes")
    }
}

/// Whether a request's body has been read to its end; shared between the body stream, which
/// sets it, and ``RequestTimeoutMiddleware``, which reads it to tell a slow client (408) from a
/// slow server (503).
public final class BodyProgress: Sendable {
    private let finished = Mutex(false)

    /// A body not yet read to its end.
    public init() {}

    /// Whether the body has been read to its end.
    public var isFinished: Bool { finished.withLock { $0 } }

    /// Marks the body as read to its end.
    public func finish() { finished.withLock { $0 = true } }
}

/// A request body that counts bytes and throws ``BodyLimit/tooLarge(_:)`` past the limit.
struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let maxBytes: Int
    let progress: BodyProgress?

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let maxBytes: Int
        let progress: BodyProgress?
        var count = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else {
                progress?.finish()
                return nil
            }
            count += buffer.readableBytes
            if count > maxBytes { throw BodyLimit.tooLarge(maxBytes) }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), maxBytes: maxBytes, progress: progress)
    }
}

/// Applies the server-wide ceiling (the upload limit, the largest any route allows) to every
/// request before routing; each route then applies its own, smaller or equal, limit
/// (``GatewayRoutes``).
public struct BodyLimitMiddleware: RouterMiddleware {
    /// The ceiling in bytes.
    public let maxBytes: Int

    /// A middleware refusing bodies over `maxBytes`.
    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Checks the declared length, wraps the body, and calls the rest of the chain.
    public func handle(
        _ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        var request = request
        try BodyLimit.apply(to: &request, maxBytes: maxBytes, progress: context.bodyProgress)
        return try await next(request, context)
    }
}
