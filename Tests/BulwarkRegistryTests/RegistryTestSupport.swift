import BulwarkAccess
import BulwarkRegistry
import BulwarkStore
import BulwarkSupplyChain
import Foundation
import Testing

/// The two engines every registry contract runs on.
enum Engine: String, Sendable {
    case sqlite, postgres
}

/// The PostgreSQL server of `BULWARK_TEST_POSTGRES_URL`, or `nil` (those tests are then skipped).
let postgresTestURL: String? = {
    guard let url = ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
    return url
}()

/// The one line shown for skipped PostgreSQL tests.
let postgresSkipReason: Comment = "BULWARK_TEST_POSTGRES_URL is unset (run under scripts/postgres-server run swift test)"

/// The fixed "now" of every registry test.
let testNow = Date(timeIntervalSince1970: 1_800_000_000)

/// The people of the tests: an uploader who also holds the approver role (so the two-person rule,
/// not the roles, must stop her), an approver, an admin, and a plain reader.
enum People {
    static let alice = Principal(id: "alice", roles: ["publisher", "approver"], team: "vision", mfaVerifiedAt: testNow.addingTimeInterval(-60))
    static let bob = Principal(id: "bob", roles: ["approver"], team: "risk", mfaVerifiedAt: testNow.addingTimeInterval(-120))
    static let carol = Principal(id: "carol", roles: ["admin"], mfaVerifiedAt: testNow.addingTimeInterval(-30))
    static let dave = Principal(id: "dave", roles: ["publisher"], team: "vision", mfaVerifiedAt: testNow)
}

/// A registry over a fresh database on `engine` and a fresh blob directory.
struct RegistryFixture {
    let registry: ModelRegistry
    let location: DatabaseLocation
    let blobDirectory: String
    let scratch: String

    /// A second registry over the same database and blobs through its own connection, as a second
    /// server node would have.
    func secondNode() async throws -> (ModelRegistry, any SQLDatabase) {
        let db = try await openDatabase(location)
        return (try await ModelRegistry.open(database: db, blobDirectory: blobDirectory, clock: { testNow }), db)
    }

