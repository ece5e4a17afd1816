public import BulwarkTensor
import Crypto
import Synchronization

/// One answered inference request, as the incident evidence shows it: when, which model
/// version, a digest of the input (never the input itself), the probabilities answered, and any
/// detector scores the caller added.
public struct JournalEntry: Sendable, Hashable, Codable {
    /// When it was answered, in milliseconds since the Unix epoch.
    public var timeMilliseconds: Int64
    /// The model's name.
    public var model: String
    /// The version that answered.
    public var version: Int
    /// The SHA-256 of the input batch's float32 values (little-endian), lowercase hex.
    public var inputSHA256: String
    /// The input batch's shape.
    public var inputShape: [Int]
    /// The probabilities the model computed, row-major (batch × classes).
    public var probabilities: [Float]
    /// Detector scores by detector name (`featureSqueezing`, `prada`, …), when the caller gave any.
    public var detectorScores: [String: Double]

    /// An entry with every field given.
    public init(timeMilliseconds: Int64, model: String, version: Int, inputSHA256: String, inputShape: [Int],
                probabilities: [Float], detectorScores: [String: Double] = [:]) {
        self.timeMilliseconds = timeMilliseconds
        self.model = model
        self.version = version
        self.inputSHA256 = inputSHA256
        self.inputShape = inputShape
        self.probabilities = probabilities
        self.detectorScores = detectorScores
    }

    /// The SHA-256 of `tensor`'s float32 values in little-endian order, lowercase hex.
    public static func digest(of tensor: Tensor) -> String {
        var hasher = SHA256()
        tensor.scalars.withUnsafeBufferPointer { buffer in
            // One update over the whole buffer (one call per value cost more than the hashing).
            if 1.littleEndian == 1 {
                hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
            } else {
                let swapped = buffer.map { $0.bitPattern.littleEndian }
                swapped.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            }
        }
        return hex(hasher.finalize())
    }

    /// The SHA-256 of `bytes`, lowercase hex.
    public static func digest(ofBytes bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * SHA256.byteCount)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// The recent queries of each client, kept in memory for incident evidence: a ring buffer of
/// ``capacityPerClient`` entries per client, for at most ``maximumClients`` clients.
///
/// When a new client would exceed ``maximumClients``, the client heard from least recently is
/// forgotten — never a quarantined one (see ``setKept(_:)``): a quarantined client's history is
/// what its evidence bundle shows. Recording is O(1) amortised under one lock.
///
/// ```swift
/// let journal = QueryJournal()
/// let input = Tensor(shape: [1, 4], scalars: [0.1, 0.2, 0.3, 0.4])
/// let probabilities = Tensor(shape: [1, 3], scalars: [0.7, 0.2, 0.1])
/// journal.record(client: "alice", model: "cats", version: 3, input: input, probabilities: probabilities, detectorScores: ["prada": 0.91])
/// let history = journal.entries(client: "alice")
/// ```
public final class QueryJournal: Sendable {
    /// How many entries each client keeps (older ones are overwritten).
    public let capacityPerClient: Int
    /// How many clients are kept at most (quarantined ones are never dropped, so this can be
    /// exceeded by their number).
    public let maximumClients: Int
    private let clock: @Sendable () -> Int64

    private struct Ring {
        var entries: [JournalEntry] = []
        var next = 0
        var lastUsed: UInt64 = 0
    }

    private struct State {
        var rings: [String: Ring] = [:]
        var kept: Set<String> = []
        var tick: UInt64 = 0
    }

    private let state = Mutex(State())

    /// A journal keeping `capacityPerClient` entries for each of at most `maximumClients` clients.
    public init(capacityPerClient: Int = 256, maximumClients: Int = 10_000, clock: @escaping @Sendable () -> Int64 = IncidentStore.systemClock) {
        self.capacityPerClient = max(1, capacityPerClient)
        self.maximumClients = max(1, maximumClients)
        self.clock = clock
    }

    /// Records one answered request of `client` (call it after each inference).
    public func record(client: String, model: String, version: Int, input: Tensor, probabilities: Tensor, detectorScores: [String: Double] = [:]) {
        let entry = JournalEntry(timeMilliseconds: clock(), model: model, version: version, inputSHA256: JournalEntry.digest(of: input),
                                 inputShape: input.shape, probabilities: probabilities.scalars, detectorScores: detectorScores)
        record(client: client, entry)
    }

    /// Records `entry` for `client`.
    public func record(client: String, _ entry: JournalEntry) {
        let capacity = capacityPerClient
        let limit = maximumClients
        state.withLock { state in
            state.tick &+= 1
            if state.rings[client] == nil, state.rings.count >= limit {
                let evictable = state.rings.filter { !state.kept.contains($0.key) }
                if let oldest = evictable.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                    state.rings[oldest.key] = nil
                }
            }
            // Taken out of the table while it changes, so the append does not copy the ring
            // (a copy per request made recording cost O(capacity)).
            var ring = state.rings.removeValue(forKey: client) ?? Ring()
            if ring.entries.count < capacity {
                ring.entries.append(entry)
            } else {
                ring.entries[ring.next] = entry
            }
            ring.next = (ring.next + 1) % capacity
            ring.lastUsed = state.tick
            state.rings[client] = ring
        }
    }

    /// Adds detector scores to `client`'s latest entry (for detectors that run after the answer).
    public func addScores(client: String, _ scores: [String: Double]) {
        state.withLock { state in
            guard var ring = state.rings.removeValue(forKey: client) else { return }
            defer { state.rings[client] = ring }
            guard !ring.entries.isEmpty else { return }
            let latest = (ring.next - 1 + ring.entries.count) % ring.entries.count
            ring.entries[latest].detectorScores.merge(scores) { _, new in new }
        }
    }

    /// `client`'s entries, oldest first.
    public func entries(client: String) -> [JournalEntry] {
        state.withLock { state in
            guard let ring = state.rings[client] else { return [] }
            guard ring.entries.count == capacityPerClient else { return ring.entries }
            return Array(ring.entries[ring.next...] + ring.entries[..<ring.next])
        }
    }

    /// The clients whose history is never forgotten to make room (the quarantined ones);
    /// ``IncidentWatcher`` sets it on every change.
    public func setKept(_ clients: Set<String>) {
        state.withLock { $0.kept = clients }
    }

    /// The number of clients with a history.
    public var clientCount: Int { state.withLock { $0.rings.count } }
}
