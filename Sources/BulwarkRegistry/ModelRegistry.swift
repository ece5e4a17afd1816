public import BulwarkAccess
public import BulwarkStore
public import BulwarkSupplyChain
public import Foundation

/// Limits and rules of a ``ModelRegistry``.
public struct RegistryConfiguration: Sendable {
    /// The largest artifact accepted, in bytes (default 8 GiB).
    public var maxUploadBytes: Int64 = 8 << 30
    /// How recent an approver's MFA check must be, in seconds (default 15 minutes).
    public var approvalMFAMaxAgeSeconds: Double = 15 * 60
    /// How recent an admin's MFA check must be to override an `unsupported` scan (default 5 minutes).
    public var overrideMFAMaxAgeSeconds: Double = 5 * 60
    /// Roles that may approve and promote to production.
    public var approverRoles: Set<String> = ["approver", "admin"]
    /// Roles that may override a gate and register publisher keys.
    public var adminRoles: Set<String> = ["admin"]
    /// The scanner of the scan gate.
    public var scanner = ArtifactScanner()

    /// The defaults: 8 GiB uploads, 15-minute approval MFA, 5-minute override MFA, roles
    /// `approver` and `admin`, the default scan policy.
    public init() {}
}

/// The model registry behind `bulwark serve`: models, versions behind gates, stages with a
/// two-person rule for production, lineage, ML-BOMs and verified downloads.
///
/// Records live in a ``SQLDatabase`` (SQLite or PostgreSQL, migration namespace `registry`);
/// artifacts live in a blob directory, named by their SHA-256. A version row is inserted only
/// after its blob is durable under its address, and every stage change is one transaction under
/// a per-model lock, so a process killed at any moment leaves no half-visible version (at worst
/// an orphan file that ``sweep(olderThan:)`` removes) and two server nodes cannot both promote.
///
/// The registry checks the rules that depend on its records (who uploaded, fresh MFA, roles for
/// approval, promotion and override); whether a principal may call an operation at all is the
/// access policy's decision, made by the caller.
///
/// ```swift
/// let alice = Principal(id: "alice", roles: ["publisher"], team: "vision", mfaVerifiedAt: Date())
/// let db = try await openDatabase("sqlite:/var/lib/bulwark/registry.db")
/// let registry = try await ModelRegistry.open(database: db, blobDirectory: "/var/lib/bulwark/blobs")
/// try await registry.createModel(name: "cats", team: "vision", riskTier: .high, dataClassification: .internal, by: alice)
/// let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "model.safetensors")))
/// let signature = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "model.safetensors.sig")))
/// let upload = try registry.beginUpload()
/// try upload.append(bytes)
/// let v1 = try await registry.commit(upload, model: "cats", filename: "model.safetensors", by: alice, signatureBundle: signature)
/// let report = try await registry.submit(model: "cats", version: v1.number, by: alice)   // staging when every gate passes
/// print(report.passed, try await registry.download(model: "cats", version: v1.number).reprDigestHeader)
/// ```
public struct ModelRegistry: Sendable {
    /// The database holding the records.
    public let database: any SQLDatabase
    /// The limits and rules.
    public let configuration: RegistryConfiguration
    let blobs: BlobStore
    let clock: @Sendable () -> Date

    /// A registry over `database` (migrated to the registry's latest schema here) and the blob
    /// directory `blobDirectory` (created when missing). `clock` gives the current time (tests
    /// pass a fixed one).
    public static func open(database: any SQLDatabase, blobDirectory: String, configuration: RegistryConfiguration = RegistryConfiguration(),
                            clock: @escaping @Sendable () -> Date = { Date() }) async throws(RegistryError) -> ModelRegistry {
        do {
            try await RegistrySchema.migrator().migrate(database)
        } catch {
            throw RegistryError(.storage, "registry: migrating \(database) failed: \(error.message)", underlying: error)
        }
        return ModelRegistry(database: database, configuration: configuration, blobs: try BlobStore(root: blobDirectory), clock: clock)
    }

    var nowMilliseconds: Int64 { Int64((clock().timeIntervalSince1970 * 1000).rounded()) }

    // MARK: models

