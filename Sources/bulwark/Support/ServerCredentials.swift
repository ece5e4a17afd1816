import ArgumentParser
import Foundation

/// What `bulwark login` stores: the server's URL and the session or API token for it.
///
/// Kept as JSON in `$XDG_CONFIG_HOME/bulwark/credentials.json` (or
/// `~/.config/bulwark/credentials.json`); the directory is made mode 0700 and the file written
/// mode 0600 through a temporary file renamed into place, so the token is never readable by
/// others, not even for a moment.
struct ServerCredentials: Codable, Equatable {
    var server: String
    var token: String

    /// The credentials file's path.
    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let base: String
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else {
            base = (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        }
        return base + "/bulwark/credentials.json"
    }

    /// The stored credentials, or `nil` when none are stored.
    static func load() throws -> ServerCredentials? {
        let path = Self.path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path),
              let stored = try? JSONDecoder().decode(ServerCredentials.self, from: data) else {
            throw CLIError("\(path): not a credentials file; run bulwark login again")
        }
        return stored
    }

    /// Writes the credentials (directory 0700, file 0600).
    func save() throws {
        let path = Self.path
        let directory = (path as NSString).deletingLastPathComponent
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            // The parent (~/.config) may be missing too.
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        guard chmod(directory, 0o700) == 0 else { throw CLIError("\(directory): cannot make the directory private (mode 0700)") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var bytes = [UInt8](try encoder.encode(self))
        bytes.append(0x0A)
        let temporary = directory + "/.credentials-\(UUID().uuidString).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError("\(temporary): cannot be created (\(String(cString: strerror(errno))))") }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CLIError("\(path): the credentials could not be written")
        }
    }
}

/// `--server`, shared by the commands that talk to `bulwark serve`; with `BULWARK_SERVER` and
/// `BULWARK_TOKEN` it overrides what `bulwark login` stored.
struct ServerOptions: ParsableArguments {
    @Option(help: "The server's URL (default: BULWARK_SERVER, then the one bulwark login stored).")
    var server: String?

    /// The server and token to use: `--server`, then `BULWARK_SERVER`, then the stored server;
    /// `BULWARK_TOKEN`, then the stored token (only when it was stored for that same server).
    func resolve() throws -> ServerCredentials {
        let environment = ProcessInfo.processInfo.environment
        let stored = try ServerCredentials.load()
        guard let server = (server ?? environment["BULWARK_SERVER"] ?? stored?.server).map(Self.normalized) else {
            throw CLIError("not logged in or token expired: run bulwark login")
        }
        let token = environment["BULWARK_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (stored.map { Self.normalized($0.server) == server ? $0.token : nil } ?? nil)
        guard let token else { throw CLIError("not logged in or token expired: run bulwark login") }
        return ServerCredentials(server: server, token: token)
    }

    /// `url` without a trailing slash.
    static func normalized(_ url: String) -> String {
        var url = url.trimmingCharacters(in: .whitespaces)
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
