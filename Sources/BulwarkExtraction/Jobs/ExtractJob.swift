public import BulwarkModels
public import BulwarkTensor
import Foundation

/// The extraction attacks ``ExtractJob`` runs.
public enum ExtractionAttackKind: String, Sendable, Codable, CaseIterable {
    /// ``CopycatCNN``: hard labels of natural data.
    case copycat
    /// ``KnockoffNets``: probability vectors of natural data, random or adaptive selection.
    case knockoff
    /// ``JacobianAugmentation``: a seed set grown along the substitute's Jacobian.
    case jbda
    /// ``FunctionallyEquivalentExtraction``: a one-hidden-layer ReLU network recovered exactly.
    case equivalent
}

/// An extraction attack as one call: the victim behind an ``ExtractionOracle`` with the query
/// budget, the attack, the substitute's training, and the evaluation on held-out data (fidelity,
/// accuracy), optionally at several budgets.
///
/// With ``curveFractions`` each point is a **fresh run** with its own oracle of that budget, the
/// same seed and the same initial substitute (not a snapshot of one run), so a point's figures
/// are what an attacker with that budget gets; the last fraction must be 1 and its run is the
/// one whose substitute is returned.
///
/// ```swift
/// let victim = QueryAdapter(ZooArchitecture.mlp.makeModel(seed: 0))
/// let pool = Tensor.zeros([64, 1, 28, 28])
/// let job = ExtractJob(attack: .copycat, queries: 64, training: SubstituteTraining(epochs: 1))
/// let outcome = try job.run(victim: victim, pool: pool, test: (pool, nil),
///                           substitute: ZooArchitecture.mlp.makeModel(seed: 1))
/// print(outcome.report.fidelity ?? 0, outcome.report.queriesUsed)
/// ```
public struct ExtractJob: Sendable {
    /// The attack.
    public var attack: ExtractionAttackKind
    /// Knockoff Nets' selection.
    public var selection: KnockoffSelection
    /// The query budget.
    public var queries: Int
    /// How the substitute is trained (copycat, knockoff, jbda); its seed is also the attack's.
    public var training: SubstituteTraining
    /// `equivalent`: the victim's hidden width, as the caller states it.
    public var hiddenWidth: Int?
    /// `jbda`: seed set size, rounds and step λ.
    public var jbdaSeedSize: Int, jbdaRounds: Int, jbdaStepSize: Float
    /// Fractions of ``queries`` to measure (e.g. `[0.125, 0.25, 0.5, 1]`), or `nil` for one run.
    public var curveFractions: [Double]?
    /// Whether the oracle keeps the transcript of the final run.
    public var recordTranscript: Bool

    /// A job.
    public init(attack: ExtractionAttackKind, selection: KnockoffSelection = .random, queries: Int, training: SubstituteTraining = SubstituteTraining(),
                hiddenWidth: Int? = nil, jbdaSeedSize: Int = 150, jbdaRounds: Int = 6, jbdaStepSize: Float = 0.1,
                curveFractions: [Double]? = nil, recordTranscript: Bool = false) {
        self.attack = attack
        self.selection = selection
        self.queries = queries
        self.training = training
        self.hiddenWidth = hiddenWidth
        self.jbdaSeedSize = jbdaSeedSize
        self.jbdaRounds = jbdaRounds
        self.jbdaStepSize = jbdaStepSize
        self.curveFractions = curveFractions
        self.recordTranscript = recordTranscript
    }

    /// What a job returns: the stolen model, the report, and the final run's transcript when asked.
    public struct Outcome {
        /// The stolen model (for `equivalent`, the extracted one-hidden-layer network).
        public var model: Sequential
        /// Figures of the run.
        public var report: ExtractionReport
        /// Every query batch of the final run and its answers; empty unless ``ExtractJob/recordTranscript``.
        public var transcript: [QueryBatch]
    }

