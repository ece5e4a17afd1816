/// One way in which a stored audit log fails to match what was signed.
public struct AuditFinding: Hashable, Sendable, CustomStringConvertible {
    /// The kind of damage, as a stable short name.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable short name.
        public var rawValue: String
        /// A kind named `rawValue`.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// An entry's content differs from what the checkpoint commits to.
        public static let modified = Kind(rawValue: "modified")
        /// An entry is missing from the middle of the log.
        public static let deleted = Kind(rawValue: "deleted")
        /// Entries are stored in another order than they were appended.
        public static let reordered = Kind(rawValue: "reordered")
        /// The log ends before the size a checkpoint covers.
        public static let truncated = Kind(rawValue: "truncated")
        /// An entry's stored index is not its position (and it is not a deletion or a swap).
        public static let misnumbered = Kind(rawValue: "misnumbered")
        /// A checkpoint's head does not match the entries (or is older than the trusted one).
        public static let inconsistentHead = Kind(rawValue: "inconsistentHead")
        /// A stored node hash differs from the hash recomputed from the entries.
        public static let nodeCache = Kind(rawValue: "nodeCache")
        /// The stable short name.
        public var description: String { rawValue }
    }

    /// The kind of damage.
    public var kind: Kind
    /// The first bad entry index (for ``Kind/nodeCache``, the first leaf the node covers), if
    /// one can be named.
    public var index: UInt64?
    /// One line naming the first bad index and what was expected there.
    public var message: String

    /// A finding of `kind` at `index`.
    public init(kind: Kind, index: UInt64?, message: String) {
        self.kind = kind
        self.index = index
        self.message = message
    }

    /// `kind: message`.
    public var description: String { "\(kind): \(message)" }
}

/// What ``AuditVerifier/verify(storage:trusted:latest:batchSize:)`` found.
public struct AuditVerificationReport: Hashable, Sendable {
    /// How many entries are stored.
    public var entryCount: UInt64
    /// The size of the trusted checkpoint checked against.
    public var trustedSize: UInt64
    /// The root hash recomputed from all stored entries.
    public var recomputedRoot: MerkleHash
    /// The damage found, most specific first; empty when the log verifies.
    public var findings: [AuditFinding]
    /// Whether nothing was found.
    public var isIntact: Bool { findings.isEmpty }
}

/// Checks a stored audit log against an earlier, trusted checkpoint — what `bulwark audit
/// verify` runs.
///
/// It re-hashes every stored entry (never trusting the stored node hashes), so it detects edits
/// made directly in the database: a modified entry, a deleted one, two entries swapped, a log
/// truncated below the checkpoint's size, an entry whose stored index is not its position, a
/// later checkpoint that does not extend the trusted one, and a node-hash cache that differs from
/// the recomputation. Cost: one pass over the entries (O(n) hashes, O(log n) memory besides a
/// bitmap of one bit per entry), reading in batches of `batchSize`.
///
/// Locating a modified entry uses the stored leaf hashes when they still produce the trusted
/// root (so they are authentic, by collision resistance); when an attacker rewrote the entries
/// *and* the node hashes, the finding says the root does not match and names the first entry
/// that differs from the cache, if any.
///
/// ```swift
/// let signer = try NoteSigner.generate(name: "bulwark.example/audit")
/// let storage = InMemoryAuditStorage()
/// let log = try await AuditLog(storage: storage, origin: "bulwark.example/audit", signer: signer)
/// _ = try await log.append(AuditEvent(actor: "ana", action: "login", resource: "session", outcome: .failed))
/// let savedNote = try await log.checkpoint().serialized
/// let trusted = try Checkpoint.open(savedNote, origin: "bulwark.example/audit", verifier: signer.verifier)
/// let report = try await AuditVerifier.verify(storage: storage, trusted: trusted)
/// for finding in report.findings { print(finding) }
/// ```
public enum AuditVerifier {
    /// Verifies `storage` against `trusted` (a checkpoint whose signature was checked, such as one
    /// from ``Checkpoint/open(_:origin:verifier:)``), and against `latest`, the newest checkpoint
    /// the log published, if given. Throws only when storage cannot be read.
    public static func verify(storage: any AuditStorage, trusted: Checkpoint, latest: Checkpoint? = nil,
                              batchSize: Int = 4096) async throws(AccessError) -> AuditVerificationReport {
        let storedCount = try await storage.count()
        var scan = Scan(trustedSize: trusted.size, latestSize: latest?.size, capacity: storedCount + 1024)
        var offset: UInt64 = 0
        while true {
            let batch = try await storage.entries(offset: offset, limit: max(1, batchSize))
            if batch.isEmpty { break }
            var completed: [(MerkleNodeID, MerkleHash)] = []
            for entry in batch { completed += scan.add(entry) }
            let stored = try await storage.nodeHashes(completed.map(\.0))
            for ((id, hash), storedHash) in zip(completed, stored) where storedHash != hash {
                if id.level == 0 {
                    if scan.firstLeafMismatch == nil { scan.firstLeafMismatch = id.index }
                } else if scan.firstNodeMismatch == nil {
                    scan.firstNodeMismatch = id
                }
            }
            offset += UInt64(batch.count)
        }
        // Are the stored node hashes for the trusted size authentic? (They are if they fold to its root.)
        let trustedIDs = MerkleTree.decomposition(of: 0..<trusted.size)
        let trustedNodes = try await storage.nodeHashes(trustedIDs)
        let cachedTrustedRoot = trustedNodes.contains(where: { $0 == nil }) ? nil : MerkleTree.fold(trustedNodes.compactMap { $0 })
        let findings = scan.findings(trusted: trusted, latest: latest, cacheMatchesTrusted: cachedTrustedRoot == trusted.rootHash)
        return AuditVerificationReport(entryCount: scan.frontier.size, trustedSize: trusted.size,
                                       recomputedRoot: scan.frontier.root, findings: findings)
    }

