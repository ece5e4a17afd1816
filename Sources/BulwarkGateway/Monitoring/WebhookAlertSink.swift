public import AsyncHTTPClient
public import BulwarkServing
public import Crypto
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle
import Synchronization

/// Where and how ``WebhookAlertSink`` delivers alerts.
public struct WebhookOptions: Sendable {
    /// The receiver's URL (`http` or `https`); each alert is one `POST` of its JSON.
    public var url: String
    /// When set, the body is signed: header `Bulwark-Signature: sha256=<hex HMAC-SHA256 of the body>`.
    public var signingKey: SymmetricKey?
    /// The deadline of one attempt, connection included (default 5 s).
    public var timeout: Duration
    /// Attempts per alert, the first included (default 4).
    public var maxAttempts: Int
    /// The wait before the first retry; it doubles for each further retry (default 0.5 s),
    /// with jitter of up to half the wait.
    public var initialBackoff: Duration
    /// The longest wait between two attempts (default 30 s).
    public var maxBackoff: Duration
    /// Alerts waiting for delivery; a full queue drops new alerts and counts them (default 1024).
    public var queueCapacity: Int

    /// Options with the defaults above.
    public init(url: String, signingKey: SymmetricKey? = nil, timeout: Duration = .seconds(5), maxAttempts: Int = 4,
                initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(30), queueCapacity: Int = 1024) {
        self.url = url
        self.signingKey = signingKey
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.queueCapacity = queueCapacity
    }
}

/// What a ``WebhookAlertSink`` has done so far.
public struct WebhookDeliveryStatistics: Sendable, Equatable {
    /// Alerts the receiver accepted with a 2xx answer.
    public var delivered = 0
    /// Alerts given up: attempts exhausted, or refused with a 4xx other than 408 and 429.
    public var failed = 0
    /// Alerts dropped because the queue was full or the sink had finished.
    public var dropped = 0
    /// Attempts repeated after a failure.
    public var retries = 0

    /// Zero counts.
    public init() {}
}

/// An ``AlertSink`` that posts each alert's JSON to a webhook, off the inference path.
///
/// ``send(_:)`` only queues the alert (bounded, ``WebhookOptions/queueCapacity``): when the
/// queue is full the alert is dropped and counted, so a slow or dead receiver never blocks the
/// caller. ``run()`` delivers the queue one alert at a time with AsyncHTTPClient: each attempt
/// has a deadline, a failed attempt (no answer, 408, 429, 5xx) is retried up to
/// ``WebhookOptions/maxAttempts`` times with exponential backoff and jitter, and other answers
/// end the alert's delivery. With a signing key the body carries an HMAC-SHA256 signature in
/// `Bulwark-Signature: sha256=<hex>`; a receiver recomputes it over the raw body with the shared
/// secret and compares in constant time (the alert's `id` and `time` are inside the signed body,
/// so it can also refuse replays).
///
/// As a ServiceLifecycle `Service`, a graceful shutdown stops taking alerts and lets ``run()``
/// deliver what is queued; cancellation stops at once.
///
/// ```swift
/// // add `signingKey: SymmetricKey(data: secret)` (swift-crypto) to sign the bodies
/// let sink = try WebhookAlertSink(options: WebhookOptions(url: "https://hooks.example/bulwark"))
/// let delivery = Task { await sink.run() }   // or run the sink in the gateway's ServiceGroup
/// await sink.send(Alert(kind: .incident, model: "mnist", severity: .critical, message: "kill switch on mnist@3"))
/// sink.finish()
/// await delivery.value
/// ```
public final class WebhookAlertSink: AlertSink, Service {
    /// The options the sink was made with.
    public let options: WebhookOptions
    private let client: HTTPClient
    private let logger: Logger
    private let stream: AsyncStream<Alert>
    private let continuation: AsyncStream<Alert>.Continuation
    private let counts = Mutex(WebhookDeliveryStatistics())

    /// The name of the signature header.
    public static let signatureHeader = "Bulwark-Signature"

