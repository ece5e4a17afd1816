import BulwarkAccess
import BulwarkRegistry
public import BulwarkServing
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// The incident-response routes of `bulwark serve` under `/api/v1/incidents`: list, open and
/// close incidents, the kill switch (`kill`, `revive`), `rollback`, client `quarantine` and
/// `release`, and the signed evidence bundle.
///
/// Reads need the policy's `incident.read`, changes `incident.respond` (a rollback also needs
/// the registry's approver role with fresh MFA). Every change and every evidence download is
/// written to the audit log as `incident.<verb>` with the incident's number and reason. A
/// change is applied on this replica at once and on the others by their ``IncidentWatcher``
/// within one poll period.
public struct IncidentGateway: Sendable {
    /// The shared incident state.
    public let store: IncidentStore
    /// The per-client query journal evidence bundles draw on.
    public let journal: QueryJournal
    /// This replica's watcher, polled after each change so it applies at once.
    public let watcher: IncidentWatcher?

    /// A gateway over `store`, `journal` and (optionally) this replica's `watcher`.
    public init(store: IncidentStore, journal: QueryJournal, watcher: IncidentWatcher? = nil) {
        self.store = store
        self.journal = journal
        self.watcher = watcher
    }

    /// Opens the incident store in `plane`'s database and a watcher applying it to `host` and
    /// `journal` every `interval`; run ``IncidentWatcher/run(onError:)`` in a task.
    ///
    /// - Throws: ``GatewayError`` `.io` when the incident tables cannot be created or read.
    public static func open(plane: ControlPlane, host: ModelHost?, journal: QueryJournal = QueryJournal(),
                            interval: Duration = .milliseconds(250)) async throws(GatewayError) -> IncidentGateway {
        do {
            let store = try await IncidentStore(database: plane.registry.database)
            let watcher = IncidentWatcher(store: store, host: host, journal: journal, interval: interval)
            try await watcher.poll()
            return IncidentGateway(store: store, journal: journal, watcher: watcher)
        } catch {
            throw GatewayError(.io, "incident store: \(error.message)", underlying: error)
        }
    }

    /// Adds the routes to `routes`, authorizing and auditing through `plane`.
    public func install(on routes: GatewayRoutes, plane: ControlPlane) {
        Self.add(to: routes, gateway: self, plane: plane)
    }

    /// Adds the routes' descriptions without a store behind them (each answers 503).
    public static func describeRoutes(on routes: GatewayRoutes) {
        add(to: routes, gateway: nil, plane: nil)
    }

    struct OpenBody: Decodable { var target: String; var reason: String }
    struct KillBody: Decodable { var model: String; var version: Int; var reason: String? }
    struct RollbackBody: Decodable { var model: String; var reason: String }
    struct ClientBody: Decodable { var client: String; var reason: String? }
    struct ListAnswer: Encodable { var incidents: [Incident]; var killed: [KilledVersion]; var quarantined: [QuarantinedClient] }
    struct RollbackAnswer: Encodable { var incident: Incident; var version: ModelVersion }

    static let incidentSchema: JSONValue = [
        "type": "object", "required": ["id", "kind", "target", "openedBy", "reason", "openedAtMilliseconds"],
        "properties": ["id": ["type": "integer"], "kind": ["type": "string", "enum": ["kill", "rollback", "quarantine", "investigation"]],
                       "target": ["type": "string"], "openedBy": ["type": "string"], "reason": ["type": "string"],
                       "openedAtMilliseconds": ["type": "integer"], "closedAtMilliseconds": ["type": "integer"], "closedBy": ["type": "string"]],
    ]

