import AsyncHTTPClient
import BulwarkGateway
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Testing

/// A client that trusts only `caPEM`, speaking TLS versions `minimum...maximum`.
func makeClient(trusting caPEM: String, minimum: TLSVersion = .tlsv12, maximum: TLSVersion? = nil) throws -> HTTPClient {
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
    tls.minimumTLSVersion = minimum
    tls.maximumTLSVersion = maximum
    var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
    configuration.timeout = .init(connect: .seconds(30), read: .seconds(30))
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}

@Test(.timeLimit(.minutes(1)))
func liveTLSServesTLS12AndRefusesTLS11() async throws {
    let pki = try TestPKI()
    defer { pki.remove() }
    var configuration = GatewayConfiguration(host: "127.0.0.1", port: 0, tlsCertificatePath: pki.certificatePath, tlsPrivateKeyPath: pki.keyPath)
    configuration.shutdownGracePeriodSeconds = 1
    let gateway = try Gateway(configuration: configuration)
    try await withRunningGateway(gateway) { url, _ in
        #expect(url.hasPrefix("https://127.0.0.1:") && !url.hasSuffix(":0"))
        let port = try #require(url.split(separator: ":").last)
        for (minimum, maximum) in [(TLSVersion.tlsv12, TLSVersion.tlsv12), (.tlsv13, .tlsv13)] {
            let client = try makeClient(trusting: pki.caCertificatePEM, minimum: minimum, maximum: maximum)
            do {
                let response = try await client.execute(HTTPClientRequest(url: "https://localhost:\(port)/healthz"), timeout: .seconds(30))
                #expect(response.status.code == 200, "TLS \(maximum)")
                #expect(response.headers.first(name: "Strict-Transport-Security") == SecurityHeadersMiddleware.strictTransportSecurity)
                let body = try await response.body.collect(upTo: 1024)
                #expect(String(buffer: body) == #"{"status":"ok"}"#)
            } catch {
                Issue.record("TLS \(maximum) failed: \(error)")
            }
            try await client.shutdown()
        }
        // A client that stops at TLS 1.1 finds no common version; one that does not trust the CA
        // refuses the server. (AsyncHTTPClient retries a failed handshake until the deadline and
        // then reports the handshake's error, so the deadline is short.)
        let strangerPKI = try TestPKI()
        defer { strangerPKI.remove() }
        let failing = [
            ("TLS 1.1", try makeClient(trusting: pki.caCertificatePEM, minimum: .tlsv1, maximum: .tlsv11)),
            ("untrusted CA", try makeClient(trusting: strangerPKI.caCertificatePEM)),
        ]
        for (name, client) in failing {
            do {
                _ = try await client.execute(HTTPClientRequest(url: "https://localhost:\(port)/healthz"), timeout: .seconds(3))
                Issue.record("\(name): the handshake succeeded")
            } catch {
                // The failure is the TLS handshake's, not a refused or timed-out connection.
                let text = String(reflecting: error)
                #expect(text.contains("SSL") || text.contains("handshake") || text.contains("TLS"), "\(name): \(text)")
            }
            try await client.shutdown()
        }
    }
}

@Test(.timeLimit(.minutes(1)))
func gracefulShutdownFinishesInFlightRequestsAndRefusesNewOnes() async throws {
    let gateway = try testGateway(loopbackConfiguration(requestTimeout: 30, grace: 15))
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    let status = try await withRunningGateway(gateway) { url, group in
        // The request in flight outlasts the polling below by far, and the grace period outlasts it.
        let inFlight = Task { () throws -> Int in
            let response = try await client.execute(HTTPClientRequest(url: "\(url)/test/sleep/6000"), timeout: .seconds(20))
            _ = try await response.body.collect(upTo: 1024)
            return Int(response.status.code)
        }
        try await Task.sleep(for: .milliseconds(1000))
        await group.triggerGracefulShutdown()
        // Shutting down, with a request still in flight: the listening socket is closed, so new
        // TCP connections are refused. Poll rather than wait a fixed time: closing the listener
        // may take a moment on a loaded machine.
        let port = try #require(url.split(separator: ":").last.flatMap { Int($0) })
        var refused = false
        for _ in 0..<60 where !refused {
            do {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.seconds(1)).connect(host: "127.0.0.1", port: port).get()
                try await channel.close()
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                refused = true
            }
        }
        #expect(refused, "new connections were still accepted after shutdown began")
        return try await inFlight.value
    }
    #expect(status == 200)
    try await client.shutdown()
}
