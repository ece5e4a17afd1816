import BulwarkAccess
import BulwarkExtraction
public import BulwarkServing
import Foundation
import Hummingbird
import HTTPTypes
import Synchronization

/// Where the monitoring page and `GET /api/v1/monitoring` read the serving runtime's state: a
/// closure the server sets once it knows what it serves (``ControlPlane/setMonitoringSource(_:)``).
/// It returns `nil` when there is nothing to show yet; the page then shows its empty state.
public typealias MonitoringSource = @Sendable () async -> MonitoringSnapshot?

/// The monitoring source of one control plane: empty until the server sets one, replaceable.
final class MonitoringBoard: Sendable {
    private let source = Mutex<MonitoringSource?>(nil)

    init() {}

    /// Replaces the source (`nil`: none).
    func set(_ source: MonitoringSource?) {
        self.source.withLock { $0 = source }
    }

    /// The current snapshot; an empty one (no models, no incidents) without a source or when
    /// the source has nothing.
    func snapshot() async -> MonitoringSnapshot {
        let current = source.withLock { $0 }
        if let current, let snapshot = await current() { return snapshot }
        return MonitoringSnapshot(models: [], incidents: [])
    }
}

extension ControlPlane {
    /// Gives the monitoring page (`/ui/monitoring`) and `GET /api/v1/monitoring` their data:
    /// `source` is called on every request to either, so it should be cheap (a copy of
    /// counters the runtime keeps). Call it after ``install(on:)``, once the served models are
    /// known; a later call replaces the source. Without one both answer an empty snapshot.
    ///
    /// ```swift
    /// func wire(_ plane: ControlPlane, on routes: GatewayRoutes, serving service: InferenceService) {
    ///     plane.install(on: routes)
    ///     plane.setMonitoringSource { service.monitoringSnapshot() }
    /// }
    /// ```
    public func setMonitoringSource(_ source: @escaping MonitoringSource) {
        monitoring.set(source)
    }
}

/// The monitoring page of the web UI and its JSON twin, both for callers the policy lets
/// `metrics.read` on the `metrics` resource (the question `GET /metrics` asks).
///
/// - `/ui/monitoring`: per served model its version and status, requests by outcome,
///   detections by kind, the latest drift report (each statistic with its threshold, drifted
///   ones highlighted) and the clients with the most queries with their extraction standing;
///   then the incidents open now;
/// - `/api/v1/monitoring`: the same ``MonitoringSnapshot`` as JSON (ISO 8601 dates).
///
/// Client ids, incident reasons and model names reach the page from requests and operators:
/// every one is written by a `{{name}}` tag, which escapes HTML.
enum WebUIMonitoring {
    /// Feature rows shown per drift report (highest PSI first).
    static let featuresShown = 10

    /// The JSON route's description (also for `--print-openapi`, with no control plane).
    static let apiRoute = GatewayRoute(
        method: .get, path: "/api/v1/monitoring", operationID: "getMonitoring",
        summary: "Served models: requests by outcome, detections by kind, drift, top clients; open incidents.",
        tags: ["monitoring"], successDescription: "A monitoring snapshot.",
        responseSchema: [
            "type": "object", "required": ["takenAt", "models", "incidents"],
            "properties": [
                "takenAt": ["type": "string", "format": "date-time"],
                "models": ["type": "array", "items": ["type": "object", "required": ["name", "status", "requests", "detections", "topClients"]]],
                "incidents": ["type": "array", "items": ["type": "object", "required": ["id", "kind", "target", "openedBy", "openedAt", "reason"]]],
            ],
        ],
        errorStatuses: [401, 403])

    /// Adds `/ui/monitoring` and `/api/v1/monitoring`, served by `plane`.
    static func add(to routes: GatewayRoutes, plane: ControlPlane) {
        routes.add(WebUI.route(.get, "/ui/monitoring", "uiMonitoring",
                               "Web UI: served models' requests, detections, drift and top clients; open incidents.")) { request, context in
            await WebUI.page(request, context) { session in
                try await plane.authorize(.metricsRead, on: Resource(type: "metrics"), request: request, context: context)
                return WebUIViews.page("monitoring", view(await plane.monitoring.snapshot(), session: session))
            }
        }
        addAPI(to: routes, plane: plane)
    }

    /// Adds `/api/v1/monitoring` (`plane` nil: described only, answering 503).
    static func addAPI(to routes: GatewayRoutes, plane: ControlPlane?) {
        routes.add(apiRoute) { request, context in
            guard let plane else { throw ControlPlane.notConfigured }
            try await plane.authorize(.metricsRead, on: Resource(type: "metrics"), request: request, context: context)
            return AccountRoutes.json(await plane.monitoring.snapshot(), status: .ok)
        }
    }

    // MARK: - The page's values

