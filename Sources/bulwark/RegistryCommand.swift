import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1

/// `bulwark registry`: the model registry of a `bulwark serve --database …` server, over its
/// HTTP API, with the credentials `bulwark login` stored.
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Push, pull, list, approve, promote and revoke model versions on a Bulwark server.",
        discussion: """
        Uses the server and token stored by `bulwark login` (--server, BULWARK_SERVER and \
        BULWARK_TOKEN override them). Every refusal is one line on stderr and exit status 2; a \
        401 says to run bulwark login again.

          bulwark registry create cats --team vision --risk-tier high --data-classification internal
          bulwark registry push cats model.safetensors --signature model.sig --submit
          bulwark registry list cats
          bulwark registry approve cats 1
          bulwark registry promote cats 1 --stage production --reason "Q3 release"
          bulwark registry pull cats 1 --out cats.safetensors
          bulwark registry revoke cats 1 --reason "leaked training data"
        """,
        subcommands: [
            RegistryApproveCommand.self, RegistryCreateCommand.self, RegistryKeyCommand.self, RegistryListCommand.self,
            RegistryPromoteCommand.self, RegistryPullCommand.self, RegistryPushCommand.self, RegistryRevokeCommand.self,
        ]
    )
}

/// A model as the server answers it (dates kept as the server wrote them).
struct RemoteModel: Codable {
    var name: String
    var team: String
    var riskTier: String
    var dataClassification: String
    var createdBy: String
    var createdAt: String
}

/// A version as the server answers it: the fields the CLI shows, and the gate outcome.
struct RemoteVersion: Codable {
    struct Lineage: Codable { var datasetManifestDigest: String?; var trainingCommand: String?; var parentVersion: Int? }
    struct GateReport: Codable {
        struct Gate: Codable { var passed: Bool; var verdict: String?; var detail: String?; var signer: String?; var publisher: String? }
        var scan: Gate
        var signature: Gate
        var attestation: Gate?
    }
    var model: String
    var number: Int
    var state: String
    var uploader: String
    var sha256: String
    var size: Int64
    var filename: String
    var lineage: Lineage
    var gateReport: GateReport?
    var revocationReason: String?
    var createdAt: String
}

/// `bulwark registry create`: register a model.
struct RegistryCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Register a model (name, owning team, risk tier, data classification).")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The model's name: 1 to 128 of a-z 0-9 . _ - starting with a letter or digit.") var name: String
    @Option(help: "The owning team.") var team: String
    @Option(name: .customLong("risk-tier"), help: "low, medium, high or critical.") var riskTier: String
    @Option(name: .customLong("data-classification"), help: "public, internal, confidential or restricted.") var dataClassification: String
    @Flag(help: "Print the model as JSON.") var json = false

    struct Body: Encodable { var name: String; var team: String; var riskTier: String; var dataClassification: String }

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        let (model, _) = try await client.json(.POST, ["api", "v1", "models"],
                                               body: Body(name: name, team: team, riskTier: riskTier, dataClassification: dataClassification),
                                               as: RemoteModel.self)
        if json { try printJSON(model) } else { print("created model \(model.name) (team \(model.team), risk \(model.riskTier), data \(model.dataClassification))") }
    }
}

/// `bulwark registry key`: register a publisher's signing key (admin).
struct RegistryKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-key",
        abstract: "Register a PEM public key that verifies the signatures of a publisher (user:ID or team:NAME); admin only.")

    @OptionGroup var connection: ServerOptions
    @Option(help: "Whose key: user:ID or team:NAME.") var publisher: String
    @Argument(help: "The PEM public key file.") var key: String

    struct Body: Encodable { var publisher: String; var pem: String }
    struct Answer: Decodable { var publisher: String; var hint: String }

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: key), let pem = String(data: data, encoding: .utf8) else {
            throw CLIError("\(key): cannot be read as a PEM file")
        }
        let client = try ServerClient(credentials: connection.resolve())
        let (answer, _) = try await client.json(.POST, ["api", "v1", "publishers", "keys"], body: Body(publisher: publisher, pem: pem), as: Answer.self)
        print("registered key \(answer.hint.prefix(16))… for \(answer.publisher)")
    }
}

/// `bulwark registry list`: the models, or one model's versions.
struct RegistryListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the models, or the versions of one model you may read.")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "A model: list its versions instead of the models.") var model: String?
    @Flag(help: "Print JSON instead of a table.") var json = false

    struct Models: Codable { var models: [RemoteModel] }
    struct ModelAnswer: Codable { var model: RemoteModel; var versions: [RemoteVersion] }

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        if let model {
            let (answer, _) = try await client.json(.GET, ["api", "v1", "models", model], as: ModelAnswer.self)
            if json { return try printJSON(answer) }
            let rows = answer.versions.map { version in
                [String(version.number), version.state, String(version.sha256.prefix(12)), String(version.size), version.uploader, version.filename]
            }
            print(table(header: ["VERSION", "STATE", "SHA256", "BYTES", "UPLOADER", "FILE"], rows: rows), terminator: "")
        } else {
            let (answer, _) = try await client.json(.GET, ["api", "v1", "models"], as: Models.self)
            if json { return try printJSON(answer) }
            let rows = answer.models.map { [$0.name, $0.team, $0.riskTier, $0.dataClassification, $0.createdBy] }
            print(table(header: ["MODEL", "TEAM", "RISK", "DATA", "CREATED BY"], rows: rows), terminator: "")
        }
    }
}

/// Left-aligned columns two spaces apart, one line per row.
func table(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    var widths = header.map(\.count)
    for row in all { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
    var out = ""
    for row in all {
        let cells = row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
        out += cells.joined(separator: "  ") + "\n"
    }
    return out
}

extension ServerClient {
    /// A client with resolved credentials.
    init(credentials: ServerCredentials) {
        self.init(server: credentials.server, token: credentials.token)
    }
}
