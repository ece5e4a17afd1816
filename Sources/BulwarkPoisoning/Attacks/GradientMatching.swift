public import BulwarkModels
public import BulwarkTensor
import Foundation

/// Gradient-matching clean-label poisoning (Geiping et al. 2021, "Witches' Brew: Industrial
/// Scale Data Poisoning via Gradient Matching").
///
/// A budget of target-class training examples receives L∞ perturbations `δ` (radius `epsilon`)
/// so that the training gradient on them, `g(δ) = ∇θ CE(f(x + δ), y)`, points where the
/// *adversarial* gradient `t = ∇θ CE(f(victims), target)` points: training on the poisons then
/// lowers the loss of the victims on the target class. The attack minimises
///
///     1 − cos(g(δ), t)
///
/// with signed-gradient steps (the paper uses signed Adam), projecting onto the ball and [0, 1],
/// step size `epsilon/10` halved at half and three quarters of the steps, and keeps the best of
/// `restarts` random starts. Labels are untouched.
///
/// **Second derivatives.** `∇δ cos` needs the mixed derivative `∂²L/∂δ∂θ` applied to a vector
/// `w = ∂(1 − cos)/∂g`. The package's tape does not differentiate twice, so the attack uses the
/// identity `∇δ ⟨w, ∇θ L(x+δ; θ)⟩ = ∇x [d/dh L(x+δ; θ + h·w)]` and a central finite difference
/// in `h`: two input gradients at parameters `θ ± h·w/‖w‖` (h = 5·10⁻³‖θ‖). That is why the
/// model must be a ``TrainableModel`` (its parameters can be set and differentiated). The
/// paper's differentiable data augmentation and retraining steps are not implemented.
///
/// `rate` is the fraction of the **target-class** examples that become poisons.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let (x, y) = (Tensor.uniform([40, 1, 28, 28], using: &rng), (0..<40).map { $0 % 10 })
/// let cleanModel = ZooArchitecture.mlp.makeModel(seed: 0)       // trained on clean data
/// let victim = Tensor.uniform([1, 1, 28, 28], using: &rng)
/// let poisoned = try GradientMatching.poison(inputs: x, labels: y, model: cleanModel, victims: victim,
///     targetClass: 4, rate: 0.5, epsilon: 16.0 / 255, steps: 40, seed: 0)
/// print(poisoned.objective!)     // 1 − cosine before and after
/// ```
public enum GradientMatching {
    /// The poisoned set with unchanged labels; ``PoisonedData/objective`` records `1 − cos(g, t)`
    /// before and after.
    /// - Throws: ``PoisoningError`` for inputs or victims not matching the model, no victim, a
    ///   target outside the classes, a bad rate, `epsilon` outside (0, 1], steps outside
    ///   1…100000 or restarts outside 1…100.
    public static func poison<Model: TrainableModel>(inputs: Tensor, labels: [Int], model: Model, victims: Tensor, targetClass: Int,
                                                     rate: Double, epsilon: Float, steps: Int, restarts: Int = 1,
                                                     batchSize: Int = 128, seed: UInt64) throws(PoisoningError) -> PoisonedData {
        try ModelInputs.check(inputs: inputs, model: model)
        try PoisonSelection.check(inputs: inputs, labels: labels, classCount: model.classCount, rate: rate)
        try PoisonSelection.check(targetClass: targetClass, classCount: model.classCount)
        try Perturbation.check(epsilon: epsilon, steps: steps)
        guard restarts >= 1, restarts <= 100 else { throw PoisoningError(.invalidParameter, "--restarts must be in 1…100, got \(restarts)") }
        guard victims.rank >= 1, victims.shape[0] > 0 else { throw PoisoningError(.invalidParameter, "gradient matching needs at least one victim (--victims)") }
        guard Array(victims.shape.dropFirst()) == model.inputShape else {
            throw PoisoningError(.shapeMismatch, "victims have shape \(victims.shape), the model expects N×\(model.inputShape.map(String.init).joined(separator: "×"))")
        }
        var rng = SeededGenerator(seed: seed)
        let pool = labels.indices.filter { labels[$0] == targetClass }
        let chosen = try PoisonSelection.choose(rate: rate, from: pool, what: "examples of the target class \(targetClass)", rng: &rng)
        guard !chosen.isEmpty else { return PoisonedData(inputs: inputs, labels: labels, poisonIndices: []) }

        let base = inputs.gatherRows(chosen)
        let y = [Int](repeating: targetClass, count: chosen.count)
        let matcher = GradientMatcher(model: model, batchSize: max(1, batchSize),
                                      target: GradientMatcher<Model>.flatGradient(model, victims, [Int](repeating: targetClass, count: victims.shape[0])))
        let start = matcher.loss(base, y)
        var best = (x: base, loss: start)
        for _ in 0..<restarts {
            var x = base.scalars
            for i in x.indices { x[i] += epsilon * (2 * rng.nextUniform() - 1) }
            InputPerturbation.project(&x, center: base.scalars, epsilon: epsilon)
            var stepSize = epsilon / 10
            for step in 0..<steps {
                if step == steps / 2 || step == (3 * steps) / 4 { stepSize /= 2 }
                let current = Tensor(shape: base.shape, scalars: x)
                let (loss, gradient) = matcher.lossAndGradient(current, y)
                if loss < best.loss { best = (current, loss) }
                for i in x.indices where gradient[i] != 0 { x[i] -= stepSize * (gradient[i] > 0 ? 1 : -1) }
                InputPerturbation.project(&x, center: base.scalars, epsilon: epsilon)
            }
            let last = Tensor(shape: base.shape, scalars: x)
            let loss = matcher.loss(last, y)
            if loss < best.loss { best = (last, loss) }
        }
        return PoisonedData(inputs: PoisonSelection.replacingRows(inputs, at: chosen, with: best.x), labels: labels, poisonIndices: chosen,
                            objective: PoisoningObjective(name: "1 − cosine(poison gradient, adversarial gradient)", before: start, after: best.loss))
    }

