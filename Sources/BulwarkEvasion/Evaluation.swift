public import BulwarkData
public import BulwarkTensor
public import BulwarkModels

/// Which attack to run and how; `Codable` so an evaluation records exactly what it ran.
public struct AttackSpec: Codable, Sendable, Equatable {
    /// The attack algorithm.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// ``FastGradientSignMethod``.
        case fgsm
        /// ``BasicIterativeMethod``.
        case bim
        /// ``ProjectedGradientDescent``.
        case pgd
        /// ``DeepFool`` (bounded by ε: results beyond ε count as failures).
        case deepfool
        /// ``AutoProjectedGradientDescent`` with cross-entropy (APGD-CE).
        case apgdCE = "apgd-ce"
        /// ``AutoProjectedGradientDescent`` with the DLR loss (APGD-DLR; needs ≥ 3 classes).
        case apgdDLR = "apgd-dlr"
        /// ``CarliniWagnerL2`` (L2 only; bounded by ε: results beyond ε count as failures).
        case cw
        /// ``SquareAttack`` (score-based black-box; `maxQueries` per example, default 1000).
        case square
        /// ``HopSkipJump`` (decision-based black-box; `maxQueries` per example, default 5000;
        /// bounded by ε).
        case hsj
    }
    /// The algorithm.
    public var kind: Kind
    /// Threat-model norm.
    public var norm: PerturbationNorm
    /// Iterations per example (per restart).
    public var maxIterations: Int
    /// PGD random restarts.
    public var restarts: Int
    /// Query budget for black-box attacks.
    public var maxQueries: Int?
    /// Absolute step size (FGSM, BIM, PGD, APGD; see ``AttackConfiguration/stepSize``);
    /// `nil` keeps each attack's default schedule.
    public var stepSize: Float?

    /// A spec; defaults: L∞, 10 iterations, no restarts, default step schedule.
    public init(_ kind: Kind, norm: PerturbationNorm = .linf, maxIterations: Int = 10, restarts: Int = 0, maxQueries: Int? = nil,
                stepSize: Float? = nil) {
        self.kind = kind
        self.norm = norm
        self.maxIterations = maxIterations
        self.restarts = restarts
        self.maxQueries = maxQueries
        self.stepSize = stepSize
    }

    /// A stable label for reports, e.g. `"pgd-linf"`.
    public var label: String { "\(kind.rawValue)-\(norm.rawValue)" }

    /// The attack object this spec describes.
    public func makeAttack() -> any EvasionAttack {
        switch kind {
        case .fgsm: return FastGradientSignMethod()
        case .bim: return BasicIterativeMethod()
        case .pgd: return ProjectedGradientDescent(restarts: restarts)
        case .deepfool: return DeepFool()
        case .apgdCE: return AutoProjectedGradientDescent(loss: .crossEntropy, restarts: restarts)
        case .apgdDLR: return AutoProjectedGradientDescent(loss: .dlr, restarts: restarts)
        case .cw: return CarliniWagnerL2(boundedByEpsilon: true)
        case .square: return SquareAttack()
        case .hsj: return HopSkipJump()
        }
    }
}

/// Progress of an ``Evaluation`` run, reported after every batch.
public struct EvaluationProgress: Sendable {
    /// Label of the attack running.
    public var attack: String
    /// ε being evaluated.
    public var epsilon: Float
    /// Batch just finished (1-based) and batches per (attack, ε).
    public var batch: Int, batches: Int
    /// Units of work done and total (batches × attacks × ε).
    public var completed: Int, total: Int
    /// Estimated seconds remaining, from the mean time per batch so far.
    public var secondsRemaining: Double
}

/// One (attack, ε) cell of an evaluation.
public struct AttackEvaluation: Codable, Sendable, Equatable {
    /// The spec that was run.
    public var spec: AttackSpec
    /// ε of this cell.
    public var epsilon: Float
    /// Summary metrics.
    public var metrics: AttackMetrics
    /// Per-example facts, in data order.
    public var outcomes: [ExampleOutcome]
    /// The adversarial inputs of the first ``Evaluation/keptExamples`` examples, in data order
    /// (`nil` when none were kept). Kept in memory for reports (an image grid shows exactly what
    /// the evaluation measured, without running the attack again); not encoded.
    public var adversarialExamples: Tensor?

