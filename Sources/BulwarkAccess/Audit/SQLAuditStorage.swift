public import BulwarkStore
internal import Foundation
internal import Synchronization

/// An ``AuditStorage`` in a SQL database (SQLite or PostgreSQL, see `openDatabase`), shared safely
/// by several server processes.
///
/// Schema (migration namespace `audit`):
/// - `audit_entries (idx BIGINT PRIMARY KEY, entry BLOB/BYTEA, leaf_hash BLOB/BYTEA)`: the entry's
///   ``AuditEntry/canonicalBytes`` and its RFC 6962 leaf hash, which doubles as the level-0 node;
/// - `audit_nodes (level, idx, hash, PRIMARY KEY (level, idx))`: complete subtrees of level ≥ 1.
///
/// Every append is one transaction under the lock ``appendLockKey`` (`pg_advisory_xact_lock` on
/// PostgreSQL, the write lock on SQLite) that reads the log's size first and refuses an index that
/// is not next. ``AuditLog`` appends through `appendAtEnd`, which stores a whole group commit
/// (every append queued while the previous transaction was committing) in one transaction of a
/// few statements — lock, size, one multi-row insert per table — and re-reads the frontier when
/// another process appended meanwhile, so two logs over one database never conflict.
///
/// How durable a commit is follows the database: on SQLite `DatabaseOptions.sqliteSynchronous`
/// (`FULL` by default: every commit is fsynced; `NORMAL`: survives a killed process, may lose
/// the last commits on power loss), on PostgreSQL the server's `synchronous_commit`.
///
/// Entries are read back from their stored bytes, so edits made directly in the database reach
/// ``AuditVerifier``; bytes that no longer decode come back as an entry whose action is
/// ``undecodableAction`` (and whose leaf hash therefore differs from the stored one).
///
/// ```swift
/// let database = try await openDatabase("sqlite:/var/lib/bulwark/bulwark.db")
/// let storage = try await SQLAuditStorage(database: database)
/// let signer = try NoteSigner.generate(name: "bulwark.example/audit")
/// let log = try await AuditLog(storage: storage, origin: "bulwark.example/audit", signer: signer)
/// _ = try await log.append(AuditEvent(actor: "ana", action: "login", resource: "session", outcome: .succeeded))
/// ```
public final class SQLAuditStorage: AuditStorage, SharedAuditStorage {
    /// The database the log lives in.
    public let database: any SQLDatabase
    /// Where the previous ``entries(offset:limit:)`` call stopped: (next offset, last idx read),
    /// so a sequential scan continues by key instead of skipping `offset` rows each time.
    private let cursor = Mutex<(offset: UInt64, lastIndex: Int64)?>(nil)

    /// The lock every append takes (see `SQLTransaction.lock(key:)`).
    public static let appendLockKey = "bulwark.audit.append"

    /// The `action` of an entry whose stored bytes no longer decode.
    public static let undecodableAction = "audit.undecodable"

    /// The most node keys bound in one statement.
    private static let nodesPerQuery = 2000

    /// The most entry rows inserted by one statement (3 bindings each, and as many node rows).
    private static let rowsPerInsert = 400

