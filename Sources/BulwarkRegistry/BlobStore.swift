internal import Crypto
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The content-addressed blob directory: `sha256/<hex>` holds committed artifacts, `tmp/` holds
/// uploads in progress. A blob appears under its address only after its bytes are on disk
/// (written, `fsync`ed, renamed, directory `fsync`ed).
struct BlobStore: Sendable {
    let root: String
    var blobDirectory: String { root + "/sha256" }
    var temporaryDirectory: String { root + "/tmp" }

    init(root: String) throws(RegistryError) {
        self.root = root
        for directory in [root, root + "/sha256", root + "/tmp"] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw RegistryError(.storage, "blob directory '\(directory)': cannot create it: \(error.localizedDescription)", underlying: error)
            }
        }
    }

    func path(of sha256: String) -> String { blobDirectory + "/" + sha256 }

    /// Hashes the blob `sha256` again and returns its size and digest, or throws `storage` when
    /// it is missing, unreadable, or not what its name says.
    func check(_ sha256: String, expectedSize: Int64) throws(RegistryError) -> (size: Int64, sha256: String) {
        let path = path(of: sha256)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw RegistryError(.storage, "blob \(sha256.prefix(16))…: missing from the blob directory (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var hasher = SHA256()
        var size: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw RegistryError(.storage, "blob \(sha256.prefix(16))…: read failed (\(String(cString: strerror(errno))))")
            }
            if count == 0 { break }
            hasher.update(data: buffer[0..<count])
            size += Int64(count)
        }
        let found = hex(hasher.finalize())
        guard found == sha256, size == expectedSize else {
            throw RegistryError(.storage, "blob \(sha256.prefix(16))…: tampered (size \(size), sha256 \(found.prefix(16))…; recorded size \(expectedSize))")
        }
        return (size, found)
    }

    /// Removes files in `tmp/` and blobs no version references, when older than `olderThan`.
    func sweep(referenced: Set<String>, olderThan: TimeInterval, now: Date) -> (temporaries: Int, orphans: Int) {
        var temporaries = 0, orphans = 0
        let cutoff = now.addingTimeInterval(-olderThan)
        func old(_ path: String) -> Bool {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let modified = attributes[.modificationDate] as? Date else { return false }
            return modified <= cutoff
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory)) ?? [] {
            let path = temporaryDirectory + "/" + name
            if old(path), unlink(path) == 0 { temporaries += 1 }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: blobDirectory)) ?? [] where !referenced.contains(name) {
            let path = blobDirectory + "/" + name
            if old(path), unlink(path) == 0 { orphans += 1 }
        }
        return (temporaries, orphans)
    }
}

/// An upload in progress: bytes are appended to a temporary file in the blob directory while
/// they are hashed and counted against the size limit.
///
/// Made by ``ModelRegistry/beginUpload(maxBytes:expectedSHA256:)``; feed it with ``append(_:)``
/// and hand it to ``ModelRegistry/commit(_:model:filename:by:lineage:signatureBundle:attestation:)``,
/// or call ``abort()``. An upload neither committed nor aborted deletes its temporary file when
/// it is freed; a process killed mid-upload leaves only a temporary file that
/// ``ModelRegistry/sweep(olderThan:)`` removes. Use it from one task at a time.
public final class PendingUpload {
    /// The most bytes accepted.
    public let maxBytes: Int64
    /// The SHA-256 the caller declared (64 lowercase hex digits), checked at the end, if any.
    public let expectedSHA256: String?
    /// Bytes received so far.
    public private(set) var byteCount: Int64 = 0

    let temporaryPath: String
    private var fd: Int32
    private var hasher = SHA256()
    private var failed = false

    init(directory: String, maxBytes: Int64, expectedSHA256: String?) throws(RegistryError) {
        self.maxBytes = maxBytes
        self.expectedSHA256 = expectedSHA256
        temporaryPath = directory + "/upload-" + UUID().uuidString.lowercased() + ".part"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw RegistryError(.storage, "blob directory '\(directory)': cannot create an upload file (\(String(cString: strerror(errno))))")
        }
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temporaryPath)
        }
    }

    /// Appends `chunk`: refuses with `invalidUpload` (and deletes the temporary file) when the
    /// total would exceed ``maxBytes``; `storage` when the disk write fails.
    public func append(_ chunk: some Collection<UInt8>) throws(RegistryError) {
        guard fd >= 0, !failed else {
            throw RegistryError(.invalidUpload, "upload: already finished or aborted")
        }
        let (total, overflow) = byteCount.addingReportingOverflow(Int64(chunk.count))
        guard !overflow, total <= maxBytes else {
            abort()
            throw RegistryError(.invalidUpload, "upload: more than the limit of \(maxBytes) bytes")
        }
        let written: Bool = chunk.withContiguousStorageIfAvailable { buffer in
            consume(UnsafeRawBufferPointer(buffer))
        } ?? Array(chunk).withUnsafeBytes { consume($0) }
        guard written else {
            let reason = String(cString: strerror(errno))
            abort()
            throw RegistryError(.storage, "upload: writing the temporary file failed (\(reason))")
        }
        byteCount = total
    }

    /// Hashes and writes `buffer`; `false` when the write fails (`errno` says why).
    private func consume(_ buffer: UnsafeRawBufferPointer) -> Bool {
        hasher.update(bufferPointer: buffer)
        return writeAll(buffer)
    }

    private func writeAll(_ buffer: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let count = write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }

    /// Stops the upload and deletes its temporary file; harmless when already finished.
    public func abort() {
        failed = true
        if fd >= 0 {
            close(fd)
            fd = -1
            unlink(temporaryPath)
        }
    }

    /// Makes the bytes durable and moves them to their content address in `store`; returns the
    /// digest and size. After this the blob is visible under its address (a version row does not
    /// exist yet: a crash now leaves an orphan blob that a sweep removes).
    func finish(into store: BlobStore) throws(RegistryError) -> (sha256: String, size: Int64) {
        guard fd >= 0, !failed else {
            throw RegistryError(.invalidUpload, "upload: already finished or aborted")
        }
        let digest = hex(hasher.finalize())
        if let expectedSHA256, expectedSHA256 != digest {
            abort()
            throw RegistryError(.invalidUpload, "upload: the bytes hash to sha256 \(digest.prefix(16))…, not the declared \(expectedSHA256.prefix(16))…")
        }
        guard byteCount > 0 else {
            abort()
            throw RegistryError(.invalidUpload, "upload: no bytes received")
        }
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            abort()
            throw RegistryError(.storage, "upload: fsync of the temporary file failed (\(reason))")
        }
        close(fd)
        fd = -1
        failed = true
        let target = store.path(of: digest)
        guard rename(temporaryPath, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw RegistryError(.storage, "upload: cannot move the artifact into the blob directory (\(reason))")
        }
        let directory = open(store.blobDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
        return (digest, byteCount)
    }
}
