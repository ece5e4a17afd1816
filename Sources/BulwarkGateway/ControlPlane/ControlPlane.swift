public import BulwarkAccess
public import BulwarkRegistry
import BulwarkStore
import Foundation
import Hummingbird

/// What ``ControlPlane/open(_:)`` needs: where the database is, the account server key, the
/// policy file and the audit log's signer.
public struct ControlPlaneOptions: Sendable {
    /// `--database`: a SQLite path, `sqlite:PATH` or a `postgres://` URL.
    public var database: String
    /// `--accounts-key`: the account server key file; `<SQLite file>.accounts-key` by default
    /// (required with PostgreSQL, the same file on every node).
    public var accountsKeyFile: String?
    /// Whether a missing account server key file is created (mode 0600).
    public var createAccountsKey: Bool
    /// `--policy`: the YAML policy file, reloaded when it changes.
    public var policyFile: String
    /// `--audit-key`: a file holding the audit signer key (`PRIVATE+KEY+<name>+…`).
    public var auditKeyFile: String
    /// `--audit-origin`: the first line of the audit log's checkpoints.
    public var auditOrigin: String
    /// `--blobs`: the directory of the registry's artifacts; `<SQLite file>.blobs` by default
    /// (required with PostgreSQL: a directory every node shares).
    public var blobDirectory: String?
    /// The registry's limits and rules.
    public var registryConfiguration: RegistryConfiguration
    /// The Argon2id parameters new password hashes get (tests lower them).
    public var passwordParameters: Argon2idParameters
    /// Lockout and address rate limits of password logins.
    public var throttlePolicy: LoginThrottlePolicy
    /// How often the policy file is checked for changes.
    public var policyReloadInterval: Duration
    /// `--webauthn-rp-id`: the WebAuthn relying-party ID; derived from the listening address when `nil`.
    public var webAuthnRelyingPartyID: String?
    /// `--webauthn-origin`: the origins WebAuthn ceremonies may come from; derived when empty.
    public var webAuthnOrigins: [String]

    /// Options with the given files; see the properties for each.
    public init(database: String, accountsKeyFile: String? = nil, createAccountsKey: Bool = true, policyFile: String,
                auditKeyFile: String, auditOrigin: String, blobDirectory: String? = nil,
                registryConfiguration: RegistryConfiguration = RegistryConfiguration(), passwordParameters: Argon2idParameters = .rfc9106SecondRecommended,
                throttlePolicy: LoginThrottlePolicy = .default, policyReloadInterval: Duration = .seconds(2),
                webAuthnRelyingPartyID: String? = nil, webAuthnOrigins: [String] = []) {
        self.database = database
        self.accountsKeyFile = accountsKeyFile
        self.createAccountsKey = createAccountsKey
        self.policyFile = policyFile
        self.auditKeyFile = auditKeyFile
        self.auditOrigin = auditOrigin
        self.blobDirectory = blobDirectory
        self.registryConfiguration = registryConfiguration
        self.passwordParameters = passwordParameters
        self.throttlePolicy = throttlePolicy
        self.policyReloadInterval = policyReloadInterval
        self.webAuthnRelyingPartyID = webAuthnRelyingPartyID
        self.webAuthnOrigins = webAuthnOrigins
    }
}

