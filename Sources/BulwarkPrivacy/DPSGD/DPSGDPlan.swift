import Foundation

/// A DP-SGD run planned before any training: the sampling rate, the noise multiplier (given,
/// or the smallest that meets a target ε) and the ε the whole run will spend — and a refusal
/// when that ε would exceed the target.
///
/// ```swift
/// let plan = try DPSGDPlan(noiseMultiplier: 1.1, maxGradientNorm: 1, delta: 1e-5, batchSize: 256,
///                          examples: 60_000, epochs: 10)
/// print(plan.configuration.samplingRate, plan.plannedEpsilon)
/// ```
public struct DPSGDPlan: Sendable, Equatable {
    /// The run's settings, validated.
    public var configuration: DPSGDConfiguration
    /// ε after every planned step (RDP accountant, for the configuration's δ).
    public var plannedEpsilon: Double
    /// Whether σ was calibrated to a target ε rather than given.
    public var calibrated: Bool

    /// Plans a run over `examples` training examples.
    ///
    /// - Parameters:
    ///   - noiseMultiplier: σ; when `nil`, the smallest σ whose run spends at most `targetEpsilon`.
    ///   - targetEpsilon: the most ε the run may spend; the plan is refused above it.
    ///   - samplingRate: Poisson rate q; when `nil`, `batchSize / examples` (at most 1).
    /// - Throws: ``PrivacyError`` naming the parameter: `noiseMultiplier` when neither σ nor a
    ///   target is given, `targetEpsilon` when the planned ε exceeds it, and every check of
    ///   ``DPSGDConfiguration/validate()``.
    public init(noiseMultiplier: Double? = nil, targetEpsilon: Double? = nil, maxGradientNorm: Double, delta: Double,
                samplingRate: Double? = nil, batchSize: Int, examples: Int, epochs: Int,
                randomness: DPRandomness = .secure) throws(PrivacyError) {
        guard examples > 0 else { throw PrivacyError(parameter: "examples", message: "no training examples") }
        guard batchSize > 0 else { throw PrivacyError(parameter: "batchSize", message: "expected at least 1, got \(batchSize)") }
        if let targetEpsilon, !(targetEpsilon.isFinite && targetEpsilon > 0) {
            throw PrivacyError(parameter: "targetEpsilon", message: "expected a finite number > 0, got \(targetEpsilon)")
        }
        let q = samplingRate ?? min(1, Double(batchSize) / Double(examples))
        var configuration = DPSGDConfiguration(noiseMultiplier: noiseMultiplier ?? 1, maxGradientNorm: maxGradientNorm,
                                               samplingRate: q, epochs: epochs, delta: delta, randomness: randomness)
        try configuration.validate()
        if noiseMultiplier == nil {
            guard let targetEpsilon else {
                throw PrivacyError(parameter: "noiseMultiplier", message: "needed (or a target ε to calibrate it): without noise there is no ε")
            }
            configuration.noiseMultiplier = try PrivacyCalibration.noiseMultiplier(
                targetEpsilon: targetEpsilon, samplingRate: q, steps: epochs * configuration.stepsPerEpoch, delta: delta)
        }
        let planned = try configuration.plannedEpsilon
        if let targetEpsilon, planned > targetEpsilon {
            let message = String(format: "refusing to train: %d epochs at σ = %.4g, q = %.4g would spend ε = %.4f > the target %.4g (δ = %g)",
                                 epochs, configuration.noiseMultiplier, q, planned, targetEpsilon, delta)
            throw PrivacyError(parameter: "targetEpsilon", message: message)
        }
        self.configuration = configuration
        self.plannedEpsilon = planned
        self.calibrated = noiseMultiplier == nil
    }
}
