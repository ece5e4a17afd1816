/// A training-time defence: how each mini-batch is changed (or the loss extended) before the
/// optimiser step. All perturbations are L∞ and clipped to the input range.
public enum TrainingDefense: Codable, Sendable, Equatable {
    /// Plain training (the baseline).
    case standard
    /// PGD adversarial training (Madry, Makelov, Schmidt, Tsipras & Vladu, "Towards Deep
    /// Learning Models Resistant to Adversarial Attacks", ICLR 2018): train on `steps`-step PGD
    /// examples from a random start, step size `stepSize` (default 2.5 ε / steps).
    case pgd(epsilon: Float, steps: Int, stepSize: Float?)
    /// TRADES (Zhang, Yu, Jiao, Xing, El Ghaoui & Jordan, "Theoretically Principled Trade-off
    /// between Robustness and Accuracy", ICML 2019): loss `CE(f(x), y) + β · KL(f(x) ‖ f(x'))`
    /// with `x'` maximising the KL term by `steps` PGD steps from `x + 0.001 · N(0, I)`.
    case trades(epsilon: Float, steps: Int, beta: Float)
    /// Fast adversarial training (Wong, Rice & Kolter, "Fast is better than free", ICLR 2020):
    /// one FGSM step of size `stepSize` (default 1.25 ε) from a uniform random start in the ε-ball.
    case fast(epsilon: Float, stepSize: Float?)
    /// Gaussian data augmentation `x + N(0, σ² I)` (not clipped), the base training of
    /// randomized smoothing (Cohen et al. 2019).
    case gaussianNoise(sigma: Float)

    /// A short stable name (`"pgd-at"`, `"trades"`, `"fast-at"`, `"noise"`, `"standard"`).
    public var name: String {
        switch self {
        case .standard: "standard"
        case .pgd: "pgd-at"
        case .trades: "trades"
        case .fast: "fast-at"
        case .gaussianNoise: "noise"
        }
    }

    /// Forward + backward passes per training example (1 for plain training), a cost estimate.
    public var passesPerExample: Int {
        switch self {
        case .standard, .gaussianNoise: 1
        case .pgd(_, let steps, _): steps + 1
        case .trades(_, let steps, _): steps + 2
        case .fast: 2
        }
    }
}
