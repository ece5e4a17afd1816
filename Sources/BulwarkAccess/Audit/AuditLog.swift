internal import Foundation

/// The append-only audit log: entries are leaves of an RFC 6962 Merkle tree whose heads it signs
/// as C2SP checkpoints, with inclusion and consistency proofs served from stored subtree hashes.
///
/// An append hashes the entry once and combines it with the log's *frontier* (the roots of the
/// complete subtrees covering the log, one per set bit of its size, kept in memory), so it costs
/// O(log n) hashes and one storage write, never a recomputation. Proofs at any earlier size need
/// O(log n) node hashes: those this log committed recently come from memory (so the receipt for
/// an entry just appended costs no storage read), the others from one batched storage read.
///
/// Appends are committed in arrival order with *group commit*: while one transaction is being
/// written, appends that arrive queue up, and the next transaction (one fsync) stores all of
/// them; each caller returns only after the transaction holding its entry has committed, with its
/// own index. Reads run alongside appends and see only committed entries. Several logs (in several processes) may share one ``SQLAuditStorage``: each append
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
    /// Whether a caller is committing a batch (the *leader*); the others queue in `queue`.
    private var committing = false
    /// Appends waiting for the next commit, in arrival order.
    private var queue: [Waiter] = []
    /// The id the next append call takes, to find its own result in a batch.
    private var nextWaiterID: UInt64 = 0
    /// Node hashes this log committed or read as frontier nodes, so that a proof about recent
    /// entries — the usual one, a receipt for the entry just appended — needs no storage read.
    /// A complete subtree never changes in an append-only tree, so a cached node stays right;
    /// nodes other writers added are read from storage. Holds at most ``nodeCacheLimit``.
    private var nodeCache: [MerkleNodeID: MerkleHash] = [:]

    /// The most node hashes ``AuditLog`` keeps in memory (about 3 MiB); past it the cache starts
    /// again from the frontiers around the latest commit.
    package static let nodeCacheLimit = 1 << 16

    /// The most events one group commit stores (one call to ``append(contentsOf:)`` may exceed it).
    package static let maximumBatchEvents = 4096

    /// One queued append call: its events and how to hand it its result or the leader's turn.
    private struct Waiter {
        let id: UInt64
        let events: [AuditEvent]
        var continuation: CheckedContinuation<Turn, Never>?
    }

    /// What a queued append is woken with.
    private enum Turn {
        /// The batch holding its events committed (or failed).
        case done(Result<[AuditEntry], AccessError>)
        /// The previous leader finished; this caller commits the next batch.
        case lead
    }

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
        nodeCache = Dictionary(zip(ids, frontier), uniquingKeysWith: { first, _ in first })
    }

    /// Appends `event` as the next entry, stamped with the clock's time, and returns it once the
    /// transaction holding it has committed (see the group commit above).
    ///
    /// Throws `.invalidParameter` when its canonical encoding (with the widest index and time)
    /// exceeds ``AuditEntry/maximumEncodedBytes``, and `.storage` when the storage write fails
    /// (the entry is then not stored; neither are the others of its batch).
    public func append(_ event: AuditEvent) async throws(AccessError) -> AuditEntry {
        let entries = try await append(contentsOf: [event])
        guard let entry = entries.first else { throw AccessError(.storage, "audit storage: the append returned no entry") }
        return entry
    }

    /// Appends `events` as consecutive entries in one transaction (for imports and bulk loads)
    /// and returns them once it has committed; nothing is stored when it throws. Other appends
    /// queued meanwhile may share the transaction but never come between these entries.
    ///
    /// Throws `.invalidParameter` when an event's canonical encoding (with the widest index and
    /// time) exceeds ``AuditEntry/maximumEncodedBytes``, and `.storage` when the storage write fails.
    /// With a storage that is not a SQL database (``InMemoryAuditStorage`` or your own), entries
    /// are stored one by one, so a storage failure can leave the first ones stored.
    public func append(contentsOf events: [AuditEvent]) async throws(AccessError) -> [AuditEntry] {
        guard !events.isEmpty else { return [] }
        for event in events {
            // The widest index (20 digits) and time (sign and 19 digits) bound every real encoding.
            let widest = AuditEntry(index: .max, timeUnixMilliseconds: .min, event: event).canonicalBytes.count
            guard widest <= AuditEntry.maximumEncodedBytes else {
                throw AccessError(.invalidParameter, "audit entry: \(widest) bytes exceed the limit of \(AuditEntry.maximumEncodedBytes)")
            }
        }
        let id = nextWaiterID
        nextWaiterID &+= 1
        if committing {
            let turn = await withCheckedContinuation { queue.append(Waiter(id: id, events: events, continuation: $0)) }
            if case .done(let result) = turn { return try result.get() }
            // `.lead`: this caller's events are first in the queue; it commits the next batch.
        } else {
            committing = true
            queue.append(Waiter(id: id, events: events, continuation: nil))
        }
        return try await commitBatch(leader: id).get()
    }

    /// Commits the queued appends (up to ``maximumBatchEvents`` events, at least the first
    /// caller's), wakes their callers, hands the leader's turn to the next queued caller, and
    /// returns the leader's own result.
    private func commitBatch(leader: UInt64) async -> Result<[AuditEntry], AccessError> {
        var taken = 0
        var eventCount = 0
        while taken < queue.count, taken == 0 || eventCount + queue[taken].events.count <= Self.maximumBatchEvents {
            eventCount += queue[taken].events.count
            taken += 1
        }
        let batch = Array(queue.prefix(taken))
        queue.removeFirst(taken)
        let events = batch.flatMap(\.events)
        // A task of its own, so that a cancelled leader does not fail the others' appends.
        let storage = self.storage
        let clock = self.clock
        let start = self.frontier
        let stored = await Task.detached { await Self.store(events, after: start, in: storage, clock: clock) }.value
        if stored.frontier.size > frontier.size { frontier = stored.frontier }
        remember(stored.nodes, around: [start, stored.frontier])
        var own: Result<[AuditEntry], AccessError> = .failure(AccessError(.storage, "audit storage: the append was not in its batch"))
        var offset = 0
        for waiter in batch {
            let end = offset + waiter.events.count
            let result: Result<[AuditEntry], AccessError>
            if end <= stored.entries.count {
                result = .success(Array(stored.entries[offset..<end]))
            } else {
                result = .failure(stored.error ?? AccessError(.storage, "audit storage: the append stored fewer entries than asked"))
            }
            offset = end
            if waiter.id == leader { own = result } else { waiter.continuation?.resume(returning: .done(result)) }
        }
        if let next = queue.first?.continuation {
            queue[0].continuation = nil
            next.resume(returning: .lead)
        } else {
            committing = false  // only queued callers hold a continuation, so the queue is empty
        }
        return own
    }

    /// Stores `events` after the log `start` in one transaction on a SQL storage (all or
    /// nothing), one by one otherwise; returns the entries stored, the frontier after them and
    /// the error that stopped it, if any.
    private static func store(_ events: [AuditEvent], after start: MerkleFrontier, in storage: any AuditStorage,
                              clock: @escaping @Sendable () -> Int64) async
        -> (entries: [AuditEntry], frontier: MerkleFrontier, nodes: [(MerkleNodeID, MerkleHash)], error: AccessError?) {
        if let shared = storage as? any SharedAuditStorage {
            do throws(AccessError) {
                let stored = try await shared.appendAtEnd(frontier: start, count: events.count) { index, position in
                    AuditEntry(index: index, timeUnixMilliseconds: clock(), event: events[position])
                }
                return (stored.entries, stored.frontier, stored.nodes, nil)
            } catch {
                return ([], start, [], error)
            }
        }
        var frontier = start
        var entries: [AuditEntry] = []
        var completed: [(MerkleNodeID, MerkleHash)] = []
        for event in events {
            let entry = AuditEntry(index: frontier.size, timeUnixMilliseconds: clock(), event: event)
            var next = frontier
            let nodes = next.append(.leaf(entry.canonicalBytes))
            do throws(AccessError) {
                try await storage.append(entry, nodes: nodes)
            } catch {
                return (entries, frontier, completed, error)
            }
            frontier = next
            entries.append(entry)
            completed += nodes
        }
        return (entries, frontier, completed, nil)
    }

    /// Caches `nodes` (just committed) and the nodes of `frontiers`; when the cache would pass
    /// ``nodeCacheLimit`` it is emptied first, keeping only these.
    private func remember(_ nodes: [(MerkleNodeID, MerkleHash)], around frontiers: [MerkleFrontier]) {
        if nodeCache.count + nodes.count + 2 * 64 > Self.nodeCacheLimit { nodeCache.removeAll(keepingCapacity: true) }
        for frontier in frontiers {
            for (id, hash) in zip(MerkleTree.decomposition(of: 0..<frontier.size), frontier.hashes) { nodeCache[id] = hash }
        }
        for (id, hash) in nodes.suffix(Self.nodeCacheLimit / 2) { nodeCache[id] = hash }
    }

    /// Brings ``size``, ``rootHash`` and ``checkpoint()`` up to the entries stored now, which
    /// other writers sharing the storage (a second server on the same database) may have added
    /// since this log's last append; O(log n) node reads when it changed.
    ///
    /// Throws `.storage` when the storage cannot be read or a frontier node is missing.
    public func refresh() async throws(AccessError) {
        // No lock needed: a frontier read later describes at least as many entries, and only a
        // larger one replaces the current one (appends do the same).
        if let shared = storage as? any SharedAuditStorage {
            let current = try await shared.currentFrontier()
            if current.size > frontier.size {
                frontier = current
                remember([], around: [current])
            }
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
        remember([], around: [frontier])
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

    /// The proof for `ranges`, from cached nodes where it can, and one batched storage read for
    /// the others.
    private func assemble(_ ranges: [Range<UInt64>]) async throws(AccessError) -> [MerkleHash] {
        var lookup: [MerkleNodeID: MerkleHash] = [:]
        var missing: [MerkleNodeID] = []
        for id in MerkleTree.nodes(for: ranges) {
            if let hash = nodeCache[id] { lookup[id] = hash } else { missing.append(id) }
        }
        if !missing.isEmpty {
            let hashes = try await storage.nodeHashes(missing)
            for (id, hash) in zip(missing, hashes) {
                guard let hash else { throw AccessError(.storage, "audit storage: node \(id) is missing") }
                lookup[id] = hash
            }
        }
        guard let proof = MerkleTree.assemble(ranges, from: lookup) else {
            throw AccessError(.storage, "audit storage: a node the proof needs is missing")
        }
        return proof
    }
}
