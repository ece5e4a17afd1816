public import BulwarkModels
public import BulwarkTensor
import Foundation

/// How Knockoff Nets picks the queries it sends.
public enum KnockoffSelection: String, Sendable, Codable, CaseIterable {
    /// Rows of the pool in a random order.
    case random
    /// A gradient-bandit policy over groups of the pool (its clusters, or its own labels when
    /// the attacker has them), rewarded for the victim's certainty, the diversity of its answers
    /// and the substitute's loss on them.
    case adaptive
}

/// Knockoff Nets (Orekondy, Schiele & Fritz, "Knockoff Nets: Stealing Functionality of Black-Box
/// Models", CVPR 2019): query the victim on natural images from a large pool the attacker holds,
/// keep its full probability vectors, and train a substitute on them with cross-entropy on soft
/// targets (``SoftTargetStep``).
///
/// - `random` asks the pool's rows in an order drawn from ``seed``.
/// - `adaptive` is the paper's gradient-bandit policy over coarse actions: here the pool's
///   groups — the labels the attacker gives in `poolGroups`, or else ``actionCount`` k-means
///   clusters of the pool. Each step draws an action from `softmax(H)`, asks ``adaptiveBatchSize``
///   unused rows of that group, and rewards it with the sum of three terms — certainty (the
///   margin between the victim's two most likely classes), diversity (`Σ_k max(0, y_k − ȳ_k)`
///   against the mean answer of the last ``diversityWindow`` steps) and the current substitute's
///   cross-entropy on the victim's answers — each standardised by its running mean and deviation
///   (as ART 1.20 does; the paper only says the rewards are made comparable). The preferences
///   then move by `α (r − r̄)(𝟙[k = a] − π_k)`, with `r̄` the running mean reward; the online
///   substitute takes one Adam step on the batch. The final substitute is trained afresh on the
///   whole transfer set.
///
/// Cost: one query per row; `adaptive` adds one online step per batch and the k-means.
///
/// ```swift
/// let victim = QueryAdapter(ZooArchitecture.mlp.makeModel(seed: 0))
/// var oracle = ExtractionOracle(victim: victim, budget: 64)
/// let attack = KnockoffNets(selection: .adaptive, training: SubstituteTraining(epochs: 1), seed: 1)
/// let run = try attack.run(oracle: &oracle, pool: Tensor.zeros([100, 1, 28, 28]),
///                          substitute: ZooArchitecture.mlp.makeModel(seed: 2))
/// ```
public struct KnockoffNets: Sendable {
    /// How queries are picked.
    public var selection: KnockoffSelection
    /// How the substitute is trained on the victim's probability vectors.
    public var training: SubstituteTraining
    /// Queries to spend, or `nil` for as many as the pool and the oracle's budget allow.
    public var queries: Int?
    /// Seed of the order, the clustering and the policy's draws.
    public var seed: UInt64
    /// Rows per query batch (random selection).
    public var queryBatchSize: Int
    /// `adaptive`: number of k-means clusters when no `poolGroups` are given.
    public var actionCount: Int
    /// `adaptive`: rows asked per policy step.
    public var adaptiveBatchSize: Int
    /// `adaptive`: the policy's learning rate α.
    public var policyLearningRate: Double
    /// `adaptive`: steps averaged for the diversity reward (Δ).
    public var diversityWindow: Int

    /// An attack with `selection`, training with `training`.
    public init(selection: KnockoffSelection = .random, training: SubstituteTraining = SubstituteTraining(), queries: Int? = nil,
                seed: UInt64 = 0, queryBatchSize: Int = 256, actionCount: Int = 10, adaptiveBatchSize: Int = 16,
                policyLearningRate: Double = 0.1, diversityWindow: Int = 10) {
        self.selection = selection
        self.training = training
        self.queries = queries
        self.seed = seed
        self.queryBatchSize = queryBatchSize
        self.actionCount = actionCount
        self.adaptiveBatchSize = adaptiveBatchSize
        self.policyLearningRate = policyLearningRate
        self.diversityWindow = diversityWindow
    }

