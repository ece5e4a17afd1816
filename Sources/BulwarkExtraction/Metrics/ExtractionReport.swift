/// The result of an extraction run (``ExtractJob``): what was stolen, how faithfully, and at
/// what cost in queries and time. `Codable`; `bulwark extract --json` prints it.
public struct ExtractionReport: Sendable, Codable, Equatable {
    /// The attack: `copycat`, `knockoff`, `jbda` or `equivalent`.
    public var attack: String
    /// Knockoff Nets' selection (`random`, `adaptive`); `nil` for the other attacks.
    public var selection: String?
    /// The query budget the run was given.
    public var queryBudget: Int
    /// Queries the attack sent (never above ``queryBudget``).
    public var queriesUsed: Int
    /// Rows the substitute was trained on (the transfer set).
    public var transferSetSize: Int
    /// Wall seconds of the attack (querying and training; not the evaluation).
    public var seconds: Double
    /// Held-out examples fidelity and accuracy were measured on (0: no test data).
    public var testExamples: Int
    /// Agreement of substitute and victim labels on the held-out inputs, in [0, 1].
    public var fidelity: Double?
    /// The substitute's accuracy on the held-out labels.
    public var accuracy: Double?
    /// The victim's accuracy on the held-out labels (the ceiling a substitute is measured against).
    public var victimAccuracy: Double?
    /// Fidelity and accuracy at fractions of the budget (each point a fresh run), when asked.
    public var curve: [ExtractionCurvePoint]?
    /// What functionally-equivalent extraction recovered; `nil` for the other attacks.
    public var equivalent: EquivalentExtractionFacts?

    /// A report.
    public init(attack: String, selection: String? = nil, queryBudget: Int, queriesUsed: Int, transferSetSize: Int, seconds: Double,
                testExamples: Int = 0, fidelity: Double? = nil, accuracy: Double? = nil, victimAccuracy: Double? = nil,
                curve: [ExtractionCurvePoint]? = nil, equivalent: EquivalentExtractionFacts? = nil) {
        self.attack = attack
        self.selection = selection
        self.queryBudget = queryBudget
        self.queriesUsed = queriesUsed
        self.transferSetSize = transferSetSize
        self.seconds = seconds
        self.testExamples = testExamples
        self.fidelity = fidelity
        self.accuracy = accuracy
        self.victimAccuracy = victimAccuracy
        self.curve = curve
        self.equivalent = equivalent
    }
}

/// One point of an extraction curve: a fresh attack run with a smaller budget.
public struct ExtractionCurvePoint: Sendable, Codable, Equatable {
    /// The budget of this run.
    public var queryBudget: Int
    /// Queries it sent.
    public var queriesUsed: Int
    /// Its fidelity on the held-out inputs.
    public var fidelity: Double?
    /// Its substitute's accuracy on the held-out labels.
    public var accuracy: Double?
    /// Its wall seconds.
    public var seconds: Double

    /// A point.
    public init(queryBudget: Int, queriesUsed: Int, fidelity: Double?, accuracy: Double?, seconds: Double) {
        self.queryBudget = queryBudget
        self.queriesUsed = queriesUsed
        self.fidelity = fidelity
        self.accuracy = accuracy
        self.seconds = seconds
    }
}

/// What ``FunctionallyEquivalentExtraction`` recovered.
public struct EquivalentExtractionFacts: Sendable, Codable, Equatable {
    /// The hidden width the caller stated.
    public var hiddenWidth: Int
    /// Distinct neurons recovered.
    public var neuronsRecovered: Int
    /// Critical points found.
    public var criticalPoints: Int
    /// Lines searched.
    public var linesSearched: Int
    /// Largest relative error of a true first-layer row (weights and bias, matched up to scale
    /// and sign), when the evaluator holds the victim's weights; `nil` otherwise.
    public var maxRelativeWeightError: Double?
    /// True neurons matched within 1 % relative error, when the victim's weights are known.
    public var neuronsMatched: Int?

    /// The facts of one run.
    public init(hiddenWidth: Int, neuronsRecovered: Int, criticalPoints: Int, linesSearched: Int,
                maxRelativeWeightError: Double? = nil, neuronsMatched: Int? = nil) {
        self.hiddenWidth = hiddenWidth
        self.neuronsRecovered = neuronsRecovered
        self.criticalPoints = criticalPoints
        self.linesSearched = linesSearched
        self.maxRelativeWeightError = maxRelativeWeightError
        self.neuronsMatched = neuronsMatched
    }
}
