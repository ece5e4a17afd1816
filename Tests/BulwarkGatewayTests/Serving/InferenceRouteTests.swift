import BulwarkAccess
import BulwarkGateway
import BulwarkModels
import BulwarkRegistry
import BulwarkServing
import BulwarkTensor
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing


@Test func servesTheProductionVersionOverTheOpenInferenceProtocol() async throws {
    let fixture = try await ServingFixture()
    let (_, model) = try await fixture.publish(seed: 7)
    let host = try await fixture.serve([ServingSpec(model: "tabular")], policy: InputPolicy(maxBatchRows: 4, validRange: -10...10))
    let consumer = try await fixture.http.person("cody", team: "vision", roles: ["consumer"])
    let auditor = try await fixture.http.person("audra", team: "vision", roles: ["auditor"])
    try await fixture.http.test { client in
        #expect(try await client.send(.get, "/v2/health/live").0 == .ok)
        #expect(try await client.send(.get, "/v2/health/ready").0 == .ok)

        // Metadata names the input and output with -1 for the batch axis.
        let (metaStatus, metaBody, _) = try await client.send(.get, "/v2/models/tabular", token: consumer)
        #expect(metaStatus == .ok)
        let meta = try object(metaBody)
        #expect(meta["versions"] as? [String] == ["1"] && meta["platform"] as? String == "bulwark")
        let input = try #require((meta["inputs"] as? [[String: Any]])?.first)
        #expect(input["name"] as? String == "input" && input["shape"] as? [Int] == [-1, 4] && input["datatype"] as? String == "FP32")
        #expect((meta["outputs"] as? [[String: Any]])?.first?["shape"] as? [Int] == [-1, 3])
        #expect(try await client.send(.get, "/v2/models/tabular/ready", token: consumer).0 == .ok)

        // Inference answers the model's own probabilities, row by row, with the request id.
        let rows: [[Float]] = [[0.5, -1, 2, 0], [1, 1, 1, 1]]
        let expected = model.logits(Tensor(shape: [2, 4], scalars: rows.flatMap { $0 })).softmax(axis: -1).scalars
        let (status, body, _) = try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: ByteBuffer(string: inferBody(rows, id: "q-1")))
        #expect(status == .ok, "\(String(buffer: body))")
        let answer = try object(body)
        #expect(answer["model_name"] as? String == "tabular" && answer["model_version"] as? String == "1" && answer["id"] as? String == "q-1")
        let output = try #require((answer["outputs"] as? [[String: Any]])?.first)
        #expect(output["name"] as? String == "probabilities" && output["shape"] as? [Int] == [2, 3])
        let values = try #require(output["data"] as? [Double]).map { Float($0) }
        #expect(zip(values, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        // The pinned path works for the served version only.
        #expect(try await client.send(.post, "/v2/models/tabular/versions/1/infer", token: consumer, body: ByteBuffer(string: inferBody(rows))).0 == .ok)
        let (otherStatus, otherBody, _) = try await client.send(.post, "/v2/models/tabular/versions/2/infer", token: consumer, body: ByteBuffer(string: inferBody(rows)))
        let otherMessage = try object(otherBody)["error"] as? String
        #expect(otherStatus == .notFound && otherMessage?.contains("version 2") == true)

        // Requests the model does not take: 400 with the protocol's error body, naming the problem.
        let bad: [(String, String)] = [
            (#"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#, "takes [N, 4]"),
            (inferBody([[1, 2, 3, 4]], name: "x"), "takes 'input'"),
            (inferBody([[1, 2, 3, 40]]), "input range"),
            (inferBody(Array(repeating: [0, 0, 0, 0], count: 5)), "batch of 5"),
            ("{not json", "request body"),
            (#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,"4"]}]}"#, "expected a number"),
        ]
        for (text, fragment) in bad {
            let (badStatus, badBody, _) = try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: ByteBuffer(string: text))
            #expect(badStatus == .badRequest, "\(text)")
            let message = try object(badBody)["error"] as? String
            #expect(message?.contains(fragment) == true, "\(String(buffer: badBody))")
        }

        // Identity and policy: anonymous and an auditor may not query; an unknown model is no oracle.
        #expect(try await client.send(.post, "/v2/models/tabular/infer", body: ByteBuffer(string: inferBody(rows))).0 == .forbidden)
        #expect(try await client.send(.post, "/v2/models/tabular/infer", token: auditor, body: ByteBuffer(string: inferBody(rows))).0 == .forbidden)
        #expect(try await client.send(.post, "/v2/models/tabular/infer", token: "bwk_nope", body: ByteBuffer(string: inferBody(rows))).0 == .unauthorized)
        #expect(try await client.send(.get, "/v2/models/secret", token: consumer).0 == .forbidden)

        // The kill switch stops the version at once (503 with Retry-After); reviving restores it.
        host.setKilled([ModelHost.key("tabular", 1)])
        let (killedStatus, killedBody, killedHeaders) = try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: ByteBuffer(string: inferBody(rows)))
        #expect(killedStatus == .serviceUnavailable && killedHeaders[.retryAfter] == "1")
        let killedMessage = try object(killedBody)["error"] as? String
        #expect(killedMessage?.contains("kill switch") == true)
        #expect(try await client.send(.get, "/v2/health/ready").0 == .serviceUnavailable)
        host.setKilled([])
        #expect(try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: ByteBuffer(string: inferBody(rows))).0 == .ok)

        // Prometheus metrics count requests by outcome, for a principal allowed metrics.read only.
        #expect(try await client.send(.get, "/metrics", token: consumer).0 == .forbidden)
        let (metricsStatus, metricsBody, metricsHeaders) = try await client.send(.get, "/metrics", token: auditor)
        #expect(metricsStatus == .ok && metricsHeaders[.contentType]?.hasPrefix("text/plain") == true)
        let exposition = String(buffer: metricsBody)
        #expect(exposition.contains(#"bulwark_inference_requests_total{model="tabular",outcome="ok"} 3"#), "\(exposition)")
        #expect(exposition.contains(#"bulwark_inference_requests_total{model="tabular",outcome="invalid"} 6"#))
        #expect(exposition.contains(#"bulwark_inference_requests_total{model="tabular",outcome="unavailable"} 1"#))
        #expect(exposition.contains("bulwark_inference_duration_seconds_bucket"))
        #expect(exposition.contains(#"bulwark_inference_examples_total{model="tabular"} 6"#))
    }
    await host.shutdown()
}

