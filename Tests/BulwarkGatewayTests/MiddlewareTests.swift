import AsyncHTTPClient
import BulwarkGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

/// A plain-HTTP gateway with the test routes.
func testGateway(_ configuration: GatewayConfiguration = loopbackConfiguration()) throws -> Gateway {
    let gateway = try Gateway(configuration: configuration)
    addTestRoutes(to: gateway.routes)
    return gateway
}

let requestIDHeader = HTTPField.Name("X-Request-ID")!

@Test func securityHeadersOnSuccessAndErrorResponses() async throws {
    let app = try testGateway().makeApplication()
    try await app.test(.router) { client in
        for uri in ["/healthz", "/no/such/route", "/test/fail"] {
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'self'") == true, "\(uri)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                #expect(response.headers[.cacheControl] == "no-store")
                // Plain HTTP: no HSTS (browsers ignore it there, and it would lie about TLS).
                #expect(response.headers[.strictTransportSecurity] == nil)
            }
        }
    }
}

@Test func strictTransportSecurityOnlyWithTLS() {
    var headers = HTTPFields()
    SecurityHeadersMiddleware(usesTLS: true).apply(to: &headers)
    #expect(headers[.strictTransportSecurity] == "max-age=31536000; includeSubDomains")
    var plain = HTTPFields()
    plain[.cacheControl] = "public, max-age=60"
    SecurityHeadersMiddleware(usesTLS: false).apply(to: &plain)
    #expect(plain[.strictTransportSecurity] == nil)
    #expect(plain[.cacheControl] == "public, max-age=60")
}

@Test func requestIDIsEchoedOrGenerated() async throws {
    let app = try testGateway().makeApplication()
    try await app.test(.router) { client in
        try await client.execute(uri: "/healthz", method: .get, headers: [requestIDHeader: "client-id.42"]) { response in
            #expect(response.headers[requestIDHeader] == "client-id.42")
        }
        // An id with characters that could break a log line or a header is replaced.
        let generated = try await client.execute(uri: "/no/such/route", method: .get, headers: [requestIDHeader: "bad id\"<>"]) { response in
            let id = try #require(response.headers[requestIDHeader])
            #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
            #expect(try errorBody(response.body).error.requestId == id)
            return id
        }
        let another = try await client.execute(uri: "/healthz", method: .get) { $0.headers[requestIDHeader] }
        #expect(another != nil && another != generated)
    }
}

@Test func unknownRouteGivesJSONNotFound() async throws {
    let app = try testGateway().makeApplication()
    try await app.test(.router) { client in
        try await client.execute(uri: "/api/v9/nothing", method: .get) { response in
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let body = try errorBody(response.body)
            #expect(body.error.code == "notFound")
            #expect(body.error.message == "not found")
        }
    }
}

@Test func internalErrorsNeverLeakDetail() async throws {
    let app = try testGateway().makeApplication()
    try await app.test(.router) { client in
        try await client.execute(uri: "/test/fail", method: .get) { response in
            #expect(response.status == .internalServerError)
            let text = String(buffer: response.body)
            #expect(!text.contains("hunter2") && !text.contains("secret") && !text.contains("SecretLeak"))
            let body = try errorBody(response.body)
            #expect(body.error.code == "internal" && body.error.message == "internal error")
            #expect(body.error.requestId == response.headers[requestIDHeader])
        }
    }
}

@Test func declaredBodyOverTheRouteLimitIs413() async throws {
    // API routes get --max-body (1024 here), upload routes --max-upload (4096).
    let app = try testGateway().makeApplication()
    try await app.test(.router) { client in
        let small = ByteBuffer(repeating: 1, count: 1024)
        try await client.execute(uri: "/test/echo", method: .post, body: small) { response in
            #expect(response.status == .ok && response.body.readableBytes == 1024)
        }
        try await client.execute(uri: "/test/echo", method: .post, body: ByteBuffer(repeating: 1, count: 1025)) { response in
            #expect(response.status == .contentTooLarge)
            let body = try errorBody(response.body)
            #expect(body.error.code == "payloadTooLarge" && body.error.message.contains("1024 bytes"))
        }
        try await client.execute(uri: "/test/upload", method: .post, body: ByteBuffer(repeating: 1, count: 4096)) { response in
            #expect(response.status == .ok && String(buffer: response.body) == "4096")
        }
        try await client.execute(uri: "/test/upload", method: .post, body: ByteBuffer(repeating: 1, count: 4097)) { response in
            #expect(response.status == .contentTooLarge)
        }
    }
}

