import Foundation
public import Hummingbird
public import HTTPTypes
import NIOCore

/// The one JSON shape of every error response:
/// `{"error": {"code": "notFound", "message": "…", "requestId": "…"}}`.
///
/// `code` is a ``GatewayError`` code name, stable for clients to branch on; `message` is one
/// line for a person; `requestId` matches the `X-Request-ID` header and the server's log line.
/// Nothing else is ever sent: no stack trace, no type name, no internal error text.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// The content of the `error` member.
    public struct Detail: Codable, Sendable, Equatable {
        /// The error code's stable name (`payloadTooLarge`).
        public var code: String
        /// One line for a person.
        public var message: String
        /// The request's id.
        public var requestId: String

        /// A detail with the given fields.
        public init(code: String, message: String, requestId: String) {
            self.code = code
            self.message = message
            self.requestId = requestId
        }
    }

    /// The error.
    public var error: Detail

    /// The body for `code` and `message` on request `requestID`.
    public init(code: String, message: String, requestID: String) {
        self.error = Detail(code: code, message: message, requestId: requestID)
    }

    /// The response carrying this body with `status`: `Content-Type: application/json`,
    /// `Cache-Control: no-store`.
    public func response(status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding three strings cannot fail; the fallback is still valid JSON of the same shape.
        let data = (try? encoder.encode(self)) ?? Data(#"{"error":{"code":"internal","message":"internal error","requestId":""}}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
