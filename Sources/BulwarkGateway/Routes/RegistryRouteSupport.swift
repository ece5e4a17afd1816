import BulwarkAccess
import BulwarkRegistry
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// What the registry routes share: the policy resources a model or version is seen as, the
/// mapping of ``RegistryError`` to HTTP statuses, path parameters and JSON answers.
enum RegistryRouteSupport {
    /// The policy's view of a model: its name, risk tier, owning team, data classification and,
    /// when given, a stage (`production` when the model has a version in production).
    static func resource(_ model: ModelRecord, stage: String? = nil) -> Resource {
        Resource(type: "model", id: model.name, riskTier: model.riskTier.rawValue, stage: stage, owningTeam: model.team,
                 dataClassification: model.dataClassification.rawValue)
    }

    /// The policy's view of a version: the model's attributes, the version's stage and uploader.
    static func resource(_ model: ModelRecord, _ version: ModelVersion) -> Resource {
        Resource(type: "version", id: "\(model.name)/\(version.number)", riskTier: model.riskTier.rawValue, stage: version.state.rawValue,
                 owningTeam: model.team, dataClassification: model.dataClassification.rawValue, uploadedBy: version.uploader)
    }

    /// Runs a registry call, turning its ``RegistryError`` into the ``GatewayError`` a client
    /// sees: `notFound` 404, `conflict` and `gateFailed` 409, `refused` `refusedStatus` (403 when
    /// the caller's rights or MFA refused it, 409 when the version's stage did), `invalidUpload`
    /// 400, `invalidParameter` 400, `storage` 500 (never described to clients).
    static func call<T>(refused refusedCode: GatewayError.Code = .forbidden,
                        _ body: () async throws(RegistryError) -> T) async throws(GatewayError) -> T {
        do {
            return try await body()
        } catch {
            throw mapped(error, refused: refusedCode)
        }
    }

    /// The ``GatewayError`` of `error` (see ``call(refused:_:)``).
    static func mapped(_ error: RegistryError, refused refusedCode: GatewayError.Code = .forbidden) -> GatewayError {
        switch error.code {
        case .notFound: GatewayError(.notFound, error.message, underlying: error)
        case .conflict, .gateFailed: GatewayError(.conflict, error.message, underlying: error)
        case .refused: GatewayError(refusedCode, error.message, underlying: error)
        case .invalidUpload, .invalidParameter: GatewayError(.badRequest, error.message, underlying: error)
        default: GatewayError(.internal, error.message, underlying: error)
        }
    }

    /// The model named in the path, authorised for `action` on it (`stage` computed from its
    /// versions by `stage`). A missing model is 404 only to a caller the policy would let act on
    /// a model of that name; anyone else gets the 403 an existing one would give, so the route
    /// is no oracle for model names.
    static func model(_ plane: ControlPlane, _ context: GatewayRequestContext, request: Request) async throws(GatewayError) -> ModelRecord {
        let name = try parameter(context, "model")
        do {
            return try await plane.registry.model(named: name)
        } catch {
            if error.code == .notFound {
                try await plane.authorize(.modelRead, on: Resource(type: "model", id: name), request: request, context: context)
            }
            throw mapped(error)
        }
    }

    /// The model and version named in the path (see ``model(_:_:request:)``).
    static func version(_ plane: ControlPlane, _ context: GatewayRequestContext, request: Request) async throws(GatewayError) -> (ModelRecord, ModelVersion) {
        let model = try await model(plane, context, request: request)
        let text = try parameter(context, "version")
        guard let number = Int(text), number >= 1 else { throw GatewayError(.badRequest, "version: expected a positive number") }
        do {
            return (model, try await plane.registry.version(model: model.name, number: number))
        } catch {
            if error.code == .notFound {
                let unknown = Resource(type: "version", id: "\(model.name)/\(number)")
                try await plane.authorize(.modelRead, on: unknown, request: request, context: context)
            }
            throw mapped(error)
        }
    }

    /// A path parameter the router captured.
    static func parameter(_ context: GatewayRequestContext, _ name: String) throws(GatewayError) -> String {
        guard let value = context.parameters.get(name), !value.isEmpty else { throw GatewayError(.badRequest, "\(name): missing from the path") }
        return value
    }

