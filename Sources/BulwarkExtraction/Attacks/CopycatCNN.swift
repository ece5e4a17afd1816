public import BulwarkModels
public import BulwarkTensor
import Foundation

/// Copycat CNN (Correia-Silva, Berriel, Badue, de Souza & Oliveira-Santos, "Copycat CNN: Stealing
/// Knowledge by Persuading Confession with Random Non-Labeled Data", IJCNN 2018): ask the victim
/// for the hard label of natural images the attacker already has — from the problem domain or
/// not — and train a substitute on those labels.
///
/// The attack sees only the victim's most likely class (the argmax of its answer), so an
/// output-hardening defence that rounds or perturbs probabilities does not slow it down; only a
/// wrong top-1 does. Rows of the pool are taken in a random order drawn from ``seed``, up to the
/// oracle's budget (or ``queries``).
///
/// Cost: one query per row taken, then ``SubstituteTraining/epochs`` passes over them.
///
/// ```swift
/// let victim = QueryAdapter(ZooArchitecture.mlp.makeModel(seed: 0))
/// var oracle = ExtractionOracle(victim: victim, budget: 64)
/// let attack = CopycatCNN(training: SubstituteTraining(epochs: 1), seed: 1)
/// let run = try attack.run(oracle: &oracle, pool: Tensor.zeros([100, 1, 28, 28]),
///                          substitute: ZooArchitecture.mlp.makeModel(seed: 2))
/// print(run.queriesUsed)   // 64
/// ```
public struct CopycatCNN: Sendable {
    /// How the substitute is trained on the stolen labels.
    public var training: SubstituteTraining
    /// Queries to spend, or `nil` for as many as the pool and the oracle's budget allow.
    public var queries: Int?
    /// Seed of the order in which pool rows are asked.
    public var seed: UInt64
    /// Rows per query batch.
    public var queryBatchSize: Int

    /// An attack training with `training`, spending `queries` (all it can when `nil`).
    public init(training: SubstituteTraining = SubstituteTraining(), queries: Int? = nil, seed: UInt64 = 0, queryBatchSize: Int = 256) {
        self.training = training
        self.queries = queries
        self.seed = seed
        self.queryBatchSize = queryBatchSize
    }

    /// Steals the victim behind `oracle` into `substitute` using rows of `pool` (`N × inputShape`).
    /// - Throws: ``ExtractionError``: `.invalidParameter` for a bad setting or an empty pool,
    ///   `.shapeMismatch` when pool, substitute and victim disagree, `.budgetExhausted` when no
    ///   query is left.
    public func run<Model: TrainableModel>(oracle: inout ExtractionOracle, pool: Tensor, substitute: Model,
                                           progress: (ExtractionProgress) -> Void = { _ in }) throws(ExtractionError) -> ExtractionRun<Model> {
        let start = Date()
        try training.validate()
        try checkExtractionInputs(attack: "copycat", pool: pool, oracle: oracle, substitute: substitute)
        guard queryBatchSize >= 1 else { throw ExtractionError(.invalidParameter, "copycat: query batch size must be at least 1, got \(queryBatchSize)") }
        if let queries, queries < 1 { throw ExtractionError(.invalidParameter, "copycat: queries must be at least 1, got \(queries)") }
        let take = min(pool.shape[0], queries ?? Int.max, oracle.queriesLeft)
        var rng = SeededGenerator(seed: seed)
        let chosen = Array(randomPermutation(pool.shape[0], using: &rng).prefix(take))
        let inputs = pool.gatherRows(chosen)
        progress(ExtractionProgress(stage: "querying", queriesUsed: oracle.queriesUsed))
        let labels = try oracle.queryInBatches(inputs, batchSize: queryBatchSize).argmaxRows()
        var model = substitute
        let used = oracle.queriesUsed
        training.train(&model, inputs: inputs, labels: labels) { progress(ExtractionProgress(stage: "training", queriesUsed: used, training: $0)) }
        return ExtractionRun(substitute: model, queriesUsed: take, transferSetSize: take, seconds: Date().timeIntervalSince(start))
    }
}
