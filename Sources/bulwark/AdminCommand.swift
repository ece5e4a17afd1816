import ArgumentParser
import BulwarkAccess
import Foundation

/// `bulwark admin`: set up the first administrator and manage user accounts.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Create the first administrator and manage users, service accounts and API tokens.",
        subcommands: [AdminInitCommand.self, AdminUserCommand.self, AdminServiceAccountCommand.self, AdminTokenCommand.self]
    )
}

/// `--database` and `--key-file`, shared by the admin commands.
struct AccountDatabaseOptions: ParsableArguments {
    @Option(help: "The database: a SQLite file (PATH or sqlite:PATH) or postgres://user:password@host/db.")
    var database: String
    @Option(help: "The 32-byte account server key that encrypts TOTP secrets (default: <SQLite file>.accounts-key; required for PostgreSQL).")
    var keyFile: String?

    func open(createKey: Bool) async throws -> OpenedAccountStore {
        try await AccountStore.open(location: database, keyFile: keyFile, createKey: createKey)
    }
}

/// Where a new password comes from: a file, a prompt on a terminal (no echo, asked twice), or
/// one line of standard input.
struct PasswordSource: ParsableArguments {
    @Option(help: "Read the password from the first line of this file (otherwise: prompt on a terminal, or one line of stdin).")
    var passwordFile: String?

    func read(for username: String) throws -> String {
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw CLIError("\(passwordFile): cannot read the password file")
            }
            return Self.firstLine(String(decoding: data, as: UTF8.self))
        }
        if isatty(STDIN_FILENO) == 1 {
            let first = try Self.prompt("Password for \(username): ")
            let second = try Self.prompt("Repeat the password: ")
            guard first == second else { throw CLIError("the two passwords differ; nothing was created") }
            return first
        }
        guard let line = Swift.readLine(strippingNewline: true) else { throw CLIError("stdin: expected one line holding the password") }
        return line
    }

    private static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
    }

    /// Reads one line from the terminal with echo off, restoring the terminal afterwards.
    private static func prompt(_ text: String) throws -> String {
        try Terminal.readSecretLine(prompt: text, nothing: "stdin: no password given")
    }
}

/// `bulwark admin init`: the first administrator, with TOTP and recovery codes shown once.
struct AdminInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the first administrator with a TOTP enrolment and recovery codes (refused when an administrator exists).",
        discussion: """
        Creates the account server key (mode 0600) when it is missing, then the administrator, \
        and prints the TOTP enrolment (otpauth:// URI and base32 secret) and ten recovery codes \
        once. Exit status 2, with one line, when an administrator already exists.

          bulwark admin init --database /var/lib/bulwark/bulwark.db --username ada --team platform
        """
    )
    @OptionGroup var store: AccountDatabaseOptions
    @Option(help: "The administrator's login name (compared case-insensitively).") var username: String
    @OptionGroup var password: PasswordSource
    @Option(help: "The administrator's team.") var team: String?
    @Option(help: "The issuer shown in authenticator apps.") var issuer = "Bulwark"

    func run() async throws {
        let opened = try await store.open(createKey: true)
        let enrolment: AdministratorEnrollment
        do {
            if try await opened.store.hasAdministrator() {
                throw CLIError("\(opened.databaseDescription): an administrator already exists; add users with `bulwark admin user add`")
            }
            let secret = try password.read(for: username)
            enrolment = try await opened.store.bootstrapAdministrator(NewUser(username: username, team: team), password: secret, now: Date())
            await opened.store.close()
        } catch {
            await opened.store.close()
            throw error
        }
        let user = enrolment.user
        if opened.keyCreated {
            print("Created the account server key \(opened.keyFile) (mode 0600). Back it up apart from the database: without it, TOTP enrolments cannot be read.")
        } else {
            print("Using the account server key \(opened.keyFile).")
        }
        print("Created administrator \(user.username) (\(user.id)\(user.team.map { ", team \($0)" } ?? "")) in \(opened.databaseDescription).")
        print("")
        print("The following secrets are shown ONCE and will not be shown again.")
        print("TOTP enrolment:")
        print("  \(try enrolment.totp.provisioningURI(issuer: issuer, account: user.username))")
        let base32 = Base32.encode(enrolment.totp.secret, padding: false)
        let grouped = stride(from: 0, to: base32.count, by: 4).map { start in
            String(base32.dropFirst(start).prefix(4))
        }.joined(separator: " ")
        print("  secret (base32): \(grouped)   (SHA1, 6 digits, 30 s)")
        print("Recovery codes (each works once):")
        for code in enrolment.recoveryCodes { print("  \(code)") }
        print("")
        print("To enrol: show the otpauth:// URI as a QR code and scan it, or type the secret into an authenticator app.")
        print("Your first login asks for its 6-digit code. Keep the recovery codes offline, for when the authenticator is lost.")
    }
}

/// `bulwark admin user`: add, disable and list users.
struct AdminUserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Add, disable and list users.",
        subcommands: [AdminUserAddCommand.self, AdminUserDisableCommand.self, AdminUserListCommand.self]
    )
}

/// `bulwark admin user add`.
struct AdminUserAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a user with a password (12 characters or more, not the username).",
        discussion: "  bulwark admin user add --database bulwark.db --username grace --team research --role analyst --password-file pw.txt"
    )
    @OptionGroup var store: AccountDatabaseOptions
    @Option(help: "The login name (compared case-insensitively).") var username: String
    @OptionGroup var password: PasswordSource
    @Option(help: "The user's team.") var team: String?
    @Option(name: .customLong("role"), help: "A role (repeat for several).") var roles: [String] = []

    func run() async throws {
        let secret = try password.read(for: username)
        let opened = try await store.open(createKey: false)
        do {
            let user = try await opened.store.createUser(NewUser(username: username, team: team, roles: roles), password: secret, now: Date())
            await opened.store.close()
            print("Created user \(user.username) (\(user.id)\(user.roles.isEmpty ? "" : ", roles " + user.roles.joined(separator: ",")))")
        } catch {
            await opened.store.close()
            throw error
        }
    }
}

/// `bulwark admin user disable`.
struct AdminUserDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Disable a user: logins are refused and their sessions end."
    )
    @OptionGroup var store: AccountDatabaseOptions
    @Option(help: "The login name.") var username: String

    func run() async throws {
        let opened = try await store.open(createKey: false)
        do {
            let user = try await opened.store.disableUser(named: username, now: Date())
            await opened.store.close()
            print("Disabled user \(user.username) (\(user.id)); their sessions were revoked.")
        } catch {
            await opened.store.close()
            throw error
        }
    }
}

/// `bulwark admin user list`.
struct AdminUserListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List users (no secrets).")
    @OptionGroup var store: AccountDatabaseOptions
    @Flag(help: "Print the users as JSON.") var json = false

    func run() async throws {
        let opened = try await store.open(createKey: false)
        let users: [StoredUser]
        do {
            users = try await opened.store.listUsers()
            await opened.store.close()
        } catch {
            await opened.store.close()
            throw error
        }
        if json { return try printJSON(users) }
        for user in users {
            let state = user.disabledAt == nil ? "active" : "disabled"
            print("\(user.username)\t\(user.id)\t\(state)\tteam=\(user.team ?? "-")\troles=\(user.roles.isEmpty ? "-" : user.roles.joined(separator: ","))\tmfa=\(user.hasTOTP ? "totp" : "none")")
        }
    }
}
