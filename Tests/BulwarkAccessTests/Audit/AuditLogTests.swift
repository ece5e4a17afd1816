import BulwarkAccess
import Foundation
import Testing

private let origin = "bulwark.example/audit"

/// A log of `count` entries in fresh in-memory storage, with a fixed clock.
private func makeLog(_ count: Int, signer: NoteSigner) async throws -> (AuditLog, InMemoryAuditStorage) {
    let storage = InMemoryAuditStorage()
    let log = try await AuditLog(storage: storage, origin: origin, signer: signer, clock: { 1_700_000_000_000 })
    for number in 0..<count {
        _ = try await log.append(AuditEvent(actor: "user\(number % 3)", action: number % 2 == 0 ? "model.promote" : "login",
                                            resource: "models/m/\(number)", outcome: number % 5 == 0 ? .denied : .allowed,
                                            rule: "rule-\(number % 4)", clientAddress: "10.0.0.\(number % 7)",
                                            requestID: "req-\(number)"))
    }
    return (log, storage)
}

/// A copy of `storage` with its entries (and optionally nodes) changed by `edit`, as a direct
/// database edit would leave them.
private func tampered(_ storage: InMemoryAuditStorage, _ edit: (inout [AuditEntry], inout [MerkleNodeID: MerkleHash]) -> Void) async -> InMemoryAuditStorage {
    var (entries, nodes) = await storage.contents()
    edit(&entries, &nodes)
    return InMemoryAuditStorage(entries: entries, nodes: nodes)
}

@Test func auditEntriesHaveOneCanonicalEncoding() throws {
    let entry = AuditEntry(index: 7, timeUnixMilliseconds: 1_700_000_000_123, event: AuditEvent(
        actor: "ana", action: "model.promote", resource: "models/résumé/3", outcome: .denied, rule: "deny-unapproved",
        clientAddress: "10.0.0.5", requestID: nil,
        details: ["zeta": "z", "reason": "line1\nline2\t\"quoted\" \\ \u{01}", "alpha": "a/b"]))
    // Peer: Python's json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    // of the same object, and hashlib.sha256(b"\x00" + that).hexdigest().
    let expected = #"{"action":"model.promote","actor":"ana","client":"10.0.0.5","details":{"alpha":"a/b","reason":"line1\nline2\t\"quoted\" \\ \u0001","zeta":"z"},"index":7,"outcome":"denied","request":null,"resource":"models/résumé/3","rule":"deny-unapproved","time":1700000000123,"v":1}"#
    #expect(String(decoding: entry.canonicalBytes, as: UTF8.self) == expected)
    #expect(entry.leafHash.hex == "48c4567ad4406002434c3b5ee9d9c6f75d53063e225603d7ef49d41da962ad20")
    // A storage round trip through Codable keeps the leaf hash.
    let decoded = try JSONDecoder().decode(AuditEntry.self, from: JSONEncoder().encode(entry))
    #expect(decoded == entry)
    #expect(decoded.leafHash == entry.leafHash)
}

@Test func appendedEntriesProveInclusionAndConsistency() async throws {
    let signer = try NoteSigner.generate(name: origin)
    let (log, storage) = try await makeLog(37, signer: signer)
    let size = await log.size
    #expect(size == 37)
    let entries = await storage.entries(offset: 0, limit: 100)
    let root = await log.rootHash
    #expect(try await log.rootHash(size: 37) == root)
    for entry in entries {
        let proof = try await log.inclusionProof(index: entry.index, size: size)
        #expect(MerkleTree.verifyInclusion(leafHash: entry.leafHash, index: entry.index, size: size, proof: proof, root: root))
    }
    for old in [UInt64(0), 1, 5, 16, 36, 37] {
        let oldRoot = try await log.rootHash(size: old)
        let proof = try await log.consistencyProof(from: old, to: size)
        #expect(MerkleTree.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: root, proof: proof))
    }
    await #expect(throws: AccessError.self) { try await log.inclusionProof(index: 37, size: 37) }
    await #expect(throws: AccessError.self) { try await log.consistencyProof(from: 5, to: 38) }
    // Reopening the storage restores the same head without recomputation.
    let reopened = try await AuditLog(storage: storage, origin: origin, signer: signer)
    #expect(await reopened.rootHash == root)
    let checkpoint = try Checkpoint.open(try await log.checkpoint().serialized, origin: origin, verifier: signer.verifier)
    #expect(checkpoint.size == 37 && checkpoint.rootHash == root)
}

@Test func concurrentAppendsAllLandInOrder() async throws {
    let signer = try NoteSigner.generate(name: origin)
    let (log, storage) = try await makeLog(0, signer: signer)
    try await withThrowingTaskGroup(of: AuditEntry.self) { group in
        for number in 0..<50 {
            group.addTask { try await log.append(AuditEvent(actor: "a\(number)", action: "x", resource: "r", outcome: .allowed)) }
        }
        for try await _ in group {}
    }
    let entries = await storage.entries(offset: 0, limit: 100)
    #expect(entries.map(\.index) == Array(0..<50))
    let report = try await AuditVerifier.verify(storage: storage, trusted: await log.treeHead)
    #expect(report.isIntact)
}

