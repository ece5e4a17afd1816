// Times one forward pass (logits) of an ONNX model as the gateway runs it, at several batch
// sizes, on the calling thread: the model's share of a served request, next to onnxruntime's
// (Benchmarks/gateway/ort_forward.py) for the same file and batches; forward-bench.sh runs both.
// Usage: infer-bench MODEL.onnx [--batches 1,8,16] [--repeats N]
import BulwarkModels
import BulwarkTensor
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
guard let path = arguments.first else {
    FileHandle.standardError.write(Data("usage: infer-bench MODEL.onnx [--batches 1,8,16] [--repeats N]\n".utf8))
    exit(2)
}
var batches = [1, 8, 16], repeats = 500
var rest = arguments.dropFirst().makeIterator()
while let a = rest.next() {
    switch a {
    case "--batches": batches = (rest.next() ?? "").split(separator: ",").compactMap { Int($0) }
    case "--repeats": repeats = Int(rest.next() ?? "") ?? repeats
    default: FileHandle.standardError.write(Data("unknown option \(a)\n".utf8)); exit(2)
    }
}
configureNumerics()
do {
    let model = try ONNXModel(contentsOf: URL(fileURLWithPath: path))
    var rng = SeededGenerator(seed: 0)
    for batch in batches {
        let x = Tensor.uniform([batch, 1, 28, 28], using: &rng)
        for _ in 0..<50 { _ = model.logits(x) }
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { _ = model.logits(x) }
        let us = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3 / Double(repeats)
        print(String(format: "bulwark batch %d: %.1f us/call, %.1f us/image", batch, us, us / Double(batch)))
    }
} catch {
    FileHandle.standardError.write(Data("infer-bench: \(error)\n".utf8))
    exit(2)
}
