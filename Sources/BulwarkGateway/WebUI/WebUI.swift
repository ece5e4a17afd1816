import BulwarkAccess
import BulwarkRegistry
import Foundation
import Hummingbird
import Logging
import HTTPTypes
import NIOCore

/// The web UI of `bulwark serve --database …`: server-rendered HTML pages under `/ui`, plain
/// forms and no JavaScript.
///
/// - `/ui/login`: password, then a TOTP or recovery code, through the same ``AccountStore``
///   calls and audit entries as the JSON login routes; the session cookie is the API's;
/// - `/ui/models`, `/ui/models/{name}`, `/ui/models/{name}/versions/{number}`: models, their
///   versions, gate reports, lineage, approvals, stage history and digests;
/// - `/ui/approvals`: staging versions awaiting production, with Approve and Promote buttons;
/// - `/ui/audit`: the audit log page by page, the latest signed checkpoint, and for each entry
///   its inclusion proof checked against that checkpoint;
/// - `/ui/monitoring`: served models, drift, detections, top clients and open incidents
///   (``WebUIMonitoring``).
///
/// Every page asks the policy the same question as the JSON API (``ControlPlane/authorize(_:on:request:context:)``
/// with the same ``Action``); a refusal is audited and answered with a 403 page, and a visitor
/// without a session is sent to the login page. Every POST passes ``WebUISecurity``'s origin
/// and token checks first. The routes are in the OpenAPI document under the `web-ui` tag (the
/// coverage test wants every route described), answering `text/html`.
enum WebUI {
    /// Audit entries on one page of `/ui/audit`.
    static let entriesPerPage: UInt64 = 50

