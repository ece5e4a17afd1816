public import Hummingbird
import HTTPTypes
import Synchronization

/// The gateway's router and the description of every route on it.
///
/// Routes are added only through ``add(_:handler:)``, which takes the handler together with
/// its ``GatewayRoute`` description: the route's body limit is applied before the handler runs,
/// and ``openAPIDocument`` lists it. A route added to ``router`` directly would be served
/// without a description; the OpenAPI coverage test compares ``router``'s routes with the
/// document and fails on such a route.
///
/// Add every route before the application is built (``Gateway/makeApplication(onListening:)``):
/// Hummingbird's router is a builder, not shared state.
///
/// ```swift
/// let routes = GatewayRoutes(configuration: GatewayConfiguration(insecureHTTP: true))
/// routes.add(GatewayRoute(method: .get, path: "/api/v1/ping", operationID: "ping", summary: "Answers pong.",
///                         responseSchema: ["type": "string"])) { _, _ in "pong" }
/// ```
public final class GatewayRoutes {
    /// The Hummingbird router, with the gateway's middleware installed.
    public let router: Router<GatewayRequestContext>
    /// The limits routes apply.
    public let configuration: GatewayConfiguration
    /// The descriptions and readiness checks, shared with the built-in routes' handlers.
    let registry = RouteRegistry()

    /// A router with the gateway's middleware (request id, access log unless turned off, security headers, JSON
    /// errors, request timeout, server-wide body ceiling) and the built-in routes (`/healthz`,
    /// `/readyz`, `/openapi.json`).
    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        if configuration.accessLog { router.add(middleware: AccessLogMiddleware()) }
        router.add(middleware: SecurityHeadersMiddleware(usesTLS: configuration.usesTLS))
        router.add(middleware: ErrorBodyMiddleware())
        router.add(middleware: RequestTimeoutMiddleware(timeout: .milliseconds(Int64(configuration.requestTimeoutSeconds * 1000))))
        router.add(middleware: BodyLimitMiddleware(maxBytes: max(configuration.maxRequestBodyBytes, configuration.maxUploadBodyBytes)))
        self.router = router
        BuiltInRoutes.add(to: self)
    }

    /// The descriptions of the routes added so far, in the order they were added.
    public var descriptions: [GatewayRoute] { registry.descriptions }

    /// Serves `handler` for `route`'s method and path: the route's body limit
    /// (``GatewayRoute/BodyLimitClass``) is applied to the request first, and `route` joins the
    /// OpenAPI document. Errors the handler throws become JSON error bodies
    /// (``ErrorBodyMiddleware``).
    public func add<Output: ResponseGenerator>(
        _ route: GatewayRoute,
        handler: @escaping @Sendable (Request, GatewayRequestContext) async throws -> Output
    ) {
        registry.add(route)
        let limit = route.bodyLimit == .upload ? configuration.maxUploadBodyBytes : configuration.maxRequestBodyBytes
        router.on(RouterPath(route.path), method: route.method) { request, context in
            var request = request
            var context = context
            context.maxUploadSize = limit
            try BodyLimit.apply(to: &request, maxBytes: limit, progress: context.bodyProgress)
            return try await handler(request, context)
        }
    }

    /// Adds a check `/readyz` runs: the server is ready when every check returns `true`. Later
    /// waves add the store's connection, the audit log's signer and so on.
    public func addReadinessCheck(named name: String, _ check: @escaping @Sendable () async -> Bool) {
        registry.addReadinessCheck(named: name, check)
    }

    /// The OpenAPI 3.1 document of every route added so far (``OpenAPIDocument``).
    public var openAPIDocument: JSONValue { OpenAPIDocument.make(routes: descriptions) }
}

/// The route descriptions and readiness checks, behind a lock: written while routes are added,
/// read by the `/readyz` and `/openapi.json` handlers while the server runs.
final class RouteRegistry: Sendable {
    private struct State {
        var descriptions: [GatewayRoute] = []
        var readinessChecks: [(name: String, check: @Sendable () async -> Bool)] = []
    }

    private let state = Mutex(State())

    var descriptions: [GatewayRoute] { state.withLock { $0.descriptions } }

    func add(_ route: GatewayRoute) { state.withLock { $0.descriptions.append(route) } }

    func addReadinessCheck(named name: String, _ check: @escaping @Sendable () async -> Bool) {
        state.withLock { $0.readinessChecks.append((name, check)) }
    }

    /// Runs the checks in the order they were added; the names of those that returned `false`.
    func failedReadinessChecks() async -> [String] {
        let checks = state.withLock { $0.readinessChecks }
        var failed: [String] = []
        for (name, check) in checks where !(await check()) { failed.append(name) }
        return failed
    }
}
