public import BulwarkTensor

/// Losses the training defences need beyond hard-label cross-entropy, recorded on the tape.
public enum TrainingLosses {
    /// Mean over rows of `−Σ_c t_c log softmax(z / T)_c` for soft targets `t` (rows summing to 1):
    /// defensive distillation's loss at temperature `T`.
    public static func softCrossEntropy(logits: Variable, targets: Tensor, temperature: Float = 1) -> Variable {
        let v = logits.value
        precondition(v.rank == 2 && targets.shape == v.shape, "softCrossEntropy: logits \(v.shape), targets \(targets.shape)")
        let (n, c) = (v.shape[0], v.shape[1])
        let logp = (v * (1 / temperature)).logSoftmax(axis: 1)
        var loss: Float = 0
        for i in 0..<(n * c) { loss -= targets.scalars[i] * logp.scalars[i] }
        loss /= Float(max(n, 1))
        return logits.tape.record(Tensor(loss), inputs: [logits]) { g in
            // d/dz = (softmax(z/T) − t) / T, per row, scaled by the upstream gradient / n.
            let scale = g.scalar / Float(max(n, 1)) / temperature
            var d = logp.exp()
            for i in 0..<(n * c) { d.scalars[i] = (d.scalars[i] - targets.scalars[i]) * scale }
            return [d]
        }
    }

    /// Mean over rows of `KL(softmax(p) ‖ softmax(q))`, differentiable in both logits (TRADES'
    /// robustness term, Zhang et al. 2019).
    public static func klDivergence(_ p: Variable, _ q: Variable) -> Variable {
        precondition(p.shape == q.shape && p.value.rank == 2, "klDivergence: shapes \(p.shape) and \(q.shape)")
        let (n, c) = (p.shape[0], p.shape[1])
        let lp = p.value.logSoftmax(axis: 1), lq = q.value.logSoftmax(axis: 1)
        let pp = lp.exp(), pq = lq.exp()
        var rowKL = [Float](repeating: 0, count: n)
        for r in 0..<n {
            var s: Float = 0
            for j in 0..<c { s += pp.scalars[r * c + j] * (lp.scalars[r * c + j] - lq.scalars[r * c + j]) }
            rowKL[r] = s
        }
        let loss = rowKL.reduce(0, +) / Float(max(n, 1))
        return p.tape.record(Tensor(loss), inputs: [p, q]) { (g: Tensor, needs: [Bool]) in
            let scale = g.scalar / Float(max(n, 1))
            var dp: Tensor?, dq: Tensor?
            if needs[0] {
                // ∂KL/∂p_j = P_j (log P_j − log Q_j − KL)
                var d = Tensor.zeros([n, c])
                for r in 0..<n {
                    for j in 0..<c {
                        let i = r * c + j
                        d.scalars[i] = scale * pp.scalars[i] * (lp.scalars[i] - lq.scalars[i] - rowKL[r])
                    }
                }
                dp = d
            }
            if needs[1] {
                // ∂KL/∂q_j = Q_j − P_j
                var d = Tensor.zeros([n, c])
                for i in 0..<(n * c) { d.scalars[i] = scale * (pq.scalars[i] - pp.scalars[i]) }
                dq = d
            }
            return [dp, dq]
        }
    }
}
