import Foundation

/// Logistic regression trained on vertically split data: every party holds different feature
/// columns of the same records (row i is the same record everywhere, the join done beforehand),
/// one party also holds the labels, and nobody sees another party's columns, the labels (unless
/// theirs) or any intermediate value — only the trained weights are opened, each party's block of
/// weights to that party alone and the bias to the label owner (SecureML's training, Mohassel and
/// Zhang 2017, with Bulwark's accurate sigmoid instead of their piecewise-linear one).
///
/// Protocol, for each mini-batch (the batch order is public, from ``Configuration/seed``):
/// - each party secret-shares its standardised columns once, the label owner its labels;
/// - z = X_b·w + b by a Beaver matrix product (one round), σ(z) by ``MPCParty/sigmoid(_:)``
///   (46 rounds), e = σ(z) − y;
/// - g = X_bᵀ·e by a second matrix product (one round), then w ← w − η·(g/B + λ·w) and
///   b ← b − η·Σe/B locally (public constants, truncation only).
///
/// So a batch costs 48 rounds and two matrix triples. Features should be standardised (zero
/// mean, unit variance) by each party on its own columns before training — fixed-point values
/// must stay well inside the encoding's range, and the sigmoid's input below 256 in magnitude.
///
/// ```swift
/// let channels = InProcessChannel.network(parties: 2)
/// let dealer = InProcessDealer(parties: 2)
/// let x0: [[Double]] = [[-1], [1], [-1], [1]], x1: [[Double]] = [[1], [-1], [-1], [1]]
/// let labels: [Double] = [0, 1, 0, 1]
/// var settings = VerticalLogisticRegression.Configuration()
/// settings.epochs = 20
/// settings.batchSize = 4
/// let configuration = settings
/// func run(_ id: Int) async throws -> VerticalLogisticRegression.Model {
///     var party = try await MPCParty.connect(channel: channels[id], preprocessing: dealer.source(for: id))
///     return try await VerticalLogisticRegression.train(
///         party: &party, columns: id == 0 ? x0 : x1, featureCounts: [1, 1],
///         labels: id == 0 ? labels : nil, labelOwner: 0, configuration: configuration)
/// }
/// async let first = run(0)
/// let second = try await run(1)
/// print(try await first.weights[0] > 0, second.weights[0])  // true, a weight near 0
/// ```
public enum VerticalLogisticRegression {
    /// Training hyper-parameters (public: every party must use the same).
    public struct Configuration: Sendable, Hashable, Codable {
        /// Passes over the data.
        public var epochs = 10
        /// Records per mini-batch (the last batch of an epoch may be smaller).
        public var batchSize = 64
        /// The step size η.
        public var learningRate = 0.5
        /// The L2 penalty λ on the weights (not the bias).
        public var l2 = 0.0
        /// Seed of the public batch order (a permutation of the records per epoch).
        public var seed: UInt64 = 1
        /// The defaults: 10 epochs of batches of 64, η = 0.5, no penalty.
        public init() {}
    }

    /// What one party learns: its own block of weights, and the bias at the label owner.
    public struct Model: Sendable, Hashable {
        /// The weights of this party's columns, in its column order.
        public let weights: [Double]
        /// The bias, at the label owner only.
        public let bias: Double?
        /// What training cost this party (rounds, bytes; online only).
        public let cost: MPCCost
    }

    /// Trains the model; every party calls this at the same time with its own columns.
    ///
    /// - Parameters:
    ///   - party: this party (two parties: truncation is SecureML's two-party one).
    ///   - columns: this party's feature values, one row per record (`featureCounts[partyID]`
    ///     values each); the same number of records at every party.
    ///   - featureCounts: how many columns each party holds (public).
    ///   - labels: 0/1 labels at the label owner (nil elsewhere).
    ///   - labelOwner: the party holding the labels.
    /// - Throws: ``CryptoError`` `.invalidParameter` for mismatched shapes, a label other than 0
    ///   or 1, a non-finite value or one beyond the encoding's range; the channel's errors.
    public static func train(party: inout MPCParty, columns: [[Double]], featureCounts: [Int],
                             labels: [Double]?, labelOwner: Int, configuration: Configuration) async throws(CryptoError) -> Model {
        let me = party.partyID
        guard party.partyCount == 2 else { throw CryptoError(.invalidParameter, "vertical logistic regression needs exactly two parties, not \(party.partyCount)") }
        guard featureCounts.count == 2, featureCounts.allSatisfy({ $0 > 0 }) else {
            throw CryptoError(.invalidParameter, "feature counts \(featureCounts): expected a positive count for each of the two parties")
        }
        guard (0..<2).contains(labelOwner) else { throw CryptoError(.invalidParameter, "label owner \(labelOwner) is not a party") }
        guard configuration.epochs > 0, configuration.batchSize > 0,
              configuration.learningRate > 0, configuration.learningRate.isFinite, configuration.l2 >= 0, configuration.l2.isFinite else {
            throw CryptoError(.invalidParameter, "training needs positive epochs, batch size and learning rate and a non-negative L2 penalty")
        }
        let rows = columns.count
        guard rows > 0 else { throw CryptoError(.invalidParameter, "no records to train on") }
        let mine = featureCounts[me]
        guard columns.allSatisfy({ $0.count == mine }) else {
            throw CryptoError(.invalidParameter, "party \(me) declared \(mine) columns but a record has another count")
        }
        if me == labelOwner {
            guard let labels, labels.count == rows else {
                throw CryptoError(.invalidParameter, "the label owner needs one label per record (\(rows)), got \(labels?.count ?? 0)")
            }
            guard labels.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw CryptoError(.invalidParameter, "labels must be 0 or 1") }
        }
        // Agree on the record count before sharing (a mismatch would desynchronise the streams).
        let counts = try await party.exchange([UInt64(rows)])
        guard counts.allSatisfy({ $0 == [UInt64(rows)] }) else {
            throw CryptoError(.invalidParameter, "the parties hold different record counts (\(counts.map { $0.first ?? 0 })): join the records first")
        }

