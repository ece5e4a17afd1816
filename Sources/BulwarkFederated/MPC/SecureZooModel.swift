public import BulwarkCrypto
public import BulwarkModels
import BulwarkTensor

/// What secure inference reveals to the client: the logits, or only the predicted labels.
public enum MPCInferenceReveal: String, Sendable, Codable, CaseIterable {
    /// The client learns the N × 10 logits (opened to it alone) and computes the labels itself.
    case logits
    /// The client learns only the labels: the argmax runs on shares (9·⌈log₂ 10⌉ = 36 more
    /// rounds), so the logits, which make a model easier to steal, stay hidden.
    case labels
}

/// The zoo `mlp` or `cnn` as a sequence of secret-shared operations (``MPCParty``), run by two
/// parties: the model owner (party 0) inputs the weights, the client (party 1) the images, and
/// only the client learns the output.
///
/// The mapping: a dense layer is a matrix product with a matrix triple (one round) plus the
/// bias (local); ReLU is a comparison through A2B and a carry circuit (9 rounds); a convolution
/// 3×3 with padding 1 is one matrix product of the image patches with the filters (im2col on
/// shares is a local rearrangement); max-pool 2×2 runs before ReLU, which gives the same values
/// (ReLU is monotone) with a quarter of the comparisons. The architecture is public; the weights
/// are known only to the owner and the inputs only to the client.
///
/// Online cost for a batch (both parties; ``MPCParty`` counts it): `mlp` 22 rounds with
/// ``MPCInferenceReveal/logits``, 58 with ``MPCInferenceReveal/labels``; `cnn` 68 and 104.
///
/// ```swift
/// let owner = try SecureZooModel(owning: ZooArchitecture.mlp.makeModel(seed: 1), architecture: .mlp)
/// let client = try SecureZooModel(publicArchitecture: .mlp)
/// let channels = InProcessChannel.network(parties: 2)
/// let dealer = InProcessDealer(parties: 2)
/// let ownerRun = Task {
///     var party = try await MPCParty.connect(channel: channels[0], preprocessing: dealer.source(for: 0))
///     return try await owner.forward(&party, images: nil, batch: 1, reveal: .logits)
/// }
/// var party = try await MPCParty.connect(channel: channels[1], preprocessing: dealer.source(for: 1))
/// let output = try await client.forward(&party, images: [Double](repeating: 0.5, count: 784), batch: 1, reveal: .logits)
/// _ = try await ownerRun.value
/// print(output?.labels.count ?? 0)  // 1
/// ```
public struct SecureZooModel: Sendable {
    /// The model owner's party id (inputs the weights).
    public static let ownerID = 0
    /// The client's party id (inputs the images, learns the output).
    public static let clientID = 1
    /// Elements of one input image (1 × 28 × 28).
    public static let inputElements = 784
    /// Classes of the output.
    public static let classCount = 10
    /// The dense widths of the `mlp`.
    static let mlpWidths = [784, 256, 128, 10]
    /// (input channels, output channels, side) of the `cnn`'s two convolutions.
    static let convolutionShapes = [(1, 32, 28), (32, 64, 14)]
    /// The dense widths of the `cnn` after its convolutions.
    static let cnnDenseWidths = [3136, 128, 10]

    /// Weights of one layer, input-major (inputs × outputs), and biases; for a convolution the
    /// rows are (input channel, ky, kx), as the patches' columns.
    struct Layer: Sendable {
        var weights: [Double]
        var biases: [Double]
    }

    /// `mlp` or `cnn`.
    public let architecture: ZooArchitecture
    /// The owner's layers (convolutions first); empty at the client.
    private let layers: [Layer]

    /// Whether this value holds the weights (the owner's view).
    public var holdsWeights: Bool { !layers.isEmpty }

    /// The client's view: the public architecture, no weights.
    /// - Throws: `.invalidParameter` for an architecture other than `mlp` and `cnn`.
    public init(publicArchitecture: ZooArchitecture) throws(FederatedError) {
        guard publicArchitecture == .mlp || publicArchitecture == .cnn else {
            throw FederatedError(.invalidParameter, "secure inference runs the zoo mlp and cnn, not \(publicArchitecture.rawValue)")
        }
        architecture = publicArchitecture
        layers = []
    }

