public import BulwarkAccess
import Crypto
import Foundation

/// The signed evidence of one incident, verifiable offline with the audit log's verifier key:
/// the incident, the audit-log entries of its time window each with an inclusion proof against a
/// signed checkpoint, the client's journal (offending queries as input digests, the outputs and
/// detector scores) and the digests of the model versions involved.
///
/// The file is the document's canonical JSON (keys sorted, no whitespace, integers for times,
/// `/` unescaped) with a `signature` member: an Ed25519 signature, by the server's audit signer
/// key, over the canonical JSON of the same document without that member. ``verify(_:verifier:)``
/// re-encodes what it parsed and demands the exact bytes, so any changed byte is caught.
///
/// ```swift
/// let signer = try NoteSigner.generate(name: "bulwark.example/audit")
/// let storage = InMemoryAuditStorage()
/// let log = try await AuditLog(storage: storage, origin: "bulwark.example/audit", signer: signer)
/// let incident = Incident(id: 1, kind: "quarantine", target: "mallory", openedBy: "bob", reason: "extraction",
///                         openedAtMilliseconds: IncidentStore.systemClock())
/// let bundle = try await EvidenceBundle.assemble(incident: incident, models: [], client: "mallory",
///                                                journal: QueryJournal().entries(client: "mallory"), log: log, storage: storage)
/// let bytes = try bundle.signed(by: signer)
/// let summary = try EvidenceBundle.verify(bytes, verifier: signer.verifier)
/// ```
public struct EvidenceBundle: Sendable, Hashable, Codable {
    /// The format's name and version.
    public static let formatName = "bulwark-evidence/1"
    /// The most audit entries one bundle holds (the latest in the window are kept).
    public static let maximumAuditEntries = 5000

    /// ``formatName``.
    public var format: String
    /// When the bundle was assembled, in milliseconds since the Unix epoch.
    public var generatedAtMilliseconds: Int64
    /// The incident.
    public var incident: Incident
    /// The model versions involved, with their artifact digests.
    public var models: [EvidenceModel]
    /// The client the journal is of, if any.
    public var client: String?
    /// The client's recent queries, oldest first.
    public var journal: [JournalEntry]
    /// The audit-log slice with its proofs.
    public var audit: EvidenceAuditSlice
    /// The signature over the canonical JSON of the bundle without this member.
    public var signature: EvidenceSignature?

    /// A bundle with every field given (unsigned).
    public init(generatedAtMilliseconds: Int64, incident: Incident, models: [EvidenceModel], client: String?, journal: [JournalEntry],
                audit: EvidenceAuditSlice) {
        format = Self.formatName
        self.generatedAtMilliseconds = generatedAtMilliseconds
        self.incident = incident
        self.models = models
        self.client = client
        self.journal = journal
        self.audit = audit
    }

    /// Assembles the bundle of `incident`: refreshes `log`, signs its current head, and takes
    /// the entries from `paddingMilliseconds` before the incident opened to as long after it
    /// closed (or now, while open), each with its inclusion proof at that head.
    ///
    /// The window is found by binary search on entry times (O(log n) reads), then read in one
    /// pass; at most ``maximumAuditEntries`` (the latest) are kept.
    ///
    /// - Throws: ``ServingError`` `.storage` when the audit log cannot be read or proved.
    public static func assemble(incident: Incident, models: [EvidenceModel], client: String?, journal: [JournalEntry],
                                log: AuditLog, storage: any AuditStorage, paddingMilliseconds: Int64 = 60_000,
                                now: Int64 = IncidentStore.systemClock()) async throws(ServingError) -> EvidenceBundle {
        do throws(AccessError) {
            try await log.refresh()
            let note = try await log.checkpoint()
            let size = await log.size
            let start = incident.openedAtMilliseconds - paddingMilliseconds
            let end = (incident.closedAtMilliseconds ?? now) + paddingMilliseconds
            let first = try await firstIndex(storage, size: size) { $0 >= start }
            let past = try await firstIndex(storage, size: size) { $0 > end }
            let lower = past > first && past - first > UInt64(maximumAuditEntries) ? past - UInt64(maximumAuditEntries) : first
            var entries: [EvidenceAuditEntry] = []
            var offset = lower
            while offset < past {
                let batch = try await storage.entries(offset: offset, limit: Int(min(500, past - offset)))
                guard !batch.isEmpty else { break }
                for entry in batch {
                    let proof = try await log.inclusionProof(index: entry.index, size: size)
                    entries.append(EvidenceAuditEntry(index: entry.index, leaf: String(decoding: entry.canonicalBytes, as: UTF8.self),
                                                      proof: proof.map(\.hex)))
                }
                offset += UInt64(batch.count)
            }
            let origin = await log.origin
            let slice = EvidenceAuditSlice(origin: origin, checkpoint: note.serialized, treeSize: size, fromMilliseconds: start,
                                           toMilliseconds: end, entries: entries)
            return EvidenceBundle(generatedAtMilliseconds: now, incident: incident, models: models, client: client, journal: journal, audit: slice)
        } catch {
            throw ServingError(.storage, "evidence of incident \(incident.id): the audit log cannot be read (\(error.message))", underlying: error)
        }
    }

