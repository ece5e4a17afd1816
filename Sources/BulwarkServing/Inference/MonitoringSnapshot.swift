public import Foundation

/// What the monitoring page and `GET /api/v1/monitoring` show: per served model its version,
/// request outcomes, detections by kind, the latest drift report and the clients with the most
/// queries (their extraction standing), plus the incidents open now.
public struct MonitoringSnapshot: Sendable, Codable, Equatable {
    /// One served model's view.
    public struct Model: Sendable, Codable, Equatable {
        /// The model's name.
        public var name: String
        /// The version served (nil when none is loaded).
        public var version: Int?
        /// `serving`, `killed` or `not served: <reason>`.
        public var status: String
        /// Requests answered by outcome (`ok`, `invalid`, `rate_limited`, `refused`, …) since start.
        public var requests: [String: Int]
        /// Detector firings by detector kind since start.
        public var detections: [String: Int]
        /// The latest drift report, when a drift monitor runs for the model.
        public var drift: DriftReport?
        /// Clients by queries, most first (at most 20), with their extraction standing.
        public var topClients: [ClientStanding]

        /// A model view with every field given.
        public init(name: String, version: Int?, status: String, requests: [String: Int], detections: [String: Int], drift: DriftReport?,
                    topClients: [ClientStanding]) {
            self.name = name
            self.version = version
            self.status = status
            self.requests = requests
            self.detections = detections
            self.drift = drift
            self.topClients = topClients
        }
    }

    /// An incident open now.
    public struct OpenIncident: Sendable, Codable, Equatable {
        /// Its id.
        public var id: String
        /// `kill`, `rollback`, `quarantine`, …
        public var kind: String
        /// What it targets (`model/version`, a client).
        public var target: String
        /// Who opened it.
        public var openedBy: String
        /// When.
        public var openedAt: Date
        /// Why.
        public var reason: String

        /// An incident with every field given.
        public init(id: String, kind: String, target: String, openedBy: String, openedAt: Date, reason: String) {
            self.id = id
            self.kind = kind
            self.target = target
            self.openedBy = openedBy
            self.openedAt = openedAt
            self.reason = reason
        }
    }

    /// When the snapshot was taken.
    public var takenAt: Date
    /// The served models, by name.
    public var models: [Model]
    /// Incidents open now.
    public var incidents: [OpenIncident]

    /// A snapshot with every field given.
    public init(takenAt: Date = Date(), models: [Model], incidents: [OpenIncident]) {
        self.takenAt = takenAt
        self.models = models
        self.incidents = incidents
    }
}
