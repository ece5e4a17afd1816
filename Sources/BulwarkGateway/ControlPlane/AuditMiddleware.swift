import BulwarkAccess
import Foundation
public import Hummingbird
import HTTPTypes
import Logging

/// Appends an audit entry for every state-changing request (POST, PUT, PATCH, DELETE): actor,
/// method and path, outcome from the status, client address and request id.
///
/// Inference requests (`/v2/…`) are not audited one by one: the serving layer audits what
/// changes state (kills, rollbacks, quarantines, blocks), and metrics count the requests.
/// Login routes (`/api/v1/login…`, `/ui/login…`) write their own, more precise entries, and 403 answers were
/// audited by ``ControlPlane/authorize(_:on:request:context:)`` with their deciding rule, so
/// neither is audited twice here. An entry that cannot be written is logged at `error` level;
/// the response is not changed.
public struct AuditMiddleware: RouterMiddleware {
    let plane: ControlPlane

    /// A middleware writing to `plane`'s audit log.
    public init(plane: ControlPlane) {
        self.plane = plane
    }

    /// Calls the rest of the chain, then audits a state-changing request.
    public func handle(
        _ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        let method = request.method
        let path = request.uri.path
        guard [.post, .put, .patch, .delete].contains(method), !path.hasPrefix("/api/v1/login"), !path.hasPrefix("/ui/login"),
              !path.hasPrefix("/v2/") else {
            return try await next(request, context)
        }
        let status: HTTPResponse.Status
        do {
            let response = try await next(request, context)
            status = response.status
            await record(request, context: context, status: status)
            return response
        } catch {
            if let error = error as? GatewayError {
                await record(request, context: context, status: error.httpStatus)
            } else if let error = error as? any HTTPResponseError {
                await record(request, context: context, status: error.status)
            } else {
                await record(request, context: context, status: .internalServerError)
            }
            throw error
        }
    }

    private func record(_ request: Request, context: GatewayRequestContext, status: HTTPResponse.Status) async {
        guard status != .forbidden else { return }
        let outcome: AuditOutcome = (200..<400).contains(status.code) ? .allowed : .failed
        await plane.record(
            AuditEvent(actor: ControlPlane.actorName(context.principal), action: "\(request.method.rawValue) \(request.uri.path)",
                       resource: request.uri.path, outcome: outcome, clientAddress: ControlPlane.clientAddress(context),
                       requestID: context.requestID, details: ["status": String(status.code)]),
            context: context)
    }
}

extension ControlPlane {
    /// Appends `event` to the audit log; a failure is logged at `error` level, not thrown (the
    /// request it describes already happened). Refused and failed events beyond the flood
    /// guard's allowance are counted into an `audit.suppressed` entry instead (``AuditFloodGuard``).
    func record(_ event: AuditEvent, context: GatewayRequestContext) async {
        let (write, summaries) = auditGuard.admit(event)
        for entry in summaries + (write ? [event] : []) {
            do {
                _ = try await audit.append(entry)
            } catch {
                context.logger.error("audit entry could not be written", metadata: ["error": .string(error.message)])
            }
        }
    }

    /// The name an audit entry gives the caller: the principal's id, `anonymous` without one.
    static func actorName(_ principal: Principal?) -> String {
        guard let principal, principal.kind != .anonymous, !principal.id.isEmpty else { return "anonymous" }
        return principal.kind == .service ? "service:\(principal.id)" : principal.id
    }

    /// The peer's IP address, or `unknown` when the transport does not say.
    static func clientAddress(_ context: GatewayRequestContext) -> String {
        context.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Asks the policy in force whether the caller may do `action` on `resource`; a denial is
    /// audited (with the deciding rule) and thrown as 403 naming that rule.
    ///
    /// - Throws: ``GatewayError`` `.forbidden`.
    func authorize(_ action: Action, on resource: Resource, request: Request, context: GatewayRequestContext) async throws(GatewayError) {
        let principal = context.principal ?? .anonymous
        let address = context.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        let decision = policies.evaluate(principal: principal, action: action, resource: resource,
                                         context: AuthorizationContext(time: Date(), address: address))
        guard !decision.allowed else { return }
        let resourceName = resource.id.isEmpty ? resource.type : "\(resource.type)/\(resource.id)"
        await record(
            AuditEvent(actor: Self.actorName(principal), action: action.name, resource: resourceName, outcome: .denied,
                       rule: decision.ruleID, clientAddress: Self.clientAddress(context), requestID: context.requestID,
                       details: ["method": request.method.rawValue, "path": request.uri.path]),
            context: context)
        throw GatewayError(.forbidden, "\(action.name) on \(resourceName) denied by rule \(decision.ruleID)")
    }
}
