public import BulwarkModels
public import BulwarkTensor
import Foundation

/// Jacobian-based dataset augmentation, JBDA (Papernot, McDaniel, Goodfellow, Jha, Celik &
/// Swami, "Practical Black-Box Attacks against Machine Learning", AsiaCCS 2017): start from a
/// small seed set, label it by the victim, train a substitute, then grow the set with
/// `x + λ_ρ · sign(∂F_y(x)/∂x)` — a step along the sign of the substitute's Jacobian row for the
/// victim's label `y` — label the new points, retrain, and repeat for ``rounds`` rounds.
///
/// The step uses the paper's periodic option: `λ_ρ = λ · (−1)^⌊ρ/τ⌋` with τ = ``period``, so
/// the set moves back and forth across decision boundaries instead of only away from them.
/// New points are clipped to ``inputRange`` (the pool's own range when `nil`). The substitute
/// is trained afresh from the given initial model on the whole labelled set in every round, as
/// in the paper. When a round's new points would exceed the queries left, a random subset of
/// them (drawn from ``seed``) is asked; the attack stops when nothing is left to ask.
///
/// Cost: the set doubles each round, so about `seedSize · 2^rounds` queries and as many
/// gradient evaluations, plus one substitute training per round.
///
/// ```swift
/// let victim = QueryAdapter(ZooArchitecture.mlp.makeModel(seed: 0))
/// var oracle = ExtractionOracle(victim: victim, budget: 200)
/// let attack = JacobianAugmentation(seedSize: 20, rounds: 3, training: SubstituteTraining(epochs: 2))
/// let run = try attack.run(oracle: &oracle, pool: Tensor.zeros([50, 1, 28, 28]),
///                          substitute: ZooArchitecture.mlp.makeModel(seed: 2))
/// ```
public struct JacobianAugmentation: Sendable {
    /// Rows of the pool in the seed set (the paper: 150, about 10–15 per class).
    public var seedSize: Int
    /// Substitute training epochs ρ (label, train, augment) rounds.
    public var rounds: Int
    /// The step λ (the paper: 0.1 on inputs in [0, 1]).
    public var stepSize: Float
    /// τ of the periodic step size: the sign of λ flips every τ rounds.
    public var period: Int
    /// How the substitute is trained in each round.
    public var training: SubstituteTraining
    /// Queries to spend, or `nil` for as many as the oracle's budget allows.
    public var queries: Int?
    /// Seed of the seed set and of the subsets asked when the budget runs short.
    public var seed: UInt64
    /// The range augmented inputs are clipped to; `nil`: the pool's minimum and maximum.
    public var inputRange: ClosedRange<Float>?

    /// An attack of `rounds` rounds from `seedSize` pool rows.
    public init(seedSize: Int = 150, rounds: Int = 6, stepSize: Float = 0.1, period: Int = 3, training: SubstituteTraining = SubstituteTraining(),
                queries: Int? = nil, seed: UInt64 = 0, inputRange: ClosedRange<Float>? = nil) {
        self.seedSize = seedSize
        self.rounds = rounds
        self.stepSize = stepSize
        self.period = period
        self.training = training
        self.queries = queries
        self.seed = seed
        self.inputRange = inputRange
    }

    /// Steals the victim behind `oracle` into `substitute` from a seed set of `pool`'s rows.
    /// - Throws: ``ExtractionError``: `.invalidParameter` for a bad setting or an empty pool,
    ///   `.shapeMismatch` when pool, substitute and victim disagree, `.budgetExhausted` when no
    ///   query is left.
    public func run<Model: TrainableModel>(oracle: inout ExtractionOracle, pool: Tensor, substitute: Model,
                                           progress: (ExtractionProgress) -> Void = { _ in }) throws(ExtractionError) -> ExtractionRun<Model> {
        let start = Date()
        try training.validate()
        try checkExtractionInputs(attack: "jbda", pool: pool, oracle: oracle, substitute: substitute)
        guard seedSize >= 1 else { throw ExtractionError(.invalidParameter, "jbda: seed size must be at least 1, got \(seedSize)") }
        guard rounds >= 1, rounds <= 30 else { throw ExtractionError(.invalidParameter, "jbda: rounds must be in 1…30, got \(rounds)") }
        guard stepSize > 0, stepSize.isFinite else { throw ExtractionError(.invalidParameter, "jbda: step size λ must be a positive number, got \(stepSize)") }
        guard period >= 1 else { throw ExtractionError(.invalidParameter, "jbda: period τ must be at least 1, got \(period)") }
        if let queries, queries < 1 { throw ExtractionError(.invalidParameter, "jbda: queries must be at least 1, got \(queries)") }
        let usedBefore = oracle.queriesUsed
        let budget = min(queries ?? Int.max, oracle.queriesLeft)
        let range = inputRange ?? ((pool.scalars.min() ?? 0)...(pool.scalars.max() ?? 1))
        var rng = SeededGenerator(seed: seed)
        var fresh = pool.gatherRows(Array(randomPermutation(pool.shape[0], using: &rng).prefix(min(seedSize, pool.shape[0], budget))))
        var inputs: [Tensor] = [], labels: [Int] = []
        var model = substitute
        for round in 0..<rounds {
            let spent = oracle.queriesUsed - usedBefore
            if fresh.shape[0] > budget - spent {
                let keep = budget - spent
                guard keep > 0 else { break }
                fresh = fresh.gatherRows(Array(randomPermutation(fresh.shape[0], using: &rng).prefix(keep)))
            }
            progress(ExtractionProgress(stage: "round \(round + 1) of \(rounds): querying", queriesUsed: oracle.queriesUsed))
            labels += try oracle.queryInBatches(fresh).argmaxRows()
            inputs.append(fresh)
            let all = Tensor.concatenateRows(inputs)
            model = substitute
            let used = oracle.queriesUsed
            training.train(&model, inputs: all, labels: labels) {
                progress(ExtractionProgress(stage: "round \(round + 1) of \(rounds): training", queriesUsed: used, training: $0))
            }
            guard round + 1 < rounds, oracle.queriesUsed - usedBefore < budget else { break }
            let lambda = (round / period) % 2 == 0 ? stepSize : -stepSize
            fresh = augment(all, labels: labels, substitute: model, lambda: lambda, range: range)
        }
        let used = oracle.queriesUsed - usedBefore
        return ExtractionRun(substitute: model, queriesUsed: used, transferSetSize: labels.count, seconds: Date().timeIntervalSince(start))
    }

    /// `clip(x + λ · sign(∂F_y(x)/∂x))` for every row, `F_y` the substitute's probability of the
    /// victim's label: its sign is that of `−∂CE(x, y)/∂x`.
    func augment<Model: DifferentiableClassifier>(_ x: Tensor, labels: [Int], substitute: Model, lambda: Float, range: ClosedRange<Float>) -> Tensor {
        let n = x.shape[0]
        var parts: [Tensor] = []
        for start in stride(from: 0, to: n, by: 256) {
            let rows = x.rows(start..<min(n, start + 256))
            let gradient = substitute.lossAndInputGradient(rows, labels: Array(labels[start..<min(n, start + 256)])).gradient
            parts.append((rows - gradient.sign() * lambda).clipped(min: range.lowerBound, max: range.upperBound))
        }
        return Tensor.concatenateRows(parts)
    }
}