    /// The model stage the policy sees for a model: `production` when one of `versions` is there.
    static func modelStage(_ versions: [ModelVersion]) -> String? {
        versions.contains { $0.state == .production } ? VersionState.production.rawValue : nil
    }

    /// Whether the policy allows `action` on `resource`, without auditing (for filtering lists).
    static func permits(_ plane: ControlPlane, _ context: GatewayRequestContext, _ action: Action, _ resource: Resource) -> Bool {
        let address = context.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        return plane.policies.evaluate(principal: context.principal ?? .anonymous, action: action, resource: resource,
                                       context: AuthorizationContext(time: Date(), address: address)).allowed
    }

    /// A small JSON body (at most the route's limit), or `nil` when the body is empty.
    static func optionalJSON<T: Decodable>(_ type: T.Type, _ request: Request, context: GatewayRequestContext) async throws -> T? {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw GatewayError(.badRequest, "request body: expected JSON of the documented shape")
        }
    }

    /// A required JSON body.
    static func requiredJSON<T: Decodable>(_ type: T.Type, _ request: Request, context: GatewayRequestContext) async throws -> T {
        guard let value = try await optionalJSON(type, request, context: context) else {
            throw GatewayError(.badRequest, "request body: expected a JSON object")
        }
        return value
    }

    /// A version with its approvals, as `GET …/versions/{n}` answers: the version's fields plus
    /// `approvals` (oldest first) and `ancestry` (the version numbers it descends from).
    struct VersionAnswer: Encodable {
        var version: ModelVersion
        var approvals: [Approval]
        var ancestry: [Int]

        enum Keys: String, CodingKey { case approvals, ancestry }

        func encode(to encoder: any Encoder) throws {
            try version.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(approvals, forKey: .approvals)
            try container.encode(ancestry, forKey: .ancestry)
        }
    }

    // MARK: schemas

    static let modelSchema: JSONValue = [
        "type": "object", "required": ["name", "team", "riskTier", "dataClassification", "createdBy", "createdAt"],
        "properties": [
            "name": ["type": "string"], "team": ["type": "string"],
            "riskTier": ["type": "string", "enum": .array(RiskTier.allCases.map { .string($0.rawValue) })],
            "dataClassification": ["type": "string", "enum": .array(DataClassification.allCases.map { .string($0.rawValue) })],
            "createdBy": ["type": "string"], "createdAt": ["type": "string", "format": "date-time"],
        ],
    ]

    static let versionSchema: JSONValue = [
        "type": "object", "required": ["model", "number", "state", "uploader", "sha256", "size", "filename", "lineage", "hasSignature", "hasAttestation", "createdAt"],
        "properties": [
            "model": ["type": "string"], "number": ["type": "integer"],
            "state": ["type": "string", "enum": .array(VersionState.allCases.map { .string($0.rawValue) })],
            "uploader": ["type": "string"], "uploaderTeam": ["type": "string"],
            "sha256": ["type": "string", "description": "64 lowercase hex digits"], "size": ["type": "integer"], "filename": ["type": "string"],
            "lineage": ["type": "object", "properties": ["datasetManifestDigest": ["type": "string"], "trainingCommand": ["type": "string"],
                                                          "parentVersion": ["type": "integer"]]],
            "gateReport": ["type": "object", "description": "scan, signature and attestation outcomes of the last submission"],
            "override": ["type": "object"], "hasSignature": ["type": "boolean"], "hasAttestation": ["type": "boolean"],
            "revocationReason": ["type": "string"], "createdAt": ["type": "string", "format": "date-time"],
            "approvals": ["type": "array", "items": ["type": "object"]], "ancestry": ["type": "array", "items": ["type": "integer"]],
        ],
    ]

    static let approvalSchema: JSONValue = [
        "type": "object", "required": ["version", "approver", "at"],
        "properties": ["version": ["type": "integer"], "approver": ["type": "string"], "at": ["type": "string", "format": "date-time"]],
    ]
}
