internal import Foundation
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// What a witness does with checkpoints: keep the latest one it accepted, and accept a newer one
/// only when a consistency proof shows it extends the older.
///
/// ```swift
/// let signer = try NoteSigner.generate(name: "bulwark.example/audit")
/// let log = try await AuditLog(storage: InMemoryAuditStorage(), origin: "bulwark.example/audit", signer: signer)
/// let saved = await log.treeHead
/// _ = try await log.append(AuditEvent(actor: "ana", action: "login", resource: "session", outcome: .succeeded))
/// let received = await log.treeHead
/// let proof = try await log.consistencyProof(from: saved.size, to: received.size)
/// try CheckpointWitness.verifyExtension(older: saved, newer: received, proof: proof)
/// try CheckpointWitness.write(try received.signed(by: signer), to: "/tmp/audit.checkpoint")
/// ```
public enum CheckpointWitness {
    /// Checks that `newer` extends `older`: same origin, a size no smaller, and `proof` verifies
    /// as an RFC 9162 consistency proof between their roots. Throws `.tampered` otherwise.
    public static func verifyExtension(older: Checkpoint, newer: Checkpoint, proof: [MerkleHash]) throws(AccessError) {
        guard older.origin == newer.origin else {
            throw AccessError(.tampered, "checkpoint origin '\(newer.origin)' is not the witnessed '\(older.origin)'")
        }
        guard newer.size >= older.size else {
            throw AccessError(.tampered, "checkpoint size \(newer.size) is below the witnessed size \(older.size)")
        }
        guard MerkleTree.verifyConsistency(oldSize: older.size, newSize: newer.size, oldRoot: older.rootHash,
                                           newRoot: newer.rootHash, proof: proof) else {
            throw AccessError(.tampered, "checkpoint of size \(newer.size) does not extend the witnessed checkpoint of size \(older.size)")
        }
    }

    /// Accepts `note` into the witness file at `path`: opens it with `verifier` for `origin`, and
    /// when the file already holds a checkpoint, requires `proof` to show the new one extends it;
    /// then replaces the file atomically and returns the accepted checkpoint.
    ///
    /// A checkpoint older than the witnessed one is refused (`.tampered`), so the file only ever
    /// moves forward; a missing file is the first checkpoint and needs no proof.
    public static func accept(_ note: String, proof: [MerkleHash], at path: String, origin: String,
                              verifier: NoteVerifier) throws(AccessError) -> Checkpoint {
        let newer = try Checkpoint.open(note, origin: origin, verifier: verifier)
        if FileManager.default.fileExists(atPath: path) {
            let older = try read(from: path, origin: origin, verifier: verifier)
            try verifyExtension(older: older, newer: newer, proof: proof)
        }
        try write(try SignedNote.parse(note), to: path)
        return newer
    }

    /// Writes `note` to `path` atomically: a temporary file in the same directory, flushed, then
    /// renamed over `path`, so a reader sees the old checkpoint or the new one, never a mix.
    /// Throws `.io` when any step fails (the temporary file is then removed).
    public static func write(_ note: SignedNote, to path: String) throws(AccessError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).\(UUID().uuidString).tmp"
        let bytes = Array(note.serialized.utf8)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw AccessError(.io, "\(path): cannot create a temporary file (\(String(cString: strerror(errno))))")
        }
        var written = 0
        var failure: String?
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                break
            }
            written += result
        }
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw AccessError(.io, "\(path): cannot write the checkpoint (\(failure))")
        }
    }

    /// Reads a checkpoint note from `path` and opens it with `verifier` for `origin`; throws
    /// `.io` when the file cannot be read, and as ``Checkpoint/open(_:origin:verifier:)`` does.
    public static func read(from path: String, origin: String, verifier: NoteVerifier) throws(AccessError) -> Checkpoint {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AccessError(.io, "\(path): cannot open the checkpoint file")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: SignedNote.maximumBytes + 1) ?? Data()
        } catch {
            throw AccessError(.io, "\(path): cannot read the checkpoint file", underlying: error)
        }
        guard data.count <= SignedNote.maximumBytes else {
            throw AccessError(.malformed, "\(path): the checkpoint file exceeds \(SignedNote.maximumBytes) bytes")
        }
        let note = try SignedNote.parse(Array(data))
        let checkpoint = try Checkpoint(body: try note.verifiedText(by: [verifier]))
        guard checkpoint.origin == origin else {
            throw AccessError(.tampered, "\(path): checkpoint origin '\(checkpoint.origin)' is not '\(origin)'")
        }
        return checkpoint
    }
}

/// write(2), named apart from ``CheckpointWitness/write(_:to:)``.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, buffer, count)
    #else
    Darwin.write(descriptor, buffer, count)
    #endif
}

extension AuditLog {
    /// Signs the current tree head and writes it atomically to `path` (a witness file).
    public func publishCheckpoint(to path: String) throws(AccessError) -> SignedNote {
        let note = try checkpoint()
        try CheckpointWitness.write(note, to: path)
        return note
    }
}
