import BulwarkTensor

/// Named architectures.
///
/// `mlp` and `cnn` are fixed to 1×28×28 inputs and 10 classes (MNIST / Fashion-MNIST);
/// `resnet` and `tabular` are sized from the data: build them with
/// ``makeModel(exampleShape:classCount:seed:)``.
///
/// ```swift
/// let tabular = try ZooArchitecture.tabular.makeModel(exampleShape: [30], classCount: 2, seed: 0)
/// let resnet = try ZooArchitecture.resnet.makeModel(exampleShape: [3, 32, 32], classCount: 10)
/// print(tabular.parameterCount, resnet.summary)
/// ```
public enum ZooArchitecture: String, CaseIterable, Sendable, Codable {
    /// 784-256-128-10 with ReLU: `nn.Sequential(Flatten, Linear, ReLU, Linear, ReLU, Linear)`.
    /// Its hidden sizes and activation can be changed (``ZooVariant``, `bulwark train --hidden 32
    /// --activation square`): 784-32-10 with x² is the model `bulwark he infer` runs encrypted.
    case mlp
    /// conv 1→32 3×3 pad 1, ReLU, maxpool 2, conv 32→64 3×3 pad 1, ReLU, maxpool 2, flatten,
    /// dense 3136→128, ReLU, dense 128→10.
    case cnn
    /// A small residual network with batch normalisation for C×H×W images: conv C→16 3×3 pad 1,
    /// batch norm, ReLU, three ``ResidualBlock``s (16→16, 16→32 stride 2, 32→64 stride 2),
    /// global average pooling, flatten, dense 64→classes. About 78 000 parameters. Batch
    /// normalisation mixes examples, so DP-SGD refuses it.
    case resnet
    /// An MLP for F features (any example shape, flattened): F→64→32→classes with ReLU,
    /// `nn.Sequential(Flatten, Linear, ReLU, Linear, ReLU, Linear)`. Trains with DP-SGD.
    case tabular

    /// The example shape of `mlp` and `cnn`, and the one ``makeModel(seed:)`` builds every
    /// architecture for: 1×28×28.
    public static let defaultExampleShape = [1, 28, 28]
    /// The class count of `mlp` and `cnn`, and the one ``makeModel(seed:)`` builds for: 10.
    public static let defaultClassCount = 10
    /// The largest example (elements) and class count ``makeModel(exampleShape:classCount:seed:)``
    /// accepts, so a shape read from a file cannot ask for gigabytes of weights.
    public static let maximumExampleElements = 1 << 22, maximumClassCount = 1 << 16

    /// Whether the architecture takes its input shape and class count from the data (`resnet`,
    /// `tabular`) rather than being fixed to ``defaultExampleShape`` and ``defaultClassCount``.
    public var isSizedFromData: Bool {
        switch self {
        case .mlp, .cnn: false
        case .resnet, .tabular: true
        }
    }

    /// A freshly initialised model (PyTorch's default initialisation) for 1×28×28 inputs and 10
    /// classes.
    public func makeModel(seed: UInt64 = 0) -> Sequential {
        do {
            return try makeModel(exampleShape: Self.defaultExampleShape, classCount: Self.defaultClassCount, seed: seed)
        } catch {
            preconditionFailure("zoo architecture \(rawValue) is inconsistent: \(error)")  // a bug in this file, not input
        }
    }

    /// A freshly initialised model (PyTorch's default initialisation) for examples of shape
    /// `exampleShape` (without the batch axis) and `classCount` classes.
    ///
    /// `resnet` takes C×H×W images of any channel count and size; `tabular` takes any shape
    /// (F features, or an image it flattens); `mlp` and `cnn` only 1×28×28 and 10 classes.
    /// `variant` changes `mlp`'s hidden sizes and activation (one Linear and one activation
    /// layer per hidden size, then Linear to the classes); other architectures take only
    /// ``ZooVariant/standard``.
    /// - Throws: ``ModelError`` (`.shapeMismatch`) naming the shape or class count the
    ///   architecture cannot take, or a variant given for an architecture other than `mlp`.
    public func makeModel(exampleShape: [Int], classCount: Int, seed: UInt64 = 0,
                          variant: ZooVariant = .standard) throws(ModelError) -> Sequential {
        guard variant.isStandard || self == .mlp else {
            throw ModelError(.shapeMismatch, "\(rawValue) has fixed layers; hidden sizes and activations can be chosen for mlp only")
        }
        let shapeText = exampleShape.map(String.init).joined(separator: "×")
        guard !exampleShape.isEmpty, exampleShape.allSatisfy({ $0 > 0 }) else {
            throw ModelError(.shapeMismatch, "\(rawValue): example shape [\(shapeText)] must have positive sizes")
        }
        let (elements, overflow) = exampleShape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, elements <= Self.maximumExampleElements else {
            throw ModelError(.shapeMismatch, "\(rawValue): example shape [\(shapeText)] has more than \(Self.maximumExampleElements) elements")
        }
        guard classCount >= 2, classCount <= Self.maximumClassCount else {
            throw ModelError(.shapeMismatch, "\(rawValue): class count \(classCount) outside 2...\(Self.maximumClassCount)")
        }
        if !isSizedFromData, exampleShape != Self.defaultExampleShape || classCount != Self.defaultClassCount {
            throw ModelError(.shapeMismatch, "\(rawValue) is built for 1×28×28 inputs and 10 classes, not \(shapeText) and \(classCount); use resnet (images) or tabular (features)")
        }
        var rng = SeededGenerator(seed: seed)
        let layers: [any Layer]
        switch self {
        case .mlp:
            var mlp: [any Layer] = [Flatten()]
            var width = 784
            for size in variant.hiddenSizes ?? [256, 128] {
                mlp += [Dense(width, size, rng: &rng), variant.activation.layer()]
                width = size
            }
            layers = mlp + [Dense(width, 10, rng: &rng)]
        case .cnn:
            layers = [
                Conv2D(1, 32, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), MaxPool2D(kernel: (2, 2)),
                Conv2D(32, 64, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), MaxPool2D(kernel: (2, 2)),
                Flatten(), Dense(3136, 128, rng: &rng), ReLU(), Dense(128, 10, rng: &rng),
            ]
        case .resnet:
            guard exampleShape.count == 3 else {
                throw ModelError(.shapeMismatch, "resnet expects C×H×W images, got example shape [\(shapeText)]")
            }
            layers = [
                Conv2D(exampleShape[0], 16, kernel: (3, 3), padding: (1, 1), rng: &rng), BatchNorm(channels: 16), ReLU(),
                ResidualBlock(16, 16, rng: &rng), ResidualBlock(16, 32, stride: 2, rng: &rng), ResidualBlock(32, 64, stride: 2, rng: &rng),
                GlobalAvgPool(), Flatten(), Dense(64, classCount, rng: &rng),
            ]
        case .tabular:
            layers = [Flatten(), Dense(elements, 64, rng: &rng), ReLU(), Dense(64, 32, rng: &rng), ReLU(), Dense(32, classCount, rng: &rng)]
        }
        return try Sequential(inputShape: exampleShape, layers: layers)
    }

    /// The default optimiser and schedule, which reach ≥ 85 % (mlp) / ≥ 88 % (cnn) test accuracy on
    /// Fashion-MNIST in 3 epochs.
    public static let defaultLearningRate: Float = 1e-3
}
