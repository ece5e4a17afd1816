import Hummingbird
import HTTPTypes
import NIOCore

/// `GET /healthz`, `GET /readyz` and `GET /openapi.json`: the routes every gateway serves.
enum BuiltInRoutes {
    /// `{"status": "ok"}` (`/healthz`) or `{"status": "ready"}` (`/readyz`).
    struct Status: ResponseEncodable, Sendable {
        var status: String
    }

    static let statusSchema: JSONValue = ["$ref": "#/components/schemas/Status"]

    static func add(to routes: GatewayRoutes) {
        let registry = routes.registry
        routes.add(
            GatewayRoute(
                method: .get, path: "/healthz", operationID: "getHealth",
                summary: "Liveness: the process answers requests.", tags: ["operations"],
                successDescription: "The server is alive.", responseSchema: statusSchema
            )
        ) { _, _ in Status(status: "ok") }

        routes.add(
            GatewayRoute(
                method: .get, path: "/readyz", operationID: "getReadiness",
                summary: "Readiness: every dependency the server needs answers (503 when one does not).", tags: ["operations"],
                successDescription: "The server is ready to serve.", responseSchema: statusSchema
            )
        ) { _, _ in
            let failed = await registry.failedReadinessChecks()
            guard failed.isEmpty else { throw GatewayError(.unavailable, "not ready: \(failed.joined(separator: ", "))") }
            return Status(status: "ready")
        }

        routes.add(
            GatewayRoute(
                method: .get, path: "/openapi.json", operationID: "getOpenAPIDocument",
                summary: "This OpenAPI 3.1 document.", tags: ["operations"],
                successDescription: "The OpenAPI document.", responseSchema: ["type": "object"]
            )
        ) { _, _ in
            let document = OpenAPIDocument.make(routes: registry.descriptions)
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document.encoded())))
        }
    }
}