@Test func verifierAcceptsAnIntactLogThatGrewSinceTheCheckpoint() async throws {
    let signer = try NoteSigner.generate(name: origin)
    let (log, storage) = try await makeLog(20, signer: signer)
    let trustedNote = try await log.checkpoint().serialized
    for number in 0..<13 { _ = try await log.append(AuditEvent(actor: "b", action: "y\(number)", resource: "r", outcome: .failed)) }
    let latestNote = try await log.checkpoint().serialized
    let report = try await AuditVerifier.verify(storage: storage, trustedNote: trustedNote, origin: origin,
                                                verifier: signer.verifier, latestNote: latestNote)
    #expect(report.isIntact, "\(report.findings)")
    #expect(report.entryCount == 33)
}

@Test func verifierNamesEachKindOfTampering() async throws {
    let signer = try NoteSigner.generate(name: origin)
    let (log, storage) = try await makeLog(40, signer: signer)
    let trusted = await log.treeHead

    func findings(_ edit: (inout [AuditEntry], inout [MerkleNodeID: MerkleHash]) -> Void,
                  latest: Checkpoint? = nil) async throws -> [AuditFinding] {
        let copy = await tampered(storage, edit)
        let report = try await AuditVerifier.verify(storage: copy, trusted: trusted, latest: latest, batchSize: 7)
        return report.findings
    }

    let modified = try await findings { entries, _ in entries[13].event.outcome = .allowed; entries[13].event.actor = "mallory" }
    #expect(modified.first?.kind == .modified && modified.first?.index == 13, "\(modified)")

    let deleted = try await findings { entries, _ in entries.remove(at: 21) }
    #expect(deleted.first?.kind == .deleted && deleted.first?.index == 21, "\(deleted)")

    let reordered = try await findings { entries, _ in entries.swapAt(8, 9) }
    #expect(reordered.first?.kind == .reordered && reordered.first?.index == 8, "\(reordered)")

    let truncated = try await findings { entries, _ in entries.removeLast(4) }
    #expect(truncated.first?.kind == .truncated && truncated.first?.index == 36, "\(truncated)")

    let misnumbered = try await findings { entries, _ in entries[30].index = 31 }
    #expect(misnumbered.first?.kind == .misnumbered && misnumbered.first?.index == 30, "\(misnumbered)")

    let cache = try await findings { _, nodes in nodes[MerkleNodeID(level: 2, index: 3)] = .leaf([0]) }
    #expect(cache.map(\.kind) == [.nodeCache] && cache.first?.index == 12, "\(cache)")

    // Entries and node cache rewritten together still fail against the checkpoint's root.
    let rewritten = try await findings { entries, nodes in
        entries[5].event.resource = "models/other"
        var frontier = InMemoryFrontierForTests()
        nodes = [:]
        for entry in entries { for (id, hash) in frontier.append(entry.leafHash) { nodes[id] = hash } }
    }
    #expect(rewritten.first?.kind == .modified && rewritten.first?.index == nil, "\(rewritten)")

    // A later head that rewrites history does not extend the trusted checkpoint.
    let fake = Checkpoint(origin: origin, size: 40, rootHash: .leaf([1]))
    let inconsistent = try await findings({ _, _ in }, latest: fake)
    #expect(inconsistent.map(\.kind) == [.inconsistentHead], "\(inconsistent)")

    for finding in modified + deleted + reordered + truncated + misnumbered + cache + rewritten + inconsistent {
        #expect(!finding.message.contains("\n"))
    }
}

/// An independent frontier (pairing from the right edge), used to rebuild a node cache the way
/// an attacker with database access would.
private struct InMemoryFrontierForTests {
    var stack: [(level: Int, hash: MerkleHash)] = []
    var count: UInt64 = 0
    mutating func append(_ leaf: MerkleHash) -> [(MerkleNodeID, MerkleHash)] {
        var made = [(MerkleNodeID(level: 0, index: count), leaf)]
        var current = (level: 0, hash: leaf)
        count += 1
        while let last = stack.last, last.level == current.level {
            stack.removeLast()
            current = (current.level + 1, MerkleHash.node(last.hash, current.hash))
            made.append((MerkleNodeID(level: current.level, index: (count >> UInt64(current.level)) - 1), current.hash))
        }
        stack.append(current)
        return made
    }
}