    /// The first index in `0..<size` whose entry time satisfies `predicate` (monotone in the
    /// index), or `size`.
    private static func firstIndex(_ storage: any AuditStorage, size: UInt64, _ predicate: (Int64) -> Bool) async throws(AccessError) -> UInt64 {
        var low: UInt64 = 0
        var high = size
        while low < high {
            let middle = low + (high - low) / 2
            guard let entry = try await storage.entries(offset: middle, limit: 1).first else { return size }
            if predicate(entry.timeUnixMilliseconds) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// The canonical JSON bytes of this bundle (with its signature member when set).
    public func canonicalBytes() throws(ServingError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            return [UInt8](try encoder.encode(self))
        } catch {
            throw ServingError(.invalidParameter, "evidence bundle: cannot be encoded", underlying: error)
        }
    }

    /// The bundle's file bytes, signed by `signer` (the server's audit signer key).
    public func signed(by signer: NoteSigner) throws(ServingError) -> [UInt8] {
        var unsigned = self
        unsigned.signature = nil
        let text = String(decoding: try unsigned.canonicalBytes(), as: UTF8.self)
        let signature: NoteSignature
        do {
            signature = try signer.signature(for: text)
        } catch {
            throw ServingError(.invalidParameter, "evidence bundle: \(error.message)", underlying: error)
        }
        var signed = self
        signed.signature = EvidenceSignature(keyName: signature.name, keyID: String(format: "%08x", signature.keyID),
                                             value: Data(signature.signature).base64EncodedString())
        return try signed.canonicalBytes()
    }

    /// What a verified bundle holds.
    public struct Verification: Sendable, Hashable {
        /// The bundle.
        public var bundle: EvidenceBundle
        /// The signed checkpoint the audit entries were proved against.
        public var checkpoint: Checkpoint
        /// How many audit entries were proved.
        public var provedEntries: Int
    }

    /// Verifies bundle file `bytes` offline with the audit verifier key: canonical form, the
    /// bundle's signature, the checkpoint's signature and origin, and each audit entry's
    /// inclusion proof.
    ///
    /// - Throws: ``ServingError`` `.refused` naming the first check that failed (the bundle is
    ///   not to be trusted), `.invalidRequest` for bytes that are not a bundle.
    public static func verify(_ bytes: [UInt8], verifier: NoteVerifier) throws(ServingError) -> Verification {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let bundle: EvidenceBundle
        do {
            bundle = try decoder.decode(EvidenceBundle.self, from: Data(bytes))
        } catch {
            throw ServingError(.refused, "evidence: not a well-formed evidence bundle (or altered)")
        }
        guard bundle.format == formatName else { throw ServingError(.invalidRequest, "evidence: format '\(bundle.format)' is not \(formatName)") }
        guard try bundle.canonicalBytes() == bytes else {
            throw ServingError(.refused, "evidence: the file is not in canonical form (altered)")
        }
        guard let stored = bundle.signature, let keyID = UInt32(stored.keyID, radix: 16), let value = Data(base64Encoded: stored.value) else {
            throw ServingError(.refused, "evidence: the bundle carries no readable signature")
        }
        var unsigned = bundle
        unsigned.signature = nil
        let text = String(decoding: try unsigned.canonicalBytes(), as: UTF8.self)
        guard verifier.isValidSignature(NoteSignature(name: stored.keyName, keyID: keyID, signature: [UInt8](value)), for: text) else {
            throw ServingError(.refused, "evidence: the signature does not verify with key \(verifier.name)")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.open(bundle.audit.checkpoint, origin: bundle.audit.origin, verifier: verifier)
        } catch {
            throw ServingError(.refused, "evidence: the audit checkpoint does not verify (\(error.message))", underlying: error)
        }
        guard checkpoint.size == bundle.audit.treeSize else {
            throw ServingError(.refused, "evidence: the audit checkpoint's size is not the bundle's tree size")
        }
        for entry in bundle.audit.entries {
            let proof = entry.proof.compactMap(MerkleHash.init(hex:))
            guard proof.count == entry.proof.count,
                  MerkleTree.verifyInclusion(leafHash: .leaf(Array(entry.leaf.utf8)), index: entry.index, size: checkpoint.size, proof: proof,
                                             root: checkpoint.rootHash) else {
                throw ServingError(.refused, "evidence: audit entry \(entry.index) is not included in the signed checkpoint")
            }
        }
        return Verification(bundle: bundle, checkpoint: checkpoint, provedEntries: bundle.audit.entries.count)
    }
}

/// A model version an incident involves, with its artifact's digest.
public struct EvidenceModel: Sendable, Hashable, Codable {
    /// The model's name.
    public var name: String
    /// The version number.
    public var version: Int
    /// The artifact's SHA-256, lowercase hex (``ServedModel/sha256``).
    public var sha256: String