        let features = featureCounts.reduce(0, +)
        // Shares of the whole n×d matrix: each owner's block, interleaved by column offset.
        var blocks: [ArithmeticShare] = []
        for owner in 0..<2 {
            let values: [Double]? = owner == me ? columns.flatMap(\.self) : nil
            blocks.append(try party.input(values, owner: owner, count: rows * featureCounts[owner]))
        }
        var x = [UInt64](repeating: 0, count: rows * features)
        var offset = 0
        for owner in 0..<2 {
            let width = featureCounts[owner]
            for row in 0..<rows {
                for column in 0..<width { x[row * features + offset + column] = blocks[owner].words[row * width + column] }
            }
            offset += width
        }
        let y = try party.input(me == labelOwner ? labels : nil, owner: labelOwner, count: rows)

        let start = party.cost
        var weights = ArithmeticShare(words: [UInt64](repeating: 0, count: features))
        var bias = ArithmeticShare(words: [0])
        var order = Array(0..<rows)
        var generator = SplitMix64(seed: configuration.seed)
        for _ in 0..<configuration.epochs {
            generator.shuffle(&order)
            var batchStart = 0
            while batchStart < rows {
                let batch = Array(order[batchStart..<min(rows, batchStart + configuration.batchSize)])
                batchStart += configuration.batchSize
                let b = batch.count
                var xb = [UInt64](), xbT = [UInt64](repeating: 0, count: b * features), yb = [UInt64]()
                xb.reserveCapacity(b * features)
                for (i, row) in batch.enumerated() {
                    xb.append(contentsOf: x[row * features..<(row + 1) * features])
                    for column in 0..<features { xbT[column * b + i] = x[row * features + column] }
                    yb.append(y.words[row])
                }
                let z = try party.add(try await party.matrixProduct(ArithmeticShare(words: xb), weights, rows: b, inner: features, columns: 1),
                                      ArithmeticShare(words: [UInt64](repeating: bias.words[0], count: b)))
                let error = try party.subtract(try await party.sigmoid(z), ArithmeticShare(words: yb))
                let gradient = try await party.matrixProduct(ArithmeticShare(words: xbT), error, rows: features, inner: b, columns: 1)
                let step = configuration.learningRate / Double(b)
                var update = try party.multiply(gradient, byConstant: step)
                if configuration.l2 > 0 {
                    update = try party.add(update, try party.multiply(weights, byConstant: configuration.learningRate * configuration.l2))
                }
                weights = try party.subtract(weights, update)
                bias = try party.subtract(bias, try party.multiply(try party.sumGroups(error, groupSize: b), byConstant: step))
            }
        }
        // Open each block of weights to its owner only, and the bias to the label owner.
        var mineOpened: [Double] = []
        offset = 0
        for owner in 0..<2 {
            let block = ArithmeticShare(words: Array(weights.words[offset..<offset + featureCounts[owner]]))
            if let opened = try await party.open(block, to: owner) { mineOpened = opened }
            offset += featureCounts[owner]
        }
        let openedBias = try await party.open(bias, to: labelOwner)
        return Model(weights: mineOpened, bias: openedBias?.first, cost: party.cost - start)
    }

    /// The same training in plaintext floating point, on the joined columns with the same batch
    /// order: the reference a secure run is compared with. Returns the weights (all columns in
    /// party order) and the bias.
    public static func trainPlaintext(features: [[Double]], labels: [Double], configuration: Configuration) -> (weights: [Double], bias: Double) {
        let rows = features.count, width = features.first?.count ?? 0
        var weights = [Double](repeating: 0, count: width), bias = 0.0
        var order = Array(0..<rows)
        var generator = SplitMix64(seed: configuration.seed)
        for _ in 0..<configuration.epochs {
            generator.shuffle(&order)
            var batchStart = 0
            while batchStart < rows {
                let batch = order[batchStart..<min(rows, batchStart + configuration.batchSize)]
                batchStart += configuration.batchSize
                var gradient = [Double](repeating: 0, count: width), errorSum = 0.0
                for row in batch {
                    var z = bias
                    for column in 0..<width { z += features[row][column] * weights[column] }
                    let error = 1 / (1 + Foundation.exp(-z)) - labels[row]
                    errorSum += error
                    for column in 0..<width { gradient[column] += features[row][column] * error }
                }
                let step = configuration.learningRate / Double(batch.count)
                for column in 0..<width {
                    weights[column] -= step * gradient[column] + configuration.learningRate * configuration.l2 * weights[column]
                }
                bias -= step * errorSum
            }
        }
        return (weights, bias)
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): the public, seeded batch order of
/// ``VerticalLogisticRegression`` — reproducible at every party, and never used for secrets.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fisher–Yates with this generator, spelled out so that every party's build shuffles alike
    /// (the standard library's `shuffle(using:)` algorithm is not specified across versions).
    mutating func shuffle(_ values: inout [Int]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))   // bias below 2⁻⁴⁰ for any realistic count
            values.swapAt(i, j)
        }
    }
}
