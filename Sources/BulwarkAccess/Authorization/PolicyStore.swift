import Foundation
import Synchronization

/// What a reload attempt did.
public enum PolicyReload: Sendable, Equatable {
    /// The file is as it was (same stamp, or same content): the policy in force stays.
    case unchanged
    /// The file changed and compiled: the new policy (with this digest) is now in force.
    case reloaded(digest: String)
    /// The file changed but could not be read or compiled: the previous policy stays in force.
    case failed(AccessError)
}

/// Holds the policy in force and replaces it when its file changes, atomically and never with
/// something worse: a file that fails to read or compile leaves the previous policy in place
/// and the failure in ``lastError`` (it neither opens to allow-all nor silently empties to
/// deny-all).
///
/// Changes are noticed by polling the file's modification time and size; a changed file is
/// read, hashed (SHA-256) and compiled only when its content differs from the policy in force.
/// ``reload()`` skips the stamp check (for a `SIGHUP` handler or an admin endpoint).
///
/// ```swift
/// let store = try PolicyStore(path: "/etc/bulwark/policy.yaml")
/// let watcher = Task { await store.watch(every: .seconds(2)) { outcome in print(outcome) } }
/// let decision = store.evaluate(principal: .anonymous, action: .modelList, resource: Resource(type: "model"),
///                               context: AuthorizationContext())
/// print(decision.reason, store.lastError?.message ?? "file in force")
/// watcher.cancel()
/// ```
public final class PolicyStore: Sendable {
    private struct State {
        var policy: Policy
        var stamp: PolicyFile.Stamp?
        var lastError: AccessError?
    }

    /// The watched file.
    public let path: String
    private let state: Mutex<State>

    /// Loads the policy at `path`; there is no previous policy to fall back on, so a bad file
    /// is an error here.
    ///
    /// - Throws: ``AccessError`` `.io` or `.malformed`, as ``Policy/init(contentsOf:)``.
    public init(path: String) throws(AccessError) {
        self.path = path
        let file = try PolicyFile.read(path)
        let policy = try Policy(yaml: file.text, source: path)
        state = Mutex(State(policy: policy, stamp: file.stamp, lastError: nil))
    }

    /// The policy in force.
    public var policy: Policy { state.withLock { $0.policy } }

    /// Why the latest change to the file was not applied, or nil when the file in force is the
    /// file on disk.
    public var lastError: AccessError? { state.withLock { $0.lastError } }

    /// Evaluates a request against the policy in force (see ``Policy/evaluate(principal:action:resource:context:)``).
    public func evaluate(principal: Principal, action: Action, resource: Resource, context: AuthorizationContext) -> Decision {
        policy.evaluate(principal: principal, action: action, resource: resource, context: context)
    }

    /// Reloads when the file's modification time or size differ from the version last seen.
    /// A failure is reported once per change of the file; later polls of the same bad file
    /// return ``PolicyReload/unchanged`` while ``lastError`` keeps the failure.
    @discardableResult
    public func reloadIfChanged() -> PolicyReload {
        let stamp: PolicyFile.Stamp
        do {
            stamp = try PolicyFile.stamp(path)
        } catch {
            return record(failure: error, stamp: nil)
        }
        if state.withLock({ $0.stamp == stamp }) { return .unchanged }
        return load()
    }

    /// Reads, hashes and (if its content changed) compiles the file now, whatever its stamp.
    @discardableResult
    public func reload() -> PolicyReload { load() }

    /// Polls the file every `interval` until the task is cancelled, calling `onChange` for
    /// every outcome other than ``PolicyReload/unchanged``.
    public func watch(every interval: Duration, onChange: @Sendable (PolicyReload) -> Void = { _ in }) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let outcome = reloadIfChanged()
            if outcome != .unchanged { onChange(outcome) }
        }
    }

    private func load() -> PolicyReload {
        let file: PolicyFile
        do {
            file = try PolicyFile.read(path)
        } catch {
            return record(failure: error, stamp: try? PolicyFile.stamp(path))
        }
        let current = state.withLock { $0.policy.digest }
        if file.digest == current {
            state.withLock {
                $0.stamp = file.stamp
                $0.lastError = nil
            }
            return .unchanged
        }
        do {
            let policy = try Policy(yaml: file.text, source: path)
            state.withLock { $0 = State(policy: policy, stamp: file.stamp, lastError: nil) }
            return .reloaded(digest: policy.digest)
        } catch {
            return record(failure: error, stamp: file.stamp)
        }
    }

    private func record(failure: AccessError, stamp: PolicyFile.Stamp?) -> PolicyReload {
        let repeated = state.withLock { current -> Bool in
            let same = current.lastError == failure && current.stamp == stamp
            current.lastError = failure
            current.stamp = stamp
            return same
        }
        return repeated ? .unchanged : .failed(failure)
    }
}
