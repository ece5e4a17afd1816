// Times Bulwark's training step for the zoo models; prints one JSON object.
// Usage: bulwark-bench [--threads N] [--epoch-size N] [--repeats N] [--arch mlp,cnn]
// (--arch: which zoo models, default mlp and cnn; --epoch-size 0 skips the epoch)
import BulwarkModels
import BulwarkTensor
import Foundation

var threads = 2, epochSize = 60_000, repeats = 20
var architectures: [ZooArchitecture] = [.mlp, .cnn]
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--threads": threads = Int(args.next() ?? "") ?? threads
    case "--epoch-size": epochSize = Int(args.next() ?? "") ?? epochSize
    case "--repeats": repeats = Int(args.next() ?? "") ?? repeats
    case "--arch":
        architectures = (args.next() ?? "").split(separator: ",").compactMap { ZooArchitecture(rawValue: String($0)) }
    default: FileHandle.standardError.write("unknown option \(a)\n".data(using: .utf8)!); exit(2)
    }
}
BLAS.setThreadCount(threads)
configureNumerics()

func seconds(_ body: () -> Void) -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

var results: [String: Double] = [:]
var rng = SeededGenerator(seed: 0)
let batch = Tensor.uniform([128, 1, 28, 28], using: &rng)
let labels = (0..<128).map { $0 % 10 }
let data = Tensor.uniform([epochSize, 1, 28, 28], using: &rng)
let dataLabels = (0..<epochSize).map { $0 % 10 }
for arch in architectures {
    var model = arch.makeModel(seed: 0)
    var adam = Adam(learningRate: 1e-3)
    var context = ForwardContext(training: true)
    for _ in 0..<3 { _ = trainStep(&model, optimizer: &adam, inputs: batch, labels: labels, context: &context) }
    var times: [Double] = []
    for _ in 0..<repeats {
        times.append(seconds { _ = trainStep(&model, optimizer: &adam, inputs: batch, labels: labels, context: &context) })
    }
    times.sort()
    results["\(arch.rawValue)_step_ms"] = times[times.count / 2] * 1000
    if epochSize == 0 { continue }
    let epoch = seconds {
        train(&model, inputs: data, labels: dataLabels, optimizer: &adam,
              configuration: TrainingConfiguration(epochs: 1, batchSize: 128, seed: 1))
    }
    results["\(arch.rawValue)_epoch_s"] = epoch
}
let json = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