    /// The owner's view of a zoo model (as ``ModelFile/load(path:architecture:)`` returns it).
    /// - Throws: `.invalidParameter` for another architecture, `.shapeMismatch` naming the
    ///   tensor whose shape is not the architecture's.
    public init(owning model: Sequential, architecture: ZooArchitecture) throws(FederatedError) {
        _ = try SecureZooModel(publicArchitecture: architecture)
        let tensors = model.namedTensors.filter { $0.name.hasSuffix(".weight") }
            .sorted { Int($0.name.split(separator: ".").first ?? "") ?? 0 < Int($1.name.split(separator: ".").first ?? "") ?? 0 }
        let byName = Dictionary(model.namedTensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        var shapes: [(weight: [Int], inputs: Int, outputs: Int, convolution: Bool)] = []
        if architecture == .mlp {
            for index in 0..<3 {
                let (inputs, outputs) = (Self.mlpWidths[index], Self.mlpWidths[index + 1])
                shapes.append(([outputs, inputs], inputs, outputs, false))
            }
        } else {
            for (cin, cout, _) in Self.convolutionShapes { shapes.append(([cout, cin, 3, 3], cin * 9, cout, true)) }
            for index in 0..<2 {
                let (inputs, outputs) = (Self.cnnDenseWidths[index], Self.cnnDenseWidths[index + 1])
                shapes.append(([outputs, inputs], inputs, outputs, false))
            }
        }
        guard tensors.count == shapes.count else {
            throw FederatedError(.shapeMismatch, "a zoo \(architecture.rawValue) has \(shapes.count) weight tensors, this model \(tensors.count)")
        }
        var layers: [Layer] = []
        for (tensor, shape) in zip(tensors, shapes) {
            let biasName = String(tensor.name.dropLast(".weight".count)) + ".bias"
            guard tensor.tensor.shape == shape.weight, let bias = byName[biasName], bias.shape == [shape.outputs] else {
                throw FederatedError(.shapeMismatch, "\(tensor.name) is \(tensor.tensor.shape) (bias \(byName[biasName]?.shape ?? [])), a zoo \(architecture.rawValue) needs \(shape.weight) and [\(shape.outputs)]")
            }
            // PyTorch layout (outputs × inputs…) → inputs × outputs.
            let w = tensor.tensor.scalars, (inputs, outputs) = (shape.inputs, shape.outputs)
            var transposed = [Double](repeating: 0, count: inputs * outputs)
            for i in 0..<inputs { for o in 0..<outputs { transposed[i * outputs + o] = Double(w[o * inputs + i]) } }
            layers.append(Layer(weights: transposed, biases: bias.scalars.map(Double.init)))
        }
        self.architecture = architecture
        self.layers = layers
    }

    /// The owner's view of a 784-256-128-10 perceptron given as arrays: `weights[l]` is
    /// inputs × outputs, row-major, `biases[l]` has one value per output.
    /// - Throws: `.shapeMismatch` naming the layer whose sizes are not the `mlp`'s.
    public init(mlpWeights weights: [[Double]], biases: [[Double]]) throws(FederatedError) {
        guard weights.count == 3, biases.count == 3 else { throw FederatedError(.shapeMismatch, "an mlp has 3 layers, got \(weights.count) weights and \(biases.count) biases") }
        for index in 0..<3 where weights[index].count != Self.mlpWidths[index] * Self.mlpWidths[index + 1] || biases[index].count != Self.mlpWidths[index + 1] {
            throw FederatedError(.shapeMismatch, "mlp layer \(index) needs \(Self.mlpWidths[index])×\(Self.mlpWidths[index + 1]) weights and \(Self.mlpWidths[index + 1]) biases")
        }
        architecture = .mlp
        layers = zip(weights, biases).map { Layer(weights: $0, biases: $1) }
    }

    /// One party's secure forward pass over a batch of `batch` images.
    ///
    /// Both parties call it in step with the same `batch` and `reveal`. `images` (batch × 784
    /// values, the client's) is read only at the client; the weights only at the owner, which
    /// must hold them. Returns the output at the client, nil at the owner.
    /// - Throws: ``CryptoError``: `.invalidParameter` when a party lacks its secret or the
    ///   sizes disagree, `.partyUnavailable` when the peer is gone, `.malformed` for a bad message.
    public func forward(_ party: inout MPCParty, images: [Double]?, batch: Int, reveal: MPCInferenceReveal) async throws(CryptoError) -> SecureInferenceOutput? {
        let owner = party.partyID == Self.ownerID
        guard batch > 0, party.partyCount == 2 else {
            throw CryptoError(.invalidParameter, "secure inference needs 2 parties and a positive batch (\(party.partyCount) parties, batch \(batch))")
        }
        if owner, !holdsWeights { throw CryptoError(.invalidParameter, "the model owner (party \(Self.ownerID)) holds no weights") }
        var h = try party.input(images, owner: Self.clientID, count: batch * Self.inputElements)
        var next = 0
        func weights(_ party: inout MPCParty, count: Int, outputs: Int) throws(CryptoError) -> (ArithmeticShare, ArithmeticShare) {
            let layer = owner ? layers[next] : nil
            next += 1
            return (try party.input(layer?.weights, owner: Self.ownerID, count: count),
                    try party.input(layer?.biases, owner: Self.ownerID, count: outputs))
        }
        let widths: [Int]
        if architecture == .cnn {
            for (cin, cout, side) in Self.convolutionShapes {
                let (w, b) = try weights(&party, count: cin * 9 * cout, outputs: cout)
                let pixels = side * side
                var y = try await party.matrixProduct(ArithmeticShare(words: Self.patches(h.words, batch: batch, channels: cin, side: side)), w,
                                                      rows: batch * pixels, inner: cin * 9, columns: cout)
                y = try party.add(y, ArithmeticShare(words: Self.repeated(b.words, times: batch * pixels)))
                // (image, pixel, channel) → (image, channel, pixel)
                var planes = [UInt64](repeating: 0, count: y.count)
                for n in 0..<batch {
                    for p in 0..<pixels { for c in 0..<cout { planes[(n * cout + c) * pixels + p] = y.words[(n * pixels + p) * cout + c] } }
                }
                let pooled = try await party.maxPool2D(ArithmeticShare(words: planes), channels: batch * cout, height: side, width: side, window: 2, stride: 2)
                h = try await party.relu(pooled)
            }
            widths = Self.cnnDenseWidths
        } else {
            widths = Self.mlpWidths
        }
        for layer in 0..<(widths.count - 1) {
            let (w, b) = try weights(&party, count: widths[layer] * widths[layer + 1], outputs: widths[layer + 1])
            h = try await party.matrixProduct(h, w, rows: batch, inner: widths[layer], columns: widths[layer + 1])
            h = try party.add(h, ArithmeticShare(words: Self.repeated(b.words, times: batch)))
            if layer + 2 < widths.count { h = try await party.relu(h) }
        }
        switch reveal {
        case .logits:
            guard let logits = try await party.open(h, to: Self.clientID) else { return nil }
            let labels = (0..<batch).map { n in
                let row = logits[(n * Self.classCount)..<((n + 1) * Self.classCount)]
                return (row.indices.max { row[$0] < row[$1] } ?? row.startIndex) - row.startIndex
            }
            return SecureInferenceOutput(labels: labels, logits: logits)
        case .labels:
            let index = try await party.argmax(h, rows: batch, columns: Self.classCount).index
            guard let labels = try await party.openRing(index, to: Self.clientID) else { return nil }
            return SecureInferenceOutput(labels: labels.map { Int(truncatingIfNeeded: $0) }, logits: nil)
        }
    }

    static func repeated(_ words: [UInt64], times: Int) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(words.count * times)
        for _ in 0..<times { out.append(contentsOf: words) }
        return out
    }

