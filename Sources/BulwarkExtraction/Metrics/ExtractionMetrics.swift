public import BulwarkModels
public import BulwarkTensor

/// How well a stolen model copies its victim.
public enum ExtractionMetrics {
    /// Fidelity: the fraction of `inputs` on which the substitute's label equals the victim's
    /// (Jagielski et al. 2020's "fidelity", label agreement), in [0, 1]; 0 for no inputs.
    ///
    /// The victim is asked directly, not through an oracle: evaluation is not part of the attack
    /// and is not charged to its budget.
    public static func fidelity<Substitute: DifferentiableClassifier>(substitute: Substitute, victim: any QueryClassifier, inputs: Tensor) -> Double {
        agreement(substitute.predictions(inputs), victimLabels(victim, inputs))
    }

    /// The victim's label of each row of `inputs`, asked in batches of `batchSize`.
    public static func victimLabels(_ victim: any QueryClassifier, _ inputs: Tensor, batchSize: Int = 256) -> [Int] {
        let n = inputs.shape.first ?? 0
        var out: [Int] = []
        out.reserveCapacity(n)
        for start in stride(from: 0, to: n, by: max(1, batchSize)) {
            out += victim.labels(inputs.rows(start..<min(n, start + max(1, batchSize))))
        }
        return out
    }

    /// The fraction of positions where `a` and `b` agree (over the shorter length); 0 when empty.
    public static func agreement(_ a: [Int], _ b: [Int]) -> Double {
        let n = min(a.count, b.count)
        guard n > 0 else { return 0 }
        return Double(zip(a, b).filter { $0 == $1 }.count) / Double(n)
    }

    /// The first layer `(W₁, b₁)` of a one-hidden-layer ReLU network — `[Flatten?] Dense ReLU
    /// Dense` — or `nil` for any other model. Used to score ``FunctionallyEquivalentExtraction``
    /// when the evaluator (not the attacker) holds the victim's weights.
    public static func oneHiddenLayerReLU(_ model: Sequential) -> (weights: Tensor, bias: Tensor)? {
        var layers = model.layers[...]
        if layers.first is Flatten { layers = layers.dropFirst() }
        guard layers.count == 3, let first = layers.first as? Dense, (layers.dropFirst().first as? Activation)?.kind == .relu, layers.last is Dense else { return nil }
        return (first.weight, first.bias)
    }

    /// Compares recovered first-layer rows with the true ones, each up to scale and sign: for
    /// every true neuron `[w_j, b_j]` the recovered row `r` of largest `|cos|` is scaled by the
    /// least-squares factor `α = (t·r)/(r·r)` and its error is `‖α r − t‖ / ‖t‖`.
    ///
    /// Returns the largest such error over the true neurons (∞ when nothing was recovered) and
    /// how many true neurons are matched within `tolerance`.
    public static func firstLayerError(recoveredWeights: Tensor, recoveredBias: Tensor, trueWeights: Tensor, trueBias: Tensor,
                                       tolerance: Double = 1e-2) -> (maxRelativeError: Double, matched: Int) {
        let d = trueWeights.shape.count == 2 ? trueWeights.shape[1] : 0
        let trueRows = trueBias.count, recoveredRows = recoveredBias.count
        guard d > 0, recoveredWeights.shape.count == 2, recoveredWeights.shape[1] == d else { return (.infinity, 0) }
        func row(_ w: Tensor, _ b: Tensor, _ j: Int) -> [Double] { w.scalars[(j * d)..<((j + 1) * d)].map(Double.init) + [Double(b.scalars[j])] }
        let recovered = (0..<recoveredRows).map { row(recoveredWeights, recoveredBias, $0) }
        var worst = 0.0, matched = 0
        for j in 0..<trueRows {
            let t = row(trueWeights, trueBias, j)
            let tNorm = t.reduce(0) { $0 + $1 * $1 }.squareRoot()
            var best = Double.infinity
            for r in recovered {
                let rr = r.reduce(0) { $0 + $1 * $1 }
                guard rr > 0, tNorm > 0 else { continue }
                let alpha = zip(t, r).reduce(0) { $0 + $1.0 * $1.1 } / rr
                let error = zip(t, r).reduce(0) { $0 + ($1.0 - alpha * $1.1) * ($1.0 - alpha * $1.1) }.squareRoot() / tNorm
                best = min(best, error)
            }
            worst = max(worst, best)
            if best <= tolerance { matched += 1 }
        }
        return (trueRows == 0 ? 0 : worst, matched)
    }
}
