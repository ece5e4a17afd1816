internal import BulwarkStore

/// The registry's tables (migration namespace `registry`). Times are milliseconds since 1970.
enum RegistrySchema {
    static func migrator() throws(StoreError) -> Migrator {
        try Migrator(namespace: "registry", [
            Migration(version: 1, name: "create registry tables", sqlite: script(id: "INTEGER PRIMARY KEY AUTOINCREMENT", int: "INTEGER", blob: "BLOB"),
                      postgres: script(id: "BIGSERIAL PRIMARY KEY", int: "BIGINT", blob: "BYTEA")),
            // The person answerable for an upload or an approval (a service account's owner), so
            // the two-person rule counts people, not accounts.
            Migration(version: 2, name: "accountable people", sqlite: accountablePeople, postgres: accountablePeople),
        ])
    }

    private static let accountablePeople = """
        ALTER TABLE registry_versions ADD COLUMN uploader_person TEXT;
        ALTER TABLE registry_approvals ADD COLUMN approver_person TEXT
        """

    private static func script(id: String, int: String, blob: String) -> String {
        """
        CREATE TABLE registry_models (
            id \(id), name TEXT NOT NULL UNIQUE, team TEXT NOT NULL, risk_tier TEXT NOT NULL,
            data_classification TEXT NOT NULL, created_by TEXT NOT NULL, created_at \(int) NOT NULL);
        CREATE TABLE registry_versions (
            id \(id), model_id \(int) NOT NULL REFERENCES registry_models(id), number \(int) NOT NULL,
            state TEXT NOT NULL, uploader TEXT NOT NULL, uploader_team TEXT,
            sha256 TEXT NOT NULL, size \(int) NOT NULL, filename TEXT NOT NULL,
            signature_bundle \(blob), attestation_bundle \(blob),
            scan_verdict TEXT, signature_ok \(int), signer TEXT, gate_report TEXT,
            override_by TEXT, override_reason TEXT, override_at \(int),
            dataset_digest TEXT, training_command TEXT, parent_version \(int),
            revocation_reason TEXT, created_at \(int) NOT NULL,
            UNIQUE (model_id, number));
        CREATE UNIQUE INDEX registry_one_production ON registry_versions (model_id) WHERE state = 'production';
        CREATE INDEX registry_versions_sha256 ON registry_versions (sha256);
        CREATE TABLE registry_publisher_keys (
            id \(id), publisher_kind TEXT NOT NULL, publisher TEXT NOT NULL, hint TEXT NOT NULL, pem TEXT NOT NULL,
            registered_by TEXT NOT NULL, registered_at \(int) NOT NULL, UNIQUE (publisher_kind, publisher, hint));
        CREATE TABLE registry_stage_history (
            id \(id), version_id \(int) NOT NULL REFERENCES registry_versions(id), from_state TEXT, to_state TEXT NOT NULL,
            actor TEXT NOT NULL, reason TEXT, at \(int) NOT NULL);
        CREATE TABLE registry_approvals (
            version_id \(int) NOT NULL REFERENCES registry_versions(id), staging_entry \(int) NOT NULL,
            approver TEXT NOT NULL, approved_at \(int) NOT NULL, PRIMARY KEY (version_id, staging_entry, approver))
        """
    }
}
