/// A stateful, per-client detector of extraction query patterns: it sees every answered query
/// of every client, in order, and says when a client's queries start to look like model stealing.
///
/// Detectors keep one state per client id, so interleaved clients do not mix. ``observe(_:)``
/// returns an alert when a client *enters* the flagged state (not again while it stays flagged),
/// so each alert marks the query at which the detector first noticed.
public protocol QueryPatternDetector: Sendable {
    /// A short name used in alerts (`prada`, `coverage`).
    var name: String { get }
    /// Consumes one answered query; returns an alert when this query flags its client.
    mutating func observe(_ query: ObservedQuery) -> ExtractionAlert?
}

/// One answered query as a detector sees it.
public struct ObservedQuery: Sendable {
    /// Who sent it (an API key, an account, an address).
    public var client: String
    /// Its position in the whole stream (all clients), from 0.
    public var streamIndex: Int
    /// Its position among this client's queries, from 0.
    public var clientIndex: Int
    /// The input, flattened.
    public var input: ArraySlice<Float>
    /// The answer (probabilities, or what a hardening wrapper left of them).
    public var output: ArraySlice<Float>

    /// A query.
    public init(client: String, streamIndex: Int, clientIndex: Int, input: ArraySlice<Float>, output: ArraySlice<Float>) {
        self.client = client
        self.streamIndex = streamIndex
        self.clientIndex = clientIndex
        self.input = input
        self.output = output
    }

    /// The predicted class: the first index of the largest answer value.
    public var predictedClass: Int {
        var best = output.startIndex
        for i in output.indices where output[i] > output[best] { best = i }
        return best - output.startIndex
    }
}

/// A detector's evidence that a client is stealing the model.
public struct ExtractionAlert: Sendable, Codable, Equatable {
    /// The client flagged.
    public var client: String
    /// The detector that flagged it (`prada`, `coverage`).
    public var detector: String
    /// The client's query at which it was flagged, counted from 0 (the delay is this + 1 queries).
    public var clientQueryIndex: Int
    /// The same query's position in the whole stream, from 0.
    public var streamIndex: Int
    /// The statistic that crossed its threshold (`shapiro-wilk-w`, `cell-entropy`, `class-entropy`).
    public var statistic: String
    /// Its value.
    public var value: Double
    /// The threshold it crossed.
    public var threshold: Double
    /// Which way: `below` (value < threshold) or `above` (value > threshold).
    public var direction: String

    /// An alert.
    public init(client: String, detector: String, clientQueryIndex: Int, streamIndex: Int, statistic: String, value: Double, threshold: Double, direction: String) {
        self.client = client
        self.detector = detector
        self.clientQueryIndex = clientQueryIndex
        self.streamIndex = streamIndex
        self.statistic = statistic
        self.value = value
        self.threshold = threshold
        self.direction = direction
    }
}
