import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SwiftProtobuf

/// Flower's Fleet API as protobuf over HTTP (flwr ≥ 1.40): each call is a `POST` of a protobuf
/// request to `/v1/fleet/<method>` with `content-type: application/protobuf`, answered by the
/// protobuf response or an HTTP error whose body is Flower's JSON error.
struct FlowerFleetClient: Sendable {
    /// `http://host:port` or `https://host:port`, without a trailing slash.
    let baseURL: String
    let identity: FlowerNodeIdentity
    let timeoutSeconds: Double
    /// The HTTP client: the process-wide one, or one of our own trusting `rootCertificates`.
    let http: HTTPClient
    let ownsHTTP: Bool
    /// The largest response body accepted (objects are at most 5 MiB chunks; messages are small).
    static let maximumResponseBytes = 64 << 20

    /// Parses `superlink` (`host:port`, `http://host:port` or `https://host:port`); throws
    /// `invalidParameter` for anything else, or for a root-certificate file that holds no PEM
    /// certificate. With `rootCertificates` (a PEM file) the SuperLink's TLS certificate must
    /// chain to one of them (and the address must be https); without, the system's trust store.
    init(superlink: String, identity: FlowerNodeIdentity, timeoutSeconds: Double, rootCertificates: String? = nil) throws(FederatedError) {
        var address = superlink
        while address.hasSuffix("/") { address.removeLast() }
        if !address.hasPrefix("http://") && !address.hasPrefix("https://") { address = "http://" + address }
        guard let url = URL(string: address), let host = url.host, !host.isEmpty, url.port != nil,
              url.path.isEmpty || url.path == "/", url.query == nil else {
            throw FederatedError(.invalidParameter, "Flower SuperLink address '\(superlink.prefix(120))' is not host:port or http(s)://host:port")
        }
        guard timeoutSeconds > 0, timeoutSeconds.isFinite else {
            throw FederatedError(.invalidParameter, "request timeout must be a positive number of seconds, got \(timeoutSeconds)")
        }
        if let rootCertificates {
            if superlink.hasPrefix("http://") {
                throw FederatedError(.invalidParameter, "root certificates given for a plain-HTTP SuperLink address \(superlink.prefix(120)); use https://")
            }
            if address.hasPrefix("http://") { address = "https://" + address.dropFirst("http://".count) }
            let certificates: [NIOSSLCertificate]
            do { certificates = try NIOSSLCertificate.fromPEMFile(rootCertificates) } catch {
                throw FederatedError(.invalidParameter, "\(rootCertificates): no PEM certificate could be read")
            }
            guard !certificates.isEmpty else { throw FederatedError(.invalidParameter, "\(rootCertificates): no PEM certificate") }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(certificates)
            var configuration = HTTPClient.Configuration()
            configuration.tlsConfiguration = tls
            http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            ownsHTTP = true
        } else {
            http = HTTPClient.shared
            ownsHTTP = false
        }
        baseURL = address
        self.identity = identity
        self.timeoutSeconds = timeoutSeconds
    }

    /// Releases the HTTP client when it is one of our own.
    func shutdown() async {
        if ownsHTTP { try? await http.shutdown() }
    }

    /// Calls Fleet method `path` (e.g. `pull-messages`) with `request`.
    func call<Response: SwiftProtobuf.Message>(_ path: String, _ request: some SwiftProtobuf.Message, as: Response.Type,
                                              timeoutSeconds: Double? = nil) async throws(FederatedError) -> Response {
        let body = try FlowerObjects.serialize(request)
        var httpRequest = HTTPClientRequest(url: "\(baseURL)/v1/fleet/\(path)")
        httpRequest.method = .POST
        httpRequest.headers.add(name: "content-type", value: "application/protobuf")
        httpRequest.headers.add(name: "accept", value: "application/protobuf")
        for (name, value) in try identity.headers() { httpRequest.headers.add(name: name, value: value) }
        httpRequest.body = .bytes(ByteBuffer(bytes: body))
        let seconds = timeoutSeconds ?? self.timeoutSeconds
        let status: HTTPResponseStatus
        let bytes: [UInt8]
        do {
            let response = try await http.execute(httpRequest, timeout: .milliseconds(Int64(seconds * 1000)))
            status = response.status
            var buffer = try await response.body.collect(upTo: Self.maximumResponseBytes)
            bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw FederatedError(.superlinkTimeout, "Flower SuperLink \(baseURL) did not answer \(path) within \(seconds) s")
        } catch is NIOTooManyBytesError {
            throw FederatedError(.superlinkRejected, "Flower SuperLink \(baseURL): \(path) response larger than \(Self.maximumResponseBytes) bytes")
        } catch {
            let text = Self.oneLine(error)
            let reason = text.contains("Connection refused") ? "connection refused" : text
            throw FederatedError(.superlinkUnreachable, "cannot reach Flower SuperLink at \(baseURL) (\(path)): \(reason)")
        }
        guard status == .ok else {
            let detail = Self.errorDetail(bytes)
            if status == .unauthorized {
                throw FederatedError(.superlinkRejected, "Flower SuperLink \(baseURL) refused this SuperNode's signed identity (HTTP 401\(detail))")
            }
            if status == .notFound || status == .methodNotAllowed || status == .notImplemented || detail.contains("HTML page") {
                throw FederatedError(.superlinkRejected, "\(baseURL) has no Flower Fleet API /v1/fleet/\(path) (HTTP \(status.code)): not a Flower ≥ 1.40 SuperLink Fleet address?")
            }
            throw FederatedError(.superlinkRejected, "Flower SuperLink \(baseURL) refused \(path) (HTTP \(status.code)\(detail))")
        }
        do { return try Response(serializedBytes: bytes) } catch {
            throw FederatedError(.superlinkRejected, "Flower SuperLink \(baseURL): \(path) answer is not a \(Response.protoMessageName) (incompatible Flower version?)")
        }
    }

    /// A short, one-line summary of an error body (Flower's JSON `message`/`detail` when present).
    static func errorDetail(_ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "" }
        if let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] {
            for key in ["message", "detail"] {
                if let text = object[key] as? String { return ": " + oneLine(text) }
            }
        }
        let text = String(decoding: bytes.prefix(200), as: UTF8.self)
        if text.drop(while: \.isWhitespace).hasPrefix("<") { return ": an HTML page" }
        return ": " + oneLine(text)
    }

    static func oneLine(_ value: Any) -> String {
        String(String(describing: value).split(whereSeparator: \.isNewline).joined(separator: " ").prefix(200))
    }
}
