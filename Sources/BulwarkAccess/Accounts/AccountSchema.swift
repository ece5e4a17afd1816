import BulwarkStore
import Foundation

/// The tables of the `accounts` migration namespace. Times are seconds since 1970 (`REAL` /
/// `DOUBLE PRECISION`); secrets appear only as digests or AES-GCM ciphertext.
enum AccountSchema {
    static let namespace = "accounts"

    /// Version 1, written once with `{INT}`, `{REAL}` and `{BLOB}` for the column types that
    /// differ between SQLite and PostgreSQL.
    static let version1 = """
        CREATE TABLE accounts_users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT,
            team TEXT,
            roles TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created_at {REAL} NOT NULL,
            disabled_at {REAL});
        CREATE TABLE accounts_totp (
            user_id TEXT PRIMARY KEY REFERENCES accounts_users (id),
            sealed_secret {BLOB} NOT NULL,
            algorithm TEXT NOT NULL,
            digits {INT} NOT NULL,
            period_seconds {INT} NOT NULL,
            enrolled_at {REAL} NOT NULL,
            last_step {INT});
        CREATE TABLE accounts_recovery_codes (
            user_id TEXT NOT NULL REFERENCES accounts_users (id),
            position {INT} NOT NULL,
            digest TEXT NOT NULL,
            used_at {REAL},
            PRIMARY KEY (user_id, position));
        CREATE TABLE accounts_pending_logins (
            id TEXT PRIMARY KEY,
            secret_digest TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES accounts_users (id),
            created_at {REAL} NOT NULL,
            expires_at {REAL} NOT NULL,
            failures {INT} NOT NULL);
        CREATE TABLE accounts_sessions (
            id TEXT PRIMARY KEY,
            secret_digest TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES accounts_users (id),
            created_at {REAL} NOT NULL,
            last_seen_at {REAL} NOT NULL,
            idle_timeout_seconds {REAL} NOT NULL,
            expires_at {REAL} NOT NULL,
            mfa_verified_at {REAL},
            revoked_at {REAL});
        CREATE INDEX accounts_sessions_user ON accounts_sessions (user_id);
        CREATE TABLE accounts_service_accounts (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            owner_user_id TEXT REFERENCES accounts_users (id),
            created_at {REAL} NOT NULL,
            disabled_at {REAL});
        CREATE TABLE accounts_api_tokens (
            id TEXT PRIMARY KEY,
            service_account_id TEXT NOT NULL REFERENCES accounts_service_accounts (id),
            name TEXT NOT NULL,
            scopes TEXT NOT NULL,
            secret_digest TEXT NOT NULL,
            created_at {REAL} NOT NULL,
            expires_at {REAL} NOT NULL,
            last_used_at {REAL},
            revoked_at {REAL});
        CREATE TABLE accounts_throttle (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            state TEXT NOT NULL,
            PRIMARY KEY (kind, key))
        """

    /// Version 3: WebAuthn credentials (keyed by the base64url credential ID, unique across
    /// users) and the ceremonies in flight, at most one per `(kind, subject)`: a registration
    /// is bound to its user, an authentication to its pending login. A challenge row is deleted
    /// when its response arrives, whatever the outcome, so each verifies at most once.
    static let webAuthn = """
        CREATE TABLE accounts_webauthn_credentials (
            credential_id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES accounts_users (id),
            name TEXT NOT NULL,
            user_handle {BLOB} NOT NULL,
            public_key {BLOB} NOT NULL,
            sign_count {INT} NOT NULL,
            aaguid {BLOB} NOT NULL,
            transports TEXT NOT NULL,
            backup_eligible {INT} NOT NULL,
            backup_state {INT} NOT NULL,
            user_verified_at_registration {INT} NOT NULL,
            attestation_type TEXT NOT NULL,
            created_at {REAL} NOT NULL,
            last_used_at {REAL});
        CREATE INDEX accounts_webauthn_credentials_user ON accounts_webauthn_credentials (user_id);
        CREATE TABLE accounts_webauthn_challenges (
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES accounts_users (id),
            state TEXT NOT NULL,
            created_at {REAL} NOT NULL,
            expires_at {REAL} NOT NULL,
            PRIMARY KEY (kind, subject))
        """

    static func script(_ template: String, _ dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite:
            template.replacingOccurrences(of: "{INT}", with: "INTEGER").replacingOccurrences(of: "{REAL}", with: "REAL")
                .replacingOccurrences(of: "{BLOB}", with: "BLOB")
        case .postgres:
            template.replacingOccurrences(of: "{INT}", with: "BIGINT").replacingOccurrences(of: "{REAL}", with: "DOUBLE PRECISION")
                .replacingOccurrences(of: "{BLOB}", with: "BYTEA")
        }
    }

    /// Service accounts get roles (comma-separated, like users') and a team.
    static let serviceAccountRoles = """
        ALTER TABLE accounts_service_accounts ADD COLUMN roles TEXT NOT NULL DEFAULT '';
        ALTER TABLE accounts_service_accounts ADD COLUMN team TEXT
        """

    static func migrator() throws(StoreError) -> Migrator {
        try Migrator(namespace: namespace, [
            Migration(version: 1, name: "users, mfa, sessions, tokens, throttle",
                      sqlite: script(version1, .sqlite), postgres: script(version1, .postgres)),
            Migration(version: 2, name: "service account roles and team", sql: serviceAccountRoles),
            Migration(version: 3, name: "webauthn credentials and challenges",
                      sqlite: script(webAuthn, .sqlite), postgres: script(webAuthn, .postgres)),
        ])
    }
}
