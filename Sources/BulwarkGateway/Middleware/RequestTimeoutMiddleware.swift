public import Hummingbird
import Dispatch
import Foundation
import HTTPTypes
import Synchronization

/// Bounds the time from a request's head to its response head.
///
/// The rest of the chain runs in a task of its own, which a shared ``DeadlineTimer`` cancels
/// when the limit passes (counted from when that task starts). The request then fails with
/// ``GatewayError`` `.requestTimeout` (408) if its body was still being read (a slow client) or
/// `.unavailable` (503) otherwise (a slow server). Handlers must honour task cancellation, as reading the body and Swift's sleeps do:
/// a handler that ignores it keeps its task until it returns, and the client waits for it.
/// A response body streamed after the head is not covered; the connection's idle timeout is.
///
/// (A task group racing the chain against a `Task.sleep` did the same with two child tasks and
/// a timer per request, a tenth of a small request's CPU time; one task and an entry in a
/// queue that a single thread watches cost a fraction of that.)
public struct RequestTimeoutMiddleware: RouterMiddleware {
    /// The limit.
    public let timeout: Duration

    /// A middleware failing requests that take longer than `timeout`.
    public init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Runs the rest of the chain under the limit.
    public func handle(
        _ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        let expectsBody = request.headers[.transferEncoding] != nil || (request.headers[.contentLength].flatMap { Int($0) } ?? 0) > 0
        return try await withoutActuallyEscaping(next) { next in
            let work = UncheckedNext(next: next)
            let cancellation = Cancellation()
            // The chain's end and the deadline's claim race under the timer's lock: the one that
            // comes first decides, as when a task group raced the chain against a sleep. The
            // limit counts from when the task starts, as that sleep's did: a request the pool has
            // not yet begun (a burst of synchronous work holding it) is not already late.
            let task = Task { () async -> (Result<Response, any Error>, inTime: Bool) in
                let deadline = DeadlineTimer.shared.schedule(after: timeout) { cancellation.fire() }
                let result: Result<Response, any Error>
                do { result = .success(try await work.next(request, context)) } catch { result = .failure(error) }
                return (result, DeadlineTimer.shared.cancel(deadline))
            }
            cancellation.arm { task.cancel() }
            // The task is awaited on every path, so `next` never outlives this call.
            let (result, inTime) = await withTaskCancellationHandler {
                await task.value
            } onCancel: {
                task.cancel()
            }
            guard inTime else {
                let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
                if expectsBody && !context.bodyProgress.isFinished {
                    throw GatewayError(.requestTimeout, "the request body was not received within \(seconds) seconds")
                }
                throw GatewayError(.unavailable, "the request did not complete within \(seconds) seconds")
            }
            return try result.get()
        }
    }
}

/// What a request's deadline cancels: the task running its chain, once it exists (the deadline
/// may fire first, and then the task is cancelled as soon as it is armed).
private final class Cancellation: Sendable {
    private let state = Mutex<(cancel: (@Sendable () -> Void)?, fired: Bool)>((nil, false))

    func arm(_ cancel: @escaping @Sendable () -> Void) {
        if state.withLock({ state in state.cancel = cancel; return state.fired }) { cancel() }
    }

    func fire() {
        state.withLock { state in state.fired = true; return state.cancel }?()
    }
}

/// The `next` closure of a middleware, carried into the task that ``RequestTimeoutMiddleware``
/// awaits before it returns, so it never outlives its caller.
// @unchecked Sendable: Hummingbird's `next` is not declared `@Sendable`, but the chain it calls
// is built of Sendable middleware and responders, and the task ends before `handle` returns.
private struct UncheckedNext: @unchecked Sendable {
    let next: (Request, GatewayRequestContext) async throws -> Response
}

/// Runs actions at deadlines unless they are cancelled first: the request timeouts of every
/// gateway in the process, watched by one thread.
///
/// Entries with the same delay come due in the order they were scheduled, so each delay has a
/// first-in, first-out queue and the thread sleeps until the earliest head. A cancelled entry
/// leaves its queue when it reaches the head, which, with requests finishing roughly in order,
/// is soon.
///
/// A due action runs in a task on the concurrency pool, and is claimed only when that task
/// starts: work that finished before the pool reached its deadline's task is not failed. So
/// when the pool is held up (a burst of synchronous work), a request and its deadline wait
/// alike, as a `Task.sleep` racing the request would, instead of the clock failing requests the
/// pool never had a chance to run.
final class DeadlineTimer: Sendable {
    /// The process's timer (its thread starts with the first deadline).
    static let shared = DeadlineTimer()

