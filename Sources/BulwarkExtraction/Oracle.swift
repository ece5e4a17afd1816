public import BulwarkModels
public import BulwarkTensor

/// One batch of queries an attacker sent and the answers it got, in the order they were sent.
public struct QueryBatch: Sendable {
    /// The inputs, `N × inputShape`: one row is one query.
    public var inputs: Tensor
    /// The answers, `N × classCount` (probabilities, or whatever a hardening wrapper left of them).
    public var outputs: Tensor

    /// A batch of queries and their answers.
    public init(inputs: Tensor, outputs: Tensor) {
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// The victim as an extraction attacker sees it: a ``QueryClassifier`` behind a query budget,
/// counting every query and, when asked, keeping the transcript of what was sent and answered.
///
/// Every extraction attack queries only through an oracle, so the queries it reports are the
/// queries it made, a budget it cannot exceed, and a transcript a query-pattern detector can
/// replay to measure how many queries it needed to notice the attack.
public struct ExtractionOracle: Sendable {
    /// The victim (possibly wrapped by an output-hardening defence).
    public let victim: any QueryClassifier
    /// The most queries this oracle answers, or `nil` for no limit.
    public let budget: Int?
    /// Whether ``transcript`` is kept.
    public let recordsTranscript: Bool
    /// Queries answered so far (one per input row).
    public private(set) var queriesUsed = 0
    /// Every batch answered, in order; empty unless ``recordsTranscript``.
    public private(set) var transcript: [QueryBatch] = []

    /// An oracle over `victim` that answers at most `budget` queries.
    public init(victim: any QueryClassifier, budget: Int? = nil, recordTranscript: Bool = false) {
        self.victim = victim
        self.budget = budget
        self.recordsTranscript = recordTranscript
    }

    /// Queries left in the budget (`Int.max` without a budget).
    public var queriesLeft: Int { budget.map { max(0, $0 - queriesUsed) } ?? Int.max }

    /// Shape of one input, without the batch axis.
    public var inputShape: [Int] { victim.inputShape }
    /// Number of classes the victim answers with.
    public var classCount: Int { victim.classCount }

    /// The victim's answers for `inputs` (`N × inputShape`), charging `N` queries. A batch that
    /// would exceed the budget is refused whole: nothing is answered and nothing is charged.
    public mutating func query(_ inputs: Tensor) throws(ExtractionError) -> Tensor {
        let rows = inputs.shape.first ?? 0
        guard rows <= queriesLeft else {
            throw ExtractionError(.budgetExhausted, "query budget exhausted: \(queriesUsed) used + \(rows) requested > budget \(budget ?? 0)")
        }
        guard Array(inputs.shape.dropFirst()) == victim.inputShape else {
            throw ExtractionError(.shapeMismatch, "queries of shape \(Array(inputs.shape.dropFirst())) do not fit the victim's input shape \(victim.inputShape)")
        }
        queriesUsed += rows
        let outputs = victim.probabilities(inputs)
        if recordsTranscript { transcript.append(QueryBatch(inputs: inputs, outputs: outputs)) }
        return outputs
    }
}
