public import BulwarkModels
public import BulwarkTensor
import Foundation

/// The null hypothesis of an ownership test, measured: how often a model that was **not**
/// derived from the owner's gives a key input its key label.
///
/// p0 = max(floor, the largest single reference's rate, the one-sided 99.9 % Wilson upper bound
/// of the pooled rate over all references). Taking the largest of these makes the test
/// conservative: a suspect must beat the most agreeable independent model seen, and the
/// sampling error of a few references, before the claim is verified.
public enum ChanceAgreement {
    /// z of the one-sided 99.9 % Wilson bound.
    public static let wilsonZ = 3.090232306167813

    /// Fraction of `inputs` that `model` labels as `labels`.
    public static func rate(of model: any DifferentiableClassifier, inputs: Tensor, labels: [Int]) -> Double {
        guard !labels.isEmpty else { return 0 }
        let predicted = model.predictions(inputs)
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// p0 from measured reference `rates` on a key of `keySize` inputs (see the type).
    public static func estimate(rates: [Double], keySize: Int, floor: Double) -> Double {
        var p0 = max(floor, rates.max() ?? 0)
        if !rates.isEmpty, keySize > 0 {
            let n = Double(rates.count * keySize)
            let phat = rates.reduce(0, +) / Double(rates.count)
            let z2 = wilsonZ * wilsonZ
            let centre = phat + z2 / (2 * n)
            let spread = wilsonZ * (phat * (1 - phat) / n + z2 / (4 * n * n)).squareRoot()
            p0 = max(p0, (centre + spread) / (1 + z2 / n))
        }
        // A p0 of 1 would make every claim unprovable and 0 every match proof: keep it inside.
        return min(max(p0, 1e-9), 1 - 1e-9)
    }

    /// Measures every reference on the key and returns the rates and p0.
    public static func measure(references: [any DifferentiableClassifier], inputs: Tensor, labels: [Int], floor: Double)
        -> (rates: [Double], chanceAgreement: Double) {
        let rates = references.map { rate(of: $0, inputs: inputs, labels: labels) }
        return (rates, estimate(rates: rates, keySize: labels.count, floor: floor))
    }
}
