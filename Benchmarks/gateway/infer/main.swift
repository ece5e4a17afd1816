// Times one forward pass (logits) of an ONNX model as the gateway runs it, at several batch
// sizes, on the calling thread: the model's share of a served request, next to onnxruntime's
// (Benchmarks/gateway/ort_forward.py) for the same file and batches; forward-bench.sh runs both.
// Run it with BULWARK_THREADS=1: it reports the calling thread's CPU time per pass.
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

func threadCPUMicroseconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e6 + Double(t.tv_nsec) / 1e3
}

do {
    let model = try ONNXModel(contentsOf: URL(fileURLWithPath: path))
    var rng = SeededGenerator(seed: 0)
    for batch in batches {
        let x = Tensor.uniform([batch, 1, 28, 28], using: &rng)
        for _ in 0..<50 { _ = model.logits(x) }
        // CPU time of this thread (BULWARK_THREADS=1 keeps the pass on it): steadier than the
        // wall clock on a shared machine.
        let t0 = threadCPUMicroseconds()
        for _ in 0..<repeats { _ = model.logits(x) }
        let us = (threadCPUMicroseconds() - t0) / Double(repeats)
        print(String(format: "bulwark batch %d: %.1f us/call, %.1f us/image", batch, us, us / Double(batch)))
    }
} catch {
    FileHandle.standardError.write(Data("infer-bench: \(error)\n".utf8))
    exit(2)
}