    /// Registers a model. Fails with `invalidParameter` for a malformed name or empty team,
    /// `conflict` when the name is taken.
    @discardableResult
    public func createModel(name: String, team: String, riskTier: RiskTier, dataClassification: DataClassification,
                            by principal: Principal) async throws(RegistryError) -> ModelRecord {
        try Self.validateName(name)
        let team = team.trimmingCharacters(in: .whitespaces)
        guard !team.isEmpty, team.count <= 128, !team.contains(where: \.isNewline) else {
            throw RegistryError(.invalidParameter, "model '\(name)': team must be 1 to 128 characters on one line")
        }
        let now = nowMilliseconds
        try await write { tx throws(RegistryError) in
            try await store { () throws(StoreError) in try await tx.lock(key: "registry.model-names") }
            let existing = try await store { () throws(StoreError) in
                try await tx.query(SQLStatement("SELECT id FROM registry_models WHERE name = ?", [.text(name)]))
            }
            guard existing.isEmpty else { throw RegistryError(.conflict, "model '\(name)' already exists") }
            try await store { () throws(StoreError) in
                try await tx.execute(SQLStatement(
                    "INSERT INTO registry_models (name, team, risk_tier, data_classification, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [.text(name), .text(team), .text(riskTier.rawValue), .text(dataClassification.rawValue), .text(principal.id), .integer(now)]))
            }
        }
        return ModelRecord(name: name, team: team, riskTier: riskTier, dataClassification: dataClassification, createdBy: principal.id, createdAt: date(now))
    }

    /// The model named `name`; `notFound` when there is none.
    public func model(named name: String) async throws(RegistryError) -> ModelRecord {
        let rows = try await store { () throws(StoreError) in
            try await database.query(SQLStatement("SELECT * FROM registry_models WHERE name = ?", [.text(name)]))
        }
        guard let row = rows.first else { throw RegistryError(.notFound, "model '\(name)' does not exist") }
        return try decodeModel(row)
    }

    /// Every model, by name.
    public func models() async throws(RegistryError) -> [ModelRecord] {
        let rows = try await store { () throws(StoreError) in
            try await database.query("SELECT * FROM registry_models ORDER BY name")
        }
        var out: [ModelRecord] = []
        for row in rows { out.append(try decodeModel(row)) }
        return out
    }

    // MARK: publisher keys

    /// Registers `pem` (an EC public key) to verify signatures of `publisher`. Only an admin
    /// (``RegistryConfiguration/adminRoles``) may; `conflict` when the key is already registered
    /// for that publisher, `invalidParameter` when the PEM is not a usable key.
    @discardableResult
    public func registerPublisherKey(_ pem: [UInt8], for publisher: Publisher, by principal: Principal) async throws(RegistryError) -> PublisherKey {
        guard !principal.roles.isDisjoint(with: configuration.adminRoles) else {
            throw RegistryError(.refused, "publisher key for \(publisher): only an admin may register keys")
        }
        guard !publisher.name.isEmpty else { throw RegistryError(.invalidParameter, "publisher key: the publisher name is empty") }
        let key: ModelSigningPublicKey
        do { key = try ModelSigningPublicKey(pem: pem, file: "publisher key") } catch {
            throw RegistryError(.invalidParameter, "publisher key for \(publisher): \(error.message)", underlying: error)
        }
        let now = nowMilliseconds
        let record = PublisherKey(publisher: publisher, hint: key.hint, pem: key.pemRepresentation, registeredBy: principal.id, registeredAt: date(now))
        try await write { tx throws(RegistryError) in
            let existing = try await store { () throws(StoreError) in
                try await tx.query(SQLStatement("SELECT id FROM registry_publisher_keys WHERE publisher_kind = ? AND publisher = ? AND hint = ?",
                                                [.text(publisher.kind), .text(publisher.name), .text(key.hint)]))
            }
            guard existing.isEmpty else { throw RegistryError(.conflict, "publisher key \(key.hint.prefix(16))… is already registered for \(publisher)") }
            try await store { () throws(StoreError) in
                try await tx.execute(SQLStatement(
                    "INSERT INTO registry_publisher_keys (publisher_kind, publisher, hint, pem, registered_by, registered_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [.text(publisher.kind), .text(publisher.name), .text(key.hint), .text(record.pem), .text(principal.id), .integer(now)]))
            }
        }
        return record
    }

    /// The keys registered for `publisher`, oldest first.
    public func publisherKeys(for publisher: Publisher) async throws(RegistryError) -> [PublisherKey] {
        let rows = try await store { () throws(StoreError) in
            try await database.query(SQLStatement("SELECT * FROM registry_publisher_keys WHERE publisher_kind = ? AND publisher = ? ORDER BY id",
                                                  [.text(publisher.kind), .text(publisher.name)]))
        }
        var out: [PublisherKey] = []
        for row in rows {
            try decoding { () throws(StoreError) in
                out.append(PublisherKey(publisher: publisher, hint: try row.string("hint"), pem: try row.string("pem"),
                                        registeredBy: try row.string("registered_by"), registeredAt: date(try row.int64("registered_at"))))
            }
        }
        return out
    }

    // MARK: versions

    /// Version `number` of `model`; `notFound` when either is missing.
    public func version(model: String, number: Int) async throws(RegistryError) -> ModelVersion {
        let rows = try await store { () throws(StoreError) in
            try await database.query(SQLStatement(
                "SELECT v.*, m.name AS model_name FROM registry_versions v JOIN registry_models m ON m.id = v.model_id WHERE m.name = ? AND v.number = ?",
                [.text(model), .integer(Int64(number))]))
        }
        guard let row = rows.first else { throw RegistryError(.notFound, "model '\(model)' has no version \(number)") }
        return try decodeVersion(row)
    }

    /// Every version of `model`, by number.
    public func versions(model: String) async throws(RegistryError) -> [ModelVersion] {
        _ = try await self.model(named: model)
        let rows = try await store { () throws(StoreError) in
            try await database.query(SQLStatement(
                "SELECT v.*, m.name AS model_name FROM registry_versions v JOIN registry_models m ON m.id = v.model_id WHERE m.name = ? ORDER BY v.number",
                [.text(model)]))
        }
        var out: [ModelVersion] = []
        for row in rows { out.append(try decodeVersion(row)) }
        return out
    }

    /// The version of `model` in production, or `nil`.
    public func productionVersion(model: String) async throws(RegistryError) -> ModelVersion? {
        try await versions(model: model).first { $0.state == .production }
    }

    /// The stage history of `model`, oldest first (uploads appear with `from == nil`).
    public func history(model: String) async throws(RegistryError) -> [StageChange] {
        let rows = try await store { () throws(StoreError) in
            try await database.query(SQLStatement(
                """
                SELECT v.number, h.from_state, h.to_state, h.actor, h.reason, h.at FROM registry_stage_history h
                JOIN registry_versions v ON v.id = h.version_id JOIN registry_models m ON m.id = v.model_id
                WHERE m.name = ? ORDER BY h.id
                """, [.text(model)]))
        }
        var out: [StageChange] = []
        for row in rows {
            try decoding { () throws(StoreError) in
                let from: String? = try row.decode("from_state")
                out.append(StageChange(version: try row.int("number"), from: from.flatMap(VersionState.init(rawValue:)),
                                       to: VersionState(rawValue: try row.string("to_state")) ?? .draft, actor: try row.string("actor"),
                                       reason: try row.decode("reason"), at: date(try row.int64("at"))))
            }
        }
        return out
    }

    /// The approvals of version `number` of `model`, oldest first (all of them, including those
    /// given before the version last re-entered staging).
    public func approvals(model: String, number: Int) async throws(RegistryError) -> [Approval] {
        let rows = try await store { () throws(StoreError) in
            try await database.query(SQLStatement(
                """
                SELECT a.approver, a.approved_at FROM registry_approvals a JOIN registry_versions v ON v.id = a.version_id
                JOIN registry_models m ON m.id = v.model_id WHERE m.name = ? AND v.number = ? ORDER BY a.approved_at, a.approver
                """, [.text(model), .integer(Int64(number))]))
        }
        var out: [Approval] = []
        for row in rows {
            try decoding { () throws(StoreError) in
                out.append(Approval(version: number, approver: try row.string("approver"), at: date(try row.int64("approved_at"))))
            }
        }
        return out
    }

    // MARK: maintenance

    /// Removes what a crash can leave behind: temporary upload files and blobs that no version
    /// references, when last modified more than `olderThan` seconds ago (so uploads in progress
    /// on other nodes sharing the directory are left alone). Returns how many of each it removed.
    @discardableResult
    public func sweep(olderThan: TimeInterval = 3600) async throws(RegistryError) -> (temporaries: Int, orphans: Int) {
        let rows = try await store { () throws(StoreError) in
            try await database.query("SELECT DISTINCT sha256 FROM registry_versions")
        }
        var referenced = Set<String>()
        for row in rows { try decoding { () throws(StoreError) in referenced.insert(try row.string("sha256")) } }
        return blobs.sweep(referenced: referenced, olderThan: olderThan, now: clock())
    }

    // MARK: helpers

    static func validateName(_ name: String) throws(RegistryError) {
        let bytes = Array(name.utf8)
        func allowed(_ b: UInt8, first: Bool) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || (!first && (b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")))
        }
        guard (1...128).contains(bytes.count), allowed(bytes[0], first: true), bytes.dropFirst().allSatisfy({ allowed($0, first: false) }) else {
            throw RegistryError(.invalidParameter, "model name must be 1 to 128 of a-z 0-9 . _ - starting with a letter or digit")
        }
    }

    func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// Runs `body` against the store, turning a ``StoreError`` into `storage` (`conflict` for a
    /// constraint violation).
    func store<T>(_ body: () async throws(StoreError) -> T) async throws(RegistryError) -> T {
        do { return try await body() } catch {
            throw Self.mapped(error)
        }
    }

    func decoding(_ body: () throws(StoreError) -> Void) throws(RegistryError) {
        do { try body() } catch { throw Self.mapped(error) }
    }

    static func mapped(_ error: StoreError) -> RegistryError {
        if error.code == .constraint {
            return RegistryError(.conflict, "registry: the change conflicts with a committed record (\(error.message))", underlying: error)
        }
        return RegistryError(.storage, "registry: \(error.message)", underlying: error)
    }

    /// One transaction whose body throws ``RegistryError``.
    func write<T: Sendable>(_ body: (any SQLTransaction) async throws(RegistryError) -> T) async throws(RegistryError) -> T {
        try await database.transaction(body, storeError: { Self.mapped($0) })
    }

    func decodeModel(_ row: SQLRow) throws(RegistryError) -> ModelRecord {
        do {
            return ModelRecord(name: try row.string("name"), team: try row.string("team"),
                               riskTier: RiskTier(rawValue: try row.string("risk_tier")) ?? .critical,
                               dataClassification: DataClassification(rawValue: try row.string("data_classification")) ?? .restricted,
                               createdBy: try row.string("created_by"), createdAt: date(try row.int64("created_at")))
        } catch { throw Self.mapped(error) }
    }

    func decodeVersion(_ row: SQLRow) throws(RegistryError) -> ModelVersion {
        do {
            let report: GateReport? = try (row.decode("gate_report", as: String?.self)).flatMap {
                try? JSONDecoder().decode(GateReport.self, from: Data($0.utf8))
            }
            var override: GateOverrideRecord?
            if let by: String = try row.decode("override_by"), let reason: String = try row.decode("override_reason"),
               let at: Int64 = try row.decode("override_at") {
                override = GateOverrideRecord(by: by, reason: reason, at: date(at))
            }
            let parent: Int? = try row.decode("parent_version")
            return ModelVersion(
                model: try row.string("model_name"), number: try row.int("number"),
                state: VersionState(rawValue: try row.string("state")) ?? .revoked,
                uploader: try row.string("uploader"), uploaderTeam: try row.decode("uploader_team"),
                sha256: try row.string("sha256"), size: try row.int64("size"), filename: try row.string("filename"),
                lineage: Lineage(datasetManifestDigest: try row.decode("dataset_digest"), trainingCommand: try row.decode("training_command"), parentVersion: parent),
                gateReport: report, override: override,
                hasSignature: !(try row.isNull("signature_bundle")), hasAttestation: !(try row.isNull("attestation_bundle")),
                revocationReason: try row.decode("revocation_reason"), createdAt: date(try row.int64("created_at")))
        } catch { throw Self.mapped(error) }
    }
}
