public import BulwarkRegistry
import Foundation
import Synchronization

/// Which model a gateway serves: a registry model's production version, or a pinned version.
///
/// Written `NAME` (production) or `NAME@VERSION` (pinned) on the command line.
public struct ServingSpec: Sendable, Hashable, CustomStringConvertible {
    /// The registry model's name.
    public var model: String
    /// The pinned version, or `nil` to follow the production stage.
    public var pinnedVersion: Int?

    /// A spec with both fields.
    public init(model: String, pinnedVersion: Int? = nil) {
        self.model = model
        self.pinnedVersion = pinnedVersion
    }

    /// Parses `NAME` or `NAME@VERSION`.
    /// - Throws: ``ServingError`` `.invalidParameter` for an empty name or a version that is not positive.
    public init(parsing text: String) throws(ServingError) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, !first.isEmpty else { throw ServingError(.invalidParameter, "'\(text)': expected NAME or NAME@VERSION") }
        model = String(first)
        if parts.count == 2 {
            guard let number = Int(parts[1]), number >= 1 else { throw ServingError(.invalidParameter, "'\(text)': the version must be a positive number") }
            pinnedVersion = number
        }
    }

    /// `NAME` or `NAME@VERSION`.
    public var description: String { pinnedVersion.map { "\(model)@\($0)" } ?? model }
}

/// The models a gateway serves, loaded from the registry, each behind its own
/// ``InferenceBatcher``.
///
/// ``refresh()`` re-reads the registry: a new production version is loaded, verified and swapped
/// in while the old one finishes the requests it accepted (no request is dropped); a version
/// that was revoked, or that has no production version any more, stops being served. A version
/// can be stopped at once with ``setKilled(_:)`` (the incident kill switch); a killed version
/// answers ``ServingError`` `.unavailable` until revived.
public final class ModelHost: Sendable {
    /// One served model's state.
    struct Entry {
        var spec: ServingSpec
        var batcher: InferenceBatcher?
        var reason: String?
        var record: ModelRecord?
    }

    /// The registry models are loaded from.
    public let registry: ModelRegistry
    /// Batching options for every model.
    public let batching: BatchingOptions
    private let state = Mutex<(entries: [String: Entry], killed: Set<String>)>(([:], []))
    private let preparation = Mutex<(@Sendable (ServedModel) throws(ServingError) -> Void)?>(nil)

    /// A host loading from `registry`, batching with `batching`.
    public init(registry: ModelRegistry, batching: BatchingOptions = BatchingOptions()) {
        self.registry = registry
        self.batching = batching
    }

    /// Loads every spec (the first load of a gateway): each must resolve to a servable version.
    ///
    /// - Throws: ``ServingError`` naming the model: `.notFound` for an unknown model or version
    ///   or a model without a production version, `.refused` for a version that is revoked or
    ///   has not passed its gates, `.storage` for an artifact that fails its digest or does not load.
    public func load(_ specs: [ServingSpec]) async throws(ServingError) {
        for spec in specs {
            let model = try await resolve(spec)
            let record = try? await registry.model(named: spec.model)
            let batcher = InferenceBatcher(model: model, options: batching)
            state.withLock { $0.entries[spec.model] = Entry(spec: spec, batcher: batcher, reason: nil, record: record) }
        }
    }

    /// Sets what must be done for a newly loaded version before it takes requests (the defences'
    /// calibration, ``InferenceProtection/prepare(_:)``): ``refresh()`` runs it before the swap,
    /// so a reload never answers "not ready"; a version it fails for is not swapped in.
    public func setPreparation(_ prepare: @escaping @Sendable (ServedModel) throws(ServingError) -> Void) {
        preparation.withLock { $0 = prepare }
    }

