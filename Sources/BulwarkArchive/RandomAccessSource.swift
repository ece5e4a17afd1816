import Glibc

/// Bytes that can be read at any offset without reading what comes before.
///
/// A parser of a large container (a multi-gigabyte checkpoint) asks only for the ranges it
/// needs, so its cost is what it reads, not the size of the file.
///
/// Conformers must be safe to read from several threads at once.
public protocol RandomAccessSource: Sendable {
    /// Total size in bytes.
    var size: Int { get }
    /// A short name for messages (a file path, or "memory").
    var name: String { get }
    /// Exactly `count` bytes starting at `offset`.
    /// - Throws: ``ArchiveError`` with code `.truncated` if the range runs past ``size``,
    ///   `.io` if the underlying read fails.
    func read(offset: Int, count: Int) throws(ArchiveError) -> [UInt8]
}

extension RandomAccessSource {
    /// Checks that `offset..<offset+count` lies inside the source, without overflow.
    func checkRange(offset: Int, count: Int) throws(ArchiveError) {
        guard offset >= 0, count >= 0 else {
            throw ArchiveError(.malformed, "\(name): negative read range (offset \(offset), count \(count))")
        }
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, end <= size else {
            throw ArchiveError(.truncated, "\(name): read of \(count) bytes at offset \(offset) runs past the end (\(size) bytes)")
        }
    }
}

/// A ``RandomAccessSource`` over bytes held in memory.
public struct MemorySource: RandomAccessSource {
    /// The bytes.
    public let bytes: [UInt8]
    /// A short name for messages.
    public let name: String

    /// Wraps `bytes`; `name` appears in error messages.
    public init(_ bytes: [UInt8], name: String = "memory") {
        self.bytes = bytes
        self.name = name
    }

    /// Number of bytes.
    public var size: Int { bytes.count }

    /// Exactly `count` bytes at `offset`.
    public func read(offset: Int, count: Int) throws(ArchiveError) -> [UInt8] {
        try checkRange(offset: offset, count: count)
        return Array(bytes[offset..<(offset + count)])
    }
}

/// A ``RandomAccessSource`` over a regular file, read with `pread(2)`: only the bytes asked
/// for are read, and the file is never mapped or loaded whole.
///
/// The file's size is taken when it is opened; a file that shrinks afterwards makes later
/// reads fail with `.truncated`, never trap.
public final class FileSource: RandomAccessSource {
    // Sendable (checked): every stored property is an immutable `let`, and pread(2) on one
    // descriptor from several threads is safe because it does not move the file offset.
    private let descriptor: Int32
    /// The file's size in bytes when it was opened.
    public let size: Int
    /// The path it was opened with.
    public let name: String

    /// Opens the regular file at `path` for reading.
    /// - Throws: ``ArchiveError`` `.io` if it cannot be opened or is not a regular file.
    public init(path: String) throws(ArchiveError) {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw ArchiveError(.io, "\(path): cannot open (\(String(cString: strerror(errno))))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ArchiveError(.io, "\(path): cannot stat (\(reason))")
        }
        if let kind = FileChecks.kindName(info.st_mode) {
            close(fd)
            throw ArchiveError(.io, "'\(path)' is not a regular file (\(kind))")
        }
        self.descriptor = fd
        self.size = Int(info.st_size)
        self.name = path
    }

    deinit { close(descriptor) }

    /// Exactly `count` bytes at `offset`, read with `pread(2)`.
    public func read(offset: Int, count: Int) throws(ArchiveError) -> [UInt8] {
        try checkRange(offset: offset, count: count)
        if count == 0 { return [] }
        var failure: Int32 = 0
        var shortRead = false
        let result = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { initialized = 0; shortRead = true; return }
            var done = 0
            while done < count {
                let n = pread(descriptor, base + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { shortRead = true; break }
                done += n
            }
            // Zero the rest so the buffer is fully initialised even on failure.
            if done < count { (base + done).initialize(repeating: 0, count: count - done) }
            initialized = count
        }
        if failure != 0 {
            throw ArchiveError(.io, "\(name): read failed at offset \(offset) (\(String(cString: strerror(failure))))")
        }
        if shortRead {
            throw ArchiveError(.truncated, "\(name): file ended before offset \(offset + count)")
        }
        return result
    }
}