/// The control plane behind `bulwark serve --database …`: accounts, the policy in force, the
/// model registry and the signed audit log over one database, installed on a gateway as an authentication
/// middleware, an audit middleware and the `/api/v1/login…`, `/api/v1/me` and
/// `/api/v1/audit/…` routes.
///
/// ```swift
/// let plane = try await ControlPlane.open(ControlPlaneOptions(
///     database: "/var/lib/bulwark/bulwark.db", policyFile: "/etc/bulwark/policy.yaml",
///     auditKeyFile: "/etc/bulwark/audit.key", auditOrigin: "bulwark.example/audit"))
/// let gateway = try Gateway(configuration: GatewayConfiguration(host: "127.0.0.1", port: 8080, insecureHTTP: true))
/// plane.install(on: gateway.routes)
/// try await gateway.run()
/// await plane.close()
/// ```
public final class ControlPlane: Sendable {
    /// Users, sessions and API tokens.
    public let accounts: AccountStore
    /// The policy in force, reloaded from its file.
    public let policies: PolicyStore
    /// The signed, append-only audit log.
    public let audit: AuditLog
    /// The model registry (records in the same database, artifacts in the blob directory).
    public let registry: ModelRegistry
    /// The audit log's storage (entries are read from it).
    public let auditStorage: SQLAuditStorage
    /// The verifier of the audit log's checkpoints.
    public let auditVerifier: NoteVerifier
    /// The audit log's origin (``AuditLog/origin``), the id of the `audit` resource policies see.
    public let auditOrigin: String
    /// The database, printable without a password.
    public let databaseDescription: String
    /// The WebAuthn relying party of the passkey routes.
    public let webAuthn: WebAuthnSettings
    let database: any SQLDatabase
    let policyReloadInterval: Duration
    /// The audit log's signer key, which also signs incident evidence bundles.
    package let auditSigner: NoteSigner
    /// What the monitoring page shows (``setMonitoringSource(_:)``).
    let monitoring = MonitoringBoard()
    /// Bounds what refused requests can make the audit log write (see ``AuditFloodGuard``).
    let auditGuard = AuditFloodGuard()

    private init(accounts: AccountStore, policies: PolicyStore, audit: AuditLog, registry: ModelRegistry, auditStorage: SQLAuditStorage,
                 auditVerifier: NoteVerifier, auditOrigin: String, databaseDescription: String, database: any SQLDatabase, policyReloadInterval: Duration,
                 webAuthn: WebAuthnSettings, auditSigner: NoteSigner) {
        self.accounts = accounts
        self.policies = policies
        self.audit = audit
        self.registry = registry
        self.auditStorage = auditStorage
        self.auditVerifier = auditVerifier
        self.auditOrigin = auditOrigin
        self.databaseDescription = databaseDescription
        self.database = database
        self.policyReloadInterval = policyReloadInterval
        self.webAuthn = webAuthn
        self.auditSigner = auditSigner
    }

