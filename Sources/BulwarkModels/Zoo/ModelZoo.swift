import BulwarkTensor

/// Named architectures for 1×28×28 inputs and 10 classes (MNIST / Fashion-MNIST).
public enum ZooArchitecture: String, CaseIterable, Sendable, Codable {
    /// 784-256-128-10 with ReLU: `nn.Sequential(Flatten, Linear, ReLU, Linear, ReLU, Linear)`.
    case mlp
    /// conv 1→32 3×3 pad 1, ReLU, maxpool 2, conv 32→64 3×3 pad 1, ReLU, maxpool 2, flatten,
    /// dense 3136→128, ReLU, dense 128→10.
    case cnn

    /// A freshly initialised model (PyTorch's default initialisation) for this architecture.
    public func makeModel(seed: UInt64 = 0) -> Sequential {
        var rng = SeededGenerator(seed: seed)
        let layers: [any Layer]
        switch self {
        case .mlp:
            layers = [Flatten(), Dense(784, 256, rng: &rng), ReLU(), Dense(256, 128, rng: &rng), ReLU(), Dense(128, 10, rng: &rng)]
        case .cnn:
            layers = [
                Conv2D(1, 32, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), MaxPool2D(kernel: (2, 2)),
                Conv2D(32, 64, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), MaxPool2D(kernel: (2, 2)),
                Flatten(), Dense(3136, 128, rng: &rng), ReLU(), Dense(128, 10, rng: &rng),
            ]
        }
        do {
            return try Sequential(inputShape: [1, 28, 28], layers: layers)
        } catch {
            preconditionFailure("zoo architecture \(rawValue) is inconsistent: \(error)")  // a bug in this file, not input
        }
    }

    /// The default optimiser and schedule, which reach ≥ 85 % (mlp) / ≥ 88 % (cnn) test accuracy on
    /// Fashion-MNIST in 3 epochs.
    public static let defaultLearningRate: Float = 1e-3
}
