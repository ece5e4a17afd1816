public import BulwarkExtraction

/// Where a client stands with the extraction detectors, and why.
///
/// The gateway maps the level to what it does: `normal` and `alerted` are served as usual
/// (`alerted` is logged and counted), `throttled` gets a lower rate limit, `blocked` is refused.
public struct ClientStanding: Sendable, Codable, Equatable {
    /// The escalation ladder, in order.
    public enum Level: String, Sendable, Codable, Comparable, CaseIterable {
        /// No standing alarm.
        case normal
        /// A detector raised an alarm: log it, serve as usual.
        case alerted
        /// Repeated alarms: serve at a lower rate limit.
        case throttled
        /// Refuse every request until released.
        case blocked

        /// `normal < alerted < throttled < blocked`.
        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
        }
    }

    /// The client id.
    public var client: String
    /// Its level now.
    public var level: Level
    /// The highest level it has reached since it was first seen or released.
    public var peakLevel: Level
    /// The alarm that last raised or held the level (detector, statistic, value, threshold, query index); `nil` when normal.
    public var cause: ExtractionAlert?
    /// Queries recorded for it (since it was first seen, evicted or released).
    public var queries: Int
    /// The largest count of consecutive alarms of one detector, now.
    public var consecutiveAlarms: Int
    /// The last detector score seen for it: PRADA's W when PRADA runs, otherwise the last coverage statistic that alarmed.
    public var lastScore: Double?
    /// Alarms raised by the batch just recorded (empty when read with ``DefencePipeline/standing(client:)``).
    public var raised: [ExtractionAlert]

    /// A standing.
    public init(client: String, level: Level = .normal, peakLevel: Level = .normal, cause: ExtractionAlert? = nil, queries: Int = 0,
                consecutiveAlarms: Int = 0, lastScore: Double? = nil, raised: [ExtractionAlert] = []) {
        self.client = client
        self.level = level
        self.peakLevel = peakLevel
        self.cause = cause
        self.queries = queries
        self.consecutiveAlarms = consecutiveAlarms
        self.lastScore = lastScore
        self.raised = raised
    }
}

/// One client's extraction-detection state: its own detector instances (so forgetting a client
/// frees all of its memory), the alarm counts and the standing.
struct ClientTrack: Sendable {
    var prada: PRADADetector?
    var pradaQueries = 0
    var lastW: Double?
    var coverage: CoverageDetector?
    var coverageSinceArm = 0
    var pradaAlarms = 0
    var coverageAlarms = 0
    /// The client's query index of the last alarm of each detector that counted.
    var pradaCounted: Int?
    var coverageCounted: Int?
    /// The level PRADA's last W gives by the policy's score bounds.
    var scoreLevel = ClientStanding.Level.normal
    var standing: ClientStanding

    init(client: String, templates: ExtractionTemplates) {
        prada = templates.prada
        coverage = templates.coverage
        standing = ClientStanding(client: client)
    }

    /// Feeds one batch (`inputs` flattened rows of width `d`, `outputs` rows of width `c`).
    mutating func record(inputs: [Float], outputs: [Float], rows: Int, templates: ExtractionTemplates, policy: EscalationPolicy) {
        guard standing.level != .blocked, rows > 0 else { standing.raised = []; return }
        let d = inputs.count / rows, c = outputs.count / rows
        var raised: [ExtractionAlert] = []
        let client = standing.client
        for r in 0..<rows {
            let query = ObservedQuery(client: client, streamIndex: standing.queries, clientIndex: standing.queries,
                                      input: inputs[(r * d)..<((r + 1) * d)], output: outputs[(r * c)..<((r + 1) * c)])
            if var p = prada, let template = templates.prada {
                prada = nil
                _ = p.observe(query)
                pradaQueries += 1
                if pradaQueries % template.testInterval == 0, let w = p.lastStatistic(client: client), w != lastW {
                    // A test ran on this query.
                    lastW = w
                    standing.lastScore = w
                    if w < template.delta {
                        // Counted only on fresh evidence (see EscalationPolicy.alarmSpacing); held otherwise.
                        if Self.counts(at: standing.queries, after: pradaCounted, alarms: pradaAlarms, spacing: policy.alarmSpacing) {
                            pradaAlarms += 1
                            pradaCounted = standing.queries
                            let alert = ExtractionAlert(client: client, detector: "prada", clientQueryIndex: standing.queries, streamIndex: standing.queries,
                                                        statistic: "shapiro-wilk-w", value: w, threshold: template.delta, direction: "below")
                            raised.append(alert)
                            standing.cause = alert
                        }
                    } else {
                        pradaAlarms = 0
                        pradaCounted = nil
                    }
                    scoreLevel = .normal
                    if let b = policy.pradaBlockBelow, w < b { scoreLevel = .blocked } else if let t = policy.pradaThrottleBelow, w < t { scoreLevel = .throttled }
                }
                if pradaQueries >= templates.historyLimit {
                    p = template
                    pradaQueries = 0
                    lastW = nil
                    scoreLevel = .normal
                    pradaAlarms = 0
                    pradaCounted = nil
                }
                prada = p
            }
            if var cov = coverage, let template = templates.coverage {
                coverage = nil
                coverageSinceArm += 1
                if let alert = cov.observe(query) {
                    if Self.counts(at: standing.queries, after: coverageCounted, alarms: coverageAlarms, spacing: policy.alarmSpacing) {
                        coverageAlarms += 1
                        coverageCounted = standing.queries
                        raised.append(alert)
                        standing.cause = alert
                    }
                    if prada == nil { standing.lastScore = alert.value }
                    cov = template   // re-arm: the next alarm needs a fresh window
                    coverageSinceArm = 0
                } else if coverageSinceArm >= template.calibration.window {
                    coverageAlarms = 0   // a full window back inside the benign bands
                    coverageCounted = nil
                }
                coverage = cov
            }
            standing.queries += 1
            let alarms = max(pradaAlarms, coverageAlarms)
            standing.consecutiveAlarms = alarms
            let level = max(policy.level(alarms: alarms), scoreLevel)
            standing.level = standing.level == .blocked ? .blocked : level
            standing.peakLevel = max(standing.peakLevel, standing.level)
            if standing.level == .normal { standing.cause = nil }
            if standing.level == .blocked {
                // Nothing more to learn: drop the detector state, keep the standing.
                prada = nil
                coverage = nil
                break
            }
        }
        standing.raised = raised
    }

    /// Whether an alarm at the client's query `index` adds to a count of `alarms`: the first one
    /// always does, a later one when `spacing` queries passed since the last that counted.
    static func counts(at index: Int, after last: Int?, alarms: Int, spacing: Int) -> Bool {
        guard alarms > 0, let last else { return true }
        return index - last >= spacing
    }
}

/// Fresh per-client detectors, copied for each new client.
struct ExtractionTemplates: Sendable {
    var prada: PRADADetector?
    var coverage: CoverageDetector?
    var historyLimit: Int
}