    /// Steals the victim behind `oracle` into `substitute` using rows of `pool`. `poolGroups`
    /// (one non-negative group per row) are the adaptive policy's actions when given.
    /// - Throws: ``ExtractionError``: `.invalidParameter` for a bad setting or an empty pool,
    ///   `.shapeMismatch` when pool, groups, substitute and victim disagree, `.budgetExhausted`
    ///   when no query is left.
    public func run<Model: TrainableModel>(oracle: inout ExtractionOracle, pool: Tensor, poolGroups: [Int]? = nil, substitute: Model,
                                           progress: (ExtractionProgress) -> Void = { _ in }) throws(ExtractionError) -> ExtractionRun<Model> {
        let start = Date()
        try validate()
        try checkExtractionInputs(attack: "knockoff", pool: pool, oracle: oracle, substitute: substitute)
        if let poolGroups {
            guard poolGroups.count == pool.shape[0], poolGroups.allSatisfy({ $0 >= 0 && $0 < 1 << 20 }) else {
                throw ExtractionError(.shapeMismatch, "knockoff: \(poolGroups.count) pool groups for \(pool.shape[0]) pool rows (each group in 0..<\(1 << 20))")
            }
        }
        let take = min(pool.shape[0], queries ?? Int.max, oracle.queriesLeft)
        let usedBefore = oracle.queriesUsed
        let (inputs, answers): (Tensor, Tensor)
        switch selection {
        case .random:
            var rng = SeededGenerator(seed: seed)
            let chosen = Array(randomPermutation(pool.shape[0], using: &rng).prefix(take))
            inputs = pool.gatherRows(chosen)
            progress(ExtractionProgress(stage: "querying", queriesUsed: oracle.queriesUsed))
            answers = try oracle.queryInBatches(inputs, batchSize: queryBatchSize)
        case .adaptive:
            (inputs, answers) = try adaptiveQueries(oracle: &oracle, pool: pool, groups: poolGroups, take: take, substitute: substitute, progress: progress)
        }
        var model = substitute
        let used = oracle.queriesUsed
        training.train(&model, inputs: inputs, softTargets: answers) { progress(ExtractionProgress(stage: "training", queriesUsed: used, training: $0)) }
        return ExtractionRun(substitute: model, queriesUsed: oracle.queriesUsed - usedBefore, transferSetSize: inputs.shape[0],
                             seconds: Date().timeIntervalSince(start))
    }

    func validate() throws(ExtractionError) {
        try training.validate()
        if let queries, queries < 1 { throw ExtractionError(.invalidParameter, "knockoff: queries must be at least 1, got \(queries)") }
        guard queryBatchSize >= 1 else { throw ExtractionError(.invalidParameter, "knockoff: query batch size must be at least 1, got \(queryBatchSize)") }
        guard actionCount >= 1, actionCount <= 4096 else { throw ExtractionError(.invalidParameter, "knockoff: action count must be in 1…4096, got \(actionCount)") }
        guard adaptiveBatchSize >= 1 else { throw ExtractionError(.invalidParameter, "knockoff: adaptive batch size must be at least 1, got \(adaptiveBatchSize)") }
        guard policyLearningRate > 0, policyLearningRate.isFinite else {
            throw ExtractionError(.invalidParameter, "knockoff: policy learning rate must be a positive number, got \(policyLearningRate)")
        }
        guard diversityWindow >= 1 else { throw ExtractionError(.invalidParameter, "knockoff: diversity window must be at least 1, got \(diversityWindow)") }
    }

