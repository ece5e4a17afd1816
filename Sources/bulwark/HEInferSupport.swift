import BulwarkCrypto
import BulwarkModels
import BulwarkTensor
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The model of `bulwark he infer` and `he evaluate`: a zoo `mlp` with one hidden layer and a
/// polynomial activation, as the ``CKKSSquareMLP`` both sides compute with.
struct HEInferModel {
    /// y = W₂·(W₁·x + b₁)² + b₂, equal to the zoo model's function (a `poly` model folded in).
    let squareMLP: CKKSSquareMLP
    /// The hidden activation the model was trained with.
    let activation: ZooActivation
    /// `784-32-10`.
    var shapeText: String { "\(squareMLP.inputCount)-\(squareMLP.hiddenCount)-\(squareMLP.outputCount)" }

    /// Loads `path` (a `.safetensors` zoo `mlp` written by `bulwark train`) and refuses, with one
    /// line, anything CKKS cannot evaluate with three rescales.
    init(path: String) throws {
        guard path.lowercased().hasSuffix(".safetensors") else {
            throw CLIError("--model \(path): encrypted inference runs a zoo mlp saved as .safetensors by bulwark train (train one with --model mlp --hidden 32 --activation square)")
        }
        let loaded: (model: Sequential, architecture: ZooArchitecture, metadata: [String: String])
        do throws(ModelError) { loaded = try ModelFile.load(path: path) } catch { throw CLIError(error.message) }
        try self.init(loaded.model, architecture: loaded.architecture, path: path)
    }

    /// The encrypted-inference form of `model`; `path` names it in errors.
    init(_ model: Sequential, architecture: ZooArchitecture, path: String) throws {
        let retrain = "retrain with bulwark train --model mlp --hidden 32 --activation square"
        guard architecture == .mlp else {
            throw CLIError("\(path) is a '\(architecture.rawValue)' model; encrypted inference runs a zoo mlp with one hidden layer and a square or poly activation (\(retrain))")
        }
        let layers = model.layers
        let activations = layers.compactMap { $0 as? Activation }
        if let relu = activations.first(where: { $0.kind == .relu }) {
            throw CLIError("\(path) uses \(relu.summary) activations, which CKKS cannot compute; \(retrain)")
        }
        guard layers.count == 4, layers[0] is Flatten, let first = layers[1] as? Dense, let act = layers[2] as? Activation,
              let second = layers[3] as? Dense else {
            let hidden = layers.compactMap { $0 as? Dense }.dropLast().map { String($0.outputSize) }.joined(separator: ",")
            throw CLIError("\(path) has hidden layers [\(hidden)]; encrypted inference with three rescales takes exactly one hidden layer (\(retrain))")
        }
        let w1 = Self.rows(first.weight), b1 = first.bias.scalars.map(Double.init)
        let w2 = Self.rows(second.weight), b2 = second.bias.scalars.map(Double.init)
        do {
            switch act.kind {
            case .square:
                squareMLP = try CKKSSquareMLP(hiddenWeights: w1, hiddenBias: b1, outputWeights: w2, outputBias: b2)
                activation = .square
            case .quadratic(let a, let b, let c) where a != 0:
                // a·z² + b·z + c = a·(z + b/2a)² + (c − b²/4a): shift b₁, scale W₂, fold the constant into b₂.
                let (qa, qb, qc) = (Double(a), Double(b), Double(c))
                let shift = qb / (2 * qa), constant = qc - qb * qb / (4 * qa)
                squareMLP = try CKKSSquareMLP(hiddenWeights: w1, hiddenBias: b1.map { $0 + shift },
                                              outputWeights: w2.map { $0.map { $0 * qa } },
                                              outputBias: zip(b2, w2).map { bias, row in bias + constant * row.reduce(0, +) })
                activation = .poly
            default:
                throw CLIError("\(path) uses \(act.summary) activations, which CKKS cannot compute; \(retrain)")
            }
        } catch let error as CryptoError {
            throw CLIError("\(path): \(error.message)")
        }
    }

