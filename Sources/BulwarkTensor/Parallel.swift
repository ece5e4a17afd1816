import Foundation

/// How many worker threads batch-parallel loops use: `BULWARK_THREADS` when it is set to a
/// positive integer (to share a machine, or to benchmark one core), else the machine's active
/// processor count.
public let parallelWorkerCount: Int = {
    if let text = ProcessInfo.processInfo.environment["BULWARK_THREADS"], let n = Int(text), n > 0 { return n }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
}()

/// Runs `body` with every batch-parallel loop and matrix product it starts kept on the calling
/// thread (``parallelChunks(_:costPerItem:_:)`` and `BLAS` run serially there; other threads are
/// unaffected). For threads that are themselves one of several workers sharing the cores — a
/// server's inference threads, each taking its own batch — where splitting every operation
/// again only adds hand-offs and contention.
public func serially<T>(_ body: () throws -> T) rethrows -> T {
    let previous = pthread_getspecific(serialKey)
    pthread_setspecific(serialKey, UnsafeRawPointer(bitPattern: 1))
    defer { pthread_setspecific(serialKey, previous) }
    return try body()
}

/// The workers a batch-parallel loop may use on this thread: 1 inside ``serially(_:)``, else
/// ``parallelWorkerCount``.
var currentWorkerCount: Int {
    pthread_getspecific(serialKey) == nil ? parallelWorkerCount : 1
}

private let serialKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key, nil)
    precondition(status == 0, "pthread_key_create failed: \(status)")
    return key
}()

/// Runs `body(range)` over `0..<count` split into contiguous chunks, in parallel when the work
/// is large enough to pay for the thread hand-off (`count * costPerItem >= 32_768`).
///
/// `body` must only write to disjoint memory for disjoint ranges.
public func parallelChunks(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
    if count <= 0 { return }
    let workers = currentWorkerCount
    if workers == 1 || count < 2 || count * costPerItem < 32_768 {
        body(0..<count)
        return
    }
    let chunks = min(workers, count)
    withoutActuallyEscaping(body) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { box.value(lo..<hi) }
        }
    }
}

/// Wraps a value (a closure or pointer) so it can be used from `parallelChunks` workers.
/// Safe because `parallelChunks` callers write only disjoint ranges and the closure does not
/// outlive the call.
package struct UncheckedBox<T>: @unchecked Sendable {
    /// The wrapped value.
    package let value: T
    /// Wraps `value`.
    package init(_ value: T) { self.value = value }
}

/// A mutable pointer that may be shared by parallel chunks writing disjoint ranges.
/// Safe only under that discipline, which every caller in this module follows.
package struct SharedPointer: @unchecked Sendable {
    /// The start of the shared buffer.
    package let base: UnsafeMutablePointer<Float>
    /// Shares `base`.
    package init(_ base: UnsafeMutablePointer<Float>) { self.base = base }
}