@Test func witnessAcceptsOnlyExtensionsAndWritesAtomically() async throws {
    let signer = try NoteSigner.generate(name: origin)
    let (log, _) = try await makeLog(10, signer: signer)
    let older = await log.treeHead
    for _ in 0..<7 { _ = try await log.append(AuditEvent(actor: "c", action: "z", resource: "r", outcome: .succeeded)) }
    let newer = await log.treeHead
    let proof = try await log.consistencyProof(from: older.size, to: newer.size)
    try CheckpointWitness.verifyExtension(older: older, newer: newer, proof: proof)
    #expect(throws: AccessError.self) { try CheckpointWitness.verifyExtension(older: newer, newer: older, proof: proof) }
    var forged = newer
    forged.rootHash = .leaf([9])
    #expect(throws: AccessError.self) { try CheckpointWitness.verifyExtension(older: older, newer: forged, proof: proof) }

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-witness-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("checkpoint").path
    _ = try await log.publishCheckpoint(to: path)
    #expect(try CheckpointWitness.read(from: path, origin: origin, verifier: signer.verifier) == newer)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["checkpoint"])
    #expect(throws: AccessError.self) { try CheckpointWitness.read(from: path + ".missing", origin: origin, verifier: signer.verifier) }
}

@Test func witnessFileMovesOnlyForward() async throws {
    let signer = try NoteSigner.generate(name: origin)
    let (log, _) = try await makeLog(5, signer: signer)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-witness-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let first = try await log.checkpoint().serialized
    #expect(try CheckpointWitness.accept(first, proof: [], at: path, origin: origin, verifier: signer.verifier).size == 5)
    _ = try await log.append(AuditEvent(actor: "d", action: "w", resource: "r", outcome: .allowed))
    let second = try await log.checkpoint().serialized
    let proof = try await log.consistencyProof(from: 5, to: 6)
    #expect(try CheckpointWitness.accept(second, proof: proof, at: path, origin: origin, verifier: signer.verifier).size == 6)
    // Going back, or a fork of the same size signed by the same key, is refused and leaves the file alone.
    #expect(throws: AccessError.self) { try CheckpointWitness.accept(first, proof: [], at: path, origin: origin, verifier: signer.verifier) }
    let fork = try Checkpoint(origin: origin, size: 6, rootHash: .leaf([6])).signed(by: signer).serialized
    #expect(throws: AccessError.self) { try CheckpointWitness.accept(fork, proof: proof, at: path, origin: origin, verifier: signer.verifier) }
    #expect(try CheckpointWitness.read(from: path, origin: origin, verifier: signer.verifier).size == 6)
}

@Test func exportWritesOneCanonicalLinePerEntry() async throws {
    let signer = try NoteSigner.generate(name: origin)
    let (_, storage) = try await makeLog(12, signer: signer)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-export-\(UUID().uuidString).jsonl").path
    #expect(FileManager.default.createFile(atPath: path, contents: nil))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let handle = try #require(FileHandle(forWritingAtPath: path))
    let written = try await AuditExport.write(from: storage, to: handle, batchSize: 5)
    try handle.close()
    #expect(written == 12)
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    let entries = await storage.entries(offset: 0, limit: 100)
    #expect(lines.count == 12)
    for (line, entry) in zip(lines, entries) {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["leafHash"] as? String == entry.leafHash.hex)
        #expect((object["index"] as? NSNumber)?.uint64Value == entry.index)
        #expect(try JSONDecoder().decode(AuditEntry.self, from: Data(line.utf8)) == entry)
    }
}

/// Appends a million entries and times one more append plus an inclusion proof. Prints the
/// figures; asserts only correctness. Runs when BULWARK_AUDIT_BENCH is set (it takes a while in
/// a debug build).
@Test(.enabled(if: ProcessInfo.processInfo.environment["BULWARK_AUDIT_BENCH"] != nil))
func appendAndProveAtOneMillionEntries() async throws {
    let signer = try NoteSigner.generate(name: origin)
    let storage = InMemoryAuditStorage()
    let log = try await AuditLog(storage: storage, origin: origin, signer: signer)
    let event = AuditEvent(actor: "bench", action: "model.promote", resource: "models/m/1", outcome: .allowed, rule: "r", requestID: "q")
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<1_000_000 { _ = try await log.append(event) }
    let filled = clock.now - start
    var samples: [Duration] = []
    for _ in 0..<1000 {
        let begin = clock.now
        let entry = try await log.append(event)
        let size = await log.size
        let proof = try await log.inclusionProof(index: entry.index / 2, size: size)
        samples.append(clock.now - begin)
        #expect(!proof.isEmpty)
    }
    samples.sort()
    let size = await log.size
    let entry = (await storage.entries(offset: 123_456, limit: 1)).first
    let proof = try await log.inclusionProof(index: 123_456, size: size)
    #expect(MerkleTree.verifyInclusion(leafHash: try #require(entry).leafHash, index: 123_456, size: size, proof: proof, root: await log.rootHash))
    print("audit log: 1M appends in \(filled); append + inclusion proof at \(size) entries: p50 \(samples[500]), p99 \(samples[990]), max \(samples[999])")
}
