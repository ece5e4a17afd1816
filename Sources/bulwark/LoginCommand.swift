import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1

/// `bulwark login`: get a session from `bulwark serve` (password, then a TOTP code when the
/// account has one) or store an API token, for the `bulwark registry` commands.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to a Bulwark server and store the session (or an API token) for later commands.",
        discussion: """
        Asks for the password without echo on a terminal (otherwise reads it from the first line \
        of stdin), then for a TOTP code when the server asks for a second factor (the next line \
        of stdin when it is not a terminal). With --token-stdin, reads an API token (bwk_…) from \
        stdin instead and checks it against /api/v1/me. Stores {server, token} in \
        $XDG_CONFIG_HOME/bulwark/credentials.json (default ~/.config/bulwark/), mode 0600 in a \
        directory of mode 0700. BULWARK_SERVER and BULWARK_TOKEN override what is stored.

          bulwark login --server https://bulwark.example:8443 --username alice
          printf '%s\\n' "$TOKEN" | bulwark login --server https://bulwark.example:8443 --token-stdin
        """
    )

    @Option(help: "The server's URL (default: BULWARK_SERVER).")
    var server: String?
    @Option(help: "The login name (asked for when missing).")
    var username: String?
    @Flag(name: .customLong("token-stdin"), help: "Read an API token from stdin instead of logging in with a password.")
    var tokenStdin = false

    struct LoginBody: Encodable { var username: String; var password: String }
    struct SecondFactorBody: Encodable { var pendingLogin: String; var code: String }
    struct LoginAnswer: Decodable { var session: String?; var pendingLogin: String?; var expiresAt: Date? }
    struct MeAnswer: Decodable { var id: String; var kind: String }

    func run() async throws {
        guard let server = (server ?? ProcessInfo.processInfo.environment["BULWARK_SERVER"]).map(ServerOptions.normalized), !server.isEmpty else {
            throw CLIError("--server: required (or set BULWARK_SERVER)")
        }
        guard server.hasPrefix("https://") || server.hasPrefix("http://") else {
            throw CLIError("--server \(server): expected an http:// or https:// URL")
        }
        let anonymous = ServerClient(server: server, token: nil)
        let token: String
        if tokenStdin {
            guard let line = Swift.readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces), !line.isEmpty else {
                throw CLIError("stdin: expected one line holding the API token")
            }
            token = line
        } else {
            let name = try username ?? Self.ask("Username: ", echo: true)
            let password = try Self.ask("Password for \(name): ", echo: false)
            let (answer, status) = try await anonymous.json(.POST, ["api", "v1", "login"], body: LoginBody(username: name, password: password),
                                                            as: LoginAnswer.self, isLogin: true)
            if status.code == 202, let pending = answer.pendingLogin {
                let code = try Self.ask("TOTP code: ", echo: true)
                let (second, _) = try await anonymous.json(.POST, ["api", "v1", "login", "totp"],
                                                           body: SecondFactorBody(pendingLogin: pending, code: code), as: LoginAnswer.self,
                                                           isLogin: true)
                guard let session = second.session else { throw CLIError("the server's answer carries no session") }
                token = session
            } else if let session = answer.session {
                token = session
            } else {
                throw CLIError("the server's answer carries no session")
            }
        }
        let (me, _) = try await ServerClient(server: server, token: token).json(.GET, ["api", "v1", "me"], as: MeAnswer.self)
        guard me.kind != "anonymous" else { throw CLIError("not logged in or token expired: run bulwark login") }
        try ServerCredentials(server: server, token: token).save()
        print("logged in to \(server) as \(me.kind == "service" ? "service:" : "")\(me.id); credentials in \(ServerCredentials.path)")
    }

    /// One line from the terminal (echo off for secrets), or from stdin when it is not a terminal.
    static func ask(_ prompt: String, echo: Bool) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = Swift.readLine(strippingNewline: true) else {
                throw CLIError("stdin: expected one more line (\(prompt.trimmingCharacters(in: CharacterSet(charactersIn: ": "))))")
            }
            return line
        }
        guard echo else { return try Terminal.readSecretLine(prompt: prompt) }
        FileHandle.standardError.write(Data(prompt.utf8))
        guard let line = Swift.readLine(strippingNewline: true) else { throw CLIError("stdin: nothing was entered") }
        return line.trimmingCharacters(in: .whitespaces)
    }
}
