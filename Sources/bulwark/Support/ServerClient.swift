import AsyncHTTPClient
import BulwarkArchive
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// A thin HTTP client of `bulwark serve`'s API: requests with the bearer token, JSON in and
/// out, and every refusal turned into one line (`401` → "not logged in or token expired: run
/// bulwark login"; others → the server's own one-line message with the status).
struct ServerClient {
    /// The server's base URL, without a trailing slash.
    let server: String
    /// The bearer token, when the request is authenticated.
    let token: String?

    /// How long a JSON request may take.
    static let apiTimeout: TimeAmount = .seconds(60)
    /// How long an upload or a download may take (the deadline covers the whole body).
    static let transferTimeout: TimeAmount = .hours(6)

    /// The URL of `segments` (each percent-encoded as one path segment) with `query`.
    func url(_ segments: [String], query: [(String, String)] = []) throws -> String {
        var components = URLComponents()
        components.percentEncodedPath = "/" + segments.map(Self.segment).joined(separator: "/")
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        // URLComponents leaves `+` alone in queries; the server would read it as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        guard let suffix = components.string else { throw CLIError("cannot build a URL for \(segments.joined(separator: "/"))") }
        return server + suffix
    }

    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// A request to `url` with the token and `headers`.
    func request(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = []) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "User-Agent", value: "bulwark/\(BulwarkVersion.current)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return request
    }

    /// Sends `request`, failing with one line when the server cannot be reached.
    func execute(_ request: HTTPClientRequest, timeout: TimeAmount = apiTimeout) async throws -> HTTPClientResponse {
        do {
            return try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch let error as HTTPClientError {
            throw CLIError("\(server): the request failed (\(error.shortDescription))")
        } catch {
            throw CLIError("\(server): the request failed (\(error))")
        }
    }

    /// Sends a JSON request (`body` encoded when given) and decodes a 2xx answer as `T`;
    /// refusals become one-line errors.
    func json<T: Decodable>(_ method: HTTPMethod, _ segments: [String], query: [(String, String)] = [], body: (any Encodable)? = nil,
                            as type: T.Type = T.self, isLogin: Bool = false) async throws -> (T, HTTPResponseStatus) {
        var request = request(method, try url(segments, query: query), headers: [("Accept", "application/json")])
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response = try await execute(request)
        let bytes = try await Self.collect(response, limit: 64 << 20)
        try Self.check(response.status, bytes, isLogin: isLogin)
        return (try Self.decode(T.self, bytes, what: segments.joined(separator: "/")), response.status)
    }

    /// Reads a response body into memory, at most `limit` bytes.
    static func collect(_ response: HTTPClientResponse, limit: Int) async throws -> Data {
        do {
            return Data(try await response.body.collect(upTo: limit).readableBytesView)
        } catch {
            throw CLIError("the server's answer could not be read or exceeds \(limit) bytes")
        }
    }

    /// Throws the one-line error of a non-2xx answer whose body is `bytes` (a 401 to a login
    /// request keeps the server's message: it is about the password or code, not the session).
    static func check(_ status: HTTPResponseStatus, _ bytes: Data, isLogin: Bool = false) throws {
        guard !(200..<300).contains(status.code) else { return }
        if status.code == 401 && !isLogin { throw CLIError("not logged in or token expired: run bulwark login") }
        struct ErrorAnswer: Decodable { struct Inner: Decodable { var code: String; var message: String }; var error: Inner }
        if let answer = try? JSONDecoder().decode(ErrorAnswer.self, from: bytes) {
            let message = answer.error.message.replacingOccurrences(of: "\n", with: " ")
            throw CLIError("server refused (\(status.code) \(answer.error.code)): \(message)")
        }
        throw CLIError("server answered \(status.code) \(status.reasonPhrase)")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: Data, what: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(T.self, from: bytes) } catch {
            throw CLIError("\(what): the server's answer is not the expected JSON")
        }
    }

    /// The SHA-256 of the file at `path` (lowercase hex) and its size, read in chunks.
    static func sha256(ofFileAt path: String) throws -> (hex: String, size: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError("\(path): cannot be read") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while true {
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), size)
    }
}

/// The chunks of a file, read as an upload streams them (never the whole file in memory).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let chunkSize: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        let chunkSize: Int
        var handle: FileHandle?
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            if handle == nil {
                guard let opened = FileHandle(forReadingAtPath: path) else { throw CLIError("\(path): cannot be read") }
                handle = opened
            }
            let chunk = try handle?.read(upToCount: chunkSize) ?? Data()
            if chunk.isEmpty {
                finished = true
                try? handle?.close()
                return nil
            }
            return ByteBuffer(bytes: chunk)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(path: path, chunkSize: chunkSize) }
}

extension HTTPClientError {
    /// A short, one-line reason (`connectRefused`, `deadlineExceeded`).
    var shortDescription: String {
        String(describing: self).replacingOccurrences(of: "HTTPClientError.", with: "").replacingOccurrences(of: "\n", with: " ")
    }
}
