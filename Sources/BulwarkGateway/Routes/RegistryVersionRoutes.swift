import BulwarkAccess
import BulwarkRegistry
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// The version routes of the registry under `/api/v1/models/{model}/versions`: a streamed
/// upload, metadata, a digest-checked download, the gates (`submit`), approval, promotion,
/// revocation, the ML-BOM and the stage history.
///
/// An upload is the raw artifact as the body (`application/octet-stream`, streamed to disk,
/// never buffered; limited by `--max-upload`); its OpenSSF Model Signing bundle and its
/// assessment attestation travel base64-encoded in the `Bulwark-Signature-Bundle` and
/// `Bulwark-Attestation` headers (at most ``maxHeaderBundleBytes`` each), so that one request
/// makes one complete version: the registry records a bundle only with the version it covers.
enum RegistryVersionRoutes {
    /// The largest bundle accepted in a request header, in bytes (before base64).
    static let maxHeaderBundleBytes = 48 * 1024
    /// The header carrying the base64 signature bundle of an upload.
    static let signatureHeader = HTTPField.Name("Bulwark-Signature-Bundle")!
    /// The header carrying the base64 attestation of an upload.
    static let attestationHeader = HTTPField.Name("Bulwark-Attestation")!
    /// The RFC 9530 digest header of a download.
    static let reprDigestHeader = HTTPField.Name("Repr-Digest")!

    struct SubmitBody: Decodable {
        struct Override: Decodable { var reason: String }
        var override: Override?
    }
    struct PromoteBody: Decodable { var stage: String; var reason: String? }
    struct RevokeBody: Decodable { var reason: String }
    struct HistoryAnswer: Encodable { var history: [StageChange] }

    static let versionPath = "/api/v1/models/{model}/versions/{version}"

    static func add(to routes: GatewayRoutes, plane optionalPlane: ControlPlane?) {
        addUpload(to: routes, plane: optionalPlane)
        addReads(to: routes, plane: optionalPlane)
        addStages(to: routes, plane: optionalPlane)
    }

    // MARK: upload

    static func addUpload(to routes: GatewayRoutes, plane optionalPlane: ControlPlane?) {
        routes.add(
            GatewayRoute(
                method: .post, path: "/api/v1/models/{model}/versions", operationID: "uploadVersion",
                summary: """
                Uploads a new draft version: the artifact is the streamed body (application/octet-stream); query `filename` (required), \
                `sha256`, `parentVersion`, `datasetManifestDigest`, `trainingCommand`; base64 headers Bulwark-Signature-Bundle and \
                Bulwark-Attestation (48 KiB each at most).
                """,
                tags: ["registry"], successStatus: 201, successDescription: "The draft version.",
                responseSchema: RegistryRouteSupport.versionSchema, requestSchema: ["type": "string", "format": "binary"],
                errorStatuses: [400, 401, 403, 404, 409, 415], bodyLimit: .upload
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let model = try await RegistryRouteSupport.model(plane, context, request: request)
            let principal = context.principal ?? .anonymous
            let resource = Resource(type: "version", id: "\(model.name)/new", riskTier: model.riskTier.rawValue, stage: VersionState.draft.rawValue,
                                    owningTeam: model.team, dataClassification: model.dataClassification.rawValue, uploadedBy: principal.id)
            try await plane.authorize(.versionUpload, on: resource, request: request, context: context)
            if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/octet-stream") {
                throw GatewayError(.unsupportedMediaType, "Content-Type: expected application/octet-stream (the raw artifact)")
            }
            let query = request.uri.queryParameters
            guard let filename = query["filename"].map(String.init), !filename.isEmpty else {
                throw GatewayError(.badRequest, "filename: required query parameter (the artifact's file name)")
            }
            var lineage = Lineage(datasetManifestDigest: query["datasetManifestDigest"].map(String.init),
                                  trainingCommand: query["trainingCommand"].map(String.init))
            if let parent = query["parentVersion"] {
                guard let number = Int(parent), number >= 1 else { throw GatewayError(.badRequest, "parentVersion: expected a positive number") }
                lineage.parentVersion = number
            }
            let signature = try bundle(request, signatureHeader)
            let attestation = try bundle(request, attestationHeader)
            let expected = query["sha256"].map(String.init)
            let limit = Int64(context.maxUploadSize)
            let pending = try await RegistryRouteSupport.call { () throws(RegistryError) in
                try plane.registry.beginUpload(maxBytes: limit, expectedSHA256: expected)
            }
            do {
                for try await buffer in request.body {
                    try pending.append(buffer.readableBytesView)
                }
            } catch let error as RegistryError {
                pending.abort()
                // The only refusal of append is the size limit (or a disk failure).
                throw error.code == .invalidUpload ? BodyLimit.tooLarge(Int(limit)) : RegistryRouteSupport.mapped(error)
            } catch {
                pending.abort()
                throw error
            }
            let version = try await RegistryRouteSupport.call { () throws(RegistryError) in
                try await plane.registry.commit(pending, model: model.name, filename: filename, by: principal, lineage: lineage,
                                                signatureBundle: signature, attestation: attestation)
            }
            var response = AccountRoutes.json(version, status: .created)
            response.headers[.location] = "/api/v1/models/\(model.name)/versions/\(version.number)"
            return response
        }
    }

