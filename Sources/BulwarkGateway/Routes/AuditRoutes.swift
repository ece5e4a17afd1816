import BulwarkAccess
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// `GET /api/v1/audit/checkpoint`, `…/proof/inclusion`, `…/proof/consistency` and
/// `…/entries`: the signed audit log for auditors and witnesses, each authorised by the policy
/// (`audit.verify` for the checkpoint and proofs, `audit.read` for entries).
enum AuditRoutes {
    struct InclusionAnswer: Encodable { var index: UInt64; var size: UInt64; var proof: [String] }
    struct ConsistencyAnswer: Encodable { var from: UInt64; var to: UInt64; var proof: [String] }

    /// The most entries one `/entries` request returns.
    static let maximumEntries = 1000

    static let proofSchema: JSONValue = ["type": "array", "items": ["type": "string", "description": "a SHA-256 hash, 64 hex digits"]]

    static func add(to routes: GatewayRoutes, plane optionalPlane: ControlPlane?) {
        let resource = Resource(type: "audit", id: optionalPlane?.auditOrigin ?? "")

        routes.add(
            GatewayRoute(
                method: .get, path: "/api/v1/audit/checkpoint", operationID: "getAuditCheckpoint",
                summary: "The audit log's latest signed checkpoint (C2SP signed note).", tags: ["audit"],
                successDescription: "The signed note text.", responseMediaType: "text/plain", responseSchema: ["type": "string"],
                errorStatuses: [401, 403]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            try await plane.authorize(.auditVerify, on: resource, request: request, context: context)
            try await plane.audit.refresh()
            let note = try await plane.audit.checkpoint().serialized
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: note)))
        }

        routes.add(
            GatewayRoute(
                method: .get, path: "/api/v1/audit/proof/inclusion", operationID: "getAuditInclusionProof",
                summary: "The inclusion proof of entry `index` in the tree of `size` entries (RFC 6962).", tags: ["audit"],
                successDescription: "The proof's hashes, leaf to root.",
                responseSchema: ["type": "object", "required": ["index", "size", "proof"],
                                 "properties": ["index": ["type": "integer"], "size": ["type": "integer"], "proof": proofSchema]],
                errorStatuses: [400, 401, 403]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            try await plane.authorize(.auditVerify, on: resource, request: request, context: context)
            let index = try number(request, "index")
            let size = try number(request, "size")
            try await plane.audit.refresh()
            let logSize = await plane.audit.size
            guard index < size, size <= logSize else {
                throw GatewayError(.badRequest, "index and size: expected index < size <= \(logSize)")
            }
            let proof = try await plane.audit.inclusionProof(index: index, size: size)
            return AccountRoutes.json(InclusionAnswer(index: index, size: size, proof: proof.map(\.hex)), status: .ok)
        }

        routes.add(
            GatewayRoute(
                method: .get, path: "/api/v1/audit/proof/consistency", operationID: "getAuditConsistencyProof",
                summary: "The consistency proof between the trees of `from` and `to` entries (RFC 6962).", tags: ["audit"],
                successDescription: "The proof's hashes.",
                responseSchema: ["type": "object", "required": ["from", "to", "proof"],
                                 "properties": ["from": ["type": "integer"], "to": ["type": "integer"], "proof": proofSchema]],
                errorStatuses: [400, 401, 403]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            try await plane.authorize(.auditVerify, on: resource, request: request, context: context)
            let from = try number(request, "from")
            let to = try number(request, "to")
            try await plane.audit.refresh()
            let logSize = await plane.audit.size
            guard from <= to, to <= logSize else { throw GatewayError(.badRequest, "from and to: expected from <= to <= \(logSize)") }
            let proof = try await plane.audit.consistencyProof(from: from, to: to)
            return AccountRoutes.json(ConsistencyAnswer(from: from, to: to, proof: proof.map(\.hex)), status: .ok)
        }

        routes.add(
            GatewayRoute(
                method: .get, path: "/api/v1/audit/entries", operationID: "listAuditEntries",
                summary: "Up to `limit` (at most 1000) audit entries from index `from`: JSON, or JSON Lines with `Accept: application/x-ndjson`.",
                tags: ["audit"], successDescription: "The entries, in index order.",
                responseSchema: ["type": "object", "required": ["entries"], "properties": ["entries": ["type": "array", "items": ["type": "object"]]]],
                errorStatuses: [400, 401, 403]
            )
        ) { request, context in
            guard let plane = optionalPlane else { throw ControlPlane.notConfigured }
            try await plane.authorize(.auditRead, on: resource, request: request, context: context)
            let from = request.uri.queryParameters["from"] == nil ? 0 : try number(request, "from")
            let limit = request.uri.queryParameters["limit"] == nil ? 100 : try number(request, "limit")
            guard (1...UInt64(maximumEntries)).contains(limit) else { throw GatewayError(.badRequest, "limit: expected 1...\(maximumEntries)") }
            let entries = try await plane.auditStorage.entries(offset: from, limit: Int(limit))
            var headers = HTTPFields()
            headers[.cacheControl] = "no-store"
            if request.headers[.accept]?.contains("application/x-ndjson") == true || request.uri.queryParameters["format"] == "jsonl" {
                headers[.contentType] = "application/x-ndjson"
                let bytes = entries.flatMap { AuditExport.line(for: $0) }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
            var text = "{\"entries\":["
            text += entries.map { String(decoding: AuditExport.line(for: $0).dropLast(), as: UTF8.self) }.joined(separator: ",")
            text += "]}"
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// The query parameter `name` as a non-negative integer.
    static func number(_ request: Request, _ name: String) throws(GatewayError) -> UInt64 {
        guard let text = request.uri.queryParameters[Substring(name)], let value = UInt64(String(text)) else {
            throw GatewayError(.badRequest, "\(name): expected a non-negative integer query parameter")
        }
        return value
    }
}