    /// Re-reads the registry for every served model and applies what changed; returns one line
    /// per change (for the log and the audit trail).
    @discardableResult
    public func refresh() async -> [String] {
        let entries = state.withLock { $0.entries }
        var changes: [String] = []
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            let current = entry.batcher?.model
            if let record = try? await registry.model(named: name) {
                state.withLock { $0.entries[name]?.record = record }
            }
            do throws(ServingError) {
                let target: ModelVersion
                if let pinned = entry.spec.pinnedVersion {
                    target = try await servableVersion(name, pinned)
                } else {
                    guard let production = try await productionVersion(name) else {
                        throw ServingError(.notFound, "model '\(name)' has no production version")
                    }
                    target = production
                }
                if current?.version == target.number && current?.sha256 == target.sha256 && current?.stage == target.state.rawValue { continue }
                let loaded = try await load(target)
                if let prepare = preparation.withLock({ $0 }) { try prepare(loaded) }
                let batcher = InferenceBatcher(model: loaded, options: batching)
                let old = swap(name, batcher: batcher, reason: nil)
                changes.append("model '\(name)': now serving version \(target.number)" + (current.map { " (was \($0.version))" } ?? ""))
                if let old { Task { await old.drain() } }
            } catch {
                guard current != nil || entry.reason != error.message else { continue }
                let old = swap(name, batcher: nil, reason: error.message)
                changes.append("model '\(name)': not served (\(error.message))")
                if let old { Task { await old.drain() } }
            }
        }
        return changes
    }

    /// Re-reads the registry every `interval` until the task is cancelled; `onChange` receives
    /// each change line.
    public func watch(every interval: Duration, onChange: @Sendable (String) async -> Void = { _ in }) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            for change in await refresh() { await onChange(change) }
        }
    }

    /// The batcher serving `model` (and `version`, when given: only the version being served matches).
    ///
    /// - Throws: ``ServingError`` `.notFound` for a model not served here or another version,
    ///   `.unavailable` for a killed version or one that stopped being served (with the reason).
    public func batcher(model: String, version: Int? = nil) throws(ServingError) -> InferenceBatcher {
        let (entry, killed) = state.withLock { ($0.entries[model], $0.killed) }
        guard let entry else { throw ServingError(.notFound, "model '\(model)' is not served here") }
        guard let batcher = entry.batcher else {
            throw ServingError(.unavailable, "model '\(model)' is not available: \(entry.reason ?? "not loaded")")
        }
        if let version, version != batcher.model.version {
            throw ServingError(.notFound, "model '\(model)' version \(version) is not served here (version \(batcher.model.version) is)")
        }
        guard !killed.contains(Self.key(model, batcher.model.version)) else {
            throw ServingError(.unavailable, "model '\(model)' version \(batcher.model.version) is stopped by the kill switch")
        }
        return batcher
    }

    /// The registry record of a served model (team, risk tier, data classification) as last read,
    /// for policy decisions without a database read per request.
    public func record(model: String) -> ModelRecord? {
        state.withLock { $0.entries[model]?.record }
    }

    /// The version of `model` loaded now, killed or not (`nil` when none is).
    public func loaded(model: String) -> ServedModel? {
        state.withLock { $0.entries[model]?.batcher?.model }
    }

    /// The models being served now (killed ones included), by name.
    public var served: [ServedModel] {
        state.withLock { $0.entries.values.compactMap { $0.batcher?.model } }.sorted { $0.name < $1.name }
    }

    /// The specs given to ``load(_:)``, by model name.
    public var specs: [ServingSpec] {
        state.withLock { $0.entries.values.map(\.spec) }.sorted { $0.model < $1.model }
    }

    /// Whether every served model has a loaded version that is not killed.
    public var isReady: Bool {
        state.withLock { state in
            state.entries.values.allSatisfy { entry in
                guard let model = entry.batcher?.model else { return false }
                return !state.killed.contains(Self.key(model.name, model.version))
            }
        }
    }

    /// Replaces the set of killed versions (`NAME/VERSION` keys); requests to a killed version
    /// are refused from the next call on.
    public func setKilled(_ keys: Set<String>) {
        state.withLock { $0.killed = keys }
    }

    /// The killed versions' keys.
    public var killed: Set<String> { state.withLock { $0.killed } }

    /// The key of a model version in the kill set: `NAME/VERSION`.
    public static func key(_ model: String, _ version: Int) -> String { "\(model)/\(version)" }

    /// Stops every batcher once its accepted requests are answered.
    public func shutdown() async {
        let batchers = state.withLock { state -> [InferenceBatcher] in
            let all = state.entries.values.compactMap(\.batcher)
            for key in state.entries.keys { state.entries[key]?.batcher = nil; state.entries[key]?.reason = "shut down" }
            return all
        }
        for batcher in batchers { await batcher.drain() }
    }

    // MARK: resolving versions

    private func swap(_ name: String, batcher: InferenceBatcher?, reason: String?) -> InferenceBatcher? {
        state.withLock { state in
            let old = state.entries[name]?.batcher
            state.entries[name]?.batcher = batcher
            state.entries[name]?.reason = reason
            return old
        }
    }

    private func resolve(_ spec: ServingSpec) async throws(ServingError) -> ServedModel {
        if let pinned = spec.pinnedVersion {
            return try await load(try await servableVersion(spec.model, pinned))
        }
        guard let production = try await productionVersion(spec.model) else {
            throw ServingError(.notFound, "model '\(spec.model)' has no production version to serve (pin one with \(spec.model)@VERSION)")
        }
        return try await load(production)
    }

    private func productionVersion(_ name: String) async throws(ServingError) -> ModelVersion? {
        do {
            _ = try await registry.model(named: name)
            return try await registry.productionVersion(model: name)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// A pinned version must have passed its gates (staging or production) and not be revoked.
    private func servableVersion(_ name: String, _ number: Int) async throws(ServingError) -> ModelVersion {
        let version: ModelVersion
        do {
            version = try await registry.version(model: name, number: number)
        } catch {
            throw Self.mapped(error)
        }
        guard version.state == .staging || version.state == .production else {
            throw ServingError(.refused, "model '\(name)' version \(number) is \(version.state.rawValue); only versions that passed their gates (staging or production) are served")
        }
        return version
    }

    private func load(_ version: ModelVersion) async throws(ServingError) -> ServedModel {
        let download: VersionDownload
        do {
            download = try await registry.download(model: version.model, version: version.number)
        } catch {
            throw Self.mapped(error)
        }
        var served = try ServedModel.load(path: download.path, name: version.model, version: version.number, sha256: download.sha256)
        served.stage = version.state.rawValue
        return served
    }

    private static func mapped(_ error: RegistryError) -> ServingError {
        switch error.code {
        case .notFound: ServingError(.notFound, error.message, underlying: error)
        case .refused: ServingError(.refused, error.message, underlying: error)
        default: ServingError(.storage, error.message, underlying: error)
        }
    }
}
