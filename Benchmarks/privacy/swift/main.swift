// DP-SGD and plain epoch time of the zoo mlp and cnn on the 60,000 Fashion-MNIST training images,
// with the settings of dpsgd_vs_opacus.sh (Poisson sampling at q = 256/60000, C = 1, σ = 1,
// Adam 1e-3; plain training at batch 256), through the library instead of the release CLI (the
// benchmark package builds far less than the whole CLI). Every figure is one full epoch.
// Prints one JSON object: {arch}_plain_s, {arch}_dp_s.
// Usage: dpsgd-bench [--arch mlp|cnn]...   (BULWARK_THREADS sets the worker count)
import BulwarkData
import BulwarkModels
import BulwarkPrivacy
import BulwarkTensor
import Foundation

var archs: [ZooArchitecture] = []
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    if a == "--arch", let name = args.next(), let arch = ZooArchitecture(rawValue: name) {
        archs.append(arch)
    } else {
        FileHandle.standardError.write(Data("usage: dpsgd-bench [--arch mlp|cnn]...\n".utf8)); exit(2)
    }
}
if archs.isEmpty { archs = [.mlp, .cnn] }
BLAS.setThreadCount(parallelWorkerCount)
configureNumerics()

let train = try FashionMNIST.load(.train)
var results: [String: Double] = [:]
for arch in archs {
    var model = arch.makeModel(seed: 0)
    var adam = Adam(learningRate: 1e-3)
    let start = DispatchTime.now().uptimeNanoseconds
    _ = BulwarkModels.train(&model, inputs: train.inputs, labels: train.labels, optimizer: &adam,
                            configuration: TrainingConfiguration(epochs: 1, batchSize: 256, seed: 1))
    results["\(arch.rawValue)_plain_s"] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let plan = try DPSGDPlan(noiseMultiplier: 1, maxGradientNorm: 1, delta: 1e-5, batchSize: 256,
                             examples: train.count, epochs: 1)
    let procedure = DPSGDProcedure(configuration: plan.configuration, optimizer: Adam(learningRate: 1e-3))
    var dpModel = arch.makeModel(seed: 0)
    let outcome = try procedure.train(&dpModel, inputs: train.inputs, labels: train.labels)
    results["\(arch.rawValue)_dp_s"] = outcome.epochs.map(\.seconds).reduce(0, +)
}
let json = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
