import Crypto
public import Foundation
internal import Glibc

/// The server's 256-bit key that encrypts TOTP secrets at rest (AES-256-GCM), read from a file
/// of exactly 32 raw bytes that only its owner may read (mode 0600).
///
/// Where it lives: beside a SQLite database as `<database file>.accounts-key` (see
/// ``defaultPath(forSQLitePath:)``), or wherever `--key-file` says (required for PostgreSQL,
/// where every node needs the same file). Losing the key makes every TOTP enrolment unusable
/// (users then log in with a recovery code and enrol again); leaking it together with a copy of
/// the database reveals the TOTP secrets. `description` never shows the key.
///
/// ```swift
/// let key = try AccountServerKey.loadOrCreate(at: "/var/lib/bulwark/bulwark.db.accounts-key")
/// ```
public struct AccountServerKey: Sendable, CustomStringConvertible {
    /// The key's length in bytes.
    public static let byteCount = 32
    let key: SymmetricKey

    /// A key from 32 bytes (for tests and for keys kept in a secret manager).
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` unless `bytes` holds exactly 32 bytes.
    public init(bytes: [UInt8]) throws(AccessError) {
        guard bytes.count == Self.byteCount else {
            throw AccessError(.invalidParameter, "account server key: \(bytes.count) bytes, expected \(Self.byteCount)")
        }
        key = SymmetricKey(data: bytes)
    }

    /// A fresh random key (not saved anywhere).
    public static func generate() -> AccountServerKey {
        AccountServerKey(key: SymmetricKey(size: .bits256))
    }

    private init(key: SymmetricKey) { self.key = key }

    /// Where the key of the SQLite database at `path` lives by default: `<path>.accounts-key`.
    public static func defaultPath(forSQLitePath path: String) -> String { path + ".accounts-key" }

    /// Reads the key file at `path`.
    ///
    /// - Throws: ``AccessError`` `.io` when the file cannot be read, `.invalidParameter` when it
    ///   does not hold exactly 32 bytes or group or others may read or write it.
    public static func load(from path: String) throws(AccessError) -> AccountServerKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw AccessError(.io, "\(path): cannot read the account server key (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw AccessError(.invalidParameter, "\(path): the account server key must be readable by its owner only (chmod 600)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AccessError(.io, "\(path): cannot read the account server key")
        }
        do throws(AccessError) {
            return try AccountServerKey(bytes: Array(data))
        } catch {
            throw AccessError(.invalidParameter, "\(path): \(data.count) bytes, expected a \(byteCount)-byte account server key")
        }
    }

    /// Reads the key file at `path`, or creates it with a fresh key (mode 0600, refusing to
    /// replace a file that appears meanwhile) when it does not exist. Returns the key and
    /// whether it was created.
    ///
    /// - Throws: ``AccessError`` `.io` when the file cannot be read or written; see ``load(from:)``.
    public static func loadOrCreate(at path: String) throws(AccessError) -> (key: AccountServerKey, created: Bool) {
        if FileManager.default.fileExists(atPath: path) { return (try load(from: path), false) }
        let fresh = generate()
        let bytes = fresh.key.withUnsafeBytes { Array($0) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw AccessError(.io, "\(path): cannot create the account server key (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            unlink(path)
            throw AccessError(.io, "\(path): cannot write the account server key")
        }
        return (fresh, true)
    }

    /// AES-256-GCM of `plaintext` bound to `context` (nonce, ciphertext and tag, concatenated).
    func sealSecret(_ plaintext: [UInt8], context: String) throws(AccessError) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: Array(context.utf8))
            guard let combined = box.combined else { throw AccessError(.invalidParameter, "AES-GCM: no combined form") }
            return Array(combined)
        } catch {
            throw AccessError(.invalidParameter, "account server key: encryption failed")
        }
    }

    /// Opens what ``sealSecret(_:context:)`` made for the same `context`.
    ///
    /// - Throws: ``AccessError`` `.tampered` when the bytes or context do not authenticate
    ///   (another key, another user's row, a modified row).
    func openSecret(_ sealed: [UInt8], context: String) throws(AccessError) -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: Array(context.utf8)))
        } catch {
            throw AccessError(.tampered, "stored TOTP secret does not decrypt under the account server key (wrong key file, or a modified row)")
        }
    }

    /// Says that this is a key, never its bytes.
    public var description: String { "AccountServerKey(256-bit)" }
}
