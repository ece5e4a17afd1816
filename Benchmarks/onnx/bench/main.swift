import Foundation
import BulwarkTensor
import BulwarkModels

// Usage: onnx-bench MODEL.onnx [seconds-per-measure]   (built and run by Benchmarks/onnx/run.sh)
// Prints one JSON object: images per second at batch 1 and batch 256 (inference, no tape gradients).
let args = CommandLine.arguments
guard args.count >= 2 else { FileHandle.standardError.write(Data("usage: onnx-bench MODEL.onnx [seconds]\n".utf8)); exit(2) }
let seconds = args.count > 2 ? Double(args[2]) ?? 2 : 2
let model: ONNXModel
do { model = try ONNXModel(contentsOf: URL(fileURLWithPath: args[1])) } catch {
    FileHandle.standardError.write(Data("\(args[1]): \(error)\n".utf8)); exit(1)
}
var rng = SystemRandomNumberGenerator()
var result: [String: Double] = [:]
for batch in [1, 256] {
    let n = batch * model.inputShape.reduce(1, *)
    let x = Tensor(shape: [batch] + model.inputShape, scalars: (0..<n).map { _ in Float.random(in: -1...1, using: &rng) })
    _ = model.logits(x)  // warm-up
    var runs = 0
    let start = Date()
    while Date().timeIntervalSince(start) < seconds {
        _ = model.logits(x)
        runs += 1
    }
    result["batch\(batch)_images_per_s"] = Double(runs * batch) / Date().timeIntervalSince(start)
}
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