    /// Opens `trustedNote` with `verifier` (checking its signature and origin), then verifies
    /// `storage` against it.
    public static func verify(storage: any AuditStorage, trustedNote: String, origin: String, verifier: NoteVerifier,
                              latestNote: String? = nil) async throws(AccessError) -> AuditVerificationReport {
        let trusted = try Checkpoint.open(trustedNote, origin: origin, verifier: verifier)
        var latest: Checkpoint?
        if let latestNote { latest = try Checkpoint.open(latestNote, origin: origin, verifier: verifier) }
        return try await verify(storage: storage, trusted: trusted, latest: latest)
    }

    /// The state of one pass over the entries.
    private struct Scan {
        let trustedSize: UInt64
        let latestSize: UInt64?
        var frontier = MerkleFrontier()
        var rootAtTrusted: MerkleHash?
        var rootAtLatest: MerkleHash?
        /// One bit per index below `capacity` (the stored count plus a margin): seen at least once.
        var seen: [UInt64]
        let capacity: UInt64
        var duplicates = Set<UInt64>()
        var outOfRange: UInt64?
        var maxIndex: UInt64?
        var firstIndexMismatch: (position: UInt64, stored: UInt64)?
        var firstLeafMismatch: UInt64?
        var firstNodeMismatch: MerkleNodeID?

        init(trustedSize: UInt64, latestSize: UInt64?, capacity: UInt64) {
            self.trustedSize = trustedSize
            self.latestSize = latestSize
            self.capacity = capacity
            seen = Array(repeating: 0, count: Int((self.capacity + 63) / 64))
            if trustedSize == 0 { rootAtTrusted = .emptyTree }
            if latestSize == 0 { rootAtLatest = .emptyTree }
        }

        mutating func add(_ entry: AuditEntry) -> [(MerkleNodeID, MerkleHash)] {
            let position = frontier.size
            if entry.index != position, firstIndexMismatch == nil { firstIndexMismatch = (position, entry.index) }
            maxIndex = max(maxIndex ?? 0, entry.index)
            if entry.index < capacity {
                let word = Int(entry.index / 64)
                let bit = UInt64(1) << (entry.index % 64)
                if seen[word] & bit != 0, duplicates.count < 1024 { duplicates.insert(entry.index) }
                seen[word] |= bit
            } else if outOfRange == nil {
                outOfRange = position
            }
            let nodes = frontier.append(entry.leafHash)
            if frontier.size == trustedSize { rootAtTrusted = frontier.root }
            if frontier.size == latestSize { rootAtLatest = frontier.root }
            return nodes
        }

