import ArgumentParser
import BulwarkAccess
import Foundation

/// `bulwark admin service-account`: non-human accounts (CI pipelines, training jobs) with roles.
struct AdminServiceAccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-account",
        abstract: "Add, disable and list service accounts (they authenticate with API tokens).",
        subcommands: [AdminServiceAccountAddCommand.self, AdminServiceAccountDisableCommand.self, AdminServiceAccountListCommand.self]
    )
}

/// `bulwark admin service-account add`.
struct AdminServiceAccountAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a service account with roles and a team (what the policy sees for its tokens).",
        discussion: "  bulwark admin service-account add --database bulwark.db --name ci-vision --role publisher --team vision"
    )
    @OptionGroup var store: AccountDatabaseOptions
    @Option(help: "The account's name (unique).") var name: String
    @Option(name: .customLong("role"), help: "A role (repeat for several).") var roles: [String] = []
    @Option(help: "The account's team.") var team: String?
    @Option(help: "The username of the person responsible for it.") var owner: String?

    func run() async throws {
        let account = try await withAccountStore(store) { accounts throws(AccessError) in
            var ownerID: String?
            if let owner {
                guard let user = try await accounts.listUsers().first(where: { $0.username == owner.lowercased() }) else {
                    throw AccessError(.notFound, "--owner \(owner.oneLine(limit: 64)): no such user")
                }
                ownerID = user.id
            }
            return try await accounts.createServiceAccount(name: name, ownerUserID: ownerID, roles: roles, team: team, now: Date())
        }
        print("Created service account \(account.name) (\(account.id)\(account.roles.isEmpty ? "" : ", roles " + account.roles.joined(separator: ",")))")
        print("Issue a token with: bulwark admin token issue --database \(store.database) --service-account \(account.name) --scope '*' --expires-in 30d")
    }
}

/// `bulwark admin service-account disable`.
struct AdminServiceAccountDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Disable a service account: every token it has stops working at once.")
    @OptionGroup var store: AccountDatabaseOptions
    @Option(help: "The account's name.") var name: String

    func run() async throws {
        let changed = try await withAccountStore(store) { accounts throws(AccessError) in
            guard try await accounts.serviceAccount(named: name) != nil else {
                throw AccessError(.notFound, "service account \(name.oneLine(limit: 64)) does not exist")
            }
            return try await accounts.disableServiceAccount(named: name, now: Date())
        }
        print(changed ? "Disabled service account \(name); its tokens are refused from now on." : "Service account \(name) was already disabled.")
    }
}

/// `bulwark admin service-account list`.
struct AdminServiceAccountListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List service accounts (no secrets).")
    @OptionGroup var store: AccountDatabaseOptions
    @Flag(help: "Print the accounts as JSON.") var json = false

    func run() async throws {
        let accounts = try await withAccountStore(store) { accounts throws(AccessError) in try await accounts.serviceAccounts() }
        if json { return try printJSON(accounts) }
        for account in accounts {
            let state = account.disabledAt == nil ? "active" : "disabled"
            print("\(account.name)\t\(account.id)\t\(state)\tteam=\(account.team ?? "-")\troles=\(account.roles.isEmpty ? "-" : account.roles.joined(separator: ","))")
        }
    }
}

/// `bulwark admin token`: API tokens of service accounts.
struct AdminTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue and revoke API tokens of service accounts (stored hashed; every token expires).",
        subcommands: [AdminTokenIssueCommand.self, AdminTokenRevokeCommand.self]
    )
}

/// `bulwark admin token issue`.
struct AdminTokenIssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue an API token; it is printed once on stdout (only its digest is stored).",
        discussion: """
          bulwark admin token issue --database bulwark.db --service-account ci-vision --name deploy \\
            --scope model.read --scope version.upload --expires-in 30d > ci.token
        Every token names its scopes (action patterns); --scope '*' allows whatever the account's roles allow.
        """
    )
    @OptionGroup var store: AccountDatabaseOptions
    @Option(name: .customLong("service-account"), help: "The service account's name.") var serviceAccount: String
    @Option(help: "A label for people.") var name = "token"
    @Option(name: .customLong("scope"), help: "An action pattern the token is limited to (repeat; e.g. model.read, version.*).")
    var scopes: [String] = []
    @Option(name: .customLong("expires-in"), help: "Lifetime, e.g. 12h, 30d (at most 365d).") var expiresIn = "30d"

    func validate() throws {
        guard !scopes.isEmpty else { throw ValidationError("--scope: at least one is required (e.g. model.read, version.*, or * for all the roles allow)") }
        guard let seconds = parseDurationSeconds(expiresIn), seconds > 0, seconds <= 365 * 86400 else {
            throw ValidationError("--expires-in \(expiresIn): expected a duration such as 12h or 30d, at most 365d")
        }
    }

    func run() async throws {
        let lifetime = parseDurationSeconds(expiresIn) ?? 0
        let (token, record) = try await withAccountStore(store) { accounts throws(AccessError) in
            guard let account = try await accounts.serviceAccount(named: serviceAccount), account.disabledAt == nil else {
                throw AccessError(.notFound, "--service-account \(serviceAccount.oneLine(limit: 64)): no such enabled service account")
            }
            return try await accounts.issueAPIToken(serviceAccountID: account.id, name: name, scopes: scopes, lifetimeSeconds: lifetime, now: Date())
        }
        print(token)
        let expiry = ISO8601DateFormatter().string(from: record.expiresAt)
        FileHandle.standardError.write(Data("Issued token \(record.id) for \(serviceAccount), expires \(expiry); it is shown only this once.\n".utf8))
    }
}

/// `bulwark admin token revoke`.
struct AdminTokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an API token by its id (the part after bwk_, before the secret).")
    @OptionGroup var store: AccountDatabaseOptions
    @Argument(help: "The token's id, as `token issue` printed it.") var id: String

    func run() async throws {
        let revoked = try await withAccountStore(store) { accounts throws(AccessError) in try await accounts.revokeAPIToken(id: id, now: Date()) }
        guard revoked else { throw AccessError(.notFound, "API token \(id.oneLine(limit: 64)): no such active token") }
        print("Revoked API token \(id).")
    }
}

/// Opens the account store of `options`, runs `body` and closes the store whatever happens.
func withAccountStore<T>(_ options: AccountDatabaseOptions, _ body: (AccountStore) async throws(AccessError) -> T) async throws -> T {
    let opened = try await options.open(createKey: false)
    do {
        let result = try await body(opened.store)
        await opened.store.close()
        return result
    } catch {
        await opened.store.close()
        throw error
    }
}