    /// A model with every field given.
    public init(name: String, version: Int, sha256: String) {
        self.name = name
        self.version = version
        self.sha256 = sha256
    }
}

/// The audit-log slice of an evidence bundle.
public struct EvidenceAuditSlice: Sendable, Hashable, Codable {
    /// The audit log's origin (the checkpoint's first line).
    public var origin: String
    /// The signed checkpoint (C2SP signed note) the proofs are against.
    public var checkpoint: String
    /// The checkpoint's tree size.
    public var treeSize: UInt64
    /// The window's start, in milliseconds since the Unix epoch.
    public var fromMilliseconds: Int64
    /// The window's end.
    public var toMilliseconds: Int64
    /// The entries in the window, by index.
    public var entries: [EvidenceAuditEntry]

    /// A slice with every field given.
    public init(origin: String, checkpoint: String, treeSize: UInt64, fromMilliseconds: Int64, toMilliseconds: Int64, entries: [EvidenceAuditEntry]) {
        self.origin = origin
        self.checkpoint = checkpoint
        self.treeSize = treeSize
        self.fromMilliseconds = fromMilliseconds
        self.toMilliseconds = toMilliseconds
        self.entries = entries
    }
}

/// One audit entry of an evidence bundle: its leaf (the entry's canonical JSON, see
/// ``AuditEntry/canonicalBytes``) and its inclusion proof (hex hashes).
public struct EvidenceAuditEntry: Sendable, Hashable, Codable {
    /// The entry's index in the log.
    public var index: UInt64
    /// The entry's canonical JSON, exactly the bytes the log hashed.
    public var leaf: String
    /// The RFC 9162 inclusion proof at the checkpoint's size, lowercase hex.
    public var proof: [String]

    /// An entry with every field given.
    public init(index: UInt64, leaf: String, proof: [String]) {
        self.index = index
        self.leaf = leaf
        self.proof = proof
    }
}

/// The bundle's Ed25519 signature: the signer's key name, key id (8 hex digits) and the
/// base64 signature.
public struct EvidenceSignature: Sendable, Hashable, Codable {
    /// The key name (the audit log's origin by convention).
    public var keyName: String
    /// The key id, 8 lowercase hex digits.
    public var keyID: String
    /// The base64 Ed25519 signature.
    public var value: String

    /// A signature with every field given.
    public init(keyName: String, keyID: String, value: String) {
        self.keyName = keyName
        self.keyID = keyID
        self.value = value
    }
}
