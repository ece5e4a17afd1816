import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// `bulwark registry pull`: download a version's artifact, verified against the server's
/// `Repr-Digest` before it appears under its name.
struct RegistryPullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a version's artifact to --out, verified against the server's Repr-Digest (never a half or unverified file).",
        discussion: """
        The bytes are written to a temporary file beside --out (mode 0600), hashed as they \
        arrive, and renamed to --out only when their SHA-256 and length match what the server \
        declared; otherwise the temporary file is deleted and the command fails.
        """
    )

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The model's name.") var model: String
    @Argument(help: "The version number.") var version: Int
    @Option(help: "Where to write the artifact.") var out: String
    @Flag(help: "Replace --out when it exists.") var force = false

    func run() async throws {
        if !force && FileManager.default.fileExists(atPath: out) { throw CLIError("--out \(out): exists; pass --force to replace it") }
        let client = try ServerClient(credentials: connection.resolve())
        let url = try client.url(["api", "v1", "models", model, "versions", String(version), "artifact"])
        let response = try await client.execute(client.request(.GET, url), timeout: ServerClient.transferTimeout)
        guard response.status.code == 200 else {
            try ServerClient.check(response.status, try await ServerClient.collect(response, limit: 1 << 20))
            throw CLIError("server answered \(response.status.code) to the download")
        }
        guard let declared = response.headers.first(name: "Repr-Digest").flatMap(Self.sha256(fromReprDigest:)) else {
            throw CLIError("the server sent no sha-256 Repr-Digest; refusing an unverified download")
        }
        let expectedLength = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        let directory = (out as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\((out as NSString).lastPathComponent).part-\(UUID().uuidString)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError("--out \(out): cannot create a temporary file beside it (\(String(cString: strerror(errno))))") }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
        }
        var hasher = SHA256()
        var count: Int64 = 0
        do {
            for try await buffer in response.body {
                let ok = buffer.withUnsafeReadableBytes { raw -> Bool in
                    hasher.update(bufferPointer: raw)
                    var offset = 0
                    while offset < raw.count {
                        let written = write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                        if written < 0 { if errno == EINTR { continue }; return false }
                        offset += written
                    }
                    return true
                }
                guard ok else { throw CLIError("--out \(out): writing failed (\(String(cString: strerror(errno))))") }
                count += Int64(buffer.readableBytes)
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("the download stopped after \(count) bytes; nothing was written to \(out)")
        }
        let actual = Data(hasher.finalize())
        guard actual == declared, expectedLength.map({ $0 == count }) ?? true else {
            throw CLIError("the downloaded bytes do not match the server's Repr-Digest; nothing was written to \(out)")
        }
        let mask = umask(0o022)
        umask(mask)
        guard fsync(fd) == 0, fchmod(fd, 0o666 & ~mask) == 0 else { throw CLIError("--out \(out): the file could not be made durable") }
        close(fd)
        closed = true
        guard rename(temporary, out) == 0 else { throw CLIError("--out \(out): cannot be replaced (\(String(cString: strerror(errno))))") }
        renamed = true
        print("pulled \(model) version \(version) to \(out): \(count) bytes, sha256:\(actual.map { String(format: "%02x", $0) }.joined()) verified")
    }

    /// The SHA-256 bytes of an RFC 9530 `Repr-Digest` value (`sha-256=:BASE64:`, among others).
    static func sha256(fromReprDigest value: String) -> Data? {
        for member in value.split(separator: ",") {
            let trimmed = member.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("sha-256=:"), trimmed.hasSuffix(":"), trimmed.count > 10 else { continue }
            let encoded = trimmed.dropFirst("sha-256=:".count).dropLast()
            if let data = Data(base64Encoded: String(encoded)), data.count == 32 { return data }
        }
        return nil
    }
}
