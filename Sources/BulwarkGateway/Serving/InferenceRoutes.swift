import BulwarkAccess
import BulwarkRegistry
public import BulwarkServing
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// The Open Inference Protocol (KServe v2 REST) routes of `bulwark serve`: server and model
/// health, model metadata and inference, for the models an ``InferenceService`` serves.
///
/// Health routes answer anyone (load balancers probe them); model routes need the policy's
/// `model.infer` on the model (its team, risk tier and data classification are the resource's
/// attributes). Errors use the protocol's body, `{"error": "…"}`: 400 for a request the model
/// does not take, 404 for a model or version not served, 429 over a rate limit, 503 (with
/// `Retry-After`) when the version is killed, being replaced or its queue is full. Inference
/// requests are not audited one by one (the audit log records what changes state: kills,
/// rollbacks, quarantines, blocks); the access log and the metrics count them.
public struct InferenceGateway: Sendable {
    /// The inference path.
    public let service: InferenceService

    /// A gateway over `service`.
    public init(service: InferenceService) {
        self.service = service
    }

    /// Adds the routes to `routes`, authorizing through `plane`, and a readiness check that every
    /// served model is loaded and not killed.
    public func install(on routes: GatewayRoutes, plane: ControlPlane) {
        Self.add(to: routes, gateway: self, plane: plane)
        let host = service.host
        routes.addReadinessCheck(named: "models") { host.isReady }
    }

    /// Adds the routes' descriptions without a service behind them (each answers 503): for
    /// `bulwark serve --print-openapi`.
    public static func describeRoutes(on routes: GatewayRoutes) {
        add(to: routes, gateway: nil, plane: nil)
    }

    static let tensorSchema: JSONValue = [
        "type": "object", "required": ["name", "shape", "datatype", "data"],
        "properties": ["name": ["type": "string"], "shape": ["type": "array", "items": ["type": "integer"]],
                       "datatype": ["type": "string"], "data": ["type": "array"]],
    ]

    static let metadataSchema: JSONValue = [
        "type": "object", "required": ["name", "versions", "platform", "inputs", "outputs"],
        "properties": ["name": ["type": "string"], "versions": ["type": "array", "items": ["type": "string"]], "platform": ["type": "string"],
                       "inputs": ["type": "array", "items": ["type": "object"]], "outputs": ["type": "array", "items": ["type": "object"]]],
    ]

