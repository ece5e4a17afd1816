import BulwarkAccess
import BulwarkGateway
import BulwarkSupplyChain
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Synchronization
import Testing

/// The repository's shipped policy, `examples/policy.yaml`.
let shippedPolicyPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/policy.yaml").path

/// A gateway with a control plane under the shipped policy, over a fresh SQLite database, with
/// a small upload limit; people are added with ``person(_:team:roles:mfa:)``.
struct RegistryHTTPFixture {
    let directory: URL
    let plane: ControlPlane
    let gateway: Gateway
    private let addresses = AddressCounter()

    init(maxUploadBytes: Int = 64 * 1024) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-rh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let keyPath = directory.appendingPathComponent("audit.key").path
        try Data(try NoteSigner.generate(name: controlPlaneOrigin).signerKey.utf8).write(to: URL(fileURLWithPath: keyPath))
        let options = ControlPlaneOptions(
            database: directory.appendingPathComponent("bulwark.db").path, policyFile: shippedPolicyPath, auditKeyFile: keyPath,
            auditOrigin: controlPlaneOrigin, passwordParameters: try Argon2idParameters(memoryKiB: 8 * 1024, iterations: 1, parallelism: 1))
        plane = try await ControlPlane.open(options)
        gateway = try Gateway(configuration: GatewayConfiguration(host: "127.0.0.1", port: 0, insecureHTTP: true,
                                                                  maxRequestBodyBytes: min(16 * 1024, maxUploadBytes), maxUploadBodyBytes: maxUploadBytes))
        plane.install(on: gateway.routes)
    }

    /// The blob directory's committed artifacts and temporary files.
    var blobFiles: (committed: [String], temporary: [String]) {
        let root = directory.appendingPathComponent("bulwark.db.blobs").path
        let list = { (sub: String) in ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + sub)) ?? []).sorted() }
        return (list("sha256"), list("tmp"))
    }

    /// Creates a user and returns a session token for them; with `mfa`, the session passed a
    /// TOTP check just now.
    func person(_ username: String, team: String? = nil, roles: [String], mfa: Bool = true) async throws -> String {
        let accounts = plane.accounts
        let user = try await accounts.createUser(NewUser(username: username, team: team, roles: roles), password: "correct horse battery", now: Date())
        let totp = mfa ? try await accounts.enrollTOTP(userID: user.id, now: Date()) : nil
        let result = try await accounts.login(username: username, password: "correct horse battery", address: "10.0.0.\(addresses.next())", now: Date())
        switch result {
        case .sessionIssued(let session):
            return session.token
        case .needsMFA(let pending):
            let code = try #require(totp).code(at: Date())
            return try await accounts.verifyTOTP(pendingLogin: pending.token, code: code, now: Date()).token
        default:
            Issue.record("login of \(username) failed: \(result)")
            return ""
        }
    }

    /// Runs `body` against the router, then closes the database and removes the folder.
    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try gateway.makeApplication()
        do {
            try await app.test(.router, body)
        } catch {
            await close()
            throw error
        }
        await close()
    }

    func close() async {
        await plane.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Distinct client addresses for logins, so the per-address rate limit never trips.
final class AddressCounter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

/// Artifacts made by the tests.
enum RegistryHTTPArtifacts {
    /// A clean safetensors file with one F32 tensor `w` of shape [n] holding 0, 1, …, n-1 plus `offset`.
    static func safetensors(count: Int = 2, offset: Float = 0) -> [UInt8] {
        var header = Array(#"{"w":{"dtype":"F32","shape":[\#(count)],"data_offsets":[0,\#(4 * count)]}}"#.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out += header
        for index in 0..<count { withUnsafeBytes(of: (Float(index) + offset).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// `bytes` signed with `key` in the OpenSSF Model Signing format (the bundle's bytes).
    static func signature(of bytes: [UInt8], key: ModelSigningPrivateKey) async throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-rh-\(UUID().uuidString).safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await ModelSigner.sign(modelAt: path, identity: .key(key)).bundle
    }

    /// Lowercase hex SHA-256 of `bytes`.
    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The RFC 9530 `Repr-Digest` of `bytes`.
    static func reprDigest(_ bytes: [UInt8]) -> String {
        "sha-256=:" + Data(SHA256.hash(data: bytes)).base64EncodedString() + ":"
    }
}

/// Headers with a bearer token and more fields.
func bearer(_ token: String, _ more: HTTPFields) -> HTTPFields {
    var fields = bearer(token)
    fields.append(contentsOf: more)
    return fields
}

/// A JSON body from any JSON-serialisable object.
func anyJSONBody(_ object: Any) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
}

extension TestClientProtocol {
    /// Sends a request and returns the status and body (a shorthand for the registry tests).
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, headers: HTTPFields = [:],
              body: ByteBuffer? = nil) async throws -> (HTTPResponse.Status, ByteBuffer, HTTPFields) {
        var fields = token.map { bearer($0) } ?? [:]
        fields.append(contentsOf: headers)
        if body != nil && fields[.contentType] == nil { fields[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: fields, body: body) { response in
            (response.status, response.body, response.headers)
        }
    }

    /// Uploads `bytes` as a version of `model`, signed when `signature` is given.
    func upload(_ bytes: [UInt8], model: String, token: String, signature: [UInt8]? = nil, query: String = "") async throws
        -> (HTTPResponse.Status, ByteBuffer, HTTPFields) {
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        if let signature { headers[HTTPField.Name("Bulwark-Signature-Bundle")!] = Data(signature).base64EncodedString() }
        return try await send(.post, "/api/v1/models/\(model)/versions?filename=model.safetensors\(query)", token: token, headers: headers,
                              body: ByteBuffer(bytes: bytes))
    }
}
