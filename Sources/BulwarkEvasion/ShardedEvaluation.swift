public import BulwarkData
public import BulwarkModels
public import BulwarkTensor

/// Everything an evaluation's shards must share besides the run record: the attacks, ε values,
/// clip range, batch size, the kept examples, the checklist settings and the defence.
public struct EvaluationPlan: Codable, Sendable, Equatable {
    /// The attacks.
    public var specs: [AttackSpec]
    /// The ε values, as given.
    public var epsilons: [Float]
    /// Examples per batch.
    public var batchSize: Int
    /// Input clip range.
    public var clipMin: Float, clipMax: Float
    /// Examples (global indices `0..<keptExamples`) whose adversarial inputs are kept for the image grid.
    public var keptExamples: Int
    /// The checklist settings (`nil` when it is skipped).
    public var checklist: ChecklistSettings?
    /// The defence and attacker gradient (`nil` without one).
    public var defence: DefenceRecord?
    /// Whether the undefended (or baseline) model was evaluated too.
    public var comparesUndefended: Bool

    /// What differs between two plans, e.g. `"epsilons"`, or `nil` when they are equal.
    public func difference(from other: EvaluationPlan) -> String? {
        if specs != other.specs { return "attacks" }
        if epsilons != other.epsilons { return "epsilons" }
        if batchSize != other.batchSize { return "batch size" }
        if clipMin != other.clipMin || clipMax != other.clipMax { return "clip range" }
        if keptExamples != other.keptExamples { return "kept examples" }
        if checklist != other.checklist { return "checklist settings" }
        if defence != other.defence { return "defence" }
        if comparesUndefended != other.comparesUndefended { return "baseline" }
        return nil
    }
}

/// One shard's part of a checked evaluation: the per-example outcomes of its block for every
/// (attack, ε) cell (on the evaluated and, if any, the undefended model), the kept gallery
/// rows of its block, and — in shard 1 only — the gradient-masking checklist, which runs on
/// the first examples of the whole dataset. ``merge(_:)`` over shards 1…N gives the result
/// one unsharded run gives: every aggregate is recomputed from the outcomes, only wall times
/// (summed over the shards) differ.
public struct PartialEvaluation: Codable, Sendable, Equatable {
    /// The run this is a part of.
    public var run: ShardedRun
    /// The plan every shard shares.
    public var plan: EvaluationPlan
    /// The shard's result: outcomes of its block only; the checklist only in shard 1.
    public var result: CheckedEvaluationResult
    /// The model's per-example input shape.
    public var inputShape: [Int]
    /// Per cell (in ``EvaluationResult/attacks`` order), the kept adversarial rows of the block, flat.
    public var keptAdversarial: [[Float]]
    /// The clean inputs of the kept rows of the block, flat, and their labels.
    public var keptInputs: [Float], keptLabels: [Int]

    /// A part (built by ``CheckedEvaluation/run(shard:toolVersion:model:defence:baseline:gradient:inputs:labels:stage:progress:)``).
    public init(run: ShardedRun, plan: EvaluationPlan, result: CheckedEvaluationResult, inputShape: [Int],
                keptAdversarial: [[Float]], keptInputs: [Float], keptLabels: [Int]) {
        self.run = run
        self.plan = plan
        self.result = result
        self.inputShape = inputShape
        self.keptAdversarial = keptAdversarial
        self.keptInputs = keptInputs
        self.keptLabels = keptLabels
    }

    /// The merged evaluation and the gallery originals (the kept examples' clean inputs and labels).
    public struct Merged: Sendable {
        /// The combined result, equal to one run's up to wall times.
        public var result: CheckedEvaluationResult
        /// The clean inputs of the kept examples (`keptExamples × inputShape`) and their labels.
        public var keptInputs: Tensor, keptLabels: [Int]
        /// The model's per-example input shape.
        public var inputShape: [Int]
    }

    /// Combines shards 1…N of one run.
    /// - Throws: ``EvasionError`` in one line when the parts are not shards 1…N of one run
    ///   (naming what differs, or the duplicate or missing shard) or are inconsistent.
    public static func merge(_ parts: [PartialEvaluation]) throws(EvasionError) -> Merged {
        let sorted = try shardsInOrder(parts, run: \.run) { part, first in
            part.plan.difference(from: first.plan) ?? (part.inputShape != first.inputShape ? "input shape" : nil)
        }
        let first = sorted[0]
        for part in sorted {
            let expected = part.run.shard.range(of: part.run.examples).count
            let cells = part.plan.specs.count * part.plan.epsilons.count
            let consistent = part.result.evaluation.attacks.count == cells
                && part.result.evaluation.attacks.allSatisfy { $0.outcomes.count == expected }
                && (part.result.undefended == nil) == !part.plan.comparesUndefended
                && (part.result.undefended?.attacks.allSatisfy { $0.outcomes.count == expected } ?? true)
                && part.keptAdversarial.count == cells
            guard consistent else {
                throw EvasionError("merge: shard \(part.run.shard) holds results that do not match its block of \(expected) examples and \(cells) cells")
            }
        }
        let main = try combine(sorted.map(\.result.evaluation), plan: first.plan, kept: sorted.map(\.keptAdversarial),
                               inputShape: first.inputShape)
        let undefended = first.plan.comparesUndefended
            ? try combine(sorted.compactMap(\.result.undefended), plan: first.plan, kept: nil, inputShape: first.inputShape) : nil
        var merged = CheckedEvaluationResult(evaluation: main, undefended: undefended, defence: first.plan.defence)
        merged.checklist = first.result.checklist
        merged.checklistExamples = first.result.checklistExamples
        merged.checklistSeconds = first.result.checklistSeconds
        let d = first.inputShape.reduce(1, *)
        let inputs = sorted.flatMap(\.keptInputs), labels = sorted.flatMap(\.keptLabels)
        guard inputs.count == labels.count * d else {
            throw EvasionError("merge: kept inputs hold \(inputs.count) values for \(labels.count) examples of shape \(first.inputShape)")
        }
        return Merged(result: merged, keptInputs: Tensor(shape: [labels.count] + first.inputShape, scalars: inputs),
                      keptLabels: labels, inputShape: first.inputShape)
    }