    /// A scheduled deadline, for ``cancel(_:)``.
    struct Entry: Sendable {
        fileprivate let id: UInt64
        fileprivate let delay: Duration
    }

    /// One delay's entries in deadline order, from `head` on (a class: mutated in place under the lock).
    private final class Queue {
        var ids: [UInt64] = []
        var deadlines: [DispatchTime] = []
        var head = 0

        var isEmpty: Bool { head == ids.count }
        var firstDeadline: DispatchTime? { isEmpty ? nil : deadlines[head] }

        func append(_ id: UInt64, _ deadline: DispatchTime) {
            if head > 64 && head * 2 > ids.count {
                ids.removeFirst(head)
                deadlines.removeFirst(head)
                head = 0
            }
            ids.append(id)
            deadlines.append(deadline)
        }
    }

    private struct State {
        var queues: [Duration: Queue] = [:]
        var actions: [UInt64: @Sendable () -> Void] = [:]
        var nextID: UInt64 = 0
        var started = false

        /// Drops the cancelled entries at the head of `queue`.
        func dropCancelledHeads(_ queue: Queue) {
            while !queue.isEmpty && actions[queue.ids[queue.head]] == nil { queue.head += 1 }
        }
    }

    private let state = Mutex(State())
    /// Signalled when a queue gains its first entry (the thread may be sleeping without a deadline).
    private let wake = DispatchSemaphore(value: 0)

    /// Runs `action` (in a task) `delay` from now unless ``cancel(_:)`` comes first.
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> Entry {
        let nanoseconds = delay.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let total = nanoseconds.overflow ? Int64.max : nanoseconds.partialValue &+ delay.components.attoseconds / 1_000_000_000
        let (id, signal, start) = state.withLock { state -> (UInt64, Bool, Bool) in
            // taken under the lock, so a queue's deadlines never decrease
            let deadline = DispatchTime.now() + DispatchTimeInterval.nanoseconds(Int(clamping: total))
            let id = state.nextID
            state.nextID += 1
            state.actions[id] = action
            let queue: Queue
            if let existing = state.queues[delay] { queue = existing } else { queue = Queue(); state.queues[delay] = queue }
            let wasEmpty = queue.isEmpty
            queue.append(id, deadline)
            let start = !state.started
            state.started = true
            return (id, wasEmpty, start)
        }
        if start {
            let thread = Thread { [self] in run() }
            thread.name = "bulwark-deadlines"
            thread.start()
        }
        if signal { wake.signal() }
        return Entry(id: id, delay: delay)
    }

    /// Cancels `entry`'s action: true when it had not run (and now will not), false when it has
    /// run or is running.
    func cancel(_ entry: Entry) -> Bool {
        state.withLock { state in
            guard state.actions.removeValue(forKey: entry.id) != nil else { return false }
            if let queue = state.queues[entry.delay] { state.dropCancelledHeads(queue) }
            return true
        }
    }

    /// Takes the action of a due entry, unless ``cancel(_:)`` took it first.
    private func claim(_ id: UInt64) -> (@Sendable () -> Void)? {
        state.withLock { $0.actions.removeValue(forKey: id) }
    }

    private func run() {
        while true {
            // the due entries, off their queues under the lock; then the earliest deadline ahead
            let (due, next) = state.withLock { state -> ([UInt64], DispatchTime?) in
                let now = DispatchTime.now()
                var due: [UInt64] = []
                var next: DispatchTime?
                for queue in state.queues.values {
                    while let deadline = queue.firstDeadline, deadline <= now {
                        let id = queue.ids[queue.head]
                        if state.actions[id] != nil { due.append(id) }
                        queue.head += 1
                    }
                    state.dropCancelledHeads(queue)
                    if let deadline = queue.firstDeadline { next = next.map { min($0, deadline) } ?? deadline }
                }
                return (due, next)
            }
            for id in due {
                Task { [self] in claim(id)?() }
            }
            if due.isEmpty { _ = wake.wait(timeout: next ?? .distantFuture) }
        }
    }
}
