public import BulwarkTensor

/// Runs several ``QueryPatternDetector``s over one stream of answered queries from interleaved
/// clients and collects their alerts, in the order they were raised.
///
/// ```swift
/// var monitor = QueryMonitor(detectors: [try PRADADetector()])
/// let batch = Tensor.zeros([2, 4]), answers = Tensor(repeating: 0.5, shape: [2, 2])
/// try monitor.observe(client: "key-17", inputs: batch, outputs: answers)
/// for alert in monitor.alerts { print(alert.client, alert.detector, alert.clientQueryIndex) }
/// ```
public struct QueryMonitor: Sendable {
    /// The detectors, each with its per-client state.
    public private(set) var detectors: [any QueryPatternDetector]
    /// Every alert raised so far.
    public private(set) var alerts: [ExtractionAlert] = []
    /// Queries seen so far, all clients.
    public private(set) var queriesSeen = 0
    /// Queries seen so far, per client.
    public private(set) var queriesPerClient: [String: Int] = [:]

    /// A monitor running `detectors`.
    public init(detectors: [any QueryPatternDetector]) { self.detectors = detectors }

    /// Feeds one batch a client sent (`N × …`) and the answers it got (`N × C`), row by row;
    /// returns the alerts this batch raised.
    /// - Throws: ``ExtractionError`` (`shapeMismatch`) when inputs and outputs differ in rows.
    @discardableResult
    public mutating func observe(client: String, inputs: Tensor, outputs: Tensor) throws(ExtractionError) -> [ExtractionAlert] {
        let rows = inputs.shape.first ?? 0
        guard outputs.shape.first == rows, rows > 0 || inputs.count == 0 else {
            throw ExtractionError(.shapeMismatch, "monitor: \(rows) queries but \(outputs.shape.first ?? 0) answers for client \(client.prefix(64))")
        }
        guard rows > 0 else { return [] }
        let d = inputs.count / rows, c = outputs.count / rows
        var raised: [ExtractionAlert] = []
        for r in 0..<rows {
            let clientIndex = queriesPerClient[client, default: 0]
            let query = ObservedQuery(client: client, streamIndex: queriesSeen, clientIndex: clientIndex,
                                      input: inputs.scalars[(r * d)..<((r + 1) * d)], output: outputs.scalars[(r * c)..<((r + 1) * c)])
            for k in detectors.indices {
                if let alert = detectors[k].observe(query) { raised.append(alert) }
            }
            queriesPerClient[client] = clientIndex + 1
            queriesSeen += 1
        }
        alerts.append(contentsOf: raised)
        return raised
    }
}
