import BulwarkAccess
public import BulwarkServing
import Hummingbird
import HTTPTypes
import NIOCore
public import Prometheus

/// `GET /metrics`: the Prometheus text exposition of the gateway's metrics (``ServingMetrics``),
/// for a scraper that presents a token whose principal the policy lets `metrics.read` (admin,
/// auditor in the shipped policy; Prometheus sends it with `authorization: {credentials: …}`).
public struct MetricsEndpoint: Sendable {
    /// The registry the metrics are kept in.
    public let registry: PrometheusCollectorRegistry
    /// The metrics the inference runtime writes.
    public let metrics: ServingMetrics

    /// A fresh registry, with latency buckets from 0.5 ms to 10 s.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
        ]
        metrics = ServingMetrics(factory: factory)
    }

    /// Adds `GET /metrics` to `routes`, authorizing through `plane` (`nil`: described only, 503).
    public func install(on routes: GatewayRoutes, plane: ControlPlane?) {
        Self.add(to: routes, endpoint: self, plane: plane)
    }

    /// Adds the route's description without an endpoint (for `--print-openapi`).
    public static func describeRoutes(on routes: GatewayRoutes) {
        add(to: routes, endpoint: nil, plane: nil)
    }

    static func add(to routes: GatewayRoutes, endpoint: MetricsEndpoint?, plane: ControlPlane?) {
        routes.add(GatewayRoute(method: .get, path: "/metrics", operationID: "metrics",
                                summary: "Prometheus metrics: inference requests by outcome, latency histograms, detections, drift scores.",
                                tags: ["monitoring"], responseMediaType: "text/plain", errorStatuses: [401, 403, 503])) { request, context in
            guard let endpoint, let plane else { throw ControlPlane.notConfigured }
            try await plane.authorize(.metricsRead, on: Resource(type: "metrics"), request: request, context: context)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: endpoint.registry.emitToBuffer())))
        }
    }
}
