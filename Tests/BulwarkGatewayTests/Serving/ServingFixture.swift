import BulwarkAccess
import BulwarkGateway
import BulwarkModels
import BulwarkRegistry
import BulwarkServing
import BulwarkSupplyChain
import BulwarkTensor
import Foundation
import Testing

/// A control plane whose registry holds model `tabular` (team vision) with versions pushed
/// through the real gates: signed by alice's registered key, approved by bob, promoted.
struct ServingFixture: @unchecked Sendable {
    let http: RegistryHTTPFixture
    let key = ModelSigningPrivateKey.generateP256()
    static let alice = Principal(id: "alice", roles: ["publisher"], team: "vision", mfaVerifiedAt: Date())
    static let bob = Principal(id: "bob", roles: ["approver"], team: "risk", mfaVerifiedAt: Date())
    static let carol = Principal(id: "carol", roles: ["admin"], mfaVerifiedAt: Date())

    init() async throws {
        http = try await RegistryHTTPFixture(maxUploadBytes: 256 * 1024)
        let registry = http.plane.registry
        _ = try await registry.createModel(name: "tabular", team: "vision", riskTier: .low, dataClassification: .internal, by: Self.alice)
        _ = try await registry.registerPublisherKey(Array(key.publicKey.pemRepresentation.utf8), for: .user("alice"), by: Self.carol)
    }

    /// A 4-feature, 3-class zoo model (seeded) as safetensors bytes.
    static func modelBytes(seed: UInt64) throws -> (bytes: [UInt8], model: Sequential) {
        let model = try ZooArchitecture.tabular.makeModel(exampleShape: [4], classCount: 3, seed: seed)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-serve-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(model, architecture: .tabular, to: path)
        return (try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), model)
    }

    /// Uploads a signed version made from `seed`, passes its gates and, with `promote`, approves
    /// and promotes it to production. Returns its number and the model.
    @discardableResult
    func publish(seed: UInt64, promote: Bool = true) async throws -> (number: Int, model: Sequential) {
        let registry = http.plane.registry
        let (bytes, model) = try Self.modelBytes(seed: seed)
        let signature = try await RegistryHTTPArtifacts.signature(of: bytes, key: key)
        let upload = try registry.beginUpload()
        try upload.append(bytes)
        let version = try await registry.commit(upload, model: "tabular", filename: "model.safetensors", by: Self.alice, signatureBundle: signature)
        try await registry.submit(model: "tabular", version: version.number, by: Self.alice)
        if promote {
            _ = try await registry.approve(model: "tabular", version: version.number, by: Self.bob)
            _ = try await registry.promoteToProduction(model: "tabular", version: version.number, by: Self.bob)
        }
        return (version.number, model)
    }

    /// Serves `specs` on the fixture's gateway with `policy` and `batching`.
    func serve(_ specs: [ServingSpec], policy: InputPolicy = InputPolicy(), batching: BatchingOptions = BatchingOptions(maxDelay: .milliseconds(1), workers: 2),
               protection settings: ProtectionSettings? = nil, incidents: (ModelHost) async throws -> IncidentGateway? = { _ in nil },
               prepared: (InferenceProtection) -> Void = { _ in }) async throws -> ModelHost {
        let host = ModelHost(registry: http.plane.registry, batching: batching)
        try await host.load(specs)
        let metrics = MetricsEndpoint()
        metrics.install(on: http.gateway.routes, plane: http.plane)
        var protection: InferenceProtection?
        if let settings {
            let (limiter, quotas) = try await http.plane.sharedLimiters()
            protection = try InferenceProtection(settings: settings, limiter: limiter, quotas: quotas, metrics: metrics.metrics)
            try protection?.prepare(host.served)
            if let protection { prepared(protection) }
        }
        let incidentGateway = try await incidents(host)
        InferenceGateway(service: InferenceService(host: host, inputPolicy: policy, metrics: metrics.metrics, protection: protection,
                                                   incidents: incidentGateway?.watcher, journal: incidentGateway?.journal))
            .install(on: http.gateway.routes, plane: http.plane)
        return host
    }
}

/// An inference request body for `rows` (each 4 features).
func inferBody(_ rows: [[Float]], name: String = "input", id: String? = nil) -> String {
    let data = rows.flatMap { $0 }.map { "\($0)" }.joined(separator: ",")
    let idField = id.map { #""id":"\#($0)","# } ?? ""
    return #"{\#(idField)"inputs":[{"name":"\#(name)","shape":[\#(rows.count),4],"datatype":"FP32","data":[\#(data)]}]}"#
}