    /// A cell.
    public init(spec: AttackSpec, epsilon: Float, metrics: AttackMetrics, outcomes: [ExampleOutcome], adversarialExamples: Tensor? = nil) {
        self.spec = spec
        self.epsilon = epsilon
        self.metrics = metrics
        self.outcomes = outcomes
        self.adversarialExamples = adversarialExamples
    }

    enum CodingKeys: String, CodingKey { case spec, epsilon, metrics, outcomes }
}

/// A point of the robustness curve: ensemble robust accuracy at one ε and norm.
public struct RobustnessPoint: Codable, Sendable, Equatable {
    /// Norm of the curve.
    public var norm: PerturbationNorm
    /// ε.
    public var epsilon: Float
    /// Worst case over all attacks of this norm at this ε, per example.
    public var robustAccuracy: Double
}

/// Everything an evaluation measured, plus what it took to reproduce it.
public struct EvaluationResult: Codable, Sendable, Equatable {
    /// Examples evaluated.
    public var examples: Int
    /// Clean accuracy on them.
    public var cleanAccuracy: Double
    /// One entry per (attack, ε), attacks outer, ε inner, in the order given.
    public var attacks: [AttackEvaluation]
    /// Ensemble (per-example worst case) robust accuracy per norm and ε, ε ascending; made
    /// monotone non-increasing in ε by taking, per example, the worst case over all ε' ≤ ε
    /// (an adversarial example within ε' is within ε).
    public var curve: [RobustnessPoint]
    /// ε values, as given.
    public var epsilons: [Float]
    /// Clip range used.
    public var clipMin: Float, clipMax: Float
    /// Batch size used.
    public var batchSize: Int
    /// Seed of the run.
    public var seed: UInt64
    /// Total wall seconds.
    public var seconds: Double
}

/// Runs a list of attacks at several ε over a dataset, in batches, and collects the metrics.
public struct Evaluation: Sendable {
    /// Attacks to run.
    public var specs: [AttackSpec]
    /// ε values.
    public var epsilons: [Float]
    /// Examples per batch.
    public var batchSize: Int
    /// Input clip range.
    public var clipMin: Float, clipMax: Float
    /// Seed. Cell (attack `a`, ε `e`) has the seed `seed + a·1 000 003 + e·10 007`, and example
    /// `i` of the dataset draws its random choices (random start, restarts, Square and
    /// HopSkipJump proposals) from its own stream seeded by
    /// `Shard.exampleSeed(run: cellSeed, index: i)`, `i` its global index: a figure does not
    /// depend on the batch size or on the shard an example ran in.
    public var seed: UInt64
    /// The part of the dataset this run evaluates (default: all of it). `run` is given the
    /// whole dataset and evaluates only ``Shard/range(of:)`` of it; the result's outcomes are
    /// those of that block, in data order (see ``PartialEvaluation``).
    public var shard: Shard = .whole
    /// Adversarial inputs of the first this-many examples of the dataset (global indices) are
    /// kept in every cell (``AttackEvaluation/adversarialExamples``) for an image grid; 0 keeps
    /// none. Keeping examples changes no figure. A shard keeps those that fall in its block.
    public var keptExamples = 0

    /// An evaluation plan.
    public init(specs: [AttackSpec], epsilons: [Float], batchSize: Int = 128, clipMin: Float = 0, clipMax: Float = 1, seed: UInt64 = 0) {
        self.specs = specs
        self.epsilons = epsilons
        self.batchSize = batchSize
        self.clipMin = clipMin
        self.clipMax = clipMax
        self.seed = seed
    }