    private static func rows(_ weight: Tensor) -> [[Double]] {
        let (r, c) = (weight.shape[0], weight.shape[1])
        return (0..<r).map { i in weight.scalars[i * c..<(i + 1) * c].map(Double.init) }
    }
}

/// The files `he infer` and `he evaluate` exchange: a magic line, then length-prefixed records
/// (8-byte little-endian length, then the bytes) holding `bulwark.he.v1` protobuf messages.
///
/// Keys (`BWHEKEYS`): the CKKS parameters, the relinearisation key, the Galois keys — no secret
/// key. Images (`BWHEIMGS`) and logits (`BWHELOGS`): per ciphertext, a record of the image count
/// (4 bytes, little-endian) followed by a record of the ciphertext.
enum HEInferFiles {
    static let keysMagic = Array("BWHEKEYS".utf8), imagesMagic = Array("BWHEIMGS".utf8), logitsMagic = Array("BWHELOGS".utf8)

    /// Record framing.
    static func framed(_ magic: [UInt8], _ records: [[UInt8]]) -> [UInt8] {
        var out = magic
        for r in records {
            withUnsafeBytes(of: UInt64(r.count).littleEndian) { out += $0 }
            out += r
        }
        return out
    }

    /// The records of a file, checked against `magic`; one-line errors for anything else.
    static func records(_ bytes: [UInt8], magic: [UInt8], path: String, what: String) throws -> [[UInt8]] {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw CLIError("\(path) is not a bulwark \(what) file")
        }
        var records: [[UInt8]] = []
        var at = magic.count
        while at < bytes.count {
            guard bytes.count - at >= 8 else { throw CLIError("\(path): truncated \(what) file") }
            var length: UInt64 = 0
            for k in 0..<8 { length |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
            at += 8
            guard length <= UInt64(bytes.count - at) else { throw CLIError("\(path): a record runs past the end of the \(what) file") }
            records.append(Array(bytes[at..<at + Int(length)]))
            at += Int(length)
        }
        return records
    }

    static func read(_ path: String, what: String) throws -> [UInt8] {
        do { return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw CLIError("\(path): cannot read the \(what) file (\(fileSystemMessage(error) ?? "unreadable"))")
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw CLIError("\(path): cannot write (\(fileSystemMessage(error) ?? "\(error)"))")
        }
    }

    /// Ciphertext batches as records: count, ciphertext, count, ciphertext, …
    static func batches(_ items: [(count: Int, ciphertext: [UInt8])], magic: [UInt8]) -> [UInt8] {
        var records: [[UInt8]] = []
        for item in items {
            var count: [UInt8] = []
            withUnsafeBytes(of: UInt32(item.count).littleEndian) { count += $0 }
            records += [count, item.ciphertext]
        }
        return framed(magic, records)
    }

    /// The (count, ciphertext bytes) pairs of a batches file; counts in 1…`maximumCount`.
    static func batches(_ bytes: [UInt8], magic: [UInt8], maximumCount: Int, path: String, what: String) throws -> [(count: Int, ciphertext: [UInt8])] {
        let records = try records(bytes, magic: magic, path: path, what: what)
        guard records.count.isMultiple(of: 2), !records.isEmpty else { throw CLIError("\(path): the \(what) file holds no complete ciphertext") }
        var result: [(count: Int, ciphertext: [UInt8])] = []
        for k in stride(from: 0, to: records.count, by: 2) {
            let c = records[k]
            guard c.count == 4 else { throw CLIError("\(path): malformed image count in the \(what) file") }
            let count = Int(c[0]) | Int(c[1]) << 8 | Int(c[2]) << 16 | Int(c[3]) << 24
            guard (1...maximumCount).contains(count) else {
                throw CLIError("\(path): a ciphertext claims \(count) images; one holds 1…\(maximumCount)")
            }
            result.append((count, records[k + 1]))
        }
        return result
    }
}

/// Wall and CPU clocks for the reports.
enum HEClock {
    /// Seconds of a monotonic clock.
    static func wall() -> Double { ProcessInfo.processInfo.systemUptime }

    /// CPU seconds of this process (every thread).
    static func cpu() -> Double { Double(clock()) / Double(CLOCKS_PER_SEC) }
}
