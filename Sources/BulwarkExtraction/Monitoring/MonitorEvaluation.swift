public import BulwarkModels
public import BulwarkTensor

/// One client's traffic: the batches it sent and the answers it got, in order.
public struct ClientStream: Sendable {
    /// The client id.
    public var client: String
    /// Its batches.
    public var batches: [QueryBatch]

    /// A client's traffic.
    public init(client: String, batches: [QueryBatch]) {
        self.client = client
        self.batches = batches
    }

    /// Benign traffic: `clients` simulated users, each sending `queriesPerClient` rows of
    /// `inputs` drawn without replacement (disjoint between users, seeded) in batches of
    /// `batchSize`, answered by `victim`.
    /// - Throws: ``ExtractionError`` (`invalidParameter`) when `inputs` has fewer than
    ///   `clients × queriesPerClient` rows or a count is below 1.
    public static func benign(inputs: Tensor, victim: any QueryClassifier, clients: Int, queriesPerClient: Int, batchSize: Int = 10,
                              seed: UInt64 = 0) throws(ExtractionError) -> [ClientStream] {
        let n = inputs.shape.first ?? 0
        guard clients >= 1, queriesPerClient >= 1, batchSize >= 1 else {
            throw ExtractionError(.invalidParameter, "benign streams: clients, queries per client and batch size must be at least 1")
        }
        guard clients * queriesPerClient <= n else {
            throw ExtractionError(.invalidParameter, "benign streams: \(clients) users × \(queriesPerClient) queries need \(clients * queriesPerClient) inputs, got \(n)")
        }
        var rng = SeededGenerator(seed: seed)
        let order = randomPermutation(n, using: &rng)
        return (0..<clients).map { u in
            let rows = Array(order[(u * queriesPerClient)..<((u + 1) * queriesPerClient)])
            let batches = stride(from: 0, to: rows.count, by: batchSize).map { start in
                let x = inputs.gatherRows(Array(rows[start..<min(start + batchSize, rows.count)]))
                return QueryBatch(inputs: x, outputs: victim.probabilities(x))
            }
            return ClientStream(client: "user-\(u)", batches: batches)
        }
    }
}

/// How a monitor did on a stream: detection delay on attack traffic, false alarms on benign traffic.
public enum MonitorEvaluation {
    /// A monitor's answer to one attack transcript.
    public struct Detection: Sendable, Codable, Equatable {
        /// Queries in the transcript.
        public var queries: Int
        /// Queries until the first alert, counting the alerting one (`nil`: never alerted).
        public var delay: Int?
        /// Every alert raised on the transcript, in order.
        public var alerts: [ExtractionAlert]
    }

    /// A monitor's answer to benign traffic.
    public struct FalseAlarms: Sendable, Codable, Equatable {
        /// Benign clients.
        public var clients: Int
        /// Benign queries, all clients.
        public var queries: Int
        /// Clients flagged at least once.
        public var clientsFlagged: Int
        /// Alerts raised.
        public var alerts: Int
        /// `clientsFlagged / clients`.
        public var clientRate: Double
        /// Alerts per 1000 benign queries.
        public var alertsPerThousandQueries: Double
        /// The alerts, in order.
        public var alertList: [ExtractionAlert]
    }

    /// Replays `transcript` (an oracle's, in order) as client `client` through `monitor`.
    /// - Throws: ``ExtractionError`` (`shapeMismatch`) for a malformed batch.
    public static func detection(transcript: [QueryBatch], monitor: QueryMonitor, client: String = "attacker") throws(ExtractionError) -> Detection {
        var monitor = monitor
        var queries = 0
        for batch in transcript {
            try monitor.observe(client: client, inputs: batch.inputs, outputs: batch.outputs)
            queries += batch.inputs.shape.first ?? 0
        }
        let mine = monitor.alerts.filter { $0.client == client }
        return Detection(queries: queries, delay: mine.map { $0.clientQueryIndex + 1 }.min(), alerts: mine)
    }

    /// Replays benign `streams` through `monitor`, interleaved round-robin one batch at a time,
    /// and counts the alerts (each is a false alarm).
    /// - Throws: ``ExtractionError`` (`shapeMismatch`) for a malformed batch.
    public static func falseAlarms(streams: [ClientStream], monitor: QueryMonitor) throws(ExtractionError) -> FalseAlarms {
        var monitor = monitor
        let longest = streams.map(\.batches.count).max() ?? 0
        for b in 0..<longest {
            for stream in streams where b < stream.batches.count {
                try monitor.observe(client: stream.client, inputs: stream.batches[b].inputs, outputs: stream.batches[b].outputs)
            }
        }
        let flagged = Set(monitor.alerts.map(\.client)).count
        let queries = monitor.queriesSeen
        return FalseAlarms(clients: streams.count, queries: queries, clientsFlagged: flagged, alerts: monitor.alerts.count,
                           clientRate: streams.isEmpty ? 0 : Double(flagged) / Double(streams.count),
                           alertsPerThousandQueries: queries == 0 ? 0 : Double(monitor.alerts.count) * 1000 / Double(queries),
                           alertList: monitor.alerts)
    }
}
