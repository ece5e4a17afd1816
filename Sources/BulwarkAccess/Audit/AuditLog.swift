internal import Foundation

/// The append-only audit log: entries are leaves of an RFC 6962 Merkle tree whose heads it signs
/// as C2SP checkpoints, with inclusion and consistency proofs served from stored subtree hashes.
///
/// An append hashes the entry once and combines it with the log's *frontier* (the roots of the
/// complete subtrees covering the log, one per set bit of its size, kept in memory), so it costs
/// O(log n) hashes and one storage write, never a recomputation. Proofs at any earlier size read
/// O(log n) stored node hashes in one batch.
///
/// Appends are serialised in arrival order; reads run alongside them and see only committed
/// entries. Several logs (in several processes) may share one ``SQLAuditStorage``: each append
/// takes the database's append lock and continues from whatever is stored, so the tree stays one
/// sequence. ``size``, ``rootHash`` and ``checkpoint()`` describe the entries as of this log's last
/// append or ``refresh()``; call ``refresh()`` before signing a head others may have extended.
///
/// ```swift
/// let signer = try NoteSigner.generate(name: "bulwark.example/audit")
/// let log = try await AuditLog(storage: InMemoryAuditStorage(), origin: "bulwark.example/audit", signer: signer)
/// let entry = try await log.append(AuditEvent(actor: "ana", action: "login", resource: "session", outcome: .succeeded))
/// let proof = try await log.inclusionProof(index: entry.index, size: log.size)
/// let note = try await log.checkpoint().serialized
/// ```
public actor AuditLog {
    /// The log's origin, the first line of its checkpoints.
    public let origin: String
    private let storage: any AuditStorage
    private let signer: NoteSigner
    private let clock: @Sendable () -> Int64
    /// Roots of the complete subtrees that cover the committed entries.
    private var frontier: MerkleFrontier
    private var appending = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// The current time in milliseconds since the Unix epoch.
    public static let systemClock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Opens the log kept in `storage`, reading its frontier (O(log n) node reads).
    ///
    /// Throws `.invalidParameter` when `origin` is empty or holds a newline, and `.storage` when a
    /// frontier node is missing (the node table does not match the entry table).
    public init(storage: any AuditStorage, origin: String, signer: NoteSigner,
                clock: @escaping @Sendable () -> Int64 = AuditLog.systemClock) async throws(AccessError) {
        guard !origin.isEmpty, !origin.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw AccessError(.invalidParameter, "audit log origin: expected a non-empty line without control characters")
        }
        self.origin = origin
        self.storage = storage
        self.signer = signer
        self.clock = clock
        let count = try await storage.count()
        let ids = MerkleTree.decomposition(of: 0..<count)
        let hashes = try await storage.nodeHashes(ids)
        var frontier: [MerkleHash] = []
        for (id, hash) in zip(ids, hashes) {
            guard let hash else { throw AccessError(.storage, "audit storage: node \(id) of a \(count)-entry log is missing") }
            frontier.append(hash)
        }
        self.frontier = MerkleFrontier(size: count, hashes: frontier)
    }

    /// Appends `event` as the next entry, stamped with the clock's time, and returns it.
    ///
    /// Throws `.invalidParameter` when its canonical encoding exceeds
    /// ``AuditEntry/maximumEncodedBytes``, and `.storage` when the storage write fails (the log
    /// is then unchanged).
    public func append(_ event: AuditEvent) async throws(AccessError) -> AuditEntry {
        await acquire()
        defer { release() }
        if let shared = storage as? any SharedAuditStorage {
            let clock = self.clock
            let (entry, frontier) = try await shared.appendAtEnd(frontier: frontier) { index throws(AccessError) in
                AuditEntry(index: index, timeUnixMilliseconds: clock(), event: event)
            }
            self.frontier = frontier
            return entry
        }
        let entry = AuditEntry(index: size, timeUnixMilliseconds: clock(), event: event)
        let bytes = entry.canonicalBytes
        guard bytes.count <= AuditEntry.maximumEncodedBytes else {
            throw AccessError(.invalidParameter, "audit entry \(entry.index): \(bytes.count) bytes exceed the limit of \(AuditEntry.maximumEncodedBytes)")
        }
        var frontier = self.frontier
        let nodes = frontier.append(.leaf(bytes))
        try await storage.append(entry, nodes: nodes)
        self.frontier = frontier
        return entry
    }

    /// Brings ``size``, ``rootHash`` and ``checkpoint()`` up to the entries stored now, which
    /// other writers sharing the storage (a second server on the same database) may have added
    /// since this log's last append; O(log n) node reads when it changed.
    ///
    /// Throws `.storage` when the storage cannot be read or a frontier node is missing.
    public func refresh() async throws(AccessError) {
        await acquire()
        defer { release() }
        if let shared = storage as? any SharedAuditStorage {
            let current = try await shared.currentFrontier()
            if current.size > frontier.size { frontier = current }
            return
        }
        let count = try await storage.count()
        guard count > frontier.size else { return }
        let ids = MerkleTree.decomposition(of: 0..<count)
        let hashes = try await storage.nodeHashes(ids)
        var loaded: [MerkleHash] = []
        for (id, hash) in zip(ids, hashes) {
            guard let hash else { throw AccessError(.storage, "audit storage: node \(id) of a \(count)-entry log is missing") }
            loaded.append(hash)
        }
        frontier = MerkleFrontier(size: count, hashes: loaded)
    }

    /// The root hash of the whole log (no storage read).
    public var rootHash: MerkleHash { frontier.root }

    /// The number of committed entries.
    public var size: UInt64 { frontier.size }

    /// The current tree head, unsigned.
    public var treeHead: Checkpoint { Checkpoint(origin: origin, size: size, rootHash: rootHash) }

    /// The current tree head, signed by the log's key.
    public func checkpoint() throws(AccessError) -> SignedNote {
        try treeHead.signed(by: signer)
    }

    /// The root hash of the first `size` entries; throws `.invalidParameter` beyond the log.
    public func rootHash(size: UInt64) async throws(AccessError) -> MerkleHash {
        guard size <= self.size else {
            throw AccessError(.invalidParameter, "audit tree size \(size): the log holds \(self.size) entries")
        }
        return try await assemble([0..<size]).first ?? .emptyTree
    }

    /// The inclusion proof of entry `index` in the tree of the first `size` entries (RFC 9162
    /// §2.1.3.1); throws `.invalidParameter` unless `index < size <= self.size`.
    public func inclusionProof(index: UInt64, size: UInt64) async throws(AccessError) -> [MerkleHash] {
        guard index < size, size <= self.size else {
            throw AccessError(.invalidParameter, "audit inclusion proof: expected index < size ≤ \(self.size), got index \(index), size \(size)")
        }
        return try await assemble(MerkleTree.inclusionRanges(index: index, size: size))
    }

    /// The consistency proof from the tree of `oldSize` entries to that of `newSize` (RFC 9162
    /// §2.1.4.1); throws `.invalidParameter` unless `oldSize ≤ newSize ≤ self.size`.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) async throws(AccessError) -> [MerkleHash] {
        guard oldSize <= newSize, newSize <= self.size else {
            throw AccessError(.invalidParameter, "audit consistency proof: expected old ≤ new ≤ \(self.size), got \(oldSize) and \(newSize)")
        }
        return try await assemble(MerkleTree.consistencyRanges(from: oldSize, to: newSize))
    }

    private func assemble(_ ranges: [Range<UInt64>]) async throws(AccessError) -> [MerkleHash] {
        let ids = MerkleTree.nodes(for: ranges)
        let hashes = try await storage.nodeHashes(ids)
        var lookup: [MerkleNodeID: MerkleHash] = [:]
        for (id, hash) in zip(ids, hashes) {
            guard let hash else { throw AccessError(.storage, "audit storage: node \(id) is missing") }
            lookup[id] = hash
        }
        guard let proof = MerkleTree.assemble(ranges, from: lookup) else {
            throw AccessError(.storage, "audit storage: a node the proof needs is missing")
        }
        return proof
    }

    private func acquire() async {
        if appending {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            appending = true
        }
    }

    private func release() {
        if waiting.isEmpty {
            appending = false
        } else {
            waiting.removeFirst().resume()  // hands the turn over; `appending` stays true
        }
    }
}
