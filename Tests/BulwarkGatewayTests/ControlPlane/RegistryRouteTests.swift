import BulwarkAccess
import BulwarkGateway
import BulwarkRegistry
import BulwarkSupplyChain
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing

/// The people of the registry route tests and a team key registered by the admin.
struct RegistryCast {
    let admin: String, publisher: String, approver: String, consumer: String, auditor: String
    let key: ModelSigningPrivateKey

    static func make(_ fixture: RegistryHTTPFixture) async throws -> RegistryCast {
        let key = ModelSigningPrivateKey.generateP256()
        let cast = RegistryCast(
            admin: try await fixture.person("ada", roles: ["admin"]),
            publisher: try await fixture.person("pia", team: "vision", roles: ["publisher"], mfa: false),
            approver: try await fixture.person("abe", team: "risk", roles: ["approver"]),
            consumer: try await fixture.person("cal", team: "apps", roles: ["consumer"], mfa: false),
            auditor: try await fixture.person("aud", roles: ["auditor"], mfa: false), key: key)
        return cast
    }

    /// Registers the key for team `vision` and creates model `name` (team vision) as the publisher.
    func prepare(_ client: any TestClientProtocol, model name: String = "cats") async throws {
        let (keyStatus, keyBody, _) = try await client.send(.post, "/api/v1/publishers/keys", token: admin,
                                                            body: try anyJSONBody(["publisher": "team:vision", "pem": key.publicKey.pemRepresentation]))
        #expect(keyStatus == .created, "\(String(buffer: keyBody))")
        let (status, body, headers) = try await client.send(.post, "/api/v1/models", token: publisher, body: try anyJSONBody(
            ["name": name, "team": "vision", "riskTier": "high", "dataClassification": "internal"]))
        #expect(status == .created, "\(String(buffer: body))")
        #expect(headers[.location] == "/api/v1/models/\(name)")
    }
}

func object(_ buffer: ByteBuffer) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any], "\(String(buffer: buffer))")
}

