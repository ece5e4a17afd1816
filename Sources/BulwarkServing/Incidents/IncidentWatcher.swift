import Synchronization

/// Applies the shared incident state on one gateway replica: polls ``IncidentStore``'s change
/// counter (one primary-key read, every 250 ms by default), and when it moved reads the state
/// and applies it — the kill set to ``ModelHost/setKilled(_:)``, the quarantined clients to its
/// in-memory set (``isQuarantined(_:)``) and to the ``QueryJournal``'s kept clients — and
/// re-reads the registry (``ModelHost/refresh()``), so a rollback made on another replica is
/// served here too. A kill thus reaches every replica within one poll period plus one read.
///
/// ```swift
/// let store = try await IncidentStore(database: try await openDatabase("sqlite:/tmp/bulwark-incidents-example.db"))
/// let journal = QueryJournal()
/// let watcher = IncidentWatcher(store: store, host: nil, journal: journal)
/// try await watcher.poll()                     // apply the state at startup
/// let task = Task { await watcher.run() }      // then follow it
/// if watcher.isQuarantined("service:scraper") { /* refuse */ }
/// ```
public final class IncidentWatcher: Sendable {
    /// The shared state's store.
    public let store: IncidentStore
    /// The host whose kill set is kept current, if this replica serves models.
    public let host: ModelHost?
    /// The journal whose quarantined clients are kept, if any.
    public let journal: QueryJournal?
    /// How often the counter is read.
    public let interval: Duration

    private struct Applied {
        var generation: Int64?
        var quarantined: Set<String> = []
        var killed: Set<String> = []
    }

    private let applied = Mutex(Applied())

    /// A watcher applying `store`'s state to `host` and `journal` every `interval`.
    public init(store: IncidentStore, host: ModelHost?, journal: QueryJournal? = nil, interval: Duration = .milliseconds(250)) {
        self.store = store
        self.host = host
        self.journal = journal
        self.interval = interval
    }

    /// Whether `client` (the gateway's principal name: a user id or `service:ID`) is quarantined,
    /// as of the last poll; an in-memory set lookup, for every inference request.
    public func isQuarantined(_ client: String) -> Bool {
        applied.withLock { $0.quarantined.contains(client) }
    }

    /// The quarantined clients as of the last poll.
    public var quarantined: Set<String> { applied.withLock { $0.quarantined } }

    /// The killed versions' keys as of the last poll.
    public var killed: Set<String> { applied.withLock { $0.killed } }

    /// Reads the counter and, when it changed since the last poll (or on the first one), reads
    /// and applies the state. Returns whether it applied a change.
    ///
    /// Polls may overlap (the ``run(onError:)`` loop, and a replica applying its own change at
    /// once): a state older than the one applied meanwhile is dropped, never applied over it, so
    /// a kill or quarantine just made cannot be undone until the next change.
    ///
    /// - Throws: ``ServingError`` `.storage` when the database fails (the last state stays in force).
    @discardableResult
    public func poll() async throws(ServingError) -> Bool {
        let generation = try await store.generation()
        let previous = applied.withLock { $0.generation }
        guard previous != generation else { return false }
        let state = try await store.state()
        let killed = state.killedKeys
        let quarantined = state.quarantinedClients
        let host = host
        let journal = journal
        // Compared and applied under the lock, so that two polls apply their states in counter order.
        let fresh = applied.withLock { current in
            if let applied = current.generation, applied > state.generation { return false }
            host?.setKilled(killed)
            journal?.setKept(quarantined)
            current = Applied(generation: state.generation, quarantined: quarantined, killed: killed)
            return true
        }
        guard fresh else { return false }
        if previous != nil, let host { await host.refresh() }
        return true
    }

    /// Polls every ``interval`` until the task is cancelled; a failed poll is reported to
    /// `onError` and retried at the next period.
    public func run(onError: @Sendable (ServingError) async -> Void = { _ in }) async {
        while !Task.isCancelled {
            do {
                try await poll()
            } catch {
                await onError(error)
            }
            try? await Task.sleep(for: interval)
        }
    }
}
