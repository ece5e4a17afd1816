import BulwarkGateway
import Crypto
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import ServiceLifecycle
import SwiftASN1
import X509

/// A throwaway CA and a server certificate it signed for `localhost` and 127.0.0.1, written as
/// PEM files into a fresh temporary folder; made anew by every test that needs them.
struct TestPKI {
    let directory: URL
    let caCertificatePEM: String
    let certificatePath: String
    let keyPath: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-gateway-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("Bulwark test CA") }
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 3600, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(caKey)
        )
        let serverKey = P256.Signing.PrivateKey()
        let server = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 3600, issuer: caName,
            subject: try DistinguishedName { CommonName("localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: .init(caKey)
        )
        caCertificatePEM = try ca.serializeAsPEM().pemString
        certificatePath = directory.appendingPathComponent("server.pem").path
        keyPath = directory.appendingPathComponent("server.key").path
        try Data(try server.serializeAsPEM().pemString.utf8).write(to: URL(fileURLWithPath: certificatePath))
        try Data(serverKey.pemRepresentation.utf8).write(to: URL(fileURLWithPath: keyPath))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
    }

    /// Writes `text` to a file named `name` in the folder; its path.
    func write(_ text: String, named name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// A plain-HTTP loopback configuration on a free port with the given limits.
func loopbackConfiguration(maxBody: Int = 1024, requestTimeout: Double = 5, grace: Double = 5) -> GatewayConfiguration {
    GatewayConfiguration(
        host: "127.0.0.1", port: 0, insecureHTTP: true, maxRequestBodyBytes: maxBody, maxUploadBodyBytes: 4 * maxBody,
        requestTimeoutSeconds: requestTimeout, shutdownGracePeriodSeconds: grace
    )
}

/// Test-only routes: echo a body, sleep, fail with an error that must not leak.
struct SecretLeak: Error, CustomStringConvertible {
    var description: String { "password=hunter2 at /srv/secret/path.swift:42" }
}

func addTestRoutes(to routes: GatewayRoutes) {
    routes.add(GatewayRoute(method: .post, path: "/test/echo", operationID: "testEcho", summary: "Echoes the body.",
                            responseMediaType: "application/octet-stream", responseSchema: ["type": "string"])) { request, _ in
        var request = request
        let body = try await request.collectBody(upTo: .max)
        return Response(status: .ok, body: .init(byteBuffer: body))
    }
    routes.add(GatewayRoute(method: .post, path: "/test/upload", operationID: "testUpload", summary: "Counts an upload.",
                            responseSchema: ["type": "string"], bodyLimit: .upload)) { request, _ in
        var count = 0
        for try await buffer in request.body { count += buffer.readableBytes }
        return "\(count)"
    }
    routes.add(GatewayRoute(method: .get, path: "/test/sleep/{milliseconds}", operationID: "testSleep", summary: "Sleeps.",
                            responseSchema: ["type": "string"])) { _, context in
        let milliseconds = context.parameters.get("milliseconds", as: Int.self) ?? 0
        try await Task.sleep(for: .milliseconds(milliseconds))
        return "slept"
    }
    routes.add(GatewayRoute(method: .get, path: "/test/fail", operationID: "testFail", summary: "Fails.")) { _, _ -> String in
        throw SecretLeak()
    }
}

/// Runs `gateway`'s application in a service group until `body` returns, then shuts it down
/// gracefully; `body` gets the URL it listens on.
func withRunningGateway<T: Sendable>(
    _ gateway: Gateway, _ body: @Sendable (String, ServiceGroup) async throws -> T
) async throws -> T {
    let (urls, continuation) = AsyncStream.makeStream(of: String.self)
    let application = try gateway.makeApplication { url in continuation.yield(url) }
    let group = ServiceGroup(configuration: .init(services: [application], logger: gateway.logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = urls.makeAsyncIterator()
        guard let url = await iterator.next() else { throw GatewayError(.internal, "the server reported no address") }
        do {
            let value = try await body(url, group)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// The decoded error body of a response.
func errorBody(_ buffer: ByteBuffer) throws -> ErrorBody {
    try JSONDecoder().decode(ErrorBody.self, from: Data(buffer.readableBytesView))
}
