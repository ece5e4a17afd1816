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
//                          Re-run 2026-12-07 (quiet, libcrypto exponentiations): 12.32 ms and 4.36 s.
//                          Encryption (rⁿ mod n² with a 2048-bit exponent) dominates; it does
//                          not depend on the plaintext and could be precomputed.
// At batch 1 the bytes are dominated by opening W₁ − B (784·256 words) in the first matrix
// product; a network transport adds 58 round-trip latencies per batch.
//
//   mpc-bench --model mlp.safetensors --batch 100 --images 1000
// runs a trained zoo `mlp` (Bulwark's safetensors) on the first --images Fashion-MNIST test images
// instead, and also compares the secure labels with Bulwark's own float32 plaintext inference.
// Re-run 2026-12-07 05:18 (quiet machine, after the SecureZooModel refactor) on the same mlp:
//   batch 100, 1000 images: online 0.62 ms/image, 1.22 ms with dealing; 58 rounds per batch;
//                          0.23 MB sent per image (both parties); argmax = Bulwark's float32 1000/1000;
//                          secure accuracy 876/1000.
// One run (2026-12-06 22:50, load about 7: CI and a helper building; mlp from `bulwark train
// --model mlp --epochs 2`, 86.07 % on the full test set):
//   batch 100, 1000 images: online 2.45 ms/image, 4.23 ms with dealing; 58 rounds per batch;
//                          0.12 MB per party per image; argmax = plaintext 1000/1000 (and = Bulwark's
//                          float32 inference 1000/1000); secure accuracy 876/1000
//   batch 1,   200 images:  online 17.67 ms/image, 26.42 ms with dealing; 1.98 MB per party per
//                          image; argmax = plaintext 200/200; secure accuracy 181/200
// The model → MPC-ops mapping is BulwarkFederated's SecureZooModel (shared with `bulwark mpc`).
// A zoo `cnn` file runs the cnn (convolutions as matrix products of the patches, max-pool before
// ReLU). One run (2026-12-06 23:00, load about 8; cnn from `bulwark train --model cnn --epochs 1`,
// 85.93 % on the full test set):
//   batch 50,  1000 images: online 95.7 ms/image, 217.6 ms with dealing; 104 rounds per batch;
//                          9.5 MB per party per image; argmax = Bulwark's float32 inference
//                          1000/1000; secure accuracy 876/1000
import BulwarkCrypto
import BulwarkData
import BulwarkFederated
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

/// Runs both parties on one batch; returns the client's labels, each party's cost and material.
func runBatch(model: SecureZooModel, images: [Double], batch: Int, sources: [any MPCPreprocessing], seeds: [[UInt8]])
    async throws -> (labels: [UInt64], costs: [MPCCost], sources: [any MPCPreprocessing]) {
    let channels = InProcessChannel.network(parties: 2, timeoutSeconds: 120)
    return try await withThrowingTaskGroup(of: (Int, [UInt64]?, MPCCost, any MPCPreprocessing).self) { group in
        for id in 0..<2 {
            group.addTask {
                var party = try MPCParty(channel: channels[id], preprocessing: sources[id], seeds: PairwiseSeeds(partyID: id, seeds: seeds))
                // The client (party 1) runs the public architecture only; the owner holds the weights.
                let view = id == SecureZooModel.ownerID ? model : try SecureZooModel(publicArchitecture: model.architecture)
                let output = try await view.forward(&party, images: id == 1 ? images : nil, batch: batch, reveal: .labels)
                return (id, output.map { $0.labels.map { UInt64($0) } }, party.cost, party.preprocessing)
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
// The secure model (BulwarkFederated's SecureZooModel: the zoo mlp/cnn mapped to MPC ops), and
// with random weights the float64 plaintext that checks it.
let randomModel: Model? = options.modelPath == nil ? Model(using: &generator) : nil
let model: SecureZooModel
if let path = options.modelPath {
    let loaded = try ModelFile.load(path: path)
    model = try SecureZooModel(owning: loaded.model, architecture: loaded.architecture)
} else {
    model = try SecureZooModel(mlpWeights: randomModel!.weights, biases: randomModel!.biases)
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
    let plain = randomModel?.plainLogits(images, batch: batch)
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
print("mpc-bench: zoo \(model.architecture.rawValue) (\(options.modelPath.map { "\($0), Fashion-MNIST test images" } ?? "random weights and inputs")), 2 parties in process, batch \(options.batch), \(total) images")
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