    static func add(to routes: GatewayRoutes, gateway: InferenceGateway?, plane: ControlPlane?) {
        routes.add(GatewayRoute(method: .get, path: "/v2/health/live", operationID: "inferenceLive",
                                summary: "Open Inference Protocol liveness: the server answers.", tags: ["inference"],
                                responseSchema: ["type": "object", "properties": ["live": ["type": "boolean"]]])) { _, _ in
            raw(#"{"live":true}"#, status: .ok)
        }
        routes.add(GatewayRoute(method: .get, path: "/v2/health/ready", operationID: "inferenceReady",
                                summary: "Open Inference Protocol readiness: every served model is loaded and not killed.", tags: ["inference"],
                                responseSchema: ["type": "object", "properties": ["ready": ["type": "boolean"]]], errorStatuses: [503])) { _, _ in
            guard let gateway, gateway.service.host.isReady else { return raw(#"{"ready":false}"#, status: .serviceUnavailable) }
            return raw(#"{"ready":true}"#, status: .ok)
        }
        routes.add(GatewayRoute(method: .get, path: "/v2", operationID: "inferenceServerMetadata",
                                summary: "Open Inference Protocol server metadata.", tags: ["inference"],
                                responseSchema: ["type": "object", "properties": ["name": ["type": "string"], "version": ["type": "string"],
                                                                                   "extensions": ["type": "array", "items": ["type": "string"]]]])) { _, _ in
            raw(#"{"name":"bulwark","version":"1","extensions":[]}"#, status: .ok)
        }
        for versioned in [false, true] {
            let base = versioned ? "/v2/models/{model}/versions/{version}" : "/v2/models/{model}"
            let suffix = versioned ? "Version" : ""
            routes.add(GatewayRoute(method: .get, path: base, operationID: "inferenceModelMetadata\(suffix)",
                                    summary: "Open Inference Protocol model metadata: input and output names, datatypes and shapes.",
                                    tags: ["inference"], responseSchema: metadataSchema, errorStatuses: [401, 403, 404, 503])) { request, context in
                guard let gateway, let plane else { throw ControlPlane.notConfigured }
                let (name, version) = try await gateway.authorized(request, context, plane: plane, versioned: versioned)
                do throws(ServingError) {
                    return Response(status: .ok, headers: jsonHeaders, body: .init(byteBuffer: ByteBuffer(bytes: try gateway.service.metadata(model: name, version: version))))
                } catch {
                    return errorResponse(error)
                }
            }
            routes.add(GatewayRoute(method: .get, path: base + "/ready", operationID: "inferenceModelReady\(suffix)",
                                    summary: "Open Inference Protocol model readiness.", tags: ["inference"],
                                    responseSchema: ["type": "object", "properties": ["name": ["type": "string"], "ready": ["type": "boolean"]]],
                                    errorStatuses: [401, 403, 404, 503])) { request, context in
                guard let gateway, let plane else { throw ControlPlane.notConfigured }
                let (name, version) = try await gateway.authorized(request, context, plane: plane, versioned: versioned)
                do throws(ServingError) {
                    _ = try gateway.service.host.batcher(model: name, version: version)
                    var body: [UInt8] = Array(#"{"name":"#.utf8)
                    CanonicalJSON.writeString(name, into: &body)
                    body.append(contentsOf: #","ready":true}"#.utf8)
                    return Response(status: .ok, headers: jsonHeaders, body: .init(byteBuffer: ByteBuffer(bytes: body)))
                } catch {
                    return errorResponse(error)
                }
            }
            routes.add(GatewayRoute(method: .post, path: base + "/infer", operationID: "infer\(suffix)",
                                    summary: "Open Inference Protocol inference: class probabilities for a batch of inputs.",
                                    tags: ["inference"],
                                    responseSchema: ["type": "object", "required": ["model_name", "outputs"],
                                                     "properties": ["model_name": ["type": "string"], "model_version": ["type": "string"],
                                                                    "id": ["type": "string"], "outputs": ["type": "array", "items": tensorSchema]]],
                                    requestSchema: ["type": "object", "required": ["inputs"],
                                                    "properties": ["id": ["type": "string"], "inputs": ["type": "array", "items": tensorSchema],
                                                                   "outputs": ["type": "array", "items": ["type": "object"]], "parameters": ["type": "object"]]],
                                    errorStatuses: [400, 401, 403, 404, 429, 503])) { request, context in
                guard let gateway, let plane else { throw ControlPlane.notConfigured }
                let (name, version) = try await gateway.authorized(request, context, plane: plane, versioned: versioned)
                var request = request
                let body = try await request.collectBody(upTo: context.maxUploadSize)
                let client = ControlPlane.actorName(context.principal)
                do throws(ServingError) {
                    let answer = try await gateway.service.infer(model: name, version: version, body: body.readableBytesView, client: client)
                    return Response(status: .ok, headers: jsonHeaders, body: .init(byteBuffer: ByteBuffer(bytes: answer.response.json())))
                } catch {
                    return errorResponse(error)
                }
            }
        }
    }

    /// The model (and version) named in the path, after the policy allowed `model.infer` on it
    /// (the resource's stage is the served version's: `production`, or `staging` for a pinned one).
    /// A model not served here is authorised as a bare resource first, so the route is no oracle
    /// for names.
    func authorized(_ request: Request, _ context: GatewayRequestContext, plane: ControlPlane, versioned: Bool) async throws -> (String, Int?) {
        let name = try RegistryRouteSupport.parameter(context, "model")
        var version: Int?
        if versioned {
            let text = try RegistryRouteSupport.parameter(context, "version")
            guard let number = Int(text), number >= 1 else { throw GatewayError(.badRequest, "version: expected a positive number") }
            version = number
        }
        let resource: Resource
        if let record = service.host.record(model: name) {
            let stage = service.host.loaded(model: name)?.stage
            resource = RegistryRouteSupport.resource(record, stage: stage)
        } else {
            resource = Resource(type: "model", id: name)
        }
        try await plane.authorize(.modelInfer, on: resource, request: request, context: context)
        return (name, version)
    }

    static var jsonHeaders: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return headers
    }

    static func raw(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: jsonHeaders, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The protocol's error answer for `error`: `{"error": "…"}` with its status (and
    /// `Retry-After` on 429 and 503).
    static func errorResponse(_ error: ServingError) -> Response {
        let retryAfter = (error.underlying as? RetryAfter)?.seconds ?? 1
        let status: HTTPResponse.Status
        switch error.code {
        case .invalidRequest, .invalidParameter: status = .badRequest
        case .notFound: status = .notFound
        case .rateLimited: status = .tooManyRequests
        case .refused: status = .forbidden
        case .unavailable: status = .serviceUnavailable
        default: status = .internalServerError
        }
        var body: [UInt8] = Array(#"{"error":"#.utf8)
        CanonicalJSON.writeString(status == .internalServerError && error.code != .modelFailure ? "internal error" : error.message, into: &body)
        body.append(UInt8(ascii: "}"))
        var headers = jsonHeaders
        if status == .tooManyRequests || status == .serviceUnavailable { headers[.retryAfter] = String(max(1, retryAfter)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