    struct Count { var name: String; var value: Int }
    struct StatisticRow {
        var kind: String, value: String, comparison: String, threshold: String, windowSize: Int, time: String, drifted: Bool, rowClass: String
    }
    struct FeatureRow { var name: String, psi: String, ksStatistic: String, ksPValue: String }
    struct Drift {
        var evaluated: String, examplesSeen: Int, windowSize: Int, alertsRaised: Int
        var verdict: String, verdictClass: String
        var statistics: [StatisticRow], hasStatistics: Bool
        var features: [FeatureRow], hasFeatures: Bool, featureCount: Int
    }
    struct ClientRow {
        var client: String, queries: Int, level: String, peakLevel: String, lastScore: String, cause: String
    }
    struct ModelView {
        var name: String, version: String, status: String, statusClass: String
        var requests: [Count], hasRequests: Bool, totalRequests: Int
        var detections: [Count], hasDetections: Bool
        var drift: Drift?
        var clients: [ClientRow], hasClients: Bool
    }
    struct IncidentRow { var id: String, kind: String, target: String, openedBy: String, openedAt: String, reason: String }
    struct Page {
        var frame: WebUIViews.Frame
        var takenAt: String
        var models: [ModelView], hasModels: Bool
        var incidents: [IncidentRow], hasIncidents: Bool
    }

    /// The page's values for `snapshot`.
    static func view(_ snapshot: MonitoringSnapshot, session: WebUISession) -> Page {
        let models = snapshot.models.map(model)
        let incidents = snapshot.incidents.map {
            IncidentRow(id: $0.id, kind: $0.kind, target: $0.target, openedBy: $0.openedBy, openedAt: WebUIViews.time($0.openedAt), reason: $0.reason)
        }
        return Page(frame: WebUIViews.Frame(title: "Monitoring", session: session, section: .monitoring), takenAt: WebUIViews.time(snapshot.takenAt),
                    models: models, hasModels: !models.isEmpty, incidents: incidents, hasIncidents: !incidents.isEmpty)
    }

    static func model(_ model: MonitoringSnapshot.Model) -> ModelView {
        let requests = counts(model.requests)
        let detections = counts(model.detections)
        let clients = model.topClients.map { standing in
            ClientRow(client: standing.client, queries: standing.queries, level: standing.level.rawValue, peakLevel: standing.peakLevel.rawValue,
                      lastScore: standing.lastScore.map(number) ?? "—",
                      cause: standing.cause.map {
                          "\($0.detector): \($0.statistic) \(number($0.value)) \($0.direction) \(number($0.threshold)) at query \($0.clientQueryIndex)"
                      } ?? "—")
        }
        let statusClass = switch model.status {
        case "serving": "pass"
        case "killed": "fail"
        default: "pending"
        }
        return ModelView(name: model.name, version: model.version.map { "version \($0)" } ?? "none loaded", status: model.status,
                         statusClass: statusClass, requests: requests, hasRequests: !requests.isEmpty,
                         totalRequests: model.requests.values.reduce(0, &+), detections: detections, hasDetections: !detections.isEmpty,
                         drift: model.drift.map(drift), clients: clients, hasClients: !clients.isEmpty)
    }

    static func drift(_ report: DriftReport) -> Drift {
        let statistics = report.statistics.map { result in
            StatisticRow(kind: label(result.kind), value: number(result.value), comparison: result.kind.driftsBelow ? "drift below" : "drift above",
                         threshold: number(result.threshold), windowSize: result.windowSize, time: WebUIViews.time(result.time),
                         drifted: result.drifted, rowClass: result.drifted ? "drifted" : "steady")
        }
        // NaN sorts last, so that the order stays a strict weak one.
        let rank = { (feature: FeatureDrift) in feature.psi.isNaN ? -Double.infinity : feature.psi }
        let features = report.features.sorted { (rank($0), $1.name) > (rank($1), $0.name) }.prefix(featuresShown).map {
            FeatureRow(name: $0.name, psi: number($0.psi), ksStatistic: number($0.ksStatistic), ksPValue: number($0.ksPValue))
        }
        let verdict: (String, String) = if report.time == nil {
            ("window still filling", "none")
        } else if report.drifted {
            ("drift detected", "fail")
        } else {
            ("no drift", "pass")
        }
        return Drift(evaluated: report.time.map(WebUIViews.time) ?? "not yet", examplesSeen: report.examplesSeen, windowSize: report.windowSize,
                     alertsRaised: report.alertsRaised, verdict: verdict.0, verdictClass: verdict.1,
                     statistics: statistics, hasStatistics: !statistics.isEmpty,
                     features: Array(features), hasFeatures: !features.isEmpty, featureCount: report.features.count)
    }

    /// `values` as rows sorted by name.
    static func counts(_ values: [String: Int]) -> [Count] {
        values.sorted { $0.key < $1.key }.map { Count(name: $0.key, value: $0.value) }
    }

    /// A statistic's name as the page shows it.
    static func label(_ kind: DriftStatisticKind) -> String {
        switch kind {
        case .inputPSI: "input PSI (largest over features)"
        case .inputKS: "input KS p-value (smallest over features)"
        case .embeddingMMD: "embedding MMD²"
        case .predictionPSI: "prediction PSI"
        }
    }

    /// `value` to four significant digits (`nan`, `inf` as such).
    static func number(_ value: Double) -> String {
        String(format: "%.4g", value)
    }
}