@Test func aNewProductionVersionIsSwappedInWithoutDroppingRequests() async throws {
    let fixture = try await ServingFixture()
    try await fixture.publish(seed: 1)
    let host = try await fixture.serve([ServingSpec(model: "tabular")])
    let consumer = try await fixture.http.person("cody", team: "vision", roles: ["consumer"])
    try await fixture.http.test { client in
        let body = inferBody([[0.1, 0.2, 0.3, 0.4]])
        // Clients keep querying while version 2 is promoted and the host refreshes.
        let outcomes = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var seen: [String] = []
                    for _ in 0..<60 {
                        let (status, answer, _) = try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: ByteBuffer(string: body))
                        seen.append(status == .ok ? (try object(answer)["model_version"] as? String ?? "?") : "status \(status.code)")
                    }
                    return seen
                }
            }
            group.addTask {
                try await fixture.publish(seed: 2)
                let changes = await host.refresh()
                #expect(changes == ["model 'tabular': now serving version 2 (was 1)"])
                return []
            }
            var all: [String] = []
            for try await part in group { all += part }
            return all
        }
        #expect(outcomes.count == 240)
        #expect(outcomes.allSatisfy { $0 == "1" || $0 == "2" }, "\(Set(outcomes))")
        let (_, last, _) = try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: ByteBuffer(string: body))
        #expect(try object(last)["model_version"] as? String == "2")

        // Revoking the production version stops serving it at the next refresh.
        _ = try await fixture.http.plane.registry.revoke(model: "tabular", version: 2, by: ServingFixture.bob, reason: "drill")
        let changes = await host.refresh()
        #expect(changes.count == 1 && changes[0].contains("not served"))
        // (No version of the model is in production any more, so a consumer may not query it at all.)
        #expect(try await client.send(.post, "/v2/models/tabular/infer", token: consumer, body: ByteBuffer(string: body)).0 == .forbidden)
        #expect(host.isReady == false)
    }
    await host.shutdown()
}

@Test func onlyVersionsThatPassedTheirGatesAreServed() async throws {
    let fixture = try await ServingFixture()
    // No production version: the production spec is refused; a draft cannot be pinned; a staged one can.
    let host = ModelHost(registry: fixture.http.plane.registry)
    await #expect(throws: ServingError.self) { try await host.load([ServingSpec(model: "tabular")]) }
    let registry = fixture.http.plane.registry
    let (bytes, _) = try ServingFixture.modelBytes(seed: 3)
    let upload = try registry.beginUpload()
    try upload.append(bytes)
    let draft = try await registry.commit(upload, model: "tabular", filename: "model.safetensors", by: ServingFixture.alice)
    do {
        try await host.load([ServingSpec(model: "tabular", pinnedVersion: draft.number)])
        Issue.record("a draft was served")
    } catch {
        #expect(error.code == .refused && error.message.contains("draft"))
    }
    let staged = try await fixture.publish(seed: 4, promote: false)
    try await host.load([ServingSpec(model: "tabular", pinnedVersion: staged.number)])
    #expect(host.served.map(\.version) == [staged.number])
    await host.shutdown()
    await fixture.http.close()
}