@Test func registryRoutesTakeAVersionFromUploadToProductionAndRevocation() async throws {
    let fixture = try await RegistryHTTPFixture()
    let cast = try await RegistryCast.make(fixture)
    let artifact = RegistryHTTPArtifacts.safetensors(count: 64)
    let signature = try await RegistryHTTPArtifacts.signature(of: artifact, key: cast.key)
    try await fixture.test { client in
        try await cast.prepare(client)
        let (listStatus, listBody, _) = try await client.send(.get, "/api/v1/models", token: cast.consumer)
        #expect(listStatus == .ok)
        #expect((try object(listBody)["models"] as? [[String: Any]])?.map { $0["name"] as? String } == ["cats"])

        // Upload: streamed body, digest named, lineage in the query, signature in a header.
        let digest = RegistryHTTPArtifacts.sha256(artifact)
        let (upStatus, upBody, upHeaders) = try await client.upload(
            artifact, model: "cats", token: cast.publisher, signature: signature,
            query: "&sha256=\(digest)&trainingCommand=bulwark%20train%20--seed%207")
        #expect(upStatus == .created, "\(String(buffer: upBody))")
        let uploaded = try object(upBody)
        #expect(uploaded["state"] as? String == "draft" && uploaded["number"] as? Int == 1 && uploaded["sha256"] as? String == digest)
        #expect((uploaded["lineage"] as? [String: Any])?["trainingCommand"] as? String == "bulwark train --seed 7")
        #expect(uploaded["hasSignature"] as? Bool == true)
        #expect(upHeaders[.location] == "/api/v1/models/cats/versions/1")

        // A consumer sees neither the draft nor its bytes; the model lists no version for them.
        #expect(try await client.send(.get, "/api/v1/models/cats/versions/1/artifact", token: cast.consumer).0 == .forbidden)

        // Gates: the publisher of the owning team submits; staging with a passing report.
        let (submitStatus, submitBody, _) = try await client.send(.post, "/api/v1/models/cats/versions/1/submit", token: cast.publisher)
        #expect(submitStatus == .ok, "\(String(buffer: submitBody))")
        let submitted = try object(submitBody)
        #expect(submitted["state"] as? String == "staging")
        let report = try #require(submitted["gateReport"] as? [String: Any])
        #expect((report["signature"] as? [String: Any])?["publisher"] as? String == "team:vision")
        #expect((report["scan"] as? [String: Any])?["verdict"] as? String == "clean")

        // Production needs the approver's approval first (registry refusal: 403), then works.
        let early = try await client.send(.post, "/api/v1/models/cats/versions/1/promote", token: cast.approver,
                                          body: try anyJSONBody(["stage": "production"]))
        #expect(early.0 == .forbidden, "\(String(buffer: early.1))")
        #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/approve", token: cast.approver).0 == .ok)
        #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/approve", token: cast.approver).0 == .conflict)
        let (promoteStatus, promoteBody, _) = try await client.send(.post, "/api/v1/models/cats/versions/1/promote", token: cast.approver,
                                                                    body: try anyJSONBody(["stage": "production", "reason": "release 1"]))
        #expect(promoteStatus == .ok, "\(String(buffer: promoteBody))")
        #expect(try object(promoteBody)["state"] as? String == "production")

        // Metadata with approvals; the consumer now reads and downloads it, digest-checked.
        let (getStatus, getBody, _) = try await client.send(.get, "/api/v1/models/cats/versions/1", token: cast.consumer)
        #expect(getStatus == .ok)
        #expect((try object(getBody)["approvals"] as? [[String: Any]])?.first?["approver"] as? String == "abe")
        let (modelStatus, modelBody, _) = try await client.send(.get, "/api/v1/models/cats", token: cast.consumer)
        #expect(modelStatus == .ok)
        #expect((try object(modelBody)["versions"] as? [[String: Any]])?.count == 1)
        let (downloadStatus, downloadBody, downloadHeaders) = try await client.send(.get, "/api/v1/models/cats/versions/1/artifact", token: cast.consumer)
        #expect(downloadStatus == .ok)
        #expect(Array(downloadBody.readableBytesView) == artifact)
        #expect(downloadHeaders[HTTPField.Name("Repr-Digest")!] == RegistryHTTPArtifacts.reprDigest(artifact))
        #expect(downloadHeaders[.contentLength] == String(artifact.count))
        let etag = try #require(downloadHeaders[.eTag])
        #expect(etag.contains(digest))
        #expect(try await client.send(.get, "/api/v1/models/cats/versions/1/artifact", token: cast.consumer, headers: [.ifNoneMatch: etag]).0 == .notModified)

        let (bomStatus, bomBody, bomHeaders) = try await client.send(.get, "/api/v1/models/cats/versions/1/bom", token: cast.auditor)
        #expect(bomStatus == .ok && bomHeaders[.contentType]?.hasPrefix("application/vnd.cyclonedx+json") == true)
        #expect(try object(bomBody)["bomFormat"] as? String == "CycloneDX")
        let (_, historyBody, _) = try await client.send(.get, "/api/v1/models/cats/versions/1/history", token: cast.auditor)
        let history = try #require(try object(historyBody)["history"] as? [[String: Any]])
        #expect(history.map { $0["to"] as? String } == ["draft", "staging", "production"])

        // Revocation: a reason is required; afterwards nobody downloads it (consumer: policy 403, admin: 409).
        #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/revoke", token: cast.approver, body: try anyJSONBody([:] as [String: String])).0 == .badRequest)
        let (revokeStatus, revokeBody, _) = try await client.send(.post, "/api/v1/models/cats/versions/1/revoke", token: cast.approver,
                                                                  body: try anyJSONBody(["reason": "training data leaked"]))
        let revoked = try object(revokeBody)
        #expect(revokeStatus == .ok && revoked["state"] as? String == "revoked")
        #expect(try await client.send(.get, "/api/v1/models/cats/versions/1/artifact", token: cast.consumer).0 == .forbidden)
        #expect(try await client.send(.get, "/api/v1/models/cats/versions/1/artifact", token: cast.admin).0 == .conflict)
        #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/revoke", token: cast.admin,
                                      body: try anyJSONBody(["reason": "again"])).0 == .conflict)
    }
}

@Test func registryRoutesEnforceTheTwoPersonRule() async throws {
    let fixture = try await RegistryHTTPFixture()
    let cast = try await RegistryCast.make(fixture)
    // Uploader who also holds the approver role, with a fresh MFA check.
    let both = try await fixture.person("bea", team: "vision", roles: ["publisher", "approver"])
    let artifact = RegistryHTTPArtifacts.safetensors(count: 8)
    let signature = try await RegistryHTTPArtifacts.signature(of: artifact, key: cast.key)
    try await fixture.test { client in
        try await cast.prepare(client)
        #expect(try await client.upload(artifact, model: "cats", token: both, signature: signature).0 == .created)
        #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/submit", token: both).0 == .ok)
        for action in ["approve", "promote"] {
            let (status, body, _) = try await client.send(.post, "/api/v1/models/cats/versions/1/\(action)", token: both,
                                                          body: action == "promote" ? try anyJSONBody(["stage": "production"]) : nil)
            #expect(status == .forbidden, "\(action)")
            let message = try #require((try object(body)["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains("no-self-approval"), "\(message)")
        }
        // The admin (every role) is bound too: approving someone else's works, her own would not.
        #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/approve", token: cast.admin).0 == .ok)
        // Still not the uploader: the policy refuses her promotion even with another's approval.
        #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/promote", token: both,
                                      body: try anyJSONBody(["stage": "production"])).0 == .forbidden)
        #expect(try await client.send(.post, "/api/v1/models/cats/versions/1/promote", token: cast.approver,
                                      body: try anyJSONBody(["stage": "production"])).0 == .ok)
    }
}