    static func add(to routes: GatewayRoutes, gateway: IncidentGateway?, plane: ControlPlane?) {
        let reasonBody: (String, JSONValue) = ("reason", ["type": "string"])
        routes.add(GatewayRoute(method: .get, path: "/api/v1/incidents", operationID: "listIncidents",
                                summary: "Incidents (newest first; query `open=true` for open ones, `limit`), the killed versions and the quarantined clients.",
                                tags: ["incidents"],
                                responseSchema: ["type": "object", "properties": ["incidents": ["type": "array", "items": incidentSchema],
                                                                                   "killed": ["type": "array", "items": ["type": "object"]],
                                                                                   "quarantined": ["type": "array", "items": ["type": "object"]]]],
                                errorStatuses: [401, 403])) { request, context in
            guard let gateway, let plane else { throw ControlPlane.notConfigured }
            try await plane.authorize(.incidentRead, on: Resource(type: "incident"), request: request, context: context)
            let query = request.uri.queryParameters
            let limit = query["limit"].flatMap { Int(String($0)) } ?? 100
            let incidents = try await call { () throws(ServingError) in try await gateway.store.incidents(openOnly: query["open"] == "true", limit: limit) }
            let state = try await call { () throws(ServingError) in try await gateway.store.state() }
            return AccountRoutes.json(ListAnswer(incidents: incidents, killed: state.killed, quarantined: state.quarantined), status: .ok)
        }
        routes.add(GatewayRoute(method: .post, path: "/api/v1/incidents", operationID: "openIncident",
                                summary: "Opens an investigation incident on a target (a model version, a model or a client) for a reason.",
                                tags: ["incidents"], successStatus: 201, responseSchema: incidentSchema,
                                requestSchema: ["type": "object", "required": ["target", "reason"], "properties": ["target": ["type": "string"], reasonBody.0: reasonBody.1]],
                                errorStatuses: [400, 401, 403])) { request, context in
            guard let gateway, let plane else { throw ControlPlane.notConfigured }
            let body = try await RegistryRouteSupport.requiredJSON(OpenBody.self, request, context: context)
            try await plane.authorize(.incidentRespond, on: Resource(type: "incident", id: body.target), request: request, context: context)
            let actor = ControlPlane.actorName(context.principal)
            let incident = try await call { () throws(ServingError) in
                try await gateway.store.open(kind: .investigation, target: body.target, by: actor, reason: body.reason)
            }
            await gateway.audit(plane, context, "incident.open", resource: "incidents/\(incident.id)", incident: incident)
            return AccountRoutes.json(incident, status: .created)
        }
        routes.add(GatewayRoute(method: .get, path: "/api/v1/incidents/{id}", operationID: "getIncident",
                                summary: "One incident.", tags: ["incidents"], responseSchema: incidentSchema,
                                errorStatuses: [400, 401, 403, 404])) { request, context in
            guard let gateway, let plane else { throw ControlPlane.notConfigured }
            let id = try incidentID(context)
            try await plane.authorize(.incidentRead, on: Resource(type: "incident", id: String(id)), request: request, context: context)
            return AccountRoutes.json(try await call { () throws(ServingError) in try await gateway.store.incident(id: id) }, status: .ok)
        }
        routes.add(GatewayRoute(method: .post, path: "/api/v1/incidents/{id}/close", operationID: "closeIncident",
                                summary: "Closes an open investigation incident (kills and quarantines close with revive and release).",
                                tags: ["incidents"], responseSchema: incidentSchema, errorStatuses: [400, 401, 403, 404, 409])) { request, context in
            guard let gateway, let plane else { throw ControlPlane.notConfigured }
            let id = try incidentID(context)
            try await plane.authorize(.incidentRespond, on: Resource(type: "incident", id: String(id)), request: request, context: context)
            let existing = try await call { () throws(ServingError) in try await gateway.store.incident(id: id) }
            guard existing.kind == Incident.Kind.investigation.rawValue else {
                throw GatewayError(.conflict, "incident \(id) is a \(existing.kind): it closes with revive or release")
            }
            let actor = ControlPlane.actorName(context.principal)
            let incident = try await call { () throws(ServingError) in try await gateway.store.close(id: id, by: actor) }
            await gateway.audit(plane, context, "incident.close", resource: "incidents/\(id)", incident: incident)
            return AccountRoutes.json(incident, status: .ok)
        }
        routes.add(GatewayRoute(method: .post, path: "/api/v1/incidents/kill", operationID: "killModelVersion",
                                summary: "The kill switch: stops a model version on every replica within one second (inference answers 503) and opens a kill incident.",
                                tags: ["incidents"], successStatus: 201, responseSchema: incidentSchema,
                                requestSchema: ["type": "object", "required": ["model", "version", "reason"],
                                                "properties": ["model": ["type": "string"], "version": ["type": "integer"], reasonBody.0: reasonBody.1]],
                                errorStatuses: [400, 401, 403, 409])) { request, context in
            guard let gateway, let plane else { throw ControlPlane.notConfigured }
            let body = try await RegistryRouteSupport.requiredJSON(KillBody.self, request, context: context)
            let target = ModelHost.key(body.model, body.version)
            try await plane.authorize(.incidentRespond, on: Resource(type: "incident", id: target), request: request, context: context)
            let actor = ControlPlane.actorName(context.principal)
            let incident = try await call { () throws(ServingError) in
                try await gateway.store.kill(model: body.model, version: body.version, by: actor, reason: body.reason ?? "")
            }
            await gateway.applied()
            await gateway.audit(plane, context, "incident.kill", resource: "models/\(target)", incident: incident)
            return AccountRoutes.json(incident, status: .created)
        }
        routes.add(GatewayRoute(method: .post, path: "/api/v1/incidents/revive", operationID: "reviveModelVersion",
                                summary: "Serves a killed model version again and closes its kill incident.",
                                tags: ["incidents"], responseSchema: incidentSchema,
                                requestSchema: ["type": "object", "required": ["model", "version"],
                                                "properties": ["model": ["type": "string"], "version": ["type": "integer"]]],
                                errorStatuses: [400, 401, 403, 404])) { request, context in
            guard let gateway, let plane else { throw ControlPlane.notConfigured }
            let body = try await RegistryRouteSupport.requiredJSON(KillBody.self, request, context: context)
            let target = ModelHost.key(body.model, body.version)
            try await plane.authorize(.incidentRespond, on: Resource(type: "incident", id: target), request: request, context: context)
            let actor = ControlPlane.actorName(context.principal)
            let incident = try await call { () throws(ServingError) in try await gateway.store.revive(model: body.model, version: body.version, by: actor) }
            await gateway.applied()
            await gateway.audit(plane, context, "incident.revive", resource: "models/\(target)", incident: incident)
            return AccountRoutes.json(incident, status: .ok)
        }
        routes.add(GatewayRoute(method: .post, path: "/api/v1/incidents/rollback", operationID: "rollbackModel",
                                summary: """
                                Rolls a model back: its previous production version (from the stage history, not revoked) returns to production \
                                and the current one to staging; needs an approver role with a recent MFA login. Replicas serve it at their next poll.
                                """,
                                tags: ["incidents"], successStatus: 201,
                                responseSchema: ["type": "object", "properties": ["incident": incidentSchema, "version": ["type": "object"]]],
                                requestSchema: ["type": "object", "required": ["model", "reason"], "properties": ["model": ["type": "string"], reasonBody.0: reasonBody.1]],
                                errorStatuses: [400, 401, 403, 404])) { request, context in
            guard let gateway, let plane else { throw ControlPlane.notConfigured }
            let body = try await RegistryRouteSupport.requiredJSON(RollbackBody.self, request, context: context)
            try await plane.authorize(.incidentRespond, on: Resource(type: "incident", id: body.model), request: request, context: context)
            let principal = context.principal ?? .anonymous
            let before = try? await plane.registry.productionVersion(model: body.model)
            let version = try await RegistryRouteSupport.call { () throws(RegistryError) in
                try await plane.registry.rollback(model: body.model, by: principal, reason: body.reason)
            }
            let actor = ControlPlane.actorName(context.principal)
            let from = before.map { "version \($0.number) → " } ?? ""
            let incident = try await call { () throws(ServingError) in
                try await gateway.store.open(kind: .rollback, target: body.model, by: actor, reason: "\(from)version \(version.number): \(body.reason)", closed: true)
            }
            await gateway.applied()
            await gateway.audit(plane, context, "incident.rollback", resource: "models/\(body.model)", incident: incident,
                                extra: ["version": String(version.number)])
            return AccountRoutes.json(RollbackAnswer(incident: incident, version: version), status: .created)
        }
        routes.add(GatewayRoute(method: .post, path: "/api/v1/incidents/quarantine", operationID: "quarantineClient",
                                summary: "Quarantines a client (a user id or service:ID): every replica refuses its inference requests; its query journal is kept for evidence.",
                                tags: ["incidents"], successStatus: 201, responseSchema: incidentSchema,
                                requestSchema: ["type": "object", "required": ["client", "reason"], "properties": ["client": ["type": "string"], reasonBody.0: reasonBody.1]],
                                errorStatuses: [400, 401, 403, 409])) { request, context in
            guard let gateway, let plane else { throw ControlPlane.notConfigured }
            let body = try await RegistryRouteSupport.requiredJSON(ClientBody.self, request, context: context)
            try await plane.authorize(.incidentRespond, on: Resource(type: "incident", id: body.client), request: request, context: context)
            let actor = ControlPlane.actorName(context.principal)
            let incident = try await call { () throws(ServingError) in
                try await gateway.store.quarantine(client: body.client, by: actor, reason: body.reason ?? "")
            }
            await gateway.applied()
            await gateway.audit(plane, context, "incident.quarantine", resource: "clients/\(body.client)", incident: incident)
            return AccountRoutes.json(incident, status: .created)
        }
        routes.add(GatewayRoute(method: .post, path: "/api/v1/incidents/release", operationID: "releaseClient",
                                summary: "Releases a quarantined client and closes its quarantine incident.",
                                tags: ["incidents"], responseSchema: incidentSchema,
                                requestSchema: ["type": "object", "required": ["client"], "properties": ["client": ["type": "string"]]],
                                errorStatuses: [400, 401, 403, 404])) { request, context in
            guard let gateway, let plane else { throw ControlPlane.notConfigured }
            let body = try await RegistryRouteSupport.requiredJSON(ClientBody.self, request, context: context)
            try await plane.authorize(.incidentRespond, on: Resource(type: "incident", id: body.client), request: request, context: context)
            let actor = ControlPlane.actorName(context.principal)
            let incident = try await call { () throws(ServingError) in try await gateway.store.release(client: body.client, by: actor) }
            await gateway.applied()
            await gateway.audit(plane, context, "incident.release", resource: "clients/\(body.client)", incident: incident)
            return AccountRoutes.json(incident, status: .ok)
        }
        routes.add(GatewayRoute(method: .get, path: "/api/v1/incidents/{id}/evidence", operationID: "incidentEvidence",
                                summary: """
                                The incident's evidence bundle: the audit-log slice of its window with inclusion proofs against a signed checkpoint, \
                                the client's journal (input digests, outputs, detector scores) and the model digests, signed with the audit key; \
                                verify offline with `bulwark incident verify-evidence FILE --key VERIFIER`.
                                """,
                                tags: ["incidents"], successDescription: "The signed bundle (canonical JSON).", responseSchema: ["type": "object"],
                                errorStatuses: [400, 401, 403, 404])) { request, context in
            guard let gateway, let plane else { throw ControlPlane.notConfigured }
            let id = try incidentID(context)
            try await plane.authorize(.incidentRead, on: Resource(type: "incident", id: String(id)), request: request, context: context)
            let incident = try await call { () throws(ServingError) in try await gateway.store.incident(id: id) }
            let bytes = try await gateway.evidence(incident, plane: plane)
            await gateway.audit(plane, context, "incident.evidence", resource: "incidents/\(id)", incident: incident,
                                extra: ["sha256": SHA256Hex.of(bytes)])
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.cacheControl] = "no-store"
            headers[.contentDisposition] = "attachment; filename=\"incident-\(id)-evidence.json\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// The signed evidence bundle of `incident`.
    func evidence(_ incident: Incident, plane: ControlPlane) async throws(GatewayError) -> [UInt8] {
        let kind = Incident.Kind(rawValue: incident.kind)
        let client: String? = (kind == .quarantine || kind == .investigation) ? incident.target : nil
        let entries = client.map { self.journal.entries(client: $0) } ?? []
        var versions: [(String, Int)] = []
        if kind == .kill || kind == .investigation, let slash = incident.target.lastIndex(of: "/"),
           let number = Int(incident.target[incident.target.index(after: slash)...]) {
            versions.append((String(incident.target[..<slash]), number))
        }
        if kind == .rollback, let production = try? await plane.registry.productionVersion(model: incident.target) {
            versions.append((production.model, production.number))
        }
        for entry in entries where !versions.contains(where: { $0.0 == entry.model && $0.1 == entry.version }) {
            versions.append((entry.model, entry.version))
        }
        var models: [EvidenceModel] = []
        for (name, number) in versions {
            if let version = try? await plane.registry.version(model: name, number: number) {
                models.append(EvidenceModel(name: name, version: number, sha256: version.sha256))
            }
        }
        let journalEntries = entries
        let signer = plane.auditSigner
        return try await call { () throws(ServingError) -> [UInt8] in
            let bundle = try await EvidenceBundle.assemble(incident: incident, models: models, client: client, journal: journalEntries,
                                                           log: plane.audit, storage: plane.auditStorage)
            return try bundle.signed(by: signer)
        }
    }

    /// Applies a change on this replica at once (the others follow at their next poll).
    func applied() async {
        _ = try? await watcher?.poll()
    }

    /// Audits an incident change or read.
    func audit(_ plane: ControlPlane, _ context: GatewayRequestContext, _ action: String, resource: String, incident: Incident,
               extra: [String: String] = [:]) async {
        var details = ["incident": String(incident.id), "kind": incident.kind, "target": incident.target, "reason": incident.reason]
        details.merge(extra) { _, new in new }
        await plane.record(AuditEvent(actor: ControlPlane.actorName(context.principal), action: action, resource: resource, outcome: .allowed,
                                      clientAddress: ControlPlane.clientAddress(context), requestID: context.requestID, details: details),
                           context: context)
    }

    /// The incident number in the path.
    static func incidentID(_ context: GatewayRequestContext) throws(GatewayError) -> Int64 {
        let text = try RegistryRouteSupport.parameter(context, "id")
        guard let id = Int64(text), id >= 1 else { throw GatewayError(.badRequest, "id: expected a positive incident number") }
        return id
    }

    /// Runs a store call, mapping ``ServingError`` to what a client sees: `notFound` 404,
    /// `refused` 409 (already killed or quarantined), `invalidParameter` 400, anything else 500.
    static func call<T>(_ body: () async throws(ServingError) -> T) async throws(GatewayError) -> T {
        do {
            return try await body()
        } catch {
            switch error.code {
            case .notFound: throw GatewayError(.notFound, error.message, underlying: error)
            case .refused: throw GatewayError(.conflict, error.message, underlying: error)
            case .invalidParameter, .invalidRequest: throw GatewayError(.badRequest, error.message, underlying: error)
            default: throw GatewayError(.internal, error.message, underlying: error)
            }
        }
    }

    func call<T>(_ body: () async throws(ServingError) -> T) async throws(GatewayError) -> T {
        try await Self.call(body)
    }
}

/// Lowercase hex SHA-256 of bytes, for audit details.
enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String {
        JournalEntry.digest(ofBytes: bytes)
    }
}