    /// Concatenates the shards' cells and recomputes every aggregate.
    static func combine(_ results: [EvaluationResult], plan: EvaluationPlan, kept: [[[Float]]]?,
                        inputShape: [Int]) throws(EvasionError) -> EvaluationResult {
        guard var cells = results.first?.attacks else { throw EvasionError("merge: no results") }
        let d = inputShape.reduce(1, *)
        for k in cells.indices {
            cells[k].outcomes = results.flatMap { $0.attacks[k].outcomes }
            cells[k].adversarialExamples = nil
            if let kept {
                let rows = kept.flatMap { $0[k] }
                guard rows.count % max(d, 1) == 0 else { throw EvasionError("merge: kept adversarial rows do not match shape \(inputShape)") }
                if !rows.isEmpty { cells[k].adversarialExamples = Tensor(shape: [rows.count / max(d, 1)] + inputShape, scalars: rows) }
            }
        }
        return Evaluation.result(cells: cells, epsilons: plan.epsilons, clipMin: plan.clipMin, clipMax: plan.clipMax,
                                 batchSize: plan.batchSize, seed: results[0].seed, seconds: results.reduce(0) { $0 + $1.seconds })
    }
}

extension CheckedEvaluation {
    /// Runs shard `shard` of this plan: `inputs`/`labels` are the whole dataset; the attacks
    /// run on the shard's block, the checklist only in shard 1 (on the dataset's first
    /// examples, as in an unsharded run). The part records the dataset's digest
    /// (``ModelTraining/dataSHA256(inputs:labels:)``) and `toolVersion`.
    /// - Throws: ``EvasionError`` as ``run(model:defence:baseline:gradient:inputs:labels:stage:progress:)``.
    public func run(shard: Shard, toolVersion: String, model: any DifferentiableClassifier, defence: TransformDefence? = nil,
                    baseline: (any DifferentiableClassifier)? = nil, gradient: EvaluatedGradient = .adaptive,
                    inputs: Tensor, labels: [Int], stage: (String) -> Void = { _ in },
                    progress: (EvaluationProgress) -> Void = { _ in }) throws(EvasionError) -> PartialEvaluation {
        var plan = self
        plan.evaluation.shard = shard
        if shard.index != 1 { plan.checklist = nil }
        let result = try plan.run(model: model, defence: defence, baseline: baseline, gradient: gradient, inputs: inputs, labels: labels,
                                  stage: stage, progress: progress)
        let block = shard.range(of: labels.count)
        let keptRange = block.lowerBound..<max(block.lowerBound, min(block.upperBound, evaluation.keptExamples))
        let record = ShardedRun(shard: shard, seed: evaluation.seed, dataDigest: ModelTraining.dataSHA256(inputs: inputs, labels: labels),
                                toolVersion: toolVersion, examples: labels.count)
        let shared = EvaluationPlan(specs: evaluation.specs, epsilons: evaluation.epsilons, batchSize: evaluation.batchSize,
                                    clipMin: evaluation.clipMin, clipMax: evaluation.clipMax, keptExamples: evaluation.keptExamples,
                                    checklist: checklist, defence: result.defence, comparesUndefended: result.undefended != nil)
        return PartialEvaluation(run: record, plan: shared, result: result, inputShape: model.inputShape,
                                 keptAdversarial: result.evaluation.attacks.map { $0.adversarialExamples?.scalars ?? [] },
                                 keptInputs: keptRange.isEmpty ? [] : inputs.rows(keptRange).scalars, keptLabels: Array(labels[keptRange]))
    }
}

/// `parts` in shard order, after checking they are shards 1…N of one run (``ShardedRun/checkComplete(_:)``)
/// and that `difference(part, shard1)` finds nothing that sets a part apart from shard 1 (it
/// returns what differs, e.g. `"epsilons"`).
func shardsInOrder<Part>(_ parts: [Part], run: (Part) -> ShardedRun,
                         difference: (Part, Part) -> String?) throws(EvasionError) -> [Part] {
    let order: [Int]
    do { order = try ShardedRun.checkComplete(parts.map(run)) } catch { throw EvasionError(error.message, underlying: error) }
    let first = parts[order[0]]
    for (p, part) in parts.enumerated() {
        if let what = difference(part, first) {
            throw EvasionError("merge: part \(p + 1) differs from shard 1 in \(what): they are not shards of one run")
        }
    }
    return order.map { parts[$0] }
}