    /// Adds the UI's routes to `routes`, served by `plane`.
    static func add(to routes: GatewayRoutes, plane: ControlPlane) {
        let usesTLS = routes.configuration.usesTLS

        routes.add(route(.get, "/ui", "uiHome", "Web UI: redirects to the models page, or to the login page.", status: 303)) { request, context in
            WebUIViews.redirect(WebUISession(request, context: context) == nil ? "/ui/login" : "/ui/models")
        }
        routes.add(route(.get, "/ui/static/style.css", "uiStylesheet", "Web UI: the stylesheet.")) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "public, max-age=3600"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: WebUITemplates.stylesheet)))
        }
        WebUILogin.add(to: routes, plane: plane, usesTLS: usesTLS)

        routes.add(route(.get, "/ui/models", "uiModels", "Web UI: the registered models.")) { request, context in
            await page(request, context) { session in try await modelsPage(plane, session, request, context) }
        }
        routes.add(route(.get, "/ui/models/{name}", "uiModel", "Web UI: one model and the versions the caller may read.")) { request, context in
            await page(request, context) { session in try await modelPage(plane, session, request, context) }
        }
        routes.add(route(.get, "/ui/models/{name}/versions/{number}", "uiVersion",
                         "Web UI: one version: gates, lineage, approvals, history, digest.")) { request, context in
            await page(request, context) { session in try await versionPage(plane, session, request, context) }
        }
        routes.add(route(.get, "/ui/approvals", "uiApprovals", "Web UI: staging versions awaiting production approval.")) { request, context in
            await page(request, context) { session in try await approvalsPage(plane, session, request, context) }
        }
        for (verb, action) in [("approve", Action.versionApprove), ("promote", Action.versionPromoteProduction)] {
            routes.add(route(.post, "/ui/models/{name}/versions/{number}/\(verb)", verb == "approve" ? "uiApprove" : "uiPromote",
                             verb == "approve" ? "Web UI form: approves a staging version (two-person rule)."
                                 : "Web UI form: promotes an approved staging version to production.", status: 303)) { request, context in
                await page(request, context) { session in
                    if let refused = try await checkForm(plane, request, context, session: session, usesTLS: usesTLS).refusal { return refused }
                    return try await decide(plane, action, session, request, context)
                }
            }
        }
        routes.add(route(.get, "/ui/audit", "uiAudit", "Web UI: the audit log, page by page, and its latest signed checkpoint.")) { request, context in
            await page(request, context) { session in try await auditPage(plane, session, request, context) }
        }
        routes.add(route(.get, "/ui/audit/entries/{index}", "uiAuditEntry",
                         "Web UI: one audit entry and its inclusion proof, checked against the latest checkpoint.")) { request, context in
            await page(request, context) { session in try await auditEntryPage(plane, session, request, context) }
        }
        WebUIMonitoring.add(to: routes, plane: plane)
    }

    /// The description of a UI route: tag `web-ui`, an HTML page (or a 303 after a form).
    static func route(_ method: HTTPRequest.Method, _ path: String, _ id: String, _ summary: String, status: Int = 200) -> GatewayRoute {
        GatewayRoute(method: method, path: path, operationID: id, summary: summary, tags: ["web-ui"], successStatus: status,
                     successDescription: status == 303 ? "Redirects to the next page." : "An HTML page.",
                     responseMediaType: "text/html", responseSchema: status == 303 ? nil : ["type": "string"])
    }

    // MARK: - Pages

    static func modelsPage(_ plane: ControlPlane, _ session: WebUISession, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        try await plane.authorize(.modelList, on: Resource(type: "model"), request: request, context: context)
        var rows: [WebUIViews.ModelRow] = []
        for model in try await plane.registry.models() {
            let versions = try await plane.registry.versions(model: model.name)
            let production = versions.first { $0.state == .production }.map { "version \($0.number)" } ?? "—"
            rows.append(WebUIViews.ModelRow(name: model.name, link: WebUIViews.modelPath(model.name), team: model.team, riskTier: model.riskTier.rawValue,
                                            dataClassification: model.dataClassification.rawValue, versionCount: versions.count, production: production))
        }
        let frame = WebUIViews.Frame(title: "Models", session: session, section: .models)
        return WebUIViews.page("models", WebUIViews.Models(frame: frame, models: rows, hasModels: !rows.isEmpty))
    }

    static func modelPage(_ plane: ControlPlane, _ session: WebUISession, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let model = try await plane.registry.model(named: try parameter(context, "name"))
        try await plane.authorize(.modelList, on: resource(model), request: request, context: context)
        var rows: [WebUIViews.VersionRow] = []
        for version in try await plane.registry.versions(model: model.name).reversed()
        where permits(plane, .modelRead, resource(model, version), context) {
            let (gates, gatesClass) = WebUIViews.gateSummary(version.gateReport)
            rows.append(WebUIViews.VersionRow(number: version.number, link: WebUIViews.versionPath(model.name, version.number), state: version.state.rawValue,
                                              gates: gates, gatesClass: gatesClass, uploader: version.uploader, filename: version.filename,
                                              createdAt: WebUIViews.time(version.createdAt)))
        }
        let frame = WebUIViews.Frame(title: "Model \(model.name)", session: session, section: .models)
        return WebUIViews.page("model", WebUIViews.Model(frame: frame, team: model.team, riskTier: model.riskTier.rawValue,
                                                         dataClassification: model.dataClassification.rawValue, createdBy: model.createdBy,
                                                         createdAt: WebUIViews.time(model.createdAt), versions: rows, hasVersions: !rows.isEmpty))
    }

    static func versionPage(_ plane: ControlPlane, _ session: WebUISession, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let (model, version) = try await target(plane, context)
        try await plane.authorize(.modelRead, on: resource(model, version), request: request, context: context)
        let approvals = try await plane.registry.approvals(model: model.name, number: version.number)
        let history = try await plane.registry.history(model: model.name).filter { $0.version == version.number }
        let staging = version.state == .staging
        let canApprove = staging && permits(plane, .versionApprove, resource(model, version), context)
        let canPromote = staging && permits(plane, .versionPromoteProduction, resource(model, version), context)
        let frame = WebUIViews.Frame(title: "\(model.name) version \(version.number)", session: session, section: .models,
                                     notice: notice(request))
        let view = WebUIViews.Version(
            frame: frame, csrf: session.csrf, model: model.name, modelLink: WebUIViews.modelPath(model.name),
            state: version.state.rawValue, revocationReason: version.revocationReason,
            sha256: version.sha256, filename: version.filename, size: version.size, uploader: version.uploader, uploaderTeam: version.uploaderTeam,
            createdAt: WebUIViews.time(version.createdAt), gates: version.gateReport.map(WebUIViews.gates),
            override: version.override.map { WebUIViews.Override(by: $0.by, reason: $0.reason, at: WebUIViews.time($0.at)) },
            datasetDigest: version.lineage.datasetManifestDigest, trainingCommand: version.lineage.trainingCommand,
            parentVersion: version.lineage.parentVersion, parentLink: version.lineage.parentVersion.map { WebUIViews.versionPath(model.name, $0) },
            approvals: approvals.map { WebUIViews.ApprovalRow(approver: $0.approver, at: WebUIViews.time($0.at)) }, hasApprovals: !approvals.isEmpty,
            history: history.map { WebUIViews.HistoryRow(at: WebUIViews.time($0.at), from: $0.from?.rawValue ?? "—", to: $0.to.rawValue,
                                                         actor: $0.actor, reason: $0.reason ?? "") },
            canDecide: canApprove || canPromote, canApprove: canApprove, canPromote: canPromote,
            actionBase: WebUIViews.versionPath(model.name, version.number))
        return WebUIViews.page("version", view)
    }

    static func approvalsPage(_ plane: ControlPlane, _ session: WebUISession, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        // The queue shows staging versions: the caller must be allowed to read a staging version.
        try await plane.authorize(.modelRead, on: Resource(type: "version", stage: VersionState.staging.rawValue), request: request, context: context)
        var rows: [WebUIViews.QueueRow] = []
        for model in try await plane.registry.models() {
            for version in try await plane.registry.versions(model: model.name)
            where version.state == .staging && permits(plane, .modelRead, resource(model, version), context) {
                let approvals = try await plane.registry.approvals(model: model.name, number: version.number)
                let (gates, gatesClass) = WebUIViews.gateSummary(version.gateReport)
                rows.append(WebUIViews.QueueRow(
                    model: model.name, number: version.number, link: WebUIViews.versionPath(model.name, version.number), uploader: version.uploader,
                    gates: gates, gatesClass: gatesClass, approvers: approvals.isEmpty ? "none" : approvals.map(\.approver).joined(separator: ", "),
                    canApprove: permits(plane, .versionApprove, resource(model, version), context),
                    canPromote: permits(plane, .versionPromoteProduction, resource(model, version), context),
                    actionBase: WebUIViews.versionPath(model.name, version.number)))
            }
        }
        let frame = WebUIViews.Frame(title: "Approvals", session: session, section: .approvals, notice: notice(request))
        return WebUIViews.page("approvals", WebUIViews.Approvals(frame: frame, csrf: session.csrf, rows: rows, hasRows: !rows.isEmpty))
    }

    /// Approves or promotes the version named by the path, as the signed-in user.
    static func decide(_ plane: ControlPlane, _ action: Action, _ session: WebUISession, _ request: Request,
                       _ context: GatewayRequestContext) async throws -> Response {
        let (model, version) = try await target(plane, context)
        try await plane.authorize(action, on: resource(model, version), request: request, context: context)
        do throws(RegistryError) {
            if action == .versionApprove {
                try await plane.registry.approve(model: model.name, version: version.number, by: session.principal)
                return WebUIViews.redirect("/ui/approvals?done=approved")
            }
            try await plane.registry.promoteToProduction(model: model.name, version: version.number, by: session.principal)
            return WebUIViews.redirect("/ui/approvals?done=promoted")
        } catch {
            // The policy allowed it but the registry's own rules did not (no approval yet, stale
            // MFA, wrong stage): audited here, since the audit middleware leaves 403s to the deciders.
            if error.code == .refused {
                await plane.record(
                    AuditEvent(actor: ControlPlane.actorName(session.principal), action: action.name, resource: "version/\(model.name)/\(version.number)",
                               outcome: .denied, clientAddress: ControlPlane.clientAddress(context), requestID: context.requestID,
                               details: ["reason": error.message]),
                    context: context)
            }
            throw error
        }
    }

    static func auditPage(_ plane: ControlPlane, _ session: WebUISession, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let auditResource = Resource(type: "audit", id: plane.auditOrigin)
        try await plane.authorize(.auditRead, on: auditResource, request: request, context: context)
        try await plane.audit.refresh()
        let size = await plane.audit.size
        let latestPage = size > entriesPerPage ? size - entriesPerPage : 0
        var from = latestPage
        if let text = request.uri.queryParameters["from"] {
            guard let value = UInt64(String(text)) else { throw GatewayError(.badRequest, "from: expected a non-negative integer") }
            from = min(value, latestPage)
        }
        let canVerify = permits(plane, .auditVerify, auditResource, context)
        let entries = try await plane.auditStorage.entries(offset: from, limit: Int(entriesPerPage)).filter { $0.index < size }
        let rows = entries.map { entry in
            let event = entry.event
            return WebUIViews.EntryRow(
                index: entry.index, time: WebUIViews.time(Date(timeIntervalSince1970: Double(entry.timeUnixMilliseconds) / 1000)),
                actor: event.actor, action: event.action, resource: event.resource, outcome: event.outcome.rawValue, rule: event.rule ?? "",
                details: event.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                proofLink: canVerify ? "/ui/audit/entries/\(entry.index)" : nil)
        }
        var checkpoint: String?
        if canVerify { checkpoint = try await plane.audit.checkpoint().serialized }
        let frame = WebUIViews.Frame(title: "Audit log", session: session, section: .audit)
        let view = WebUIViews.Audit(
            frame: frame, first: rows.first?.index ?? 0, last: rows.last?.index ?? 0, size: size,
            olderLink: from > 0 ? "/ui/audit?from=\(from > entriesPerPage ? from - entriesPerPage : 0)" : nil,
            newerLink: from + entriesPerPage < size ? "/ui/audit?from=\(from + entriesPerPage)" : nil,
            entries: rows, hasEntries: !rows.isEmpty, checkpoint: checkpoint)
        return WebUIViews.page("audit", view)
    }

    static func auditEntryPage(_ plane: ControlPlane, _ session: WebUISession, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        try await plane.authorize(.auditVerify, on: Resource(type: "audit", id: plane.auditOrigin), request: request, context: context)
        guard let index = UInt64(try parameter(context, "index")) else { throw GatewayError(.notFound, "no such audit entry") }
        try await plane.audit.refresh()
        let note = try await plane.audit.checkpoint().serialized
        // Read the tree head back from the signed note: what is shown is what the signature covers.
        let head = try Checkpoint.open(note, origin: plane.auditOrigin, verifier: plane.auditVerifier)
        guard index < head.size, let entry = try await plane.auditStorage.entries(offset: index, limit: 1).first, entry.index == index else {
            throw GatewayError(.notFound, "no audit entry \(index) in a log of \(head.size)")
        }
        let proof = try await plane.audit.inclusionProof(index: index, size: head.size)
        let included = MerkleTree.verifyInclusion(leafHash: entry.leafHash, index: index, size: head.size, proof: proof, root: head.rootHash)
        let event = entry.event
        let view = WebUIViews.AuditEntry(
            frame: WebUIViews.Frame(title: "Audit entry \(index)", session: session, section: .audit),
            backLink: "/ui/audit?from=\(index / entriesPerPage * entriesPerPage)",
            verdict: included ? "Included: the proof leads from this entry to the signed root." : "NOT included: the proof does not lead to the signed root.",
            verdictClass: included ? "pass" : "fail",
            index: index, actor: event.actor, action: event.action, resource: event.resource, outcome: event.outcome.rawValue,
            time: WebUIViews.time(Date(timeIntervalSince1970: Double(entry.timeUnixMilliseconds) / 1000)),
            leafHash: entry.leafHash.hex, size: head.size, rootHash: head.rootHash.hex,
            signature: "verified with the log's key (\(plane.auditOrigin))", proof: proof.map(\.hex), checkpoint: note,
            proofAPILink: "/api/v1/audit/proof/inclusion?index=\(index)&size=\(head.size)")
        return WebUIViews.page("auditEntry", view)
    }

    // MARK: - Helpers

    /// Runs a page for a signed-in user: a visitor without a session is sent to the login page,
    /// and an error becomes an HTML page with its status (403 for a refusal, 404 for a missing
    /// model, version or entry; anything unexpected a plain 500, logged).
    static func page(_ request: Request, _ context: GatewayRequestContext,
                     _ body: (WebUISession) async throws -> Response) async -> Response {
        guard let session = WebUISession(request, context: context) else { return WebUIViews.redirect("/ui/login") }
        do {
            return try await body(session)
        } catch {
            return errorPage(error, session: session, context: context)
        }
    }

    /// The HTML page of `error`.
    static func errorPage(_ error: any Error, session: WebUISession?, context: GatewayRequestContext) -> Response {
        let status: HTTPResponse.Status
        let text: String
        if let error = error as? GatewayError, error.httpStatus.code < 500 {
            status = error.httpStatus
            text = error.message
        } else if let error = error as? RegistryError, error.code != .storage {
            switch error.code {
            case .notFound: status = .notFound
            case .refused: status = .forbidden
            case .conflict: status = .conflict
            default: status = .badRequest
            }
            text = error.message
        } else {
            context.logger.error("web UI page failed", metadata: ["error.type": "\(type(of: error))", "error": "\(String(describing: error).prefix(400))"])
            status = .internalServerError
            text = "Something went wrong on the server (request \(context.requestID))."
        }
        let title = switch status {
        case .forbidden: "Not allowed"
        case .notFound: "Not found"
        case .internalServerError: "Server error"
        default: "Request refused"
        }
        return WebUIViews.message(title: title, text, session: session, status: status)
    }

    /// The form of a POST and, when it fails the origin or token check, the audited 403 page.
    static func checkForm(_ plane: ControlPlane, _ request: Request, _ context: GatewayRequestContext, session: WebUISession?,
                          secret: String? = nil, purpose: String = "session", usesTLS: Bool) async throws -> (form: [String: String], refusal: Response?) {
        let form = try await WebUISecurity.form(request)
        let keySecret = secret ?? session?.token
        let expected = keySecret.map { WebUISecurity.token(secret: $0, purpose: purpose) }
        guard let reason = WebUISecurity.refusal(request, form: form, expected: expected, usesTLS: usesTLS) else { return (form, nil) }
        await plane.record(
            AuditEvent(actor: ControlPlane.actorName(context.principal), action: "ui.csrf", resource: request.uri.path, outcome: .denied,
                       clientAddress: ControlPlane.clientAddress(context), requestID: context.requestID,
                       details: ["method": request.method.rawValue, "reason": reason]),
            context: context)
        let page = WebUIViews.message(title: "Request refused", "The form could not be verified (\(reason)). Reload the page and try again.",
                                      session: session, status: .forbidden, backLink: session == nil ? "/ui/login" : "/ui/models",
                                      backLabel: session == nil ? "Back to the login page" : "Back to the models")
        return (form, page)
    }

    /// Whether the policy allows `action` on `resource` for the caller — the decision
    /// ``ControlPlane/authorize(_:on:request:context:)`` makes, without auditing a denial: used to
    /// hide rows and buttons the caller could not use (using them is authorized and audited).
    static func permits(_ plane: ControlPlane, _ action: Action, _ resource: Resource, _ context: GatewayRequestContext) -> Bool {
        let address = context.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        return plane.policies.evaluate(principal: context.principal ?? .anonymous, action: action, resource: resource,
                                       context: AuthorizationContext(time: Date(), address: address)).allowed
    }

    /// The policy's view of a model.
    static func resource(_ model: ModelRecord) -> Resource {
        Resource(type: "model", id: model.name, riskTier: model.riskTier.rawValue, owningTeam: model.team,
                 dataClassification: model.dataClassification.rawValue)
    }

    /// The policy's view of a version: its model's attributes, its stage and its uploader.
    static func resource(_ model: ModelRecord, _ version: ModelVersion) -> Resource {
        Resource(type: "version", id: "\(model.name)/\(version.number)", riskTier: model.riskTier.rawValue, stage: version.state.rawValue,
                 owningTeam: model.team, dataClassification: model.dataClassification.rawValue, uploadedBy: version.uploader)
    }

    /// The model and version the path names.
    static func target(_ plane: ControlPlane, _ context: GatewayRequestContext) async throws -> (ModelRecord, ModelVersion) {
        let model = try await plane.registry.model(named: try parameter(context, "name"))
        guard let number = Int(try parameter(context, "number")), number > 0 else {
            throw GatewayError(.notFound, "model '\(model.name)' has no such version")
        }
        return (model, try await plane.registry.version(model: model.name, number: number))
    }

    /// Path parameter `name`.
    static func parameter(_ context: GatewayRequestContext, _ name: String) throws(GatewayError) -> String {
        guard let value = context.parameters.get(name) else { throw GatewayError(.notFound, "no such page") }
        return value
    }

    /// The notice a redirect after a form asked for (`?done=approved`); only known words are shown.
    static func notice(_ request: Request) -> String? {
        switch request.uri.queryParameters["done"] {
        case "approved": "Approved."
        case "promoted": "Promoted to production."
        default: nil
        }
    }
}