    /// Writes `bytes` to a scratch file named `name` and returns its path.
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = scratch + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

func withRegistry(_ engine: Engine, configuration: RegistryConfiguration = RegistryConfiguration(),
                  _ body: (RegistryFixture) async throws -> Void) async throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-registry-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: root + "/scratch", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    var cleanup: (() async -> Void)?
    let location: DatabaseLocation
    switch engine {
    case .sqlite:
        location = .sqlite(path: root + "/registry.db")
    case .postgres:
        let url = try #require(postgresTestURL)
        guard case .postgres(var postgres) = try DatabaseLocation(parsing: url) else {
            Issue.record("BULWARK_TEST_POSTGRES_URL is not a postgres:// URL")
            return
        }
        let admin = try await openDatabase(.postgres(postgres))
        let name = "bulwark_r_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.execute(SQLStatement("CREATE DATABASE \(name)"))
        postgres.database = name
        location = .postgres(postgres)
        cleanup = {
            try? await admin.execute(SQLStatement("DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
            await admin.close()
        }
    }
    let db = try await openDatabase(location)
    do {
        let registry = try await ModelRegistry.open(database: db, blobDirectory: root + "/blobs", configuration: configuration, clock: { testNow })
        try await body(RegistryFixture(registry: registry, location: location, blobDirectory: root + "/blobs", scratch: root + "/scratch"))
    } catch {
        await db.close()
        await cleanup?()
        throw error
    }
    await db.close()
    await cleanup?()
}

/// Expects `body` to fail with a ``RegistryError`` of `code` and returns it.
@discardableResult
func expectRegistryError<T>(_ code: RegistryError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () async throws -> T) async -> RegistryError? {
    do {
        _ = try await body()
        Issue.record("expected a RegistryError \(code), got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as RegistryError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.message.contains("\n"), sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a RegistryError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Artifacts made in the test, never read from disk.
enum Artifacts {
    /// A clean safetensors file: one F32 tensor `w` of shape [2], values `seed` and `seed + 1`.
    static func safetensors(seed: Float = 1) -> [UInt8] {
        var header = Array(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out += header
        for value in [seed, seed + 1] { withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// A protocol-2 pickle that calls `posix.system` when loaded.
    static let maliciousPickle: [UInt8] = [0x80, 2] + Array("cposix\nsystem\n(S'echo pwned'\ntR.".utf8)

    /// Bytes of no model format the scanner knows.
    static let unknownFormat: [UInt8] = Array("just some text, not a model at all\n".utf8)

    /// A Bulwark report, enough for an attestation.
    static let report = Array(#"{"title":"Evasion robustness","tool":"bulwark","command":"bulwark evaluate","findings":[{"id":"evasion.pgd","severity":"high","title":"PGD"}]}"#.utf8)
}

/// The chunks of `bytes`, `size` bytes each, as an async sequence.
func chunked(_ bytes: [UInt8], size: Int) -> AsyncStream<[UInt8]> {
    AsyncStream { continuation in
        var start = 0
        while start < bytes.count {
            continuation.yield(Array(bytes[start..<min(bytes.count, start + size)]))
            start += size
        }
        continuation.finish()
    }
}

/// A stream that yields `bytes` and then fails, as a dropped connection does.
struct BrokenStream: AsyncSequence {
    struct Dropped: Error {}
    let bytes: [UInt8]
    struct AsyncIterator: AsyncIteratorProtocol {
        var sent = false
        let bytes: [UInt8]
        mutating func next() async throws -> [UInt8]? {
            if sent { throw Dropped() }
            sent = true
            return bytes
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
}

extension RegistryFixture {
    /// Creates model `name` (team vision) unless it exists.
    func ensureModel(_ name: String = "cats") async throws {
        if (try? await registry.model(named: name)) == nil {
            try await registry.createModel(name: name, team: "vision", riskTier: .high, dataClassification: .internal, by: People.alice)
        }
    }

    /// Registers a fresh key for `publisher` (by the admin) and returns its private half.
    func registeredKey(for publisher: Publisher) async throws -> ModelSigningPrivateKey {
        let key = ModelSigningPrivateKey.generateP256()
        try await registry.registerPublisherKey(Array(key.publicKey.pemRepresentation.utf8), for: publisher, by: People.carol)
        return key
    }

    /// Uploads `bytes` as a version of `model` by `uploader`, signed by `key` when given.
    func upload(_ bytes: [UInt8], model: String = "cats", filename: String = "model.safetensors", by uploader: Principal = People.alice,
                signedBy key: ModelSigningPrivateKey? = nil, attestedBy attestationKey: ModelSigningPrivateKey? = nil,
                lineage: Lineage = Lineage()) async throws -> ModelVersion {
        let path = try file(UUID().uuidString + "-" + filename, bytes)
        var signature: [UInt8]?
        if let key { signature = try await ModelSigner.sign(modelAt: path, identity: .key(key)).bundle }
        var attestation: [UInt8]?
        if let attestationKey {
            attestation = try await AssessmentAttestation.sign(modelAt: path, report: Artifacts.report, identity: .key(attestationKey)).bundle
        }
        return try await registry.upload(chunked(bytes, size: 7), model: model, filename: filename, by: uploader, lineage: lineage,
                                         signatureBundle: signature, attestation: attestation)
    }

    /// A version of `model` taken through the gates into staging.
    func stagingVersion(model: String = "cats", seed: Float = 1, key: ModelSigningPrivateKey) async throws -> ModelVersion {
        let version = try await upload(Artifacts.safetensors(seed: seed), model: model, signedBy: key)
        try await registry.submit(model: model, version: version.number, by: People.alice)
        return try await registry.version(model: model, number: version.number)
    }

    /// The files in a blob sub-directory (`tmp` or `sha256`).
    func files(in sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: blobDirectory + "/" + sub)) ?? []).sorted()
    }
}
