public import HTTPTypes

/// One route as the gateway serves and documents it: method, path, what it answers and which
/// errors it may return. ``GatewayRoutes/add(_:handler:)`` registers a handler only together
/// with its description, and ``OpenAPIDocument`` is built from the descriptions, so the
/// document cannot miss a route added that way; a test checks the router against it.
///
/// ```swift
/// GatewayRoute(
///     method: .get, path: "/api/v1/models/{id}", operationID: "getModel", summary: "One model version.",
///     tags: ["registry"], responseSchema: ["$ref": "#/components/schemas/Model"], errorStatuses: [401, 403, 404]
/// )
/// ```
public struct GatewayRoute: Sendable, Equatable {
    /// Which of the configured body limits a route gets.
    public enum BodyLimitClass: Sendable, Equatable {
        /// `--max-body` (default 1 MiB): JSON API requests.
        case api
        /// `--max-upload` (default 1 GiB): routes that receive artifacts or datasets.
        case upload
    }

    /// The HTTP method.
    public var method: HTTPRequest.Method
    /// The path in OpenAPI's syntax, starting with `/`, a captured segment written `{name}`.
    public var path: String
    /// A unique, stable name of the operation (`getHealth`), OpenAPI's `operationId`.
    public var operationID: String
    /// One line saying what the route does.
    public var summary: String
    /// Groups for the document (`health`, `registry`).
    public var tags: [String]
    /// The status of a successful answer.
    public var successStatus: Int
    /// What a successful answer means, one line.
    public var successDescription: String
    /// The media type of a successful answer.
    public var responseMediaType: String
    /// The JSON Schema of a successful answer's body (or `["$ref": …]`); `nil` for no body.
    public var responseSchema: JSONValue?
    /// The JSON Schema of the request body, when the route takes one.
    public var requestSchema: JSONValue?
    /// The error statuses this route documents, besides those every route may return (408, 413,
    /// 500, 503), each with the `Error` body.
    public var errorStatuses: [Int]
    /// The body limit the route enforces.
    public var bodyLimit: BodyLimitClass

    /// A route description; see the properties for each field.
    public init(
        method: HTTPRequest.Method,
        path: String,
        operationID: String,
        summary: String,
        tags: [String] = [],
        successStatus: Int = 200,
        successDescription: String = "Success.",
        responseMediaType: String = "application/json",
        responseSchema: JSONValue? = nil,
        requestSchema: JSONValue? = nil,
        errorStatuses: [Int] = [],
        bodyLimit: BodyLimitClass = .api
    ) {
        self.method = method
        self.path = path
        self.operationID = operationID
        self.summary = summary
        self.tags = tags
        self.successStatus = successStatus
        self.successDescription = successDescription
        self.responseMediaType = responseMediaType
        self.responseSchema = responseSchema
        self.requestSchema = requestSchema
        self.errorStatuses = errorStatuses
        self.bodyLimit = bodyLimit
    }

    /// The error statuses every route may answer with, whatever it documents itself: the
    /// request timeout, the body limit, an internal error and an overloaded or slow server.
    public static let commonErrorStatuses = [408, 413, 500, 503]
}
