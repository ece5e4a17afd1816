import BulwarkAccess
import BulwarkRegistry
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// `POST /api/v1/models`, `GET /api/v1/models`, `GET /api/v1/models/{model}` and
/// `POST /api/v1/publishers/keys`: models and the keys that vouch for their publishers. The
/// version routes are in ``RegistryVersionRoutes``. Every route asks the policy first, with the
/// model's attributes (risk tier, owning team, data classification, stage) on the resource.
enum RegistryRoutes {
    struct CreateModelBody: Decodable {
        var name: String; var team: String; var riskTier: String; var dataClassification: String
    }
    struct ModelList: Encodable { var models: [ModelRecord] }
    struct ModelAnswer: Encodable { var model: ModelRecord; var versions: [ModelVersion] }
    struct PublisherKeyBody: Decodable { var publisher: String; var pem: String }
    struct PublisherKeyAnswer: Encodable { var publisher: String; var hint: String; var registeredBy: String; var registeredAt: Date }

    static func add(to routes: GatewayRoutes, plane optionalPlane: ControlPlane?) {
        routes.add(
            GatewayRoute(
                method: .post, path: "/api/v1/models", operationID: "createModel",
                summary: "Registers a model: its name, owning team, risk tier and data classification.", tags: ["registry"],
                successStatus: 201, successDescription: "The model.", responseSchema: RegistryRouteSupport.modelSchema,
                requestSchema: [
                    "type": "object", "required": ["name", "team", "riskTier", "dataClassification"],
                    "properties": ["name": ["type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,127}$"], "team": ["type": "string"],
                                   "riskTier": ["type": "string"], "dataClassification": ["type": "string"]],
                ],
                errorStatuses: [400, 401, 403, 409]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let body = try await RegistryRouteSupport.requiredJSON(CreateModelBody.self, request, context: context)
            guard let tier = RiskTier(rawValue: body.riskTier) else {
                throw GatewayError(.badRequest, "riskTier: expected one of \(RiskTier.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let classification = DataClassification(rawValue: body.dataClassification) else {
                throw GatewayError(.badRequest, "dataClassification: expected one of \(DataClassification.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let resource = Resource(type: "model", id: body.name, riskTier: tier.rawValue, owningTeam: body.team,
                                    dataClassification: classification.rawValue)
            try await plane.authorize(.modelCreate, on: resource, request: request, context: context)
            let principal = context.principal ?? .anonymous
            let model = try await RegistryRouteSupport.call { () throws(RegistryError) in
                try await plane.registry.createModel(name: body.name, team: body.team, riskTier: tier, dataClassification: classification, by: principal)
            }
            var response = AccountRoutes.json(model, status: .created)
            response.headers[.location] = "/api/v1/models/\(model.name)"
            return response
        }

        routes.add(
            GatewayRoute(
                method: .get, path: "/api/v1/models", operationID: "listModels",
                summary: "Every registered model, by name.", tags: ["registry"], successDescription: "The models.",
                responseSchema: ["type": "object", "required": ["models"],
                                 "properties": ["models": ["type": "array", "items": RegistryRouteSupport.modelSchema]]],
                errorStatuses: [401, 403]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            try await plane.authorize(.modelList, on: Resource(type: "model"), request: request, context: context)
            let models = try await RegistryRouteSupport.call { () throws(RegistryError) in try await plane.registry.models() }
            return AccountRoutes.json(ModelList(models: models), status: .ok)
        }

        routes.add(
            GatewayRoute(
                method: .get, path: "/api/v1/models/{model}", operationID: "getModel",
                summary: "One model and the versions of it the caller may read.", tags: ["registry"],
                successDescription: "The model and its versions, by number.",
                responseSchema: ["type": "object", "required": ["model", "versions"],
                                 "properties": ["model": RegistryRouteSupport.modelSchema,
                                                "versions": ["type": "array", "items": RegistryRouteSupport.versionSchema]]],
                errorStatuses: [401, 403, 404]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let model = try await RegistryRouteSupport.model(plane, context, request: request)
            let versions = try await RegistryRouteSupport.call { () throws(RegistryError) in try await plane.registry.versions(model: model.name) }
            let stage = RegistryRouteSupport.modelStage(versions)
            try await plane.authorize(.modelRead, on: RegistryRouteSupport.resource(model, stage: stage), request: request, context: context)
            let visible = versions.filter { RegistryRouteSupport.permits(plane, context, .modelRead, RegistryRouteSupport.resource(model, $0)) }
            return AccountRoutes.json(ModelAnswer(model: model, versions: visible), status: .ok)
        }

        routes.add(
            GatewayRoute(
                method: .post, path: "/api/v1/publishers/keys", operationID: "registerPublisherKey",
                summary: "Registers a PEM public key that verifies the model signatures of a publisher (`user:ID` or `team:NAME`); admin only.",
                tags: ["registry"], successStatus: 201, successDescription: "The registered key.",
                responseSchema: [
                    "type": "object", "required": ["publisher", "hint", "registeredBy", "registeredAt"],
                    "properties": ["publisher": ["type": "string"], "hint": ["type": "string"],
                                   "registeredBy": ["type": "string"], "registeredAt": ["type": "string", "format": "date-time"]],
                ],
                requestSchema: [
                    "type": "object", "required": ["publisher", "pem"],
                    "properties": ["publisher": ["type": "string", "description": "user:ID or team:NAME"], "pem": ["type": "string"]],
                ],
                errorStatuses: [400, 401, 403, 409]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            let body = try await RegistryRouteSupport.requiredJSON(PublisherKeyBody.self, request, context: context)
            let publisher: Publisher
            if body.publisher.hasPrefix("user:") {
                publisher = .user(String(body.publisher.dropFirst(5)))
            } else if body.publisher.hasPrefix("team:") {
                publisher = .team(String(body.publisher.dropFirst(5)))
            } else {
                throw GatewayError(.badRequest, "publisher: expected user:ID or team:NAME")
            }
            // Vouching for a publisher's signatures is identity administration.
            try await plane.authorize(.userAdmin, on: Resource(type: "publisher", id: publisher.description), request: request, context: context)
            let principal = context.principal ?? .anonymous
            let key = try await RegistryRouteSupport.call { () throws(RegistryError) in
                try await plane.registry.registerPublisherKey(Array(body.pem.utf8), for: publisher, by: principal)
            }
            return AccountRoutes.json(PublisherKeyAnswer(publisher: key.publisher.description, hint: key.hint, registeredBy: key.registeredBy,
                                                         registeredAt: key.registeredAt), status: .created)
        }

        RegistryVersionRoutes.add(to: routes, plane: optionalPlane)
    }
}
