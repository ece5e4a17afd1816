public import BulwarkTensor
import BulwarkModels

/// DeepFool (Moosavi-Dezfooli, Fawzi & Frossard, "DeepFool: a simple and accurate method to
/// fool deep neural networks", CVPR 2016), multi-class, L2 and L∞ variants.
///
/// Linearises the classifier at the current point, steps to the nearest linearised decision
/// boundary (`r = (|f_l| + 1e-4) / ‖w_l‖² · w_l` for L2, `(|f_l| + 1e-4) / ‖w_l‖₁ · sign(w_l)` for
/// L∞), accumulates the steps and applies them with `(1 + overshoot)`, until the label changes or
/// `maxIterations` is reached. One forward pass and `classCount` backward passes per iteration,
/// batched over the active examples. Untargeted only (as in the paper).
///
/// DeepFool is a minimal-norm attack; with `boundedByEpsilon` (the default) an adversarial example
/// whose perturbation exceeds ε in the configured norm is reverted to the clean input and counted
/// as a failure, which makes it comparable with ε-bounded attacks in an evaluation.
public struct DeepFool: EvasionAttack {
    /// `"deepfool"`.
    public var name: String { "deepfool" }
    /// Always true.
    public var requiresGradients: Bool { true }
    /// Overshoot factor (paper: 0.02).
    public var overshoot: Float
    /// Revert results larger than ε (see type docs).
    public var boundedByEpsilon: Bool

    /// A DeepFool attack.
    public init(overshoot: Float = 0.02, boundedByEpsilon: Bool = true) {
        self.overshoot = overshoot
        self.boundedByEpsilon = boundedByEpsilon
    }

    /// Runs DeepFool on a batch.
    public func run(inputs: Tensor, labels: [Int], model: AttackModel,
                    configuration c: AttackConfiguration) throws(EvasionError) -> AttackResult {
        try validate(inputs: inputs, labels: labels, configuration: c)
        guard c.targets == nil else { throw EvasionError("deepfool is untargeted; remove targets") }
        let net = try differentiable(model)
        let start = now()
        let n = labels.count
        let d = n == 0 ? 0 : inputs.count / n
        let k = net.classCount
        let rowShape = Array(inputs.shape.dropFirst())
        let x0 = inputs.scalars
        let cleanPred = net.predictions(inputs)
        var best = x0
        var total = [Float](repeating: 0, count: n * d)
        var queries = [Int](repeating: 1, count: n)
        var iterations = [Int](repeating: 0, count: n)
        var active = (0..<n).filter { cleanPred[$0] == labels[$0] }
        var iteration = 0
        while !active.isEmpty && iteration < c.maxIterations {
            iteration += 1
            let m = active.count
            var x = [Float](); x.reserveCapacity(m * d)
            for i in active { x += best[(i * d)..<((i + 1) * d)] }
            let tape = Tape()
            let xv = tape.variable(Tensor(shape: [m] + rowShape, scalars: x))
            let z = net.logits(xv)
            let logits = z.value.scalars
            var grads: [[Float]] = []
            grads.reserveCapacity(k)
            for cls in 0..<k {
                var seed = [Float](repeating: 0, count: m * k)
                for r in 0..<m { seed[r * k + cls] = 1 }
                grads.append(tape.gradients(of: z, seed: Tensor(shape: [m, k], scalars: seed), wrt: [xv])[0].scalars)
            }
            var keep: [Int] = []
            for (r, i) in active.enumerated() {
                let y0 = cleanPred[i]
                var bestDistance = Float.infinity, bestClass = -1, bestF: Float = 0, bestNorm: Float = 0
                for cls in 0..<k where cls != y0 {
                    let f = logits[r * k + cls] - logits[r * k + y0]
                    var nrm: Float = 0
                    for j in 0..<d {
                        let w = grads[cls][r * d + j] - grads[y0][r * d + j]
                        nrm += c.norm == .l2 ? w * w : abs(w)
                    }
                    if c.norm == .l2 { nrm = nrm.squareRoot() }
                    guard nrm > 1e-12 else { continue }
                    let dist = abs(f) / nrm
                    if dist < bestDistance { bestDistance = dist; bestClass = cls; bestF = f; bestNorm = nrm }
                }
                iterations[i] += 1
                queries[i] += 1 + k
                guard bestClass >= 0 else { continue }  // flat: no direction to move in
                let scale = (abs(bestF) + 1e-4) / (c.norm == .l2 ? bestNorm * bestNorm : bestNorm)
                for j in 0..<d {
                    let w = grads[bestClass][r * d + j] - grads[y0][r * d + j]
                    total[i * d + j] += scale * (c.norm == .l2 ? w : (w > 0 ? 1 : (w < 0 ? -1 : 0)))
                    best[i * d + j] = min(max(x0[i * d + j] + (1 + overshoot) * total[i * d + j], c.clipMin), c.clipMax)
                }
                keep.append(i)
            }
            if keep.isEmpty { break }
            var xs = [Float](); xs.reserveCapacity(keep.count * d)
            for i in keep { xs += best[(i * d)..<((i + 1) * d)] }
            let pred = net.logits(Tensor(shape: [keep.count] + rowShape, scalars: xs)).argmaxRows()
            active = zip(keep, pred).filter { $0.1 == labels[$0.0] }.map(\.0)
        }
        if boundedByEpsilon {
            for i in 0..<n {
                var nrm: Float = 0
                for j in (i * d)..<((i + 1) * d) {
                    let v = best[j] - x0[j]
                    nrm = c.norm == .l2 ? nrm + v * v : max(nrm, abs(v))
                }
                if c.norm == .l2 { nrm = nrm.squareRoot() }
                if nrm > c.epsilon * (1 + 1e-6) { best.replaceSubrange((i * d)..<((i + 1) * d), with: x0[(i * d)..<((i + 1) * d)]) }
            }
        }
        let adv = Tensor(shape: inputs.shape, scalars: best)
        let advPred = net.predictions(adv)
        return AttackResult(adversarial: adv, outcomes: makeOutcomes(
            clean: inputs, adversarial: adv, labels: labels, cleanPredictions: cleanPred, adversarialPredictions: advPred,
            targets: nil, queries: queries, iterations: iterations, seconds: now() - start))
    }
}