@Test func registryUploadOverTheLimitIsRefusedAndLeavesNothing() async throws {
    let fixture = try await RegistryHTTPFixture(maxUploadBytes: 4096)
    let cast = try await RegistryCast.make(fixture)
    let big = RegistryHTTPArtifacts.safetensors(count: 2048)  // 8 KiB of data
    let small = RegistryHTTPArtifacts.safetensors(count: 16)
    try await fixture.test { client in
        try await cast.prepare(client)
        let (status, body, _) = try await client.upload(big, model: "cats", token: cast.publisher)
        #expect(status == .contentTooLarge, "\(String(buffer: body))")
        // A wrong declared digest is refused after the bytes arrived, and leaves nothing either.
        let wrong = String(repeating: "0", count: 64)
        #expect(try await client.upload(small, model: "cats", token: cast.publisher, query: "&sha256=\(wrong)").0 == .badRequest)
        #expect(try await client.upload(small, model: "cats", token: cast.publisher, query: "&parentVersion=x").0 == .badRequest)
        let (_, modelBody, _) = try await client.send(.get, "/api/v1/models/cats", token: cast.admin)
        #expect((try object(modelBody)["versions"] as? [[String: Any]])?.isEmpty == true)
        // Text, not an artifact: 415 before any byte is stored.
        #expect(try await client.send(.post, "/api/v1/models/cats/versions?filename=a.bin", token: cast.publisher,
                                      headers: [.contentType: "text/plain"], body: ByteBuffer(string: "x")).0 == .unsupportedMediaType)
    }
}

/// Neither a refused oversized upload nor a digest mismatch leaves a temporary file or a blob.
@Test func registryRefusedUploadsLeaveNoFiles() async throws {
    let fixture = try await RegistryHTTPFixture(maxUploadBytes: 4096)
    let cast = try await RegistryCast.make(fixture)
    let big = RegistryHTTPArtifacts.safetensors(count: 2048)
    let app = try fixture.gateway.makeApplication()
    try await app.test(.router) { client in
        try await cast.prepare(client)
        #expect(try await client.upload(big, model: "cats", token: cast.publisher).0 == .contentTooLarge)
        #expect(try await client.upload(RegistryHTTPArtifacts.safetensors(count: 4), model: "cats", token: cast.publisher,
                                        query: "&sha256=\(String(repeating: "a", count: 64))").0 == .badRequest)
    }
    let files = fixture.blobFiles
    #expect(files.committed.isEmpty && files.temporary.isEmpty, "\(files)")
    #expect(try await fixture.plane.registry.versions(model: "cats").isEmpty)
    await fixture.close()
}

@Test func registryRoutesAreNoOracleForModelNames() async throws {
    let fixture = try await RegistryHTTPFixture()
    let cast = try await RegistryCast.make(fixture)
    try await fixture.test { client in
        try await cast.prepare(client)
        // A consumer may not read a model without a production version: the same 403 for a missing one.
        #expect(try await client.send(.get, "/api/v1/models/cats", token: cast.consumer).0 == .forbidden)
        #expect(try await client.send(.get, "/api/v1/models/nope", token: cast.consumer).0 == .forbidden)
        #expect(try await client.send(.get, "/api/v1/models/nope", token: cast.admin).0 == .notFound)
        #expect(try await client.send(.get, "/api/v1/models/cats/versions/9", token: cast.admin).0 == .notFound)
        #expect(try await client.send(.get, "/api/v1/models/cats/versions/0", token: cast.admin).0 == .badRequest)
        // Bad bodies: one-line 400s.
        let (status, body, _) = try await client.send(.post, "/api/v1/models", token: cast.admin, body: try anyJSONBody(
            ["name": "dogs", "team": "vision", "riskTier": "extreme", "dataClassification": "internal"]))
        #expect(status == .badRequest && String(buffer: body).contains("riskTier"))
        #expect(try await client.send(.post, "/api/v1/models", token: cast.admin, body: try anyJSONBody(
            ["name": "cats", "team": "vision", "riskTier": "low", "dataClassification": "internal"])).0 == .conflict)
    }
}