    /// The adaptive policy's transfer set: `take` rows chosen step by step, with the victim's answers.
    func adaptiveQueries<Model: TrainableModel>(oracle: inout ExtractionOracle, pool: Tensor, groups: [Int]?, take: Int, substitute: Model,
                                                progress: (ExtractionProgress) -> Void) throws(ExtractionError) -> (Tensor, Tensor) {
        var rng = SeededGenerator(seed: seed)
        let assignment = groups ?? KMeans.cluster(pool, k: min(actionCount, pool.shape[0]), iterations: 10, sampleSize: 5_000, rng: &rng)
        let actions = (assignment.max() ?? 0) + 1
        // each action's unused rows, in a random order
        var remaining = [[Int]](repeating: [], count: actions)
        for i in randomPermutation(pool.shape[0], using: &rng) { remaining[assignment[i]].append(i) }
        var preference = [Double](repeating: 0, count: actions)
        var rewardStats = (0..<3).map { _ in RunningStatistics() }
        var meanReward = RunningStatistics()
        var recentAnswers: [Tensor] = []
        var online = substitute
        var adam = Adam(learningRate: training.learningRate)
        var context = ForwardContext(training: true, seed: rng.next())
        var chosenRows: [Int] = []
        var answerParts: [Tensor] = []
        let c = oracle.classCount
        while chosenRows.count < take {
            let available = (0..<actions).filter { !remaining[$0].isEmpty }
            guard !available.isEmpty else { break }
            // π = softmax(H) over the actions that still have rows
            let top = available.map { preference[$0] }.max() ?? 0
            let weights = available.map { Foundation.exp(preference[$0] - top) }
            let total = weights.reduce(0, +)
            var u = rng.nextUniformDouble() * total
            var action = available[available.count - 1]
            for (k, w) in zip(available, weights) {
                if u < w { action = k; break }
                u -= w
            }
            let count = min(adaptiveBatchSize, remaining[action].count, take - chosenRows.count)
            let rows = Array(remaining[action].suffix(count))
            remaining[action].removeLast(count)
            let x = pool.gatherRows(rows)
            let y = try oracle.query(x)
            chosenRows += rows
            answerParts.append(y)
            // rewards: certainty, diversity, substitute loss (each a mean over the batch)
            var certainty = 0.0, diversity = 0.0
            let recentMean: [Float]? = recentAnswers.isEmpty ? nil : meanRows(recentAnswers, classes: c)
            for r in 0..<count {
                let row = Array(y.scalars[(r * c)..<((r + 1) * c)])
                let sorted = row.sorted(by: >)
                certainty += Double(sorted[0] - (sorted.count > 1 ? sorted[1] : 0))
                if let recentMean { diversity += zip(row, recentMean).reduce(0) { $0 + Double(max(0, $1.0 - $1.1)) } }
            }
            certainty /= Double(count)
            diversity /= Double(count)
            let batch = TrainingBatch(indices: Array(0..<count), inputs: x, labels: y.argmaxRows(), epoch: 1, step: answerParts.count - 1, stepsPerEpoch: 1)
            let lossReward = Double(SoftTargetStep(targets: y).step(&online, optimizer: &adam, batch: batch, context: &context, rng: &rng).loss)
            var reward = 0.0
            for (i, value) in [certainty, diversity, lossReward].enumerated() {
                rewardStats[i].add(value)
                reward += rewardStats[i].standardised(value)
            }
            meanReward.add(reward)
            let baseline = meanReward.mean
            let total2 = weights.reduce(0, +)
            for (k, w) in zip(available, weights) {
                let pi = w / total2
                preference[k] += policyLearningRate * (reward - baseline) * ((k == action ? 1 : 0) - pi)
            }
            recentAnswers.append(y)
            if recentAnswers.count > diversityWindow { recentAnswers.removeFirst() }
            progress(ExtractionProgress(stage: "adaptive querying", queriesUsed: oracle.queriesUsed))
        }
        let answers = answerParts.isEmpty ? Tensor.zeros([0, c]) : Tensor.concatenateRows(answerParts)
        return (pool.gatherRows(chosenRows), answers)
    }

    /// Mean of the rows of `batches` (each `n × classes`).
    func meanRows(_ batches: [Tensor], classes: Int) -> [Float] {
        var sum = [Float](repeating: 0, count: classes)
        var rows = 0
        for b in batches {
            let n = b.shape[0]
            for r in 0..<n { for k in 0..<classes { sum[k] += b.scalars[r * classes + k] } }
            rows += n
        }
        return sum.map { $0 / Float(max(rows, 1)) }
    }
}

/// Welford's running mean and variance.
struct RunningStatistics {
    private(set) var count = 0
    private(set) var mean = 0.0
    private var m2 = 0.0

    mutating func add(_ x: Double) {
        count += 1
        let d = x - mean
        mean += d / Double(count)
        m2 += d * (x - mean)
    }

    /// `(x − mean) / deviation`, or `x − mean` while the deviation is still zero.
    func standardised(_ x: Double) -> Double {
        let variance = count > 1 ? m2 / Double(count - 1) : 0
        return variance > 1e-12 ? (x - mean) / variance.squareRoot() : x - mean
    }
}
