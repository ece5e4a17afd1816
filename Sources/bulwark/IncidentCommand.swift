import ArgumentParser
import AsyncHTTPClient
import BulwarkAccess
import BulwarkServing
import Foundation
import NIOCore
import NIOHTTP1

/// `bulwark incident`: the incident-response drills against a running `bulwark serve`.
struct IncidentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident",
        abstract: "Respond to incidents: kill switch, rollback, client quarantine, signed evidence bundles.",
        discussion: """
        Every change is authorized by the server's policy (incident.respond; a rollback also needs an \
        approver role with a recent MFA login) and written to its audit log. Examples:
          bulwark incident kill fmnist 3 --reason "answers leak training data"
          bulwark incident quarantine service:scraper --reason "extraction pattern (PRADA)"
          bulwark incident evidence 7 --out incident-7.json
          bulwark incident verify-evidence incident-7.json --key audit.vkey
        """,
        subcommands: [IncidentListCommand.self, IncidentKillCommand.self, IncidentReviveCommand.self, IncidentRollbackCommand.self,
                      IncidentQuarantineCommand.self, IncidentReleaseCommand.self, IncidentEvidenceCommand.self, IncidentVerifyEvidenceCommand.self])
}

/// What the incident routes answer for one incident.
struct RemoteIncident: Codable {
    var id: Int64, kind: String, target: String, openedBy: String, reason: String
    var openedAtMilliseconds: Int64, closedAtMilliseconds: Int64?, closedBy: String?

    var line: String {
        let opened = Date(timeIntervalSince1970: Double(openedAtMilliseconds) / 1000).formatted(.iso8601)
        let state = closedAtMilliseconds == nil ? "open" : "closed by \(closedBy ?? "?")"
        return "#\(id) \(kind) \(target) by \(openedBy) at \(opened) (\(state)): \(reason)"
    }
}

/// `bulwark incident list`.
struct IncidentListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List incidents, killed versions and quarantined clients.")

    @OptionGroup var connection: ServerOptions
    @Flag(help: "Only open incidents.") var open = false
    @Flag(help: "Print the answer as JSON.") var json = false

    struct Killed: Codable { var model: String; var version: Int; var incident: Int64; var by: String }
    struct Quarantined: Codable { var client: String; var incident: Int64; var by: String }
    struct Answer: Codable { var incidents: [RemoteIncident]; var killed: [Killed]; var quarantined: [Quarantined] }

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        let (answer, _) = try await client.json(.GET, ["api", "v1", "incidents"], query: open ? [("open", "true")] : [], as: Answer.self)
        if json { try printJSON(answer); return }
        for killed in answer.killed { print("killed: \(killed.model) version \(killed.version) (incident #\(killed.incident), by \(killed.by))") }
        for held in answer.quarantined { print("quarantined: \(held.client) (incident #\(held.incident), by \(held.by))") }
        for incident in answer.incidents { print(incident.line) }
        if answer.incidents.isEmpty { print("no incidents") }
    }
}

/// `bulwark incident kill`.
struct IncidentKillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Stop a model version on every replica within one second (inference answers 503).")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The model's name.") var model: String
    @Argument(help: "The version number.") var version: Int
    @Option(help: "Why (required, recorded).") var reason: String

    struct Body: Encodable { var model: String; var version: Int; var reason: String? }

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        let (incident, _) = try await client.json(.POST, ["api", "v1", "incidents", "kill"], body: Body(model: model, version: version, reason: reason),
                                                  as: RemoteIncident.self)
        print("killed \(model) version \(version): incident #\(incident.id)")
    }
}

/// `bulwark incident revive`.
struct IncidentReviveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revive", abstract: "Serve a killed model version again (closes its kill incident).")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The model's name.") var model: String
    @Argument(help: "The version number.") var version: Int

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        let (incident, _) = try await client.json(.POST, ["api", "v1", "incidents", "revive"],
                                                  body: IncidentKillCommand.Body(model: model, version: version, reason: nil), as: RemoteIncident.self)
        print("revived \(model) version \(version): incident #\(incident.id) closed")
    }
}

