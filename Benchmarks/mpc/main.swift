// Secure two-party inference of a 784-256-128-10 perceptron (ReLU, argmax) on secret-shared
// weights (party 0, the model owner) and inputs (party 1, the client), both parties in this
// process over InProcessChannel, triples from an in-process trusted dealer.
//
//   swift run -c release --package-path Benchmarks mpc-bench [--batch 1] [--images 8]
//   swift run -c release --package-path Benchmarks mpc-bench --paillier-triples 200 [--paillier-bits 2048]
//
// Prints, per image: online time (triples dealt beforehand and replayed), time including the
// dealer's work, rounds, and bytes each party sends; and the argmax agreement with plaintext.
// Weights and inputs are random (uniform, Xavier-scaled weights, inputs in [0, 1)).
//
// One run (2026-12-06, 2 shared cores, release build, loopback-free in-process channel):
//   batch 1,   200 images: online 16.2 ms/image, 23.6 ms with dealing; 58 rounds; 1.98 MB sent
//                          by each party per image; argmax agreement 200/200
//   batch 100, 1000 images: online 1.9 ms/image, 2.7 ms with dealing; 58 rounds per batch;
//                          0.12 MB sent by each party per image; agreement 1000/1000
//   --paillier-triples 200 (2048-bit key): 53 ms per elementwise triple (1024 / 512 bytes sent
//                          by party 0 / 1); a 1×64·64×16 matrix triple 18.2 s (557 kB / 8 kB).
//                          Encryption (rⁿ mod n² with a 2048-bit exponent) dominates; it does
//                          not depend on the plaintext and could be precomputed.
// At batch 1 the bytes are dominated by opening W₁ − B (784·256 words) in the first matrix
// product; a network transport adds 58 round-trip latencies per batch.
//
//   mpc-bench --model mlp.safetensors --batch 100 --images 1000
// runs a trained zoo `mlp` (Bulwark's safetensors) on the first --images Fashion-MNIST test images
// instead, and also compares the secure labels with Bulwark's own float32 plaintext inference.
// One run (2026-12-06 22:50, load about 7: CI and a helper building; mlp from `bulwark train
// --model mlp --epochs 2`, 86.07 % on the full test set):
//   batch 100, 1000 images: online 2.45 ms/image, 4.23 ms with dealing; 58 rounds per batch;
//                          0.12 MB per party per image; argmax = plaintext 1000/1000 (and = Bulwark's
//                          float32 inference 1000/1000); secure accuracy 876/1000
//   batch 1,   200 images:  online 17.67 ms/image, 26.42 ms with dealing; 1.98 MB per party per
//                          image; argmax = plaintext 200/200; secure accuracy 181/200
// A zoo `cnn` file runs the cnn (convolutions as matrix products of the patches, max-pool before
// ReLU). One run (2026-12-06 23:00, load about 8; cnn from `bulwark train --model cnn --epochs 1`,
// 85.93 % on the full test set):
//   batch 50,  1000 images: online 95.7 ms/image, 217.6 ms with dealing; 104 rounds per batch;
//                          9.5 MB per party per image; argmax = Bulwark's float32 inference
//                          1000/1000; secure accuracy 876/1000
import BulwarkCrypto
import BulwarkData
import BulwarkModels
import BulwarkTensor
import Foundation

struct Options {
    var batch = 1
    var images = 8
    /// When positive: time dealer-free Paillier (Gilboa) triple generation of this many triples instead.
    var paillierTriples = 0
    var paillierBits = 2048
    /// A trained zoo `mlp` (safetensors) run on Fashion-MNIST test images instead of random ones.
    var modelPath: String?
    init() {
        var arguments = CommandLine.arguments.dropFirst()
        while let flag = arguments.popFirst() {
            if flag == "--model" {
                guard let path = arguments.popFirst() else {
                    FileHandle.standardError.write(Data("mpc-bench: --model needs a path\n".utf8))
                    exit(2)
                }
                modelPath = path
                continue
            }
            guard let value = arguments.popFirst().flatMap(Int.init), value > 0 else {
                FileHandle.standardError.write(Data("mpc-bench: \(flag) needs a positive integer\n".utf8))
                exit(2)
            }
            switch flag {
            case "--batch": batch = value
            case "--images": images = value
            case "--paillier-triples": paillierTriples = value
            case "--paillier-bits": paillierBits = value
            default:
                FileHandle.standardError.write(Data("mpc-bench: unknown option \(flag)\n".utf8))
                exit(2)
            }
        }
    }
}

