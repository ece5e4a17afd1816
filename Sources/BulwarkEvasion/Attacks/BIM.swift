public import BulwarkTensor
import BulwarkModels

/// Basic iterative method (Kurakin, Goodfellow & Bengio, "Adversarial Examples in the Physical
/// World", ICLR workshop 2017): FGSM repeated `maxIterations` times with step α (default
/// 2.5 ε / maxIterations), clipped to the ε-ball and input range after every step), no random start.
public struct BasicIterativeMethod: EvasionAttack {
    /// `"bim"`.
    public var name: String { "bim" }
    /// Always true.
    public var requiresGradients: Bool { true }
    /// Step as a fraction of ε; default 2.5 / maxIterations.
    public var relativeStepSize: Float?
    /// A BIM attack.
    public init(relativeStepSize: Float? = nil) { self.relativeStepSize = relativeStepSize }

    /// Runs BIM on a batch.
    public func run(inputs: Tensor, labels: [Int], model: AttackModel,
                    configuration c: AttackConfiguration) throws(EvasionError) -> AttackResult {
        try ProjectedGradientDescent(relativeStepSize: relativeStepSize, randomStart: false, name: name)
            .run(inputs: inputs, labels: labels, model: model, configuration: c)
    }

    /// The adversarial examples only (no pass scoring the final iterate).
    public func generate(inputs: Tensor, labels: [Int], model: AttackModel,
                         configuration c: AttackConfiguration) throws(EvasionError) -> Tensor {
        try ProjectedGradientDescent(relativeStepSize: relativeStepSize, randomStart: false, name: name)
            .generate(inputs: inputs, labels: labels, model: model, configuration: c)
    }
}