    /// Runs the plan on `model` over the examples of `inputs`/`labels` in ``shard``'s block.
    ///
    /// - Throws: ``EvasionError`` for inconsistent data or plan (named in the message).
    public func run(model: any DifferentiableClassifier, inputs: Tensor, labels: [Int],
                    progress: (EvaluationProgress) -> Void = { _ in }) throws(EvasionError) -> EvaluationResult {
        guard inputs.shape.first == labels.count else {
            throw EvasionError("evaluation: \(labels.count) labels for inputs of shape \(inputs.shape)")
        }
        guard batchSize > 0 else { throw EvasionError("evaluation: batch size must be positive, got \(batchSize)") }
        guard !specs.isEmpty, !epsilons.isEmpty else { throw EvasionError("evaluation: needs at least one attack and one epsilon") }
        let start = now()
        let owned = shard.range(of: labels.count)
        let n = owned.count
        let batches = (n + batchSize - 1) / batchSize
        let total = batches * specs.count * epsilons.count
        var completed = 0
        var cells: [AttackEvaluation] = []
        for (a, spec) in specs.enumerated() {
            let attack = spec.makeAttack()
            for (e, eps) in epsilons.enumerated() {
                var outcomes: [ExampleOutcome] = []
                outcomes.reserveCapacity(n)
                var kept: [Tensor] = []
                let cellSeed = seed &+ UInt64(a) &* 1_000_003 &+ UInt64(e) &* 10_007
                for b in 0..<batches {
                    let range = (owned.lowerBound + b * batchSize)..<min(owned.upperBound, owned.lowerBound + (b + 1) * batchSize)
                    var config = AttackConfiguration(norm: spec.norm, epsilon: eps, clipMin: clipMin, clipMax: clipMax,
                                                     maxIterations: spec.maxIterations, maxQueries: spec.maxQueries,
                                                     seed: cellSeed, stepSize: spec.stepSize)
                    config.exampleSeeds = range.map { Shard.exampleSeed(run: cellSeed, index: $0) }
                    let r = try attack.run(inputs: inputs.rows(range), labels: Array(labels[range]),
                                           model: .whiteBox(model), configuration: config)
                    outcomes += r.outcomes
                    if range.lowerBound < keptExamples {
                        kept.append(r.adversarial.rows(0..<(min(range.upperBound, keptExamples) - range.lowerBound)))
                    }
                    completed += 1
                    let elapsed = now() - start
                    progress(EvaluationProgress(attack: spec.label, epsilon: eps, batch: b + 1, batches: batches,
                                                completed: completed, total: total,
                                                secondsRemaining: elapsed / Double(completed) * Double(total - completed)))
                }
                cells.append(AttackEvaluation(spec: spec, epsilon: eps, metrics: AttackMetrics(outcomes: outcomes), outcomes: outcomes,
                                              adversarialExamples: kept.isEmpty ? nil : Tensor.concatenateRows(kept)))
            }
        }
        return Self.result(cells: cells, epsilons: epsilons, clipMin: clipMin, clipMax: clipMax, batchSize: batchSize,
                           seed: seed, seconds: now() - start)
    }

    /// The result of `cells` (their outcomes complete): every aggregate — metrics, clean
    /// accuracy, curve — computed from the per-example outcomes, so a merge of shards recomputes
    /// exactly what one run computes.
    static func result(cells: [AttackEvaluation], epsilons: [Float], clipMin: Float, clipMax: Float, batchSize: Int,
                       seed: UInt64, seconds: Double) -> EvaluationResult {
        var cells = cells
        for k in cells.indices { cells[k].metrics = AttackMetrics(outcomes: cells[k].outcomes) }
        let clean = cells.first.map { AttackMetrics(outcomes: $0.outcomes).cleanAccuracy } ?? 0
        return EvaluationResult(examples: cells.first?.outcomes.count ?? 0, cleanAccuracy: clean, attacks: cells, curve: curve(cells),
                                epsilons: epsilons, clipMin: clipMin, clipMax: clipMax, batchSize: batchSize,
                                seed: seed, seconds: seconds)
    }

    /// Ensemble robust accuracy per norm and ε, cumulative over smaller ε (monotone in ε).
    static func curve(_ cells: [AttackEvaluation]) -> [RobustnessPoint] {
        var points: [RobustnessPoint] = []
        for norm in PerturbationNorm.allCases {
            let mine = cells.filter { $0.spec.norm == norm }
            let eps = Set(mine.map(\.epsilon)).sorted()
            for e in eps {
                let sets = mine.filter { $0.epsilon <= e }.map(\.outcomes)
                points.append(RobustnessPoint(norm: norm, epsilon: e, robustAccuracy: ensembleRobustAccuracy(sets)))
            }
        }
        return points
    }
}