    /// The base64 bundle in header `name`, decoded; `nil` when absent.
    static func bundle(_ request: Request, _ name: HTTPField.Name) throws(GatewayError) -> [UInt8]? {
        guard let text = request.headers[name] else { return nil }
        guard text.utf8.count <= (maxHeaderBundleBytes + 2) / 3 * 4 + 4,
              let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespaces)), !data.isEmpty, data.count <= maxHeaderBundleBytes else {
            throw GatewayError(.badRequest, "\(name): expected base64 of 1 to \(maxHeaderBundleBytes) bytes")
        }
        return [UInt8](data)
    }

    // MARK: reads

    static func addReads(to routes: GatewayRoutes, plane optionalPlane: ControlPlane?) {
        routes.add(
            GatewayRoute(
                method: .get, path: versionPath, operationID: "getVersion",
                summary: "One version: stage, digest, lineage, the last gate report, approvals and ancestry.", tags: ["registry"],
                successDescription: "The version.", responseSchema: RegistryRouteSupport.versionSchema, errorStatuses: [400, 401, 403, 404]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let (model, version) = try await RegistryRouteSupport.version(plane, context, request: request)
            try await plane.authorize(.modelRead, on: RegistryRouteSupport.resource(model, version), request: request, context: context)
            let approvals = try await RegistryRouteSupport.call { () throws(RegistryError) in
                try await plane.registry.approvals(model: model.name, number: version.number)
            }
            let ancestry = try await RegistryRouteSupport.call { () throws(RegistryError) in
                try await plane.registry.ancestry(model: model.name, version: version.number)
            }
            return AccountRoutes.json(RegistryRouteSupport.VersionAnswer(version: version, approvals: approvals, ancestry: ancestry.dropFirst().map(\.number)),
                                      status: .ok)
        }

        routes.add(
            GatewayRoute(
                method: .get, path: versionPath + "/artifact", operationID: "downloadVersion",
                summary: "The artifact's bytes, streamed after the registry re-checked them, with Repr-Digest (RFC 9530), ETag and Content-Length.",
                tags: ["registry"], successDescription: "The artifact.", responseMediaType: "application/octet-stream",
                responseSchema: ["type": "string", "format": "binary"], errorStatuses: [400, 401, 403, 404, 409]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let (model, version) = try await RegistryRouteSupport.version(plane, context, request: request)
            try await plane.authorize(.modelDownload, on: RegistryRouteSupport.resource(model, version), request: request, context: context)
            let download = try await RegistryRouteSupport.call(refused: .conflict) { () throws(RegistryError) in
                try await plane.registry.download(model: model.name, version: version.number)
            }
            var headers = HTTPFields()
            let etag = "\"sha256-\(download.sha256)\""
            headers[.eTag] = etag
            headers[reprDigestHeader] = download.reprDigestHeader
            headers[.cacheControl] = "private, no-cache"
            if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = "application/octet-stream"
            headers[.contentLength] = String(download.size)
            headers[.contentDisposition] = "attachment; filename*=UTF-8''" + percentEncoded(download.version.filename)
            let body = try await FileIO().loadFile(path: download.path, context: context)
            return Response(status: .ok, headers: headers, body: body)
        }

        routes.add(
            GatewayRoute(
                method: .get, path: versionPath + "/bom", operationID: "getVersionBOM",
                summary: "A CycloneDX 1.6 ML-BOM of the version, completed with the registry's lineage and gate facts.", tags: ["registry"],
                successDescription: "The ML-BOM.", responseMediaType: "application/vnd.cyclonedx+json", responseSchema: ["type": "object"],
                errorStatuses: [400, 401, 403, 404]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let (model, version) = try await RegistryRouteSupport.version(plane, context, request: request)
            try await plane.authorize(.modelRead, on: RegistryRouteSupport.resource(model, version), request: request, context: context)
            let bom = try await RegistryRouteSupport.call { () throws(RegistryError) in
                try await plane.registry.bom(model: model.name, version: version.number)
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/vnd.cyclonedx+json; version=1.6"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bom)))
        }

        routes.add(
            GatewayRoute(
                method: .get, path: versionPath + "/history", operationID: "getVersionHistory",
                summary: "The version's stage changes, oldest first (the upload has no `from`).", tags: ["registry"],
                successDescription: "The stage history.",
                responseSchema: ["type": "object", "required": ["history"], "properties": ["history": ["type": "array", "items": ["type": "object"]]]],
                errorStatuses: [400, 401, 403, 404]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let (model, version) = try await RegistryRouteSupport.version(plane, context, request: request)
            try await plane.authorize(.modelRead, on: RegistryRouteSupport.resource(model, version), request: request, context: context)
            let history = try await RegistryRouteSupport.call { () throws(RegistryError) in try await plane.registry.history(model: model.name) }
            return AccountRoutes.json(HistoryAnswer(history: history.filter { $0.version == version.number }), status: .ok)
        }
    }

    /// `text` with every byte outside RFC 5987's attr-char percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if (byte < 0x80 && (Character(scalar).isLetter || Character(scalar).isNumber)) || "!#$&+-.^_`|~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    // MARK: stages

    static func addStages(to routes: GatewayRoutes, plane optionalPlane: ControlPlane?) {
        routes.add(
            GatewayRoute(
                method: .post, path: versionPath + "/submit", operationID: "submitVersion",
                summary: "Runs the gates (scan, signature, attestation) on a draft; staging when they pass. An admin may add {\"override\": {\"reason\"}} for an unsupported scan.",
                tags: ["registry"], successDescription: "The version, now in staging, with its gate report.",
                responseSchema: RegistryRouteSupport.versionSchema,
                requestSchema: ["type": "object", "properties": ["override": ["type": "object", "required": ["reason"], "properties": ["reason": ["type": "string"]]]]],
                errorStatuses: [400, 401, 403, 404, 409]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let (model, version) = try await RegistryRouteSupport.version(plane, context, request: request)
            let resource = RegistryRouteSupport.resource(model, version)
            try await plane.authorize(.versionPromoteStaging, on: resource, request: request, context: context)
            let body = try await RegistryRouteSupport.optionalJSON(SubmitBody.self, request, context: context)
            let principal = context.principal ?? .anonymous
            var override: GateOverride?
            if let requested = body?.override {
                try await plane.authorize(.gateOverride, on: resource, request: request, context: context)
                override = GateOverride(admin: principal, reason: requested.reason)
            }
            return try await submit(plane, model: model, version: version, by: principal, override: override)
        }

        routes.add(
            GatewayRoute(
                method: .post, path: versionPath + "/approve", operationID: "approveVersion",
                summary: "Approves a staging version for production (the second person of the two-person rule; fresh MFA).", tags: ["registry"],
                successDescription: "The approval.", responseSchema: RegistryRouteSupport.approvalSchema, errorStatuses: [400, 401, 403, 404, 409]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let (model, version) = try await RegistryRouteSupport.version(plane, context, request: request)
            try await plane.authorize(.versionApprove, on: RegistryRouteSupport.resource(model, version), request: request, context: context)
            let principal = context.principal ?? .anonymous
            let approval = try await RegistryRouteSupport.call(refused: version.state == .staging ? .forbidden : .conflict) { () throws(RegistryError) in
                try await plane.registry.approve(model: model.name, version: version.number, by: principal)
            }
            return AccountRoutes.json(approval, status: .ok)
        }

        routes.add(
            GatewayRoute(
                method: .post, path: versionPath + "/promote", operationID: "promoteVersion",
                summary: "Moves a version to `staging` (runs the gates, as submit) or `production` (needs another person's approval; fresh MFA).",
                tags: ["registry"], successDescription: "The version in its new stage.", responseSchema: RegistryRouteSupport.versionSchema,
                requestSchema: ["type": "object", "required": ["stage"],
                                "properties": ["stage": ["type": "string", "enum": ["staging", "production"]], "reason": ["type": "string"]]],
                errorStatuses: [400, 401, 403, 404, 409]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let (model, version) = try await RegistryRouteSupport.version(plane, context, request: request)
            let body = try await RegistryRouteSupport.requiredJSON(PromoteBody.self, request, context: context)
            let resource = RegistryRouteSupport.resource(model, version)
            let principal = context.principal ?? .anonymous
            switch body.stage {
            case VersionState.staging.rawValue:
                try await plane.authorize(.versionPromoteStaging, on: resource, request: request, context: context)
                return try await submit(plane, model: model, version: version, by: principal, override: nil)
            case VersionState.production.rawValue:
                try await plane.authorize(.versionPromoteProduction, on: resource, request: request, context: context)
                let promoted = try await RegistryRouteSupport.call(refused: version.state == .staging ? .forbidden : .conflict) { () throws(RegistryError) in
                    try await plane.registry.promoteToProduction(model: model.name, version: version.number, by: principal, reason: body.reason)
                }
                return AccountRoutes.json(promoted, status: .ok)
            default:
                throw GatewayError(.badRequest, "stage: expected staging or production")
            }
        }

        routes.add(
            GatewayRoute(
                method: .post, path: versionPath + "/revoke", operationID: "revokeVersion",
                summary: "Revokes a version from any stage for a reason (recorded); it is never downloaded again.", tags: ["registry"],
                successDescription: "The revoked version.", responseSchema: RegistryRouteSupport.versionSchema,
                requestSchema: ["type": "object", "required": ["reason"], "properties": ["reason": ["type": "string"]]],
                errorStatuses: [400, 401, 403, 404, 409]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let (model, version) = try await RegistryRouteSupport.version(plane, context, request: request)
            try await plane.authorize(.versionRevoke, on: RegistryRouteSupport.resource(model, version), request: request, context: context)
            let body = try await RegistryRouteSupport.requiredJSON(RevokeBody.self, request, context: context)
            let principal = context.principal ?? .anonymous
            let revoked = try await RegistryRouteSupport.call(refused: .conflict) { () throws(RegistryError) in
                try await plane.registry.revoke(model: model.name, version: version.number, by: principal, reason: body.reason)
            }
            return AccountRoutes.json(revoked, status: .ok)
        }
    }

    /// Runs the gates and answers with the version as it now is.
    static func submit(_ plane: ControlPlane, model: ModelRecord, version: ModelVersion, by principal: Principal,
                       override: GateOverride?) async throws(GatewayError) -> Response {
        _ = try await RegistryRouteSupport.call(refused: version.state == .draft ? .forbidden : .conflict) { () throws(RegistryError) in
            try await plane.registry.submit(model: model.name, version: version.number, by: principal, override: override)
        }
        let updated = try await RegistryRouteSupport.call { () throws(RegistryError) in
            try await plane.registry.version(model: model.name, number: version.number)
        }
        return AccountRoutes.json(updated, status: .ok)
    }
}
