import BulwarkStore
public import Foundation

/// An ``AccountStore`` opened from a `--database` value, with where its server key lives.
public struct OpenedAccountStore: Sendable {
    /// The store.
    public let store: AccountStore
    /// The database, as printable (without a password).
    public let databaseDescription: String
    /// The path of the account server key file.
    public let keyFile: String
    /// Whether the key file was created by this call.
    public let keyCreated: Bool
}

extension AccountStore {
    /// Opens the database at `location` (a SQLite path, `sqlite:PATH` or `postgres://…`) and
    /// its account server key: `keyFile`, or `<SQLite file>.accounts-key` by default
    /// (PostgreSQL requires `keyFile`, the same file on every node). With `createKey`, a missing
    /// key file is created (mode 0600); without it, a missing key file is an error.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for a PostgreSQL location without
    ///   `keyFile`; `.io` for an unreadable key; `.storage` when the database cannot be opened
    ///   or migrated.
    public static func open(location: String, keyFile: String?, createKey: Bool,
                            passwordParameters: Argon2idParameters = .rfc9106SecondRecommended) async throws(AccessError) -> OpenedAccountStore {
        let parsed: DatabaseLocation
        do {
            parsed = try DatabaseLocation(parsing: location)
        } catch {
            throw AccessError(.invalidParameter, error.message, underlying: error)
        }
        let keyPath: String
        switch (parsed, keyFile) {
        case (_, let given?): keyPath = given
        case (.sqlite(let path), nil): keyPath = AccountServerKey.defaultPath(forSQLitePath: path)
        case (.postgres, nil):
            throw AccessError(.invalidParameter, "--key-file: required with a PostgreSQL database (every node needs the same key)")
        }
        let key: AccountServerKey
        var created = false
        if createKey {
            (key, created) = try AccountServerKey.loadOrCreate(at: keyPath)
        } else {
            key = try AccountServerKey.load(from: keyPath)
        }
        let database: any SQLDatabase
        do {
            database = try await openDatabase(parsed)
        } catch {
            throw storage(error)
        }
        do {
            let store = try await AccountStore.open(database: database, serverKey: key, passwordParameters: passwordParameters)
            return OpenedAccountStore(store: store, databaseDescription: parsed.description, keyFile: keyPath, keyCreated: created)
        } catch {
            await database.close()
            throw error
        }
    }

    /// Closes the store's database.
    public func close() async { await database.close() }
}
