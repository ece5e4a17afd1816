import HTTPTypes

/// Builds the OpenAPI 3.1 document that `GET /openapi.json` serves from the routes'
/// ``GatewayRoute`` descriptions, with the shared `Error` schema (``ErrorBody``) on every
/// error response.
///
/// The document is data, not a file: a route added in code is in it, and a route without a
/// description cannot be added through ``GatewayRoutes``.
public enum OpenAPIDocument {
    /// The OpenAPI version written (`openapi`).
    public static let openAPIVersion = "3.1.0"
    /// The JSON Schema dialect of 3.1 documents.
    public static let jsonSchemaDialect = "https://spec.openapis.org/oas/3.1/dialect/base"

    /// The document describing `routes`; `version` is the API's version (`info.version`).
    public static func make(routes: [GatewayRoute], version: String = "1.0.0") -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for route in routes {
            paths[route.path, default: [:]][route.method.rawValue.lowercased()] = operation(route)
        }
        let usesTLS: JSONValue = "Served over TLS 1.2 or later; plain HTTP only on loopback with --insecure-http."
        return [
            "openapi": .string(openAPIVersion),
            "jsonSchemaDialect": .string(jsonSchemaDialect),
            "info": [
                "title": "Bulwark gateway",
                "version": .string(version),
                "summary": "The HTTP API of `bulwark serve`.",
                "description": usesTLS,
                "license": ["name": "Apache-2.0", "identifier": "Apache-2.0"],
            ],
            "paths": .object(paths.mapValues { .object($0) }),
            "components": ["schemas": .object(schemas)],
        ]
    }

    /// The schemas every document carries: `Error` and `Status`.
    static let schemas: [String: JSONValue] = [
        "Error": [
            "type": "object",
            "description": "The body of every error response.",
            "required": ["error"],
            "additionalProperties": false,
            "properties": [
                "error": [
                    "type": "object",
                    "required": ["code", "message", "requestId"],
                    "additionalProperties": false,
                    "properties": [
                        "code": ["type": "string", "description": "A stable name clients branch on (notFound, payloadTooLarge, …)."],
                        "message": ["type": "string", "description": "One line for a person; never internal detail."],
                        "requestId": ["type": "string", "description": "The X-Request-ID of the request."],
                    ],
                ]
            ],
        ],
        "Status": [
            "type": "object",
            "required": ["status"],
            "properties": ["status": ["type": "string", "enum": ["ok", "ready"]]],
        ],
    ]

    /// The Operation Object of one route.
    static func operation(_ route: GatewayRoute) -> JSONValue {
        var responses: [String: JSONValue] = [:]
        var success: [String: JSONValue] = ["description": .string(route.successDescription), "headers": requestIDHeader]
        if let schema = route.responseSchema {
            success["content"] = [route.responseMediaType: ["schema": schema]]
        }
        responses[String(route.successStatus)] = .object(success)
        for status in Set(route.errorStatuses + GatewayRoute.commonErrorStatuses).sorted() {
            responses[String(status)] = [
                "description": .string(HTTPResponse.Status(code: status).reasonPhrase),
                "headers": requestIDHeader,
                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
            ]
        }
        var operation: [String: JSONValue] = [
            "operationId": .string(route.operationID),
            "summary": .string(route.summary),
            "responses": .object(responses),
        ]
        if !route.tags.isEmpty { operation["tags"] = .array(route.tags.map { .string($0) }) }
        if let schema = route.requestSchema {
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": schema]]]
        }
        let parameters = pathParameters(route.path)
        if !parameters.isEmpty {
            operation["parameters"] = .array(parameters.map { ["name": .string($0), "in": "path", "required": true, "schema": ["type": "string"]] })
        }
        return .object(operation)
    }

    static let requestIDHeader: JSONValue = [
        "X-Request-ID": ["description": "The request's id, echoed or generated.", "schema": ["type": "string"]]
    ]

    /// The `{name}` segments of an OpenAPI path, in order.
    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") && segment.count > 2 ? String(segment.dropFirst().dropLast()) : nil
        }
    }
}
