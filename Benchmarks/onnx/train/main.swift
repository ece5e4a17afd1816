// Times one training step (forward, backward, Adam update; batch 128) of a PyTorch-exported ONNX
// cnn imported by Bulwark and of the zoo cnn holding the same weights, alternating the two;
// then fine-tunes the import a few steps, writes it back as ONNX and writes Bulwark's logits on
// fixed inputs, for the onnxruntime check. Prints one JSON object.
// Usage: onnx-train-bench MODEL.onnx WORK_DIR [--threads N] [--repeats N]
import BulwarkModels
import BulwarkTensor
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: onnx-train-bench MODEL.onnx WORK_DIR [--threads N] [--repeats N]\n".utf8))
    exit(2)
}
let (modelPath, work) = (arguments[0], URL(fileURLWithPath: arguments[1]))
var threads = 2, repeats = 20
var rest = arguments.dropFirst(2).makeIterator()
while let a = rest.next() {
    switch a {
    case "--threads": threads = Int(rest.next() ?? "") ?? threads
    case "--repeats": repeats = Int(rest.next() ?? "") ?? repeats
    default: FileHandle.standardError.write(Data("unknown option \(a)\n".utf8)); exit(2)
    }
}
BLAS.setThreadCount(threads)
configureNumerics()

func seconds(_ body: () -> Void) -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func writeRaw(_ t: Tensor, _ name: String) throws {
    try t.scalars.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: work.appendingPathComponent(name))
}

do {
    var imported = try ONNXModel(contentsOf: URL(fileURLWithPath: modelPath))
    var zoo = ZooArchitecture.cnn.makeModel(seed: 0)
    try zoo.load(Dictionary(uniqueKeysWithValues: imported.namedTensors.map { ($0.name, $0.tensor) }))

    var rng = SeededGenerator(seed: 0)
    let batch = Tensor.uniform([128, 1, 28, 28], using: &rng)
    let labels = (0..<128).map { $0 % 10 }
    var (adamZoo, adamImported) = (Adam(learningRate: 1e-3), Adam(learningRate: 1e-3))
    var (contextZoo, contextImported) = (ForwardContext(training: true), ForwardContext(training: true))
    for _ in 0..<3 {
        _ = trainStep(&zoo, optimizer: &adamZoo, inputs: batch, labels: labels, context: &contextZoo)
        _ = trainStep(&imported, optimizer: &adamImported, inputs: batch, labels: labels, context: &contextImported)
    }
    var zooTimes: [Double] = [], importedTimes: [Double] = []
    for _ in 0..<repeats {
        zooTimes.append(seconds { _ = trainStep(&zoo, optimizer: &adamZoo, inputs: batch, labels: labels, context: &contextZoo) })
        importedTimes.append(seconds { _ = trainStep(&imported, optimizer: &adamImported, inputs: batch, labels: labels, context: &contextImported) })
    }
    // The two models took the same steps on the same data: they must still agree.
    let drift = zip(zoo.parameters, imported.parameters).map { p, q in zip(p.scalars, q.scalars).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0

    try ONNXExporter.write(imported, to: work.appendingPathComponent("finetuned.onnx"))
    let x = Tensor.uniform([64, 1, 28, 28], using: &rng)
    try writeRaw(x, "x.f32")
    try writeRaw(imported.logits(x), "bulwark_logits.f32")
    let out: [String: Double] = ["zoo_step_ms": median(zooTimes) * 1000, "onnx_step_ms": median(importedTimes) * 1000,
                                 "max_parameter_drift": Double(drift)]
    print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("onnx-train-bench: \(error)\n".utf8))
    exit(1)
}