    /// Runs the attack on `victim` with rows of `pool`, training `substitute` (ignored by
    /// `equivalent`), and measures the result on `test` (labels optional). `victimFirstLayer`
    /// (the evaluator's knowledge, never the attacker's) scores `equivalent`'s weights.
    /// - Throws: ``ExtractionError`` for a bad setting (one line naming it), a pool or substitute
    ///   that does not fit the victim, or from the attack.
    public func run(victim: any QueryClassifier, pool: Tensor, test: (inputs: Tensor, labels: [Int]?)?, substitute: Sequential?,
                    victimFirstLayer: (weights: Tensor, bias: Tensor)? = nil,
                    progress: (ExtractionProgress) -> Void = { _ in }) throws(ExtractionError) -> Outcome {
        guard queries >= 1 else { throw ExtractionError(.invalidParameter, "extract: --queries must be at least 1, got \(queries)") }
        let fractions = curveFractions ?? [1]
        guard !fractions.isEmpty, fractions.allSatisfy({ $0 > 0 && $0 <= 1 }), fractions.last == 1, fractions == fractions.sorted() else {
            throw ExtractionError(.invalidParameter, "extract: curve fractions must rise in (0, 1] and end at 1, got \(fractions)")
        }
        if attack == .equivalent {
            guard let hiddenWidth, hiddenWidth >= 1 else {
                throw ExtractionError(.invalidParameter, "extract: --attack equivalent needs --hidden N, the victim's hidden width (it only extracts one-hidden-layer ReLU networks)")
            }
        } else if substitute == nil {
            throw ExtractionError(.invalidParameter, "extract: --attack \(attack.rawValue) needs a substitute architecture (--arch)")
        }
        if let test {
            guard Array(test.inputs.shape.dropFirst()) == victim.inputShape else {
                throw ExtractionError(.shapeMismatch, "extract: test examples of shape \(Array(test.inputs.shape.dropFirst())) do not fit the victim's input shape \(victim.inputShape)")
            }
            if let labels = test.labels, labels.count != test.inputs.shape.first {
                throw ExtractionError(.shapeMismatch, "extract: \(labels.count) test labels for \(test.inputs.shape.first ?? 0) test examples")
            }
        }
        let victimLabels = test.map { ExtractionMetrics.victimLabels(victim, $0.inputs) }
        var curve: [ExtractionCurvePoint] = []
        var last: (model: Sequential, queries: Int, transfer: Int, seconds: Double, facts: EquivalentExtractionFacts?, transcript: [QueryBatch])?
        for fraction in fractions {
            let budget = max(1, Int((Double(queries) * fraction).rounded()))
            var oracle = ExtractionOracle(victim: victim, budget: budget, recordTranscript: recordTranscript && fraction == 1)
            let run = try attackOnce(oracle: &oracle, pool: pool, substitute: substitute, victimFirstLayer: victimFirstLayer, progress: progress)
            let fidelity = test.flatMap { t in victimLabels.map { ExtractionMetrics.agreement(run.model.predictions(t.inputs), $0) } }
            let accuracy = test.flatMap { t in t.labels.map { run.model.accuracy(t.inputs, labels: $0) } }
            curve.append(ExtractionCurvePoint(queryBudget: budget, queriesUsed: run.queries, fidelity: fidelity, accuracy: accuracy, seconds: run.seconds))
            last = (run.model, run.queries, run.transfer, run.seconds, run.facts, oracle.transcript)
        }
        guard let last, let final = curve.last else { throw ExtractionError(.invalidParameter, "extract: no run") }
        let victimAccuracy = test.flatMap { t in t.labels.flatMap { labels in victimLabels.map { ExtractionMetrics.agreement($0, labels) } } }
        let report = ExtractionReport(attack: attack.rawValue, selection: attack == .knockoff ? selection.rawValue : nil, queryBudget: queries,
                                      queriesUsed: last.queries, transferSetSize: last.transfer, seconds: last.seconds,
                                      testExamples: test?.inputs.shape.first ?? 0, fidelity: final.fidelity, accuracy: final.accuracy,
                                      victimAccuracy: victimAccuracy, curve: curveFractions == nil ? nil : curve, equivalent: last.facts)
        return Outcome(model: last.model, report: report, transcript: last.transcript)
    }

    /// One attack run against `oracle`.
    func attackOnce(oracle: inout ExtractionOracle, pool: Tensor, substitute: Sequential?, victimFirstLayer: (weights: Tensor, bias: Tensor)?,
                    progress: (ExtractionProgress) -> Void) throws(ExtractionError)
        -> (model: Sequential, queries: Int, transfer: Int, seconds: Double, facts: EquivalentExtractionFacts?) {
        let seed = training.seed
        switch attack {
        case .equivalent:
            let width = hiddenWidth ?? 0
            let run = try FunctionallyEquivalentExtraction(hiddenWidth: width, seed: seed).run(oracle: &oracle, pool: pool, progress: progress)
            var facts = EquivalentExtractionFacts(hiddenWidth: width, neuronsRecovered: run.neuronsRecovered, criticalPoints: run.criticalPoints,
                                                  linesSearched: run.linesSearched)
            if let truth = victimFirstLayer {
                let comparison = ExtractionMetrics.firstLayerError(recoveredWeights: run.firstLayerWeights, recoveredBias: run.firstLayerBias,
                                                                   trueWeights: truth.weights, trueBias: truth.bias)
                facts.maxRelativeWeightError = comparison.maxRelativeError
                facts.neuronsMatched = comparison.matched
            }
            return (run.substitute, run.queriesUsed, run.queriesUsed, run.seconds, facts)
        case .copycat, .knockoff, .jbda:
            guard let substitute else { throw ExtractionError(.invalidParameter, "extract: --attack \(attack.rawValue) needs a substitute architecture (--arch)") }
            let run: ExtractionRun<Sequential>
            switch attack {
            case .copycat:
                run = try CopycatCNN(training: training, seed: seed).run(oracle: &oracle, pool: pool, substitute: substitute, progress: progress)
            case .knockoff:
                run = try KnockoffNets(selection: selection, training: training, seed: seed).run(oracle: &oracle, pool: pool, substitute: substitute, progress: progress)
            default:
                run = try JacobianAugmentation(seedSize: jbdaSeedSize, rounds: jbdaRounds, stepSize: jbdaStepSize, training: training, seed: seed)
                    .run(oracle: &oracle, pool: pool, substitute: substitute, progress: progress)
            }
            return (run.substitute, run.queriesUsed, run.transferSetSize, run.seconds, nil)
        }
    }
}
