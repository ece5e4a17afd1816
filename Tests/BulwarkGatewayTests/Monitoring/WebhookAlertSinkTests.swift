import BulwarkGateway
import BulwarkServing
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing

/// What the test receiver saw: each request's body and signature header.
private final class ReceivedRequests: Sendable {
    let requests = Mutex<[(body: [UInt8], signature: String?)]>([])
}

/// Runs a Hummingbird receiver on a free loopback port whose `/hook` answers 503 to the first
/// `failFirst` posts and 200 afterwards; `body` gets the port.
private func withReceiver<T: Sendable>(failFirst: Int, _ received: ReceivedRequests,
                                       _ body: @Sendable (Int) async throws -> T) async throws -> T {
    let router = Router()
    router.post("hook") { request, _ -> Response in
        let bytes = try await request.body.collect(upTo: 1 << 20)
        let signature = request.headers[HTTPField.Name("Bulwark-Signature")!]
        let count = received.requests.withLock { requests in
            requests.append((Array(bytes.readableBytesView), signature))
            return requests.count
        }
        return Response(status: count <= failFirst ? .serviceUnavailable : .ok)
    }
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
    let group = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: "test.receiver")))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        do {
            let value = try await body(port)
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

private func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

@Test func webhookSignatureIsHMACSHA256() {
    // RFC 4231, test case 2.
    let key = SymmetricKey(data: Array("Jefe".utf8))
    #expect(WebhookAlertSink.signature(of: Array("what do ya want for nothing?".utf8), key: key)
            == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    #expect(throws: GatewayError.self) { try WebhookAlertSink(options: WebhookOptions(url: "ftp://hooks.example/x")) }
    #expect(throws: GatewayError.self) { try WebhookAlertSink(options: WebhookOptions(url: "http://127.0.0.1/x", maxAttempts: 0)) }
}

@Test(.timeLimit(.minutes(1)))
func webhookDeliversTheSignedAlertJSONAndRetriesA503() async throws {
    let received = ReceivedRequests()
    let secret = Array("a shared secret for the receiver".utf8)
    let alert = Alert(kind: .drift, model: "mnist", severity: .warning, message: "drift: input_ks 1e-09 below 0.0025 over 500 examples",
                      details: ["statistic": "input_ks"])
    let statistics = try await withReceiver(failFirst: 1, received) { port in
        let sink = try WebhookAlertSink(options: WebhookOptions(url: "http://127.0.0.1:\(port)/hook", signingKey: SymmetricKey(data: secret),
                                                                timeout: .seconds(5), initialBackoff: .milliseconds(50)))
        let delivery = Task { await sink.run() }
        await sink.send(alert)
        sink.finish()
        await delivery.value
        return sink.statistics
    }
    #expect(statistics.delivered == 1 && statistics.retries == 1 && statistics.failed == 0 && statistics.dropped == 0)
    let requests = received.requests.withLock { $0 }
    #expect(requests.count == 2)
    for request in requests {
        #expect(request.body == alert.jsonBytes())
        #expect(try Alert.decode(request.body) == alert)
        // The receiver's own check: HMAC-SHA256 over the raw body with the shared secret.
        let expected = "sha256=" + hex(HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: secret)))
        #expect(request.signature == expected)
    }
}

@Test(.timeLimit(.minutes(1)))
func webhookToADeadReceiverNeverBlocksTheSender() async throws {
    // A receiver that accepts connections and never answers.
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.backlog, value: 64)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = try #require(server.localAddress?.port)
    let sink = try WebhookAlertSink(options: WebhookOptions(url: "http://127.0.0.1:\(port)/hook", timeout: .milliseconds(300), maxAttempts: 2,
                                                            initialBackoff: .milliseconds(50), queueCapacity: 4))
    let delivery = Task { await sink.run() }
    let clock = ContinuousClock()
    let start = clock.now
    for i in 0..<200 {
        await sink.send(Alert(kind: .detection, model: "mnist", severity: .info, message: "alert \(i)"))
    }
    let elapsed = clock.now - start
    // Blocking on delivery would take 200 × (2 attempts × 300 ms); 30 s tells the two apart under any load.
    #expect(elapsed < .seconds(30), "200 sends took \(elapsed)")
    let queued = sink.statistics
    #expect(queued.dropped >= 195 && queued.dropped <= 196, "dropped \(queued.dropped)")
    #expect(queued.delivered == 0)
    // The first alert times out twice, is given up and counted; the queue moves on.
    // (The wait ends as soon as it happens; the long bound is for a loaded machine.)
    let deadline = clock.now + .seconds(60)
    while sink.statistics.failed < 1 || sink.statistics.retries < 1, clock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
    #expect(sink.statistics.failed >= 1 && sink.statistics.retries >= 1)
    delivery.cancel()
    await delivery.value
    try await server.close()
}
