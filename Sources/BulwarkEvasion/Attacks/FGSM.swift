public import BulwarkTensor
import BulwarkModels

/// Fast gradient sign method (Goodfellow, Shlens & Szegedy, "Explaining and Harnessing
/// Adversarial Examples", ICLR 2015): one step `x + ε · sign(∇ CE)` (L∞) or `x + ε · ∇/‖∇‖₂`
/// (L2, the fast gradient method), clipped to the input range. `maxIterations` is ignored.
public struct FastGradientSignMethod: EvasionAttack {
    /// `"fgsm"`.
    public var name: String { "fgsm" }
    /// Always true.
    public var requiresGradients: Bool { true }
    /// An FGSM attack.
    public init() {}

    /// Runs FGSM on a batch.
    public func run(inputs: Tensor, labels: [Int], model: AttackModel,
                    configuration c: AttackConfiguration) throws(EvasionError) -> AttackResult {
        try step.run(inputs: inputs, labels: labels, model: model, configuration: Self.oneStep(c))
    }

    /// The adversarial examples only: one forward and one backward pass, no scoring pass.
    public func generate(inputs: Tensor, labels: [Int], model: AttackModel,
                         configuration c: AttackConfiguration) throws(EvasionError) -> Tensor {
        try step.generate(inputs: inputs, labels: labels, model: model, configuration: Self.oneStep(c))
    }

    /// FGSM is one PGD step of size ε from x0.
    var step: ProjectedGradientDescent { ProjectedGradientDescent(relativeStepSize: 1, randomStart: false, name: name) }

    /// `c` with exactly one iteration (`maxIterations` is ignored by FGSM).
    static func oneStep(_ c: AttackConfiguration) -> AttackConfiguration {
        var one = c
        one.maxIterations = 1
        return one
    }
}
