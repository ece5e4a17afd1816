/// Where an audit log keeps its entries and the hashes of its complete subtrees.
///
/// The contract is append-only and shaped for a SQL table pair: `audit_entries(index PRIMARY
/// KEY, …entry columns…)` and `audit_nodes(level, index, hash, PRIMARY KEY(level, index))`.
/// ``append(_:nodes:)`` writes one entry and the node hashes that became complete with it in one
/// transaction; every read is by key, so a root or a proof costs O(log n) node reads (batched
/// into one ``nodeHashes(_:)`` call) whatever the log's size.
///
/// Stored node hashes are a cache for speed, never a source of truth: ``AuditVerifier``
/// recomputes them from the entries and reports any difference.
public protocol AuditStorage: Sendable {
    /// The number of entries appended so far (one more than the highest index).
    func count() async throws(AccessError) -> UInt64

    /// Appends `entry` and the hashes of the subtrees it completes, atomically.
    ///
    /// Throws ``AccessError`` `.storage` (and stores nothing) when `entry.index` is not the
    /// current ``count()``: a second writer got there first.
    func append(_ entry: AuditEntry, nodes: [(MerkleNodeID, MerkleHash)]) async throws(AccessError)

    /// Up to `limit` stored entries in storage order (ascending index key), starting at the
    /// `offset`-th stored row; fewer at the end. What was stored is returned as stored, so a
    /// verifier sees gaps, duplicates and edits made behind the log's back.
    func entries(offset: UInt64, limit: Int) async throws(AccessError) -> [AuditEntry]

    /// The stored hashes of `ids`, in the same order; `nil` for a node not stored.
    func nodeHashes(_ ids: [MerkleNodeID]) async throws(AccessError) -> [MerkleHash?]
}

/// An ``AuditStorage`` that several writers (server processes sharing one database) append to:
/// ``AuditLog`` appends through ``appendAtEnd(frontier:count:makeEntry:)`` instead of
/// ``AuditStorage/append(_:nodes:)``, so an append never fails because another writer got there
/// first, and the log's in-memory frontier is brought up to date by the same transaction.
package protocol SharedAuditStorage: AuditStorage {
    /// In one transaction holding the storage's append lock: reads the log's size `n`; takes
    /// `frontier` when its size is `n` and otherwise reads the frontier of `n` entries; builds
    /// `count` entries with `makeEntry(n + k, k)` for `k` in `0..<count`, stores them with the
    /// nodes they complete, and returns them with the frontier after them and those nodes (the
    /// leaves and every subtree they completed, as stored). One commit (one fsync) for the lot;
    /// stores nothing when it throws (`.invalidParameter` for an entry whose encoding exceeds
    /// ``AuditEntry/maximumEncodedBytes``, `.storage` when the database fails).
    func appendAtEnd(frontier: MerkleFrontier, count: Int,
                     makeEntry: @Sendable (UInt64, Int) -> AuditEntry) async throws(AccessError)
        -> (entries: [AuditEntry], frontier: MerkleFrontier, nodes: [(MerkleNodeID, MerkleHash)])

    /// The frontier of the log as stored now, read in one transaction.
    func currentFrontier() async throws(AccessError) -> MerkleFrontier
}

/// An ``AuditStorage`` in memory: for tests, for a single process that exports its log
/// elsewhere, and as the reference a SQL implementation is tested against.
///
/// Node hashes are kept per level in flat arrays, so a million entries cost about 64 MB of
/// hashes plus the entries themselves.
///
/// ```swift
/// let storage = InMemoryAuditStorage()
/// let signer = try NoteSigner.generate(name: "bulwark.example/audit")
/// let log = try await AuditLog(storage: storage, origin: "bulwark.example/audit", signer: signer)
/// _ = try await log.append(AuditEvent(actor: "ana", action: "login", resource: "session", outcome: .succeeded))
/// print(try await storage.count())  // 1
/// ```
public actor InMemoryAuditStorage: AuditStorage {
    private var storedEntries: [AuditEntry]
    private var levels: [[MerkleHash]]

    /// An empty log.
    public init() {
        storedEntries = []
        levels = []
    }

    /// A storage holding exactly `entries` and `nodes`, as a database dump would restore them:
    /// nothing is checked, which is what lets a test stage a tampered database. Nodes whose index
    /// leaves a hole in their level are dropped.
    public init(entries: [AuditEntry], nodes: [MerkleNodeID: MerkleHash]) {
        storedEntries = entries
        var levels: [[MerkleHash]] = []
        for id in nodes.keys.sorted() {
            guard id.level >= 0, id.level < 64 else { continue }
            while levels.count <= id.level { levels.append([]) }
            if UInt64(levels[id.level].count) == id.index, let hash = nodes[id] { levels[id.level].append(hash) }
        }
        self.levels = levels
    }

    /// Everything stored, for dumping and for staging tampered copies in tests.
    public func contents() -> (entries: [AuditEntry], nodes: [MerkleNodeID: MerkleHash]) {
        var nodes: [MerkleNodeID: MerkleHash] = [:]
        for (level, hashes) in levels.enumerated() {
            for (index, hash) in hashes.enumerated() { nodes[MerkleNodeID(level: level, index: UInt64(index))] = hash }
        }
        return (storedEntries, nodes)
    }

    /// The number of stored entries.
    public func count() -> UInt64 { UInt64(storedEntries.count) }

    /// Appends `entry` and its completed node hashes, refusing an index that is not next.
    public func append(_ entry: AuditEntry, nodes: [(MerkleNodeID, MerkleHash)]) throws(AccessError) {
        guard entry.index == UInt64(storedEntries.count) else {
            throw AccessError(.storage, "audit storage: entry \(entry.index) is not next; the log holds \(storedEntries.count) entries")
        }
        for (id, _) in nodes {
            guard id.level >= 0, id.level < 64, id.level <= levels.count,
                  id.index == UInt64(id.level < levels.count ? levels[id.level].count : 0) else {
                throw AccessError(.storage, "audit storage: node \(id) is not the next node of its level")
            }
        }
        storedEntries.append(entry)
        for (id, hash) in nodes {
            if id.level == levels.count { levels.append([]) }
            levels[id.level].append(hash)
        }
    }

    /// Up to `limit` entries from the `offset`-th.
    public func entries(offset: UInt64, limit: Int) -> [AuditEntry] {
        guard offset < UInt64(storedEntries.count), limit > 0 else { return [] }
        let start = Int(offset)
        return Array(storedEntries[start..<min(storedEntries.count, start + limit)])
    }

    /// The stored hashes of `ids`.
    public func nodeHashes(_ ids: [MerkleNodeID]) -> [MerkleHash?] {
        ids.map { id in
            guard id.level >= 0, id.level < levels.count, id.index < UInt64(levels[id.level].count) else { return nil }
            return levels[id.level][Int(id.index)]
        }
    }
}