        func wasSeen(_ index: UInt64) -> Bool {
            index < capacity && seen[Int(index / 64)] & (UInt64(1) << (index % 64)) != 0
        }

        func findings(trusted: Checkpoint, latest: Checkpoint?, cacheMatchesTrusted: Bool) -> [AuditFinding] {
            var findings: [AuditFinding] = []
            let count = frontier.size
            if let mismatch = firstIndexMismatch {
                let (position, stored) = (mismatch.position, mismatch.stored)
                if !wasSeen(position), duplicates.isEmpty, stored > position {
                    findings.append(AuditFinding(kind: .deleted, index: position,
                                                 message: "entry \(position) is missing: position \(position) holds entry \(stored)"))
                } else if wasSeen(position), wasSeen(stored), !duplicates.contains(stored), stored < capacity {
                    findings.append(AuditFinding(kind: .reordered, index: position,
                                                 message: "entries \(position) and \(stored) are out of order: position \(position) holds entry \(stored)"))
                } else {
                    findings.append(AuditFinding(kind: .misnumbered, index: position,
                                                 message: "entry at position \(position) carries index \(stored)"))
                }
            }
            if count < trusted.size {
                let firstMissing = (maxIndex.map { $0 + 1 } ?? 0)
                if firstMissing < trusted.size {
                    findings.append(AuditFinding(kind: .truncated, index: firstMissing,
                                                 message: "log ends before entry \(firstMissing); the trusted checkpoint covers \(trusted.size) entries"))
                } else if findings.isEmpty {
                    findings.append(AuditFinding(kind: .truncated, index: count,
                                                 message: "log holds \(count) entries; the trusted checkpoint covers \(trusted.size)"))
                }
            }
            let indexDamageBelowTrusted = firstIndexMismatch.map { $0.position < trusted.size } ?? false
            if let rootAtTrusted, rootAtTrusted != trusted.rootHash, !indexDamageBelowTrusted {
                if cacheMatchesTrusted, let bad = firstLeafMismatch, bad < trusted.size {
                    findings.append(AuditFinding(kind: .modified, index: bad,
                                                 message: "entry \(bad) differs from the entry the trusted checkpoint (size \(trusted.size)) commits to"))
                } else if let bad = firstLeafMismatch {
                    findings.append(AuditFinding(kind: .modified, index: bad,
                                                 message: "entries 0..<\(trusted.size) do not hash to the trusted root, and the node cache was altered too; first entry differing from the cache: \(bad)"))
                } else {
                    findings.append(AuditFinding(kind: .modified, index: nil,
                                                 message: "entries 0..<\(trusted.size) do not hash to the trusted root, and the node cache was rewritten to match them"))
                }
            } else if rootAtTrusted == nil, count >= trusted.size, findings.isEmpty {
                findings.append(AuditFinding(kind: .modified, index: nil, message: "entries 0..<\(trusted.size) could not be hashed"))
            }
            if let latest {
                if latest.size < trusted.size {
                    findings.append(AuditFinding(kind: .inconsistentHead, index: latest.size,
                                                 message: "latest checkpoint (size \(latest.size)) is older than the trusted one (size \(trusted.size))"))
                } else if latest.size > count {
                    findings.append(AuditFinding(kind: .inconsistentHead, index: count,
                                                 message: "latest checkpoint covers \(latest.size) entries; the log holds \(count)"))
                } else if rootAtLatest != latest.rootHash {
                    findings.append(AuditFinding(kind: .inconsistentHead, index: firstLeafMismatch,
                                                 message: "latest checkpoint (size \(latest.size)) does not match entries 0..<\(latest.size)"
                                                    + (rootAtTrusted == trusted.rootHash ? ", so it does not extend the trusted checkpoint" : "")))
                }
            }
            if findings.isEmpty {
                if let bad = firstLeafMismatch {
                    findings.append(AuditFinding(kind: .nodeCache, index: bad, message: "stored leaf hash \(bad) differs from the hash of entry \(bad)"))
                } else if let node = firstNodeMismatch {
                    findings.append(AuditFinding(kind: .nodeCache, index: node.leaves.lowerBound,
                                                 message: "stored node hash \(node) differs from the recomputation from entries \(node.leaves.lowerBound)..<\(node.leaves.upperBound)"))
                }
            }
            return findings
        }
    }
}