    /// Loads the policy and the keys, opens the database once and brings its account and audit
    /// tables up to date.
    ///
    /// - Throws: ``GatewayError`` `.invalidConfiguration` for a bad flag value, `.io` for an
    ///   unreadable file, `.malformed` for a file that is not what its flag expects.
    public static func open(_ options: ControlPlaneOptions) async throws(GatewayError) -> ControlPlane {
        let location: DatabaseLocation
        do {
            location = try DatabaseLocation(parsing: options.database)
        } catch {
            throw GatewayError(.invalidConfiguration, "--database: \(error.message)", underlying: error)
        }
        let keyPath: String
        switch (location, options.accountsKeyFile) {
        case (_, let given?): keyPath = given
        case (.sqlite(let path), nil): keyPath = AccountServerKey.defaultPath(forSQLitePath: path)
        case (.postgres, nil):
            throw GatewayError(.invalidConfiguration, "--accounts-key: required with a PostgreSQL database (every node needs the same key)")
        }
        let blobDirectory: String
        switch (location, options.blobDirectory) {
        case (_, let given?): blobDirectory = given
        case (.sqlite(let path), nil): blobDirectory = path + ".blobs"
        case (.postgres, nil):
            throw GatewayError(.invalidConfiguration, "--blobs: required with a PostgreSQL database (a directory every node shares)")
        }
        let webAuthn = try WebAuthnSettings(relyingPartyID: options.webAuthnRelyingPartyID, origins: options.webAuthnOrigins)
        let policies = try mapped("--policy \(options.policyFile)") { () throws(AccessError) in try PolicyStore(path: options.policyFile) }
        let signerText: String
        do {
            signerText = try String(contentsOfFile: options.auditKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw GatewayError(.io, "--audit-key \(options.auditKeyFile): cannot be read", underlying: error)
        }
        let signer = try mapped("--audit-key \(options.auditKeyFile)") { () throws(AccessError) in try NoteSigner(signerKey: signerText) }
        let key = try mapped("--accounts-key \(keyPath)") { () throws(AccessError) in
            options.createAccountsKey ? try AccountServerKey.loadOrCreate(at: keyPath).key : try AccountServerKey.load(from: keyPath)
        }
        let database: any SQLDatabase
        do {
            database = try await openDatabase(location)
        } catch {
            throw GatewayError(.io, "--database \(location): cannot be opened (\(error.message))", underlying: error)
        }
        do throws(AccessError) {
            let accounts = try await AccountStore.open(database: database, serverKey: key, passwordParameters: options.passwordParameters,
                                                       throttlePolicy: options.throttlePolicy)
            let storage = try await SQLAuditStorage(database: database)
            let log = try await AuditLog(storage: storage, origin: options.auditOrigin, signer: signer)
            let registry: ModelRegistry
            do {
                registry = try await ModelRegistry.open(database: database, blobDirectory: blobDirectory, configuration: options.registryConfiguration)
            } catch {
                throw AccessError(error.code == .storage ? .io : .invalidParameter, "--blobs \(blobDirectory): \(error.message)", underlying: error)
            }
            return ControlPlane(accounts: accounts, policies: policies, audit: log, registry: registry, auditStorage: storage, auditVerifier: signer.verifier, auditOrigin: options.auditOrigin,
                                databaseDescription: location.description, database: database,
                                policyReloadInterval: options.policyReloadInterval, webAuthn: webAuthn, auditSigner: signer)
        } catch {
            await database.close()
            throw GatewayError(error.code == .invalidParameter ? .invalidConfiguration : .io,
                               "--database \(location): \(error.message)", underlying: error)
        }
    }

    /// Installs the authentication and audit middleware and the control-plane routes on
    /// `routes`, and a `/readyz` check that the database answers. Call once, before the
    /// application is built.
    public func install(on routes: GatewayRoutes) {
        routes.router.add(middleware: AuthenticationMiddleware(plane: self))
        routes.router.add(middleware: AuditMiddleware(plane: self))
        AccountRoutes.add(to: routes, plane: self)
        AuditRoutes.add(to: routes, plane: self)
        WebAuthnRoutes.add(to: routes, plane: self)
        WebUI.add(to: routes, plane: self)
        RegistryRoutes.add(to: routes, plane: self)
        let storage = auditStorage
        routes.addReadinessCheck(named: "database") { (try? await storage.count()) != nil }
    }

    /// Adds the control plane's route descriptions to `routes` without a control plane behind
    /// them (each answers 503): for `bulwark serve --print-openapi`, which opens no database.
    public static func describeRoutes(on routes: GatewayRoutes) {
        AccountRoutes.add(to: routes, plane: nil)
        AuditRoutes.add(to: routes, plane: nil)
        WebAuthnRoutes.add(to: routes, plane: nil)
        RegistryRoutes.add(to: routes, plane: nil)
        WebUIMonitoring.addAPI(to: routes, plane: nil)
    }

    /// The error of a control-plane route on a gateway without a control plane.
    static var notConfigured: GatewayError { GatewayError(.unavailable, "the control plane is not configured on this server") }

    /// Polls the policy file until the task is cancelled, applying each change that compiles
    /// (a file that does not compile leaves the policy in force; see ``PolicyStore``).
    public func watchPolicy() async {
        await policies.watch(every: policyReloadInterval)
    }

    /// Closes the database.
    public func close() async {
        await database.close()
    }

    /// Runs `body`, turning its ``AccessError`` into a configuration ``GatewayError`` naming `flag`.
    private static func mapped<T>(_ flag: String, _ body: () throws(AccessError) -> T) throws(GatewayError) -> T {
        do {
            return try body()
        } catch {
            let code: GatewayError.Code = error.code == .io ? .io : (error.code == .malformed ? .malformed : .invalidConfiguration)
            throw GatewayError(code, "\(flag): \(error.message)", underlying: error)
        }
    }
}
