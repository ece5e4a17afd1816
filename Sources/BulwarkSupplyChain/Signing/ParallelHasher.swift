internal import Crypto
internal import Foundation
#if canImport(Glibc)
internal import Glibc
// `struct stat` may resolve through CoreFoundation once Foundation is imported publicly in the module.
#if canImport(CoreFoundation)
internal import CoreFoundation
#endif
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One piece of work for ``ParallelHasher``: a whole file, or the byte range of one shard.
struct HashJob: Sendable {
    let path: String
    let start: Int64
    /// Exclusive end of the shard; `nil` hashes to the end of the file, however long it turns out to be.
    let end: Int64?
}

/// Streams files through SHA-256 on several threads at once.
///
/// Each job reads its file with `pread` into a fixed buffer, so memory stays at
/// `parallelism × bufferSize` however large the files are; jobs are started largest first so
/// the cores finish together.
enum ParallelHasher {
    /// Bytes read per `pread` call.
    static let bufferSize = 256 << 10

    /// The SHA-256 digest of each job, in the order of `jobs`.
    static func digests(of jobs: [HashJob], parallelism: Int?) async throws(SigningError) -> [[UInt8]] {
        let width = max(1, parallelism ?? ProcessInfo.processInfo.activeProcessorCount)
        let order = jobs.indices.sorted { jobLength(jobs[$0]) > jobLength(jobs[$1]) }
        do {
            return try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                var results = [[UInt8]](repeating: [], count: jobs.count)
                var next = 0
                func startNext() {
                    guard next < order.count else { return }
                    let index = order[next]
                    let job = jobs[index]
                    next += 1
                    group.addTask { (index, try hash(job)) }
                }
                for _ in 0..<min(width, order.count) { startNext() }
                while let (index, digest) = try await group.next() {
                    results[index] = digest
                    startNext()
                }
                return results
            }
        } catch let error as SigningError {
            throw error
        } catch {
            throw SigningError(.io, "hashing was interrupted: \(error)", underlying: error)
        }
    }

    private static func jobLength(_ job: HashJob) -> Int64 {
        if let end = job.end { return end - job.start }
        var info = stat()
        return stat(job.path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// The SHA-256 digest of one job, read in `bufferSize` pieces.
    static func hash(_ job: HashJob) throws(SigningError) -> [UInt8] {
        // O_NONBLOCK + fstat: a file swapped for a FIFO after the walk is refused, never waited on.
        let fd = open(job.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw SigningError(.io, "cannot open '\(job.path)': \(errnoDescription())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw SigningError(.unsupportedPath, "'\(job.path)' is not a regular file") }
        #if canImport(Glibc)
        _ = posix_fadvise(fd, off_t(job.start), off_t(job.end.map { $0 - job.start } ?? 0), POSIX_FADV_SEQUENTIAL)
        #endif
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 4096)
        defer { buffer.deallocate() }
        var offset = job.start
        while true {
            var wanted = bufferSize
            if let end = job.end {
                let remaining = end - offset
                if remaining <= 0 { break }
                wanted = Int(min(Int64(bufferSize), remaining))
            }
            guard let base = buffer.baseAddress else { break }
            let count = pread(fd, base, wanted, off_t(offset))
            if count < 0 {
                if errno == EINTR { continue }
                throw SigningError(.io, "cannot read '\(job.path)' at offset \(offset): \(errnoDescription())")
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += Int64(count)
        }
        return Array(hasher.finalize())
    }
}