    /// Patches of (batch, channels, side, side) words for a 3×3 convolution with padding 1:
    /// rows (image, y, x), columns (channel, ky, kx); padding is zero (a share of zero for
    /// every party).
    static func patches(_ x: [UInt64], batch: Int, channels: Int, side: Int) -> [UInt64] {
        let columns = channels * 9
        var out = [UInt64](repeating: 0, count: batch * side * side * columns)
        for n in 0..<batch {
            for y in 0..<side {
                for x0 in 0..<side {
                    let row = (n * side + y) * side + x0
                    for c in 0..<channels {
                        for ky in 0..<3 {
                            let sy = y + ky - 1
                            guard sy >= 0, sy < side else { continue }
                            for kx in 0..<3 {
                                let sx = x0 + kx - 1
                                guard sx >= 0, sx < side else { continue }
                                out[row * columns + c * 9 + ky * 3 + kx] = x[((n * channels + c) * side + sy) * side + sx]
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// What the client of a secure inference learns for a batch.
public struct SecureInferenceOutput: Sendable, Hashable {
    /// The predicted class of each image.
    public var labels: [Int]
    /// The batch × 10 logits (row-major) when they were revealed.
    public var logits: [Double]?

    /// An output from its parts.
    public init(labels: [Int], logits: [Double]?) {
        self.labels = labels
        self.logits = logits
    }
}