@Test func streamedBodyIsCountedAgainstTheLimit() async throws {
    // No Content-Length (a chunked upload): the limit fails the read that passes it.
    let chunks = [ByteBuffer(repeating: 0, count: 600), ByteBuffer(repeating: 0, count: 600)]
    var request = Request(
        head: HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/x"),
        body: RequestBody(asyncSequence: chunks.asAsyncStream)
    )
    try BodyLimit.apply(to: &request, maxBytes: 1000)
    var received = 0
    do {
        for try await buffer in request.body { received += buffer.readableBytes }
        Issue.record("read \(received) bytes past the limit")
    } catch let error as GatewayError {
        #expect(error.code == .payloadTooLarge && error.httpStatus == .contentTooLarge)
        #expect(received == 600)
    }
}

// No wall-time assertion (tests never assert on time): the handler would answer 200 after 30 s,
// so a 503 can only come from the 0.2 s timeout; the time limit only guards against a hang.
@Test(.timeLimit(.minutes(1))) func slowHandlerTimesOutWith503() async throws {
    let app = try testGateway(loopbackConfiguration(requestTimeout: 0.2)).makeApplication()
    try await app.test(.router) { client in
        try await client.execute(uri: "/test/sleep/30000", method: .get) { response in
            #expect(response.status == .serviceUnavailable)
            let body = try errorBody(response.body)
            #expect(body.error.code == "unavailable")
        }
        try await client.execute(uri: "/test/sleep/10", method: .get) { response in
            #expect(response.status == .ok)
        }
    }
}

// A slow client: the head promises 100 body bytes and 10 arrive; the timeout's 408 (not the 503
// of a slow server) says the body was still being read. Over a raw socket, since a client
// library sends whole bodies. Then a prompt request on the same server is served.
@Test(.timeLimit(.minutes(1))) func slowClientBodyTimesOutWith408() async throws {
    let gateway = try testGateway(loopbackConfiguration(requestTimeout: 0.3))
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    let (statusLine, prompt) = try await withRunningGateway(gateway) { url, _ in
        let port = try #require(url.split(separator: ":").last.flatMap { Int($0) })
        let line = try rawExchange(port: port, head: "POST /test/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n",
                                   body: String(repeating: "x", count: 10))
        var request = HTTPClientRequest(url: "\(url)/test/echo")
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: "prompt"))
        let response = try await client.execute(request, timeout: .seconds(20))
        return (line, Int(response.status.code))
    }
    try await client.shutdown()
    #expect(statusLine.hasPrefix("HTTP/1.1 408"), "\(statusLine)")
    #expect(prompt == 200)
}