/// Replays material that a dealer made in an earlier run (benchmark only: a triple must never
/// be used twice in a real computation).
struct ReplayedPreprocessing: MPCPreprocessing {
    enum Item: Sendable { case beaver(BeaverTriple), matrix(MatrixBeaverTriple), binary(BinaryBeaverTriple) }
    var items: [Item]
    var next = 0

    mutating func take() throws(CryptoError) -> Item {
        guard next < items.count else { throw CryptoError(.insufficientShares, "replay ran out of material") }
        defer { next += 1 }
        return items[next]
    }

    mutating func beaverTriples(count: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BeaverTriple {
        guard case .beaver(let t) = try take() else { throw CryptoError(.malformed, "replay order") }
        return t
    }

    mutating func matrixTriple(rows: Int, inner: Int, columns: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> MatrixBeaverTriple {
        guard case .matrix(let t) = try take() else { throw CryptoError(.malformed, "replay order") }
        return t
    }

    mutating func binaryTriples(count: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BinaryBeaverTriple {
        guard case .binary(let t) = try take() else { throw CryptoError(.malformed, "replay order") }
        return t
    }
}

/// A dealer source that keeps a copy of what it hands out.
struct RecordingPreprocessing: MPCPreprocessing {
    var inner: DealerPreprocessing
    var items: [ReplayedPreprocessing.Item] = []

    mutating func beaverTriples(count: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BeaverTriple {
        let t = try await inner.beaverTriples(count: count, channel: channel, cost: &cost)
        items.append(.beaver(t))
        return t
    }

    mutating func matrixTriple(rows: Int, inner rowsInner: Int, columns: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> MatrixBeaverTriple {
        let t = try await inner.matrixTriple(rows: rows, inner: rowsInner, columns: columns, channel: channel, cost: &cost)
        items.append(.matrix(t))
        return t
    }

    mutating func binaryTriples(count: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BinaryBeaverTriple {
        let t = try await inner.binaryTriples(count: count, channel: channel, cost: &cost)
        items.append(.binary(t))
        return t
    }
}

let layers = [784, 256, 128, 10]

struct Model: Sendable {
    var weights: [[Double]] = [], biases: [[Double]] = []
    /// A trained zoo `mlp`'s three dense layers (PyTorch layout out × in, transposed to in × out).
    init(zooMLP path: String) throws {
        let file = try SafeTensors.read(from: URL(fileURLWithPath: path))
        let dense = file.tensors.keys.filter { $0.hasSuffix(".weight") && file.tensors[$0]!.shape.count == 2 }
            .sorted { Int($0.split(separator: ".").first ?? "") ?? 0 < Int($1.split(separator: ".").first ?? "") ?? 0 }
        guard dense.count == 3 else { throw CryptoError(.malformed, "\(path): expected the zoo mlp's 3 dense layers, found \(dense)") }
        for (index, name) in dense.enumerated() {
            let w = file.tensors[name]!
            guard w.shape == [layers[index + 1], layers[index]], let b = file.tensors[name.replacingOccurrences(of: ".weight", with: ".bias")] else {
                throw CryptoError(.malformed, "\(path): \(name) is \(w.shape), expected \([layers[index + 1], layers[index]])")
            }
            let (outputs, inputs) = (w.shape[0], w.shape[1])
            weights.append((0..<(inputs * outputs)).map { k in Double(w.scalars[(k % outputs) * inputs + k / outputs]) })
            biases.append(b.scalars.map(Double.init))
        }
    }

    init(using generator: inout ChaCha20Generator) {
        for index in 0..<(layers.count - 1) {
            let scale = (6 / Double(layers[index] + layers[index + 1])).squareRoot()
            weights.append((0..<(layers[index] * layers[index + 1])).map { _ in Double.random(in: -scale..<scale, using: &generator) })
            biases.append((0..<layers[index + 1]).map { _ in Double.random(in: -0.1..<0.1, using: &generator) })
        }
    }

    func plainLogits(_ x: [Double], batch: Int) -> [Double] {
        var activations = x
        for layer in 0..<weights.count {
            let (inputs, outputs) = (layers[layer], layers[layer + 1])
            var next = [Double](repeating: 0, count: batch * outputs)
            for n in 0..<batch {
                for j in 0..<outputs {
                    var sum = biases[layer][j]
                    for i in 0..<inputs { sum += activations[n * inputs + i] * weights[layer][i * outputs + j] }
                    next[n * outputs + j] = layer + 1 < weights.count ? max(sum, 0) : sum
                }
            }
            activations = next
        }
        return activations
    }
}

/// A model both parties can run: the owner (party 0) inputs the weights, the client (party 1)
/// the images; only the client learns the labels.
protocol SecureModel: Sendable {
    /// What the summary line calls it.
    var name: String { get }
    /// One party's secure forward pass; returns the labels at the client (party 1).
    func forward(_ party: inout MPCParty, images: [Double]?, batch: Int) async throws -> [UInt64]?
    /// Float64 plaintext logits of the same weights, when computed here.
    func logits(_ x: [Double], batch: Int) -> [Double]?
}

/// Dense layers on shares: h (batch × dims[0]) through dims, ReLU between, then argmax.
func secureDense(_ party: inout MPCParty, _ input: ArithmeticShare, weights: [[Double]], biases: [[Double]], dims: [Int],
                 batch: Int) async throws -> [UInt64]? {
    let mine = party.partyID == 0
    var h = input
    for layer in 0..<weights.count {
        let w = try party.input(mine ? weights[layer] : nil, owner: 0, count: weights[layer].count)
        let b = try party.input(mine ? biases[layer] : nil, owner: 0, count: biases[layer].count)
        h = try await party.matrixProduct(h, w, rows: batch, inner: dims[layer], columns: dims[layer + 1])
        h = try party.add(h, ArithmeticShare(words: (0..<batch).flatMap { _ in b.words }))
        if layer + 1 < weights.count { h = try await party.relu(h) }
    }
    let label = try await party.argmax(h, rows: batch, columns: dims.last!).index
    return try await party.openRing(label, to: 1)
}

extension Model: SecureModel {
    var name: String { "784-256-128-10 perceptron" }
    func forward(_ party: inout MPCParty, images: [Double]?, batch: Int) async throws -> [UInt64]? {
        let h = try party.input(images, owner: 1, count: batch * layers[0])
        return try await secureDense(&party, h, weights: weights, biases: biases, dims: layers, batch: batch)
    }
    func logits(_ x: [Double], batch: Int) -> [Double]? { plainLogits(x, batch: batch) }
}

/// The zoo `cnn`: conv 1→32 3×3 pad 1, ReLU, max-pool 2; conv 32→64, ReLU, max-pool 2; dense
/// 3136→128, ReLU, 128→10. A convolution is one matrix product of the image patches (im2col on
/// shares is a local rearrangement) with the filters; max-pool runs before ReLU, which gives the
/// same values (ReLU is monotone) with a quarter of the comparisons.
struct CNNModel: SecureModel {
    /// (input channels, output channels, side) of the two convolutions.
    static let convolutions = [(1, 32, 28), (32, 64, 14)]
    static let dense = [3136, 128, 10]
    var convWeights: [[Double]] = [], convBiases: [[Double]] = []
    var denseWeights: [[Double]] = [], denseBiases: [[Double]] = []
    var name: String { "zoo cnn" }

    init(zooCNN path: String) throws {
        let file = try SafeTensors.read(from: URL(fileURLWithPath: path))
        let names = file.tensors.keys.filter { $0.hasSuffix(".weight") }
            .sorted { Int($0.split(separator: ".").first ?? "") ?? 0 < Int($1.split(separator: ".").first ?? "") ?? 0 }
        guard names.count == 4 else { throw CryptoError(.malformed, "\(path): expected the zoo cnn's 4 weight tensors, found \(names)") }
        for (index, name) in names.enumerated() {
            let w = file.tensors[name]!
            guard let b = file.tensors[name.replacingOccurrences(of: ".weight", with: ".bias")] else {
                throw CryptoError(.malformed, "\(path): no bias for \(name)")
            }
            if index < 2 {
                let (cin, cout, _) = Self.convolutions[index]
                guard w.shape == [cout, cin, 3, 3] else { throw CryptoError(.malformed, "\(path): \(name) is \(w.shape)") }
                // (cin·9) × cout, rows in (channel, ky, kx) order as the patches' columns
                convWeights.append((0..<(cin * 9 * cout)).map { k in Double(w.scalars[(k % cout) * cin * 9 + k / cout]) })
                convBiases.append(b.scalars.map(Double.init))
            } else {
                let (inputs, outputs) = (Self.dense[index - 2], Self.dense[index - 1])
                guard w.shape == [outputs, inputs] else { throw CryptoError(.malformed, "\(path): \(name) is \(w.shape)") }
                denseWeights.append((0..<(inputs * outputs)).map { k in Double(w.scalars[(k % outputs) * inputs + k / outputs]) })
                denseBiases.append(b.scalars.map(Double.init))
            }
        }
    }

    /// Patches of (batch, channels, side, side) words: rows (image, y, x), columns (channel, ky, kx),
    /// zero padding (a zero is a share of zero for every party).
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

    func forward(_ party: inout MPCParty, images: [Double]?, batch: Int) async throws -> [UInt64]? {
        let mine = party.partyID == 0
        var h = try party.input(images, owner: 1, count: batch * 784)
        for (index, (cin, cout, side)) in Self.convolutions.enumerated() {
            let w = try party.input(mine ? convWeights[index] : nil, owner: 0, count: cin * 9 * cout)
            let b = try party.input(mine ? convBiases[index] : nil, owner: 0, count: cout)
            let pixels = side * side
            var y = try await party.matrixProduct(ArithmeticShare(words: Self.patches(h.words, batch: batch, channels: cin, side: side)), w,
                                                  rows: batch * pixels, inner: cin * 9, columns: cout)
            y = try party.add(y, ArithmeticShare(words: (0..<(batch * pixels)).flatMap { _ in b.words }))
            // (image, pixel, channel) → (image, channel, pixel)
            var planes = [UInt64](repeating: 0, count: y.count)
            for n in 0..<batch { for p in 0..<pixels { for c in 0..<cout { planes[(n * cout + c) * pixels + p] = y.words[(n * pixels + p) * cout + c] } } }
            let pooled = try await party.maxPool2D(ArithmeticShare(words: planes), channels: batch * cout, height: side, width: side, window: 2, stride: 2)
            h = try await party.relu(pooled)
        }
        return try await secureDense(&party, h, weights: denseWeights, biases: denseBiases, dims: Self.dense, batch: batch)
    }

    func logits(_ x: [Double], batch: Int) -> [Double]? { nil }
}

/// Runs both parties on one batch; returns the client's labels, each party's cost and material.
func runBatch(model: any SecureModel, images: [Double], batch: Int, sources: [any MPCPreprocessing], seeds: [[UInt8]])
    async throws -> (labels: [UInt64], costs: [MPCCost], sources: [any MPCPreprocessing]) {
    let channels = InProcessChannel.network(parties: 2, timeoutSeconds: 120)
    return try await withThrowingTaskGroup(of: (Int, [UInt64]?, MPCCost, any MPCPreprocessing).self) { group in
        for id in 0..<2 {
            group.addTask {
                var party = try MPCParty(channel: channels[id], preprocessing: sources[id], seeds: PairwiseSeeds(partyID: id, seeds: seeds))
                let labels = try await model.forward(&party, images: id == 1 ? images : nil, batch: batch)
                return (id, labels, party.cost, party.preprocessing)
            }
        }
        var labels: [UInt64] = [], costs = [MPCCost](repeating: MPCCost(), count: 2)
        var used = sources
        for try await (id, result, cost, source) in group {
            if let result { labels = result }
            costs[id] = cost
            used[id] = source
        }
        return (labels, costs, used)
    }
}

let options = Options()

/// Dealer-free triples: `count` elementwise triples and one 1×64·64×16 matrix triple between two
/// in-process parties with a fresh Paillier key; prints time and bytes.
func benchmarkPaillier(count: Int, bits: Int) async throws {
    let clock = ContinuousClock()
    var key: PaillierPrivateKey!
    let keySeconds = try clock.measure { key = try PaillierKeyPair.generate(bits: bits).1 }.seconds
    let channels = InProcessChannel.network(parties: 2, timeoutSeconds: 3600)
    let sources: [PaillierTripleGeneration] = [PaillierTripleGeneration(privateKey: key), PaillierTripleGeneration()]
    var costs = [MPCCost(), MPCCost()], matrixCosts = [MPCCost(), MPCCost()]
    var elementSeconds = 0.0, matrixSeconds = 0.0
    for (kind, shape) in [("elementwise", (count, 0, 0)), ("matrix", (1, 64, 16))] {
        let seconds = try await clock.measure {
            let results = try await withThrowingTaskGroup(of: (Int, MPCCost).self) { group in
                for id in 0..<2 {
                    group.addTask {
                        var source = sources[id], cost = MPCCost()
                        if kind == "elementwise" {
                            _ = try await source.beaverTriples(count: shape.0, channel: channels[id], cost: &cost)
                        } else {
                            _ = try await source.matrixTriple(rows: shape.0, inner: shape.1, columns: shape.2, channel: channels[id], cost: &cost)
                        }
                        return (id, cost)
                    }
                }
                var out = [MPCCost(), MPCCost()]
                for try await (id, cost) in group { out[id] = cost }
                return out
            }
            if kind == "elementwise" { costs = results } else { matrixCosts = results }
        }.seconds
        if kind == "elementwise" { elementSeconds = seconds } else { matrixSeconds = seconds }
    }
    print("mpc-bench: Paillier (Gilboa) triples, \(bits)-bit key (generated in \(String(format: "%.1f", keySeconds)) s)")
    print(String(format: "elementwise: %.2f ms per triple; bytes per triple party 0 / 1: %d / %d", 1000 * elementSeconds / Double(count),
                 (costs[0].bytesSent - (bits / 8)) / count, costs[1].bytesSent / count))
    print(String(format: "matrix 1×64·64×16: %.2f s; bytes party 0 / 1: %d / %d", matrixSeconds, matrixCosts[0].bytesSent, matrixCosts[1].bytesSent))
}

if options.paillierTriples > 0 {
    try await benchmarkPaillier(count: options.paillierTriples, bits: options.paillierBits)
    exit(0)
}
var generator = try ChaCha20Generator(seed: [UInt8](repeating: 42, count: 32))
let model: any SecureModel
if let path = options.modelPath {
    model = try ModelFile.load(path: path).architecture == .cnn ? CNNModel(zooCNN: path) as any SecureModel : Model(zooMLP: path)
} else {
    model = Model(using: &generator)
}
// With --model: Fashion-MNIST test images, and the labels Bulwark's own float32 inference gives.
let testSet = try options.modelPath.map { _ in try FashionMNIST.load(.test, limit: options.images) }
let plainLabels: [Int]? = try options.modelPath.map { path in
    let zoo = try ModelFile.load(path: path).model
    let logits = zoo.logits(testSet!.inputs)
    return (0..<testSet!.labels.count).map { n in
        let row = logits.scalars[(n * 10)..<((n + 1) * 10)]
        return row.indices.max { row[$0] < row[$1] }! - row.startIndex
    }
}
var agreeFloat = 0, correct = 0
let pairSeed = generator.bytes(count: 32)
let seeds = [pairSeed, pairSeed]
var agree = 0, total = 0, compared = 0
var onlineSeconds = 0.0, dealtSeconds = 0.0
var costs = [MPCCost(), MPCCost()]
let clock = ContinuousClock()
var done = 0
while done < options.images {
    let batch = min(options.batch, options.images - done)
    let images: [Double] = if let testSet {
        testSet.inputs.scalars[(done * layers[0])..<((done + batch) * layers[0])].map(Double.init)
    } else {
        (0..<(batch * layers[0])).map { _ in Double.random(in: 0..<1, using: &generator) }
    }
    let dealer = InProcessDealer(parties: 2)
    let recording: [any MPCPreprocessing] = (0..<2).map { RecordingPreprocessing(inner: dealer.source(for: $0)) }
    var result: (labels: [UInt64], costs: [MPCCost], sources: [any MPCPreprocessing])!
    dealtSeconds += try await clock.measure {
        result = try await runBatch(model: model, images: images, batch: batch, sources: recording, seeds: seeds)
    }.seconds
    let replay: [any MPCPreprocessing] = result.sources.map { ReplayedPreprocessing(items: ($0 as! RecordingPreprocessing).items) }
    var online: (labels: [UInt64], costs: [MPCCost], sources: [any MPCPreprocessing])!
    onlineSeconds += try await clock.measure {
        online = try await runBatch(model: model, images: images, batch: batch, sources: replay, seeds: seeds)
    }.seconds
    guard online.labels == result.labels else { fatalError("replayed run disagrees with the dealt run") }
    let plain = model.logits(images, batch: batch)
    for n in 0..<batch {
        if let plain {
            let row = plain[(n * 10)..<((n + 1) * 10)]
            let best = row.indices.max { row[$0] < row[$1] }! - row.startIndex
            if Int(online.labels[n]) == best { agree += 1 }
            compared += 1
        }
        if let plainLabels, Int(online.labels[n]) == plainLabels[done + n] { agreeFloat += 1 }
        if let testSet, Int(online.labels[n]) == testSet.labels[done + n] { correct += 1 }
        total += 1
    }
    costs[0] += online.costs[0]
    costs[1] += online.costs[1]
    done += batch
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

let n = Double(total)
print("mpc-bench: \(model.name) (\(options.modelPath.map { "\($0), Fashion-MNIST test images" } ?? "random weights and inputs")), 2 parties in process, batch \(options.batch), \(total) images")
print(String(format: "online time per image:               %.2f ms", 1000 * onlineSeconds / n))
print(String(format: "time per image incl. in-process dealer: %.2f ms", 1000 * dealtSeconds / n))
print("rounds per batch:                      \(costs[0].rounds / ((total + options.batch - 1) / options.batch))")
print(String(format: "bytes sent per image, party 0 / 1:     %.0f / %.0f (%.2f MB total)", Double(costs[0].bytesSent) / n, Double(costs[1].bytesSent) / n,
             Double(costs[0].bytesSent + costs[1].bytesSent) / n / 1e6))
if compared > 0 { print("argmax agreement with plaintext:       \(agree)/\(compared)") }
if plainLabels != nil {
    print("argmax agreement with Bulwark's float32 inference: \(agreeFloat)/\(total)")
    print("secure accuracy on the test labels:    \(correct)/\(total)")
}