    /// `cos(∇θ CE(f(inputs), labels), ∇θ CE(f(victims), target))`: how well training on `inputs`
    /// would serve the adversary. Use it to check a poison set; 1 is perfect alignment.
    public static func gradientCosine<Model: TrainableModel>(model: Model, inputs: Tensor, labels: [Int], victims: Tensor, targetClass: Int) -> Double {
        let t = GradientMatcher<Model>.flatGradient(model, victims, [Int](repeating: targetClass, count: victims.shape.first ?? 0))
        let g = GradientMatcher<Model>.flatGradient(model, inputs, labels)
        return GradientMatcher<Model>.cosine(g, t)
    }
}

/// The gradient-matching objective and its input gradient on one model.
struct GradientMatcher<Model: TrainableModel> {
    let model: Model
    let batchSize: Int
    let target: [Double]

    /// ∇θ of the mean cross-entropy over all of `inputs`, flattened, in batches.
    static func flatGradient(_ model: Model, _ inputs: Tensor, _ labels: [Int], batchSize: Int = 128) -> [Double] {
        let n = labels.count
        var total = [Double](repeating: 0, count: model.parameters.reduce(0) { $0 + $1.count })
        guard n > 0 else { return total }
        for start in stride(from: 0, to: n, by: batchSize) {
            let range = start..<min(n, start + batchSize)
            let tape = Tape()
            let vars = model.parameters.map { tape.variable($0) }
            var context = ForwardContext(training: false)
            let out = model.forward(tape.constant(inputs.rows(range)), parameters: vars, context: &context).output
            let loss = softmaxCrossEntropy(logits: out, labels: Array(labels[range]))
            let weight = Double(range.count) / Double(n)
            var k = 0
            for g in tape.gradients(of: loss, wrt: vars) {
                for v in g.scalars { total[k] += weight * Double(v); k += 1 }
            }
        }
        return total
    }

    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i] }
        guard na > 0, nb > 0 else { return 0 }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    func loss(_ x: Tensor, _ y: [Int]) -> Double { 1 - Self.cosine(Self.flatGradient(model, x, y, batchSize: batchSize), target) }

    /// `1 − cos(g(x), t)` and its gradient with respect to `x` (finite-difference mixed derivative).
    func lossAndGradient(_ x: Tensor, _ y: [Int]) -> (loss: Double, gradient: [Float]) {
        let g = Self.flatGradient(model, x, y, batchSize: batchSize)
        var gg = 0.0, tt = 0.0, gt = 0.0
        for i in g.indices { gg += g[i] * g[i]; tt += target[i] * target[i]; gt += g[i] * target[i] }
        guard gg > 0, tt > 0 else { return (1, [Float](repeating: 0, count: x.count)) }
        let (gn, tn) = (gg.squareRoot(), tt.squareRoot())
        let cos = gt / (gn * tn)
        // w = ∂(1 − cos)/∂g = −t/(‖g‖‖t‖) + cos·g/‖g‖²
        var w = [Double](repeating: 0, count: g.count)
        var wn = 0.0
        for i in g.indices { w[i] = -target[i] / (gn * tn) + cos * g[i] / gg; wn += w[i] * w[i] }
        wn = wn.squareRoot()
        guard wn > 0 else { return (1 - cos, [Float](repeating: 0, count: x.count)) }
        let theta = model.parameters
        let thetaNorm = theta.reduce(0.0) { acc, t in acc + t.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } }.squareRoot()
        let h = 5e-3 * max(thetaNorm, 1)
        func shifted(_ sign: Double) -> Model {
            var m = model
            var k = 0
            m.parameters = theta.map { t in
                var s = t.scalars
                for j in s.indices { s[j] += Float(sign * h * w[k] / wn); k += 1 }
                return Tensor(shape: t.shape, scalars: s)
            }
            return m
        }
        let (plus, minus) = (shifted(1), shifted(-1))
        let n = y.count
        var gradient = [Float](repeating: 0, count: x.count)
        let inner = x.count / max(n, 1)
        for start in stride(from: 0, to: n, by: batchSize) {
            let range = start..<min(n, start + batchSize)
            let rows = x.rows(range), labels = Array(y[range])
            let a = plus.lossAndInputGradient(rows, labels: labels).gradient
            let b = minus.lossAndInputGradient(rows, labels: labels).gradient
            // the batch loss is a mean over the batch; the objective's g a mean over all n
            let scale = wn / (2 * h) * Double(range.count) / Double(n)
            for j in 0..<(range.count * inner) { gradient[start * inner + j] = Float(scale * Double(a.scalars[j] - b.scalars[j])) }
        }
        return (1 - cos, gradient)
    }
}
