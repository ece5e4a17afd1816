import Foundation
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

// Usage: evasion-bench REQUEST.json
// Runs the requested attacks with BulwarkEvasion on an ONNX model and prints one JSON object:
// per attack, wall seconds and per-example clean/adversarial predictions and perturbation norms.
// Driven by Benchmarks/evasion/compare.py, which runs ART with the same parameters.

struct AttackRequest: Codable {
    var name: String          // fgsm | pgd | deepfool | cw
    var norm: String          // linf | l2
    var eps: Float
    var steps: Int
    var stepSize: Float?      // absolute step (pgd)
    var overshoot: Float?     // deepfool
    var binarySearchSteps: Int?, learningRate: Float?, initialConstant: Float?, confidence: Float?  // cw
    var optimizer: String?, maxHalving: Int?, maxDoubling: Int?                                      // cw
}
struct Request: Codable {
    var model: String, x: String, y: String
    var n: Int, batch: Int, seed: UInt64
    var attacks: [AttackRequest]
}
struct AttackReport: Codable {
    var name: String
    /// `run`: adversarial examples and their scoring (predictions, norms).
    var seconds: Double
    /// `generate`: the adversarial examples only (what ART's `generate` returns).
    var generateSeconds: Double
    var clean: [Int], adversarial: [Int]
    var l2: [Float], linf: [Float]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("evasion-bench: \(message)\n".utf8))
    exit(1)
}

let args = CommandLine.arguments
guard args.count == 2 else { fail("usage: evasion-bench REQUEST.json") }
let request: Request
do { request = try JSONDecoder().decode(Request.self, from: Data(contentsOf: URL(fileURLWithPath: args[1]))) } catch { fail("\(args[1]): \(error)") }
let model: ONNXModel
do { model = try ONNXModel(contentsOf: URL(fileURLWithPath: request.model)) } catch { fail("\(request.model): \(error)") }
let d = model.inputShape.reduce(1, *)
guard let xData = FileManager.default.contents(atPath: request.x), xData.count == request.n * d * 4,
      let yData = FileManager.default.contents(atPath: request.y), yData.count == request.n * 4 else {
    fail("\(request.x) / \(request.y): expected \(request.n)×\(d) float32 and \(request.n) int32 (little-endian)")
}
let xs: [Float] = xData.withUnsafeBytes { raw in (0..<(request.n * d)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
let ys: [Int] = yData.withUnsafeBytes { raw in (0..<request.n).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) } }
let inputs = Tensor(shape: [request.n] + model.inputShape, scalars: xs)

func makeAttack(_ a: AttackRequest) -> any EvasionAttack {
    switch a.name {
    case "fgsm": return FastGradientSignMethod()
    case "pgd": return ProjectedGradientDescent(randomStart: true)  // step: AttackConfiguration.stepSize
    case "deepfool": return DeepFool(overshoot: a.overshoot ?? 0.02, boundedByEpsilon: false)
    case "cw":
        guard let optimizer = CarliniWagnerL2.Optimizer(rawValue: a.optimizer ?? "adam") else { fail("unknown C&W optimizer \(a.optimizer ?? "")") }
        return CarliniWagnerL2(confidence: a.confidence ?? 0, learningRate: a.learningRate ?? 0.01,
                               binarySearchSteps: a.binarySearchSteps ?? 5, initialConstant: a.initialConstant ?? 0.01,
                               optimizer: optimizer, maxHalving: a.maxHalving ?? 5, maxDoubling: a.maxDoubling ?? 5)
    default: fail("unknown attack \(a.name)")
    }
}

var reports: [AttackReport] = []
_ = model.logits(inputs.rows(0..<min(request.n, request.batch)))  // warm-up (and the one-time BLAS set-up)
FileHandle.standardError.write(Data("bulwark: OpenBLAS kernels \(blasCoreName ?? "unknown"), \(parallelWorkerCount) workers\n".utf8))
for (index, a) in request.attacks.enumerated() {
    let attack = makeAttack(a)
    guard let norm = PerturbationNorm(rawValue: a.norm) else { fail("unknown norm \(a.norm)") }
    var outcomes: [ExampleOutcome] = []
    let start = Date()
    for lo in stride(from: 0, to: request.n, by: request.batch) {
        let hi = min(request.n, lo + request.batch)
        let config = AttackConfiguration(norm: norm, epsilon: a.eps, clipMin: 0, clipMax: 1, maxIterations: a.steps,
                                         seed: request.seed &+ UInt64(index * 100_003 + lo), stepSize: a.stepSize)
        do {
            outcomes += try attack.run(inputs: inputs.rows(lo..<hi), labels: Array(ys[lo..<hi]), model: .whiteBox(model),
                                       configuration: config).outcomes
        } catch { fail("\(a.name): \(error)") }
    }
    let seconds = Date().timeIntervalSince(start)
    // the same batches and seeds through `generate` (the examples are identical; see GenerateTests)
    let generateStart = Date()
    for lo in stride(from: 0, to: request.n, by: request.batch) {
        let hi = min(request.n, lo + request.batch)
        let config = AttackConfiguration(norm: norm, epsilon: a.eps, clipMin: 0, clipMax: 1, maxIterations: a.steps,
                                         seed: request.seed &+ UInt64(index * 100_003 + lo), stepSize: a.stepSize)
        do {
            _ = try attack.generate(inputs: inputs.rows(lo..<hi), labels: Array(ys[lo..<hi]), model: .whiteBox(model), configuration: config)
        } catch { fail("\(a.name): \(error)") }
    }
    let generateSeconds = Date().timeIntervalSince(generateStart)
    reports.append(AttackReport(name: a.name, seconds: seconds, generateSeconds: generateSeconds, clean: outcomes.map(\.cleanPrediction),
                                adversarial: outcomes.map(\.adversarialPrediction), l2: outcomes.map(\.l2), linf: outcomes.map(\.linf)))
    FileHandle.standardError.write(Data(String(format: "bulwark %@: run %.2f s, generate %.2f s\n", a.name, seconds, generateSeconds).utf8))
}
do { print(String(decoding: try JSONEncoder().encode(reports), as: UTF8.self)) } catch { fail("encoding: \(error)") }