    /// The audit schema's migrations (namespace `audit`).
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "create audit entries and nodes",
                  sqlite: """
                      CREATE TABLE audit_entries (idx INTEGER PRIMARY KEY, entry BLOB NOT NULL, leaf_hash BLOB NOT NULL);
                      CREATE TABLE audit_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
                          PRIMARY KEY (level, idx)) WITHOUT ROWID
                      """,
                  postgres: """
                      CREATE TABLE audit_entries (idx BIGINT PRIMARY KEY, entry BYTEA NOT NULL, leaf_hash BYTEA NOT NULL);
                      CREATE TABLE audit_nodes (level BIGINT NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL,
                          PRIMARY KEY (level, idx))
                      """),
    ]

    /// Opens the audit log kept in `database`, creating or upgrading its tables; throws
    /// `.storage` when the migration fails.
    public init(database: any SQLDatabase) async throws(AccessError) {
        self.database = database
        do {
            try await Migrator(namespace: "audit", Self.migrations).migrate(database)
        } catch {
            throw AccessError(.storage, "\(database): cannot prepare the audit tables (\(error.message))", underlying: error)
        }
    }

    /// Opens the database at `location` (`sqlite:PATH`, a file path, or a `postgres://` URL; see
    /// `openDatabase`) and the audit log in it; throws `.storage` when either fails.
    public static func open(_ location: String) async throws(AccessError) -> SQLAuditStorage {
        let database: any SQLDatabase
        do {
            database = try await openDatabase(location)
        } catch {
            throw AccessError(.storage, error.message, underlying: error)
        }
        do {
            return try await SQLAuditStorage(database: database)
        } catch {
            await database.close()
            throw error
        }
    }

    /// Closes the underlying database (see `SQLDatabase.close()`).
    public func close() async {
        await database.close()
    }

    // MARK: reads

    /// One more than the highest stored index (0 when empty); one index lookup, not a row count.
    public func count() async throws(AccessError) -> UInt64 {
        try await Self.count(database)
    }

    /// Up to `limit` stored rows in ascending `idx` order from the `offset`-th row, decoded from
    /// their stored bytes; rows behind a gap in `idx` are returned like any other.
    public func entries(offset: UInt64, limit: Int) async throws(AccessError) -> [AuditEntry] {
        guard limit > 0, offset <= UInt64(Int64.max) else { return [] }
        let statement: SQLStatement
        if let last = cursor.withLock({ $0 }), last.offset == offset {
            statement = SQLStatement("SELECT idx, entry FROM audit_entries WHERE idx > ? ORDER BY idx LIMIT ?",
                                     [.integer(last.lastIndex), .integer(Int64(limit))])
        } else {
            statement = SQLStatement("SELECT idx, entry FROM audit_entries ORDER BY idx LIMIT ? OFFSET ?",
                                     [.integer(Int64(limit)), .integer(Int64(offset))])
        }
        let rows = try await Self.run(database) { () async throws(StoreError) in try await database.query(statement) }
        var entries: [AuditEntry] = []
        entries.reserveCapacity(rows.count)
        var lastIndex: Int64?
        for row in rows {
            let (index, bytes) = try Self.decodeRow(row)
            lastIndex = index
            entries.append(Self.entry(index: index, bytes: bytes))
        }
        if let lastIndex {
            let next = offset + UInt64(rows.count)
            cursor.withLock { $0 = (next, lastIndex) }
        }
        return entries
    }

    /// The stored hashes of `ids` (leaves from `audit_entries.leaf_hash`), `nil` where missing.
    public func nodeHashes(_ ids: [MerkleNodeID]) async throws(AccessError) -> [MerkleHash?] {
        try await Self.nodeHashes(ids, database)
    }

    // MARK: appends

    /// Appends `entry` and its completed nodes in one transaction under ``appendLockKey``;
    /// throws `.storage` (storing nothing) when `entry.index` is not the current ``count()``.
    public func append(_ entry: AuditEntry, nodes: [(MerkleNodeID, MerkleHash)]) async throws(AccessError) {
        try await database.transaction({ (tx: any SQLTransaction) async throws(AccessError) in
            try await Self.run(tx) { () async throws(StoreError) in try await tx.lock(key: Self.appendLockKey) }
            let count = try await Self.count(tx)
            guard entry.index == count else {
                throw AccessError(.storage, "audit storage: entry \(entry.index) is not next; the log holds \(count) entries")
            }
            try await Self.insert([(entry.index, entry.canonicalBytes)], nodes: nodes, tx)
        }, storeError: { Self.storageError($0) })
    }

    package func appendAtEnd(frontier: MerkleFrontier, count: Int,
                             makeEntry: @Sendable (UInt64, Int) -> AuditEntry) async throws(AccessError)
        -> (entries: [AuditEntry], frontier: MerkleFrontier, nodes: [(MerkleNodeID, MerkleHash)]) {
        try await database.transaction({ (tx: any SQLTransaction) async throws(AccessError)
            -> (entries: [AuditEntry], frontier: MerkleFrontier, nodes: [(MerkleNodeID, MerkleHash)]) in
            try await Self.run(tx) { () async throws(StoreError) in try await tx.lock(key: Self.appendLockKey) }
            var current = try await Self.frontier(tx, cached: frontier)
            var entries: [AuditEntry] = []
            entries.reserveCapacity(count)
            var rows: [(UInt64, [UInt8])] = []
            var nodes: [(MerkleNodeID, MerkleHash)] = []
            var completed: [(MerkleNodeID, MerkleHash)] = []
            completed.reserveCapacity(2 * max(0, count))
            for position in 0..<max(0, count) {
                let entry = makeEntry(current.size, position)
                let bytes = entry.canonicalBytes
                guard entry.index == current.size else {
                    throw AccessError(.storage, "audit storage: entry \(entry.index) is not next (\(current.size))")
                }
                guard bytes.count <= AuditEntry.maximumEncodedBytes else {
                    throw AccessError(.invalidParameter, "audit entry \(entry.index): \(bytes.count) bytes exceed the limit of \(AuditEntry.maximumEncodedBytes)")
                }
                nodes += current.append(.leaf(bytes))
                rows.append((entry.index, bytes))
                entries.append(entry)
                if rows.count == Self.rowsPerInsert {
                    try await Self.insert(rows, nodes: nodes, tx)
                    completed += nodes
                    rows.removeAll(keepingCapacity: true)
                    nodes.removeAll(keepingCapacity: true)
                }
            }
            try await Self.insert(rows, nodes: nodes, tx)
            completed += nodes
            return (entries, current, completed)
        }, storeError: { Self.storageError($0) })
    }

    package func currentFrontier() async throws(AccessError) -> MerkleFrontier {
        try await database.transaction({ (tx: any SQLTransaction) async throws(AccessError) -> MerkleFrontier in
            try await Self.frontier(tx, cached: nil)
        }, storeError: { Self.storageError($0) })
    }

    /// Appends `entries` (which must continue the log from `frontier`) in one transaction, as a
    /// fast path to fill a log for benchmarks and imports; returns the frontier after them.
    package func appendBulk(_ entries: [AuditEntry], frontier: MerkleFrontier) async throws(AccessError) -> MerkleFrontier {
        try await database.transaction({ (tx: any SQLTransaction) async throws(AccessError) -> MerkleFrontier in
            try await Self.run(tx) { () async throws(StoreError) in try await tx.lock(key: Self.appendLockKey) }
            var current = try await Self.frontier(tx, cached: frontier)
            guard current.size == frontier.size else {
                throw AccessError(.storage, "audit storage: bulk append expected \(frontier.size) entries, the log holds \(current.size)")
            }
            var rows: [(UInt64, [UInt8])] = []
            var nodes: [(MerkleNodeID, MerkleHash)] = []
            for entry in entries {
                guard entry.index == current.size else {
                    throw AccessError(.storage, "audit storage: bulk entry \(entry.index) is not next (\(current.size))")
                }
                let bytes = entry.canonicalBytes
                nodes += current.append(.leaf(bytes))
                rows.append((entry.index, bytes))
                if rows.count == Self.rowsPerInsert {
                    try await Self.insert(rows, nodes: nodes, tx)
                    rows.removeAll(keepingCapacity: true)
                    nodes.removeAll(keepingCapacity: true)
                }
            }
            try await Self.insert(rows, nodes: nodes, tx)
            return current
        }, storeError: { Self.storageError($0) })
    }

    // MARK: helpers

    private static func storageError(_ error: StoreError) -> AccessError {
        AccessError(.storage, "audit storage: \(error.message)", underlying: error)
    }

    /// Runs a store call, turning its error into `.storage`.
    private static func run<T>(_ executor: any SQLExecutor, _ body: () async throws(StoreError) -> T) async throws(AccessError) -> T {
        do {
            return try await body()
        } catch {
            throw storageError(error)
        }
    }

    private static func count(_ executor: any SQLExecutor) async throws(AccessError) -> UInt64 {
        let rows = try await run(executor) { () async throws(StoreError) in
            try await executor.query("SELECT MAX(idx) AS top FROM audit_entries")
        }
        do {
            guard let row = rows.first, try !row.isNull("top") else { return 0 }
            let top = try row.int64("top")
            guard top >= 0 else { throw AccessError(.storage, "audit storage: negative entry index \(top)") }
            return UInt64(top) + 1
        } catch let error as AccessError {
            throw error
        } catch {
            throw storageError(error as? StoreError ?? StoreError(.decoding, "audit storage: cannot read the entry count"))
        }
    }

    /// The frontier of the log as stored now: `cached` when its size is still the log's size
    /// (an append-only log's frontier at a size never changes), else read from the node table.
    private static func frontier(_ executor: any SQLExecutor, cached: MerkleFrontier?) async throws(AccessError) -> MerkleFrontier {
        let size = try await count(executor)
        if let cached, cached.size == size { return cached }
        let ids = MerkleTree.decomposition(of: 0..<size)
        let hashes = try await nodeHashes(ids, executor)
        var frontier: [MerkleHash] = []
        for (id, hash) in zip(ids, hashes) {
            guard let hash else { throw AccessError(.storage, "audit storage: node \(id) of a \(size)-entry log is missing") }
            frontier.append(hash)
        }
        return MerkleFrontier(size: size, hashes: frontier)
    }

    private static func nodeHashes(_ ids: [MerkleNodeID], _ executor: any SQLExecutor) async throws(AccessError) -> [MerkleHash?] {
        var found: [MerkleNodeID: MerkleHash] = [:]
        var start = 0
        while start < ids.count {
            let chunk = ids[start..<min(ids.count, start + nodesPerQuery)]
            start += chunk.count
            // One SELECT per level, joined by UNION ALL, so each part is a primary-key lookup.
            var byLevel: [Int: [UInt64]] = [:]
            for id in chunk where id.level >= 0 && id.level < 64 && id.index <= UInt64(Int64.max) {
                byLevel[id.level, default: []].append(id.index)
            }
            if byLevel.isEmpty { continue }
            var parts: [String] = []
            var bindings: [SQLValue] = []
            for (level, indices) in byLevel.sorted(by: { $0.key < $1.key }) {
                let marks = Array(repeating: "?", count: indices.count).joined(separator: ",")
                if level == 0 {
                    parts.append("SELECT 0 AS level, idx, leaf_hash AS hash FROM audit_entries WHERE idx IN (\(marks))")
                } else {
                    parts.append("SELECT level, idx, hash FROM audit_nodes WHERE level = ? AND idx IN (\(marks))")
                    bindings.append(.integer(Int64(level)))
                }
                bindings += indices.map { .integer(Int64($0)) }
            }
            let statement = SQLStatement(parts.joined(separator: " UNION ALL "), bindings)
            let rows = try await run(executor) { () async throws(StoreError) in try await executor.query(statement) }
            for row in rows {
                do {
                    let level = try row.int64("level")
                    let index = try row.int64("idx")
                    let bytes = try row.bytes("hash")
                    // A hash of the wrong length reads as missing, which the verifier reports.
                    guard level >= 0, index >= 0, let hash = MerkleHash(bytes: bytes) else { continue }
                    found[MerkleNodeID(level: Int(level), index: UInt64(index))] = hash
                } catch {
                    throw storageError(error)
                }
            }
        }
        return ids.map { found[$0] }
    }

    private static func insert(_ entries: [(UInt64, [UInt8])], nodes: [(MerkleNodeID, MerkleHash)], _ tx: any SQLTransaction) async throws(AccessError) {
        var leafHashes: [UInt64: MerkleHash] = [:]
        var inner: [(MerkleNodeID, MerkleHash)] = []
        for (id, hash) in nodes {
            if id.level == 0 { leafHashes[id.index] = hash } else { inner.append((id, hash)) }
        }
        if !entries.isEmpty {
            var bindings: [SQLValue] = []
            for (index, bytes) in entries {
                guard index <= UInt64(Int64.max) else { throw AccessError(.invalidParameter, "audit entry \(index): index out of range") }
                bindings += [.integer(Int64(index)), .blob(bytes), .blob((leafHashes[index] ?? .leaf(bytes)).bytes)]
            }
            let values = Array(repeating: "(?, ?, ?)", count: entries.count).joined(separator: ", ")
            let statement = SQLStatement("INSERT INTO audit_entries (idx, entry, leaf_hash) VALUES \(values)", bindings)
            try await run(tx) { () async throws(StoreError) in try await tx.execute(statement) }
        }
        if !inner.isEmpty {
            var bindings: [SQLValue] = []
            for (id, hash) in inner {
                bindings += [.integer(Int64(id.level)), .integer(Int64(clamping: id.index)), .blob(hash.bytes)]
            }
            let values = Array(repeating: "(?, ?, ?)", count: inner.count).joined(separator: ", ")
            let statement = SQLStatement("INSERT INTO audit_nodes (level, idx, hash) VALUES \(values)", bindings)
            try await run(tx) { () async throws(StoreError) in try await tx.execute(statement) }
        }
    }

    private static func decodeRow(_ row: SQLRow) throws(AccessError) -> (Int64, [UInt8]) {
        do {
            return (try row.int64("idx"), try row.bytes("entry"))
        } catch {
            throw storageError(error)
        }
    }

    /// The entry stored as `bytes` at `index`; bytes that do not decode give a placeholder
    /// entry (action ``undecodableAction``) carrying their length and first bytes (hex) in `details`.
    private static func entry(index: Int64, bytes: [UInt8]) -> AuditEntry {
        if let entry = try? JSONDecoder().decode(AuditEntry.self, from: Data(bytes)) { return entry }
        let prefix = bytes.prefix(64).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        return AuditEntry(index: UInt64(max(0, index)), timeUnixMilliseconds: 0, event: AuditEvent(
            actor: "", action: undecodableAction, resource: "", outcome: AuditOutcome(rawValue: "undecodable"),
            details: ["storedBytes": "\(bytes.count)", "storedPrefixHex": prefix]))
    }
}