/// `bulwark incident rollback`.
struct IncidentRollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Put a model's previous production version back into production (needs an approver role and a recent MFA login).")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The model's name.") var model: String
    @Option(help: "Why (required, recorded in the stage history).") var reason: String

    struct Body: Encodable { var model: String; var reason: String }
    struct Answer: Decodable { var incident: RemoteIncident; var version: RemoteVersion }

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        let (answer, _) = try await client.json(.POST, ["api", "v1", "incidents", "rollback"], body: Body(model: model, reason: reason), as: Answer.self)
        print("rolled \(model) back to version \(answer.version.number): incident #\(answer.incident.id)")
    }
}

/// `bulwark incident quarantine`.
struct IncidentQuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine", abstract: "Refuse a client's inference requests on every replica, keeping its query history for evidence.")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The client: a user id, or service:ID for a service account.") var client: String
    @Option(help: "Why (required, recorded).") var reason: String

    struct Body: Encodable { var client: String; var reason: String? }

    func run() async throws {
        let server = try ServerClient(credentials: connection.resolve())
        let (incident, _) = try await server.json(.POST, ["api", "v1", "incidents", "quarantine"], body: Body(client: client, reason: reason),
                                                  as: RemoteIncident.self)
        print("quarantined \(client): incident #\(incident.id)")
    }
}

/// `bulwark incident release`.
struct IncidentReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "Let a quarantined client query again (closes its quarantine incident).")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The client: a user id, or service:ID.") var client: String

    func run() async throws {
        let server = try ServerClient(credentials: connection.resolve())
        let (incident, _) = try await server.json(.POST, ["api", "v1", "incidents", "release"],
                                                  body: IncidentQuarantineCommand.Body(client: client, reason: nil), as: RemoteIncident.self)
        print("released \(client): incident #\(incident.id) closed")
    }
}

/// `bulwark incident evidence`.
struct IncidentEvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence", abstract: "Download an incident's signed evidence bundle (audit slice with proofs, queries, outputs, model digests).")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The incident number.") var id: Int64
    @Option(help: "The file to write.") var out: String

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        let request = client.request(.GET, try client.url(["api", "v1", "incidents", String(id), "evidence"]), headers: [("Accept", "application/json")])
        let response = try await client.execute(request)
        let bytes = try await ServerClient.collect(response, limit: 256 << 20)
        try ServerClient.check(response.status, bytes)
        do {
            try bytes.write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw CLIError("--out \(out): cannot be written")
        }
        print("wrote \(out) (\(bytes.count) bytes); check it with: bulwark incident verify-evidence \(out) --key VERIFIER")
    }
}

/// `bulwark incident verify-evidence`.
struct IncidentVerifyEvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-evidence",
        abstract: "Verify an evidence bundle offline: its signature, the audit checkpoint and every entry's inclusion proof.")

    @Argument(help: "The bundle file.") var file: String
    @Option(help: "The audit verifier key (name+id+key), inline or in a file.") var key: String

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("\(file): cannot be read") }
        var keyText = key
        if let keyData = FileManager.default.contents(atPath: key) { keyText = String(decoding: keyData, as: UTF8.self) }
        let verifier: NoteVerifier
        do {
            verifier = try NoteVerifier(verifierKey: keyText.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw CLIError("--key: \(error.message)")
        }
        do {
            let result = try EvidenceBundle.verify([UInt8](data), verifier: verifier)
            let bundle = result.bundle
            print("""
                verified: incident #\(bundle.incident.id) (\(bundle.incident.kind) \(bundle.incident.target)), signed by \(verifier.name); \
                \(result.provedEntries) audit entries proved against checkpoint size \(result.checkpoint.size); \
                \(bundle.journal.count) journal entries; \(bundle.models.count) model digests
                """)
        } catch {
            print("FAILED: \(file): \(error.message)")
            throw ExitCode(1)
        }
    }
}