    /// A sink posting to `options.url` through `client` (default: the shared client).
    /// - Throws: ``GatewayError`` `.invalidConfiguration` for a URL that is not http(s) with a
    ///   host, or limits out of range.
    public init(options: WebhookOptions, client: HTTPClient = .shared, logger: Logger = Logger(label: "bulwark.alerts")) throws(GatewayError) {
        guard let url = URL(string: options.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw GatewayError(.invalidConfiguration, "alert webhook: expected an http(s) URL with a host")
        }
        guard (1...100).contains(options.maxAttempts), (1...1_000_000).contains(options.queueCapacity),
              options.timeout > .zero, options.initialBackoff >= .zero, options.maxBackoff >= options.initialBackoff else {
            throw GatewayError(.invalidConfiguration, "alert webhook: attempts must be in 1…100, queue capacity in 1…1000000, timeout > 0 and 0 ≤ initial backoff ≤ max backoff")
        }
        self.options = options
        self.client = client
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: Alert.self, bufferingPolicy: .bufferingOldest(options.queueCapacity))
    }

    /// Queues `alert` for delivery and returns at once; a full queue drops it (counted in
    /// ``statistics``).
    public func send(_ alert: Alert) async {
        enqueue(alert)
    }

    /// ``send(_:)`` for synchronous callers: queues `alert` and returns whether it was taken.
    @discardableResult
    public func enqueue(_ alert: Alert) -> Bool {
        switch continuation.yield(alert) {
        case .enqueued: return true
        case .dropped, .terminated:
            counts.withLock { $0.dropped += 1 }
            return false
        @unknown default:
            counts.withLock { $0.dropped += 1 }
            return false
        }
    }

    /// The delivery counts so far.
    public var statistics: WebhookDeliveryStatistics { counts.withLock { $0 } }

    /// Stops taking alerts; ``run()`` returns once the queue is delivered.
    public func finish() { continuation.finish() }

    /// Delivers queued alerts until ``finish()`` (or a graceful shutdown) and the queue is empty,
    /// or until the task is cancelled.
    public func run() async {
        await withGracefulShutdownHandler {
            for await alert in stream {
                if Task.isCancelled { break }
                await deliver(alert)
            }
        } onGracefulShutdown: { [continuation] in
            continuation.finish()
        }
    }

    /// The signature header's value for `body` under `key`: `sha256=<lowercase hex>`.
    public static func signature(of body: [UInt8], key: SymmetricKey) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: key)
        return "sha256=" + code.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
    }

    private func deliver(_ alert: Alert) async {
        let body = alert.jsonBytes()
        var request = HTTPClientRequest(url: options.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "bulwark-alerts")
        if let key = options.signingKey { request.headers.add(name: Self.signatureHeader, value: Self.signature(of: body, key: key)) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let timeout = TimeAmount.nanoseconds(Int64(options.timeout.components.seconds) * 1_000_000_000 + options.timeout.components.attoseconds / 1_000_000_000)
        var backoff = options.initialBackoff
        for attempt in 1...options.maxAttempts {
            if attempt > 1 {
                counts.withLock { $0.retries += 1 }
                let jitter = Double.random(in: 0...0.5)
                do { try await Task.sleep(for: backoff * (0.5 + jitter)) } catch { return }
                backoff = min(options.maxBackoff, backoff * 2)
            }
            let reason: String
            let retryable: Bool
            do {
                let response = try await client.execute(request, timeout: timeout)
                _ = try? await response.body.collect(upTo: 64 << 10)
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    counts.withLock { $0.delivered += 1 }
                    return
                }
                reason = "status \(status)"
                retryable = status == 408 || status == 429 || status >= 500
            } catch {
                if Task.isCancelled { return }
                reason = "\(type(of: error))"
                retryable = true
            }
            logger.warning("alert not delivered", metadata: ["alert": "\(alert.id)", "attempt": "\(attempt)", "reason": "\(reason)"])
            if !retryable { break }
        }
        counts.withLock { $0.failed += 1 }
        logger.error("alert dropped after failed delivery", metadata: ["alert": "\(alert.id)", "kind": "\(alert.kind)"])
    }
}
