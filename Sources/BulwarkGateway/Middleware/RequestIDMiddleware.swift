public import Hummingbird
public import HTTPTypes
import Logging

/// Gives every request an id: the client's `X-Request-ID` when it is 1–128 characters of
/// `A-Z a-z 0-9 - _ . :`, otherwise 128 random bits in hex. The id goes into
/// ``GatewayRequestContext/requestID``, the request's log metadata (`request.id`) and the
/// response's `X-Request-ID`, so a client's report and the server's log line can be matched.
public struct RequestIDMiddleware: RouterMiddleware {
    /// The request and response header, `X-Request-ID`.
    public static let headerName = HTTPField.Name("X-Request-ID")!

    /// A middleware with no settings.
    public init() {}

    /// Sets the id, calls the rest of the chain, and echoes the id on the response.
    public func handle(
        _ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = request.headers[Self.headerName].flatMap { Self.isAcceptable($0) ? $0 : nil } ?? Self.generate()
        context.requestID = id
        context.logger[metadataKey: "request.id"] = .string(id)
        var response = try await next(request, context)
        response.headers[Self.headerName] = id
        return response
    }

    /// Whether a client's id is safe to echo into headers, JSON and log lines.
    package static func isAcceptable(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"):
                true
            default:
                false
            }
        }
    }

    /// 128 bits from the system's random number generator, as 32 lowercase hex digits.
    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64, low = generator.next() as UInt64
        return String(unsafeUninitializedCapacity: 32) { text in
            for k in 0..<32 {
                let half = k < 16 ? high : low
                let nibble = UInt8(truncatingIfNeeded: half >> UInt64(60 - 4 * (k % 16))) & 15
                text[k] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return 32
        }
    }
}
