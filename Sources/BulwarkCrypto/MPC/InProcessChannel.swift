import Synchronization

/// An ``MPCChannel`` between tasks of one process: a mailbox per ordered pair of parties, with a
/// receive timeout so that a party that stops answering aborts the protocol instead of hanging it.
///
/// ``network(parties:timeoutSeconds:)`` makes one endpoint per party over shared mailboxes.
/// ``close()`` models a party that disappears (a process that died, a dropped connection):
/// every receive that waits on it, and every later send to it, throws `.partyUnavailable` at
/// once; a receive that waits longer than `timeoutSeconds`, or whose task is cancelled, throws
/// the same code.
///
/// Messages are copied arrays, never shared buffers, so a party cannot see another's memory.
///
/// ```swift
/// let channels = InProcessChannel.network(parties: 2, timeoutSeconds: 1)
/// try await channels[0].send([42], to: 1)
/// print(try await channels[1].receive(from: 0))  // [42]
/// channels[0].close()
/// do { _ = try await channels[1].receive(from: 0) } catch { print(error.code == .partyUnavailable) }  // true
/// ```
public struct InProcessChannel: MPCChannel {
    /// This endpoint's party id.
    public let partyID: Int
    /// The number of parties of the network.
    public let partyCount: Int
    /// Seconds a receive waits for a message before it throws `.partyUnavailable`.
    public let timeoutSeconds: Double
    private let hub: InProcessHub

    /// The endpoints of a network of `parties` parties (index = party id), each receive waiting
    /// at most `timeoutSeconds` (default 30 s).
    public static func network(parties: Int, timeoutSeconds: Double = 30) -> [InProcessChannel] {
        let count = max(parties, 1)
        let hub = InProcessHub(parties: count)
        return (0..<count).map { InProcessChannel(partyID: $0, partyCount: count, timeoutSeconds: timeoutSeconds, hub: hub) }
    }

    private init(partyID: Int, partyCount: Int, timeoutSeconds: Double, hub: InProcessHub) {
        self.partyID = partyID
        self.partyCount = partyCount
        self.timeoutSeconds = timeoutSeconds
        self.hub = hub
    }

    /// Puts `message` in the mailbox from this party to `party`.
    public func send(_ message: [UInt8], to party: Int) async throws(CryptoError) {
        try checkPeer(party)
        try hub.mailbox(from: partyID, to: party).put(message, from: partyID, to: party)
    }

    /// The next message from `party`, waiting at most ``timeoutSeconds``.
    public func receive(from party: Int) async throws(CryptoError) -> [UInt8] {
        try checkPeer(party)
        return try await hub.mailbox(from: party, to: partyID).take(from: party, timeoutSeconds: timeoutSeconds)
    }

    /// Takes this party off the network: its peers' pending and later receives from it, and
    /// their sends to it, throw `.partyUnavailable`.
    public func close() {
        hub.close(party: partyID)
    }
}

/// The mailboxes of an in-process network.
final class InProcessHub: Sendable {
    let parties: Int
    let mailboxes: [Mailbox]

    init(parties: Int) {
        self.parties = parties
        mailboxes = (0..<parties * parties).map { _ in Mailbox() }
    }

    func mailbox(from: Int, to: Int) -> Mailbox { mailboxes[from * parties + to] }

    func close(party: Int) {
        for other in 0..<parties where other != party {
            mailbox(from: party, to: other).close()
            mailbox(from: other, to: party).close()
        }
    }
}

/// A FIFO of messages from one party to another, with at most one waiting receiver.
final class Mailbox: Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var head = 0
        var closed = false
        /// The waiting receiver and the ticket that names its wait.
        var waiter: (ticket: Int, continuation: CheckedContinuation<Result<[UInt8], CryptoError>, Never>)?
        var nextTicket = 0
        /// The timer of the current wait, cancelled when a message or a close ends the wait.
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func put(_ message: [UInt8], from: Int, to: Int) throws(CryptoError) {
        let result: Result<Void, CryptoError> = state.withLock { state in
            if state.closed { return .failure(CryptoError(.partyUnavailable, "party \(to) is gone: cannot send from party \(from)")) }
            if let waiter = state.waiter {
                state.waiter = nil
                state.timer?.cancel()
                state.timer = nil
                waiter.continuation.resume(returning: .success(message))
            } else {
                state.queue.append(message)
            }
            return .success(())
        }
        try result.get()
    }

    func take(from party: Int, timeoutSeconds: Double) async throws(CryptoError) -> [UInt8] {
        let gone = CryptoError(.partyUnavailable, "party \(party) is gone: its channel closed")
        let result: Result<[UInt8], CryptoError> = await withTaskCancellationHandler {
            await wait(from: party, timeoutSeconds: timeoutSeconds, gone: gone)
        } onCancel: {
            fail(CryptoError(.partyUnavailable, "receive from party \(party) cancelled"))
        }
        return try result.get()
    }

    private func wait(from party: Int, timeoutSeconds: Double, gone: CryptoError) async -> Result<[UInt8], CryptoError> {
        await withCheckedContinuation { continuation in
            let ticket: Int? = state.withLock { state in
                if state.head < state.queue.count {
                    let message = state.queue[state.head]
                    state.head += 1
                    if state.head == state.queue.count { state.queue.removeAll(keepingCapacity: true); state.head = 0 }
                    continuation.resume(returning: .success(message))
                    return nil
                }
                if state.closed {
                    continuation.resume(returning: .failure(gone))
                    return nil
                }
                if Task.isCancelled {
                    continuation.resume(returning: .failure(CryptoError(.partyUnavailable, "receive from party \(party) cancelled")))
                    return nil
                }
                state.nextTicket += 1
                state.waiter = (state.nextTicket, continuation)
                return state.nextTicket
            }
            guard let ticket else { return }
            let timer = Task { [self] in
                do { try await Task.sleep(for: .seconds(timeoutSeconds)) } catch { return }
                self.expire(ticket: ticket, party: party, timeoutSeconds: timeoutSeconds)
            }
            state.withLock { state in
                if let waiter = state.waiter, waiter.ticket == ticket { state.timer = timer } else { timer.cancel() }
            }
        }
    }

    /// Fails the current wait, if any, with `error`.
    private func fail(_ error: CryptoError) {
        state.withLock { state in
            guard let waiter = state.waiter else { return }
            state.waiter = nil
            state.timer?.cancel()
            state.timer = nil
            waiter.continuation.resume(returning: .failure(error))
        }
    }

    /// Fails the wait named by `ticket` if it is still waiting.
    private func expire(ticket: Int, party: Int, timeoutSeconds: Double) {
        state.withLock { state in
            guard let waiter = state.waiter, waiter.ticket == ticket else { return }
            state.waiter = nil
            state.timer = nil
            waiter.continuation.resume(returning: .failure(CryptoError(.partyUnavailable, "party \(party) sent nothing within \(timeoutSeconds) s")))
        }
    }

    func close() {
        state.withLock { state in
            state.closed = true
            if let waiter = state.waiter {
                state.waiter = nil
                state.timer?.cancel()
                state.timer = nil
                waiter.continuation.resume(returning: .failure(CryptoError(.partyUnavailable, "party is gone: its channel closed")))
            }
        }
    }
}