/// Sends `head` and `body` to 127.0.0.1:`port` over a plain TCP socket and returns the first line
/// of the answer (waiting up to 20 s for it; empty when the server closed without one).
func rawExchange(port: Int, head: String, body: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw GatewayError(.internal, "socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw GatewayError(.internal, "connect to port \(port) failed") }
    var wait = timeval(tv_sec: 20, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    for text in [head, body] {
        let bytes = Array(text.utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw GatewayError(.internal, "send failed") }
    }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !answer.contains(UInt8(ascii: "\n")) {
        let count = recv(fd, &buffer, buffer.count, 0)
        if count <= 0 { break }
        answer += buffer[0..<count]
    }
    return String(decoding: answer.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
}

@Test func errorStatusesMapBothWays() {
    #expect(GatewayError(.payloadTooLarge, "x").httpStatus == .contentTooLarge)
    #expect(GatewayError(.requestTimeout, "x").httpStatus == .requestTimeout)
    #expect(GatewayError(.invalidConfiguration, "x").httpStatus == .internalServerError)
    for status: HTTPResponse.Status in [.badRequest, .unauthorized, .forbidden, .notFound, .requestTimeout, .contentTooLarge, .serviceUnavailable] {
        #expect(GatewayError.status(forCode: GatewayError.code(forStatus: status)) == status)
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence, for a request body.
    var asAsyncStream: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}

@Test(.timeLimit(.minutes(1)))
func liveServerAppliesLimitsAndHeadersOverASocket() async throws {
    // The same chain over a real loopback connection (HummingbirdTesting's live client).
    let app = try testGateway().makeApplication()
    try await app.test(.live) { client in
        try await client.execute(uri: "/test/echo", method: .post, headers: [requestIDHeader: "live-1"], body: ByteBuffer(repeating: 7, count: 2048)) { response in
            #expect(response.status == .contentTooLarge)
            #expect(response.headers[requestIDHeader] == "live-1")
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            let body = try errorBody(response.body)
            #expect(body.error == ErrorBody.Detail(code: "payloadTooLarge", message: "request body exceeds the limit of 1024 bytes", requestId: "live-1"))
        }
        try await client.execute(uri: "/test/echo", method: .post, body: ByteBuffer(string: "hello")) { response in
            #expect(response.status == .ok && String(buffer: response.body) == "hello")
        }
    }
}

/// Collects the messages logged through it (for checking what the access log writes).
private final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(message: String, metadata: Logger.Metadata)] = []
    var messages: [(message: String, metadata: Logger.Metadata)] { lock.withLock { lines } }
    func append(_ message: String, _ metadata: Logger.Metadata) { lock.withLock { lines.append((message, metadata)) } }
}

private struct CapturingHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        log.append(message.description, self.metadata.merging(metadata ?? [:]) { $1 })
    }
}

@Test(arguments: [true, false]) func accessLogLinesUnlessTurnedOff(accessLog: Bool) async throws {
    let log = CapturedLog()
    var configuration = loopbackConfiguration()
    configuration.accessLog = accessLog
    let gateway = try Gateway(configuration: configuration, logger: Logger(label: "test") { _ in CapturingHandler(log: log) })
    addTestRoutes(to: gateway.routes)
    try await gateway.makeApplication().test(.router) { client in
        try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        try await client.execute(uri: "/no/such/route", method: .get) { #expect($0.status == .notFound) }
    }
    let lines = log.messages.filter { $0.message == "request" }
    if accessLog {
        #expect(lines.map { $0.metadata["path"]?.description } == ["/healthz", "/no/such/route"])
        #expect(lines.map { $0.metadata["status"]?.description } == ["200", "404"])
        #expect(lines.allSatisfy { $0.metadata["duration_ms"] != nil && $0.metadata["method"]?.description == "GET" })
    } else {
        #expect(lines.isEmpty, "--no-access-log writes no request lines")
    }
}

@Test func bearerTokensAreReadFromTheAuthorizationHeader() {
    let cases: [(String, String?)] = [
        ("Bearer abc.def", "abc.def"), ("bearer abc", "abc"), ("BEARER abc", "abc"), ("  Bearer   abc \t", "abc"),
        ("Bearer a b", "a b"), ("Bearer", nil), ("Bearer ", nil), ("Bearer \t ", nil), ("Bearer\tabc", nil),
        ("Basic abc", nil), ("Bearerx abc", nil), ("Beare abc", nil), ("", nil),
        ("Bearer " + String(repeating: "t", count: 512), String(repeating: "t", count: 512)),
        ("Bearer " + String(repeating: "t", count: 513), nil),
        // non-ASCII headers take the general path: Unicode spaces are trimmed there too
        ("Bearer \u{00A0}tök\u{2003}", "tök"), ("Bëarer abc", nil),
    ]
    for (header, token) in cases {
        #expect(AuthenticationMiddleware.bearerToken(header) == token, "\(header.debugDescription)")
    }
}
