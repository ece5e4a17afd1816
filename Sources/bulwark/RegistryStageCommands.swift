import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1

/// `bulwark registry approve`: the second person's approval of a staging version.
struct RegistryApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve a staging version for production (not your own upload; needs a recent MFA login).")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The model's name.") var model: String
    @Argument(help: "The version number.") var version: Int

    struct Approval: Decodable { var version: Int; var approver: String }

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        let (approval, _) = try await client.json(.POST, ["api", "v1", "models", model, "versions", String(version), "approve"], as: Approval.self)
        print("approved \(model) version \(approval.version) as \(approval.approver)")
    }
}

/// The stages `bulwark registry promote` moves a version to.
enum PromotionStage: String, ExpressibleByArgument, CaseIterable {
    case staging, production
}

/// `bulwark registry promote`: staging (runs the gates) or production (needs an approval).
struct RegistryPromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Move a version to staging (runs the gates) or production (needs another person's approval and a recent MFA login).")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The model's name.") var model: String
    @Argument(help: "The version number.") var version: Int
    @Option(help: "staging or production.") var stage: PromotionStage
    @Option(help: "Why (recorded in the stage history).") var reason: String?
    @Flag(help: "Print the version as JSON.") var json = false

    struct Body: Encodable { var stage: String; var reason: String? }

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        let (moved, _) = try await client.json(.POST, ["api", "v1", "models", model, "versions", String(version), "promote"],
                                               body: Body(stage: stage.rawValue, reason: reason), as: RemoteVersion.self)
        if json { try printJSON(moved) } else { print("\(moved.model) version \(moved.number) is in \(moved.state)") }
    }
}

/// `bulwark registry revoke`: withdraw a version for good.
struct RegistryRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a version from any stage, for a reason; it is never downloaded again.")

    @OptionGroup var connection: ServerOptions
    @Argument(help: "The model's name.") var model: String
    @Argument(help: "The version number.") var version: Int
    @Option(help: "Why (required, recorded).") var reason: String

    struct Body: Encodable { var reason: String }

    func run() async throws {
        let client = try ServerClient(credentials: connection.resolve())
        let (revoked, _) = try await client.json(.POST, ["api", "v1", "models", model, "versions", String(version), "revoke"],
                                                 body: Body(reason: reason), as: RemoteVersion.self)
        print("revoked \(revoked.model) version \(revoked.number): \(revoked.revocationReason ?? reason)")
    }
}
