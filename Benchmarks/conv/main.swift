// Convolution kernel throughput on the zoo cnn's shapes (batch N, Fashion-MNIST 28×28):
// forward, input gradient and weight gradient of each conv layer, and per-example weight
// gradients (DP-SGD), in GFLOP per CPU-second. Usage: conv-bench [N] [repeats]
import BulwarkTensor
import Foundation

let args = CommandLine.arguments
let n = args.count > 1 ? Int(args[1]) ?? 128 : 128
let repeats = args.count > 2 ? Int(args[2]) ?? 5 : 5
/// Optional third argument: run only the measurements whose name contains it (e.g. "conv2 forward").
let only = args.count > 3 ? args[3] : nil
func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }

/// CPU seconds of the whole process (all threads), so that other jobs on the machine do not
/// inflate the figure the way they inflate wall time.
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Best-of-`repeats` CPU time of `body` (GFLOP/s below are per CPU-second: two busy cores
/// count twice).
func best(_ body: () -> Void) -> Double {
    body()
    var t = Double.infinity
    for _ in 0..<repeats {
        let s = cpuSeconds()
        body()
        t = min(t, cpuSeconds() - s)
    }
    return t
}

var rng = SeededGenerator(seed: 1)
struct Shape { let name: String; let c: Int; let o: Int; let hw: Int }
for s in [Shape(name: "conv1 1→32 28×28", c: 1, o: 32, hw: 28), Shape(name: "conv2 32→64 14×14", c: 32, o: 64, hw: 14)] {
    let x = Tensor.normal([n, s.c, s.hw, s.hw], using: &rng)
    let w = Tensor.normal([s.o, s.c, 3, 3], using: &rng)
    let b = Tensor.normal([s.o], using: &rng)
    let g = Conv2DGeometry(kernel: (3, 3), padding: (1, 1))
    let dy = Tensor.normal([n, s.o, s.hw, s.hw], using: &rng)
    let flops = 2.0 * Double(n * s.o * s.c * 9 * s.hw * s.hw)
    let short = String(s.name.prefix(5))
    let ops: [(String, () -> Void)] = [
        ("forward", { _ = Convolution.forward(x, w, bias: b, geometry: g) }),
        ("input grad", { _ = Convolution.backward(dy, x, w, geometry: g, needInput: true, needWeight: false) }),
        ("weight grad", { _ = Convolution.backward(dy, x, w, geometry: g, needInput: false, needWeight: true) }),
    ]
    for (what, op) in ops where wanted("\(short) \(what)") {
        let t = best(op)
        print(String(format: "%@  %-12@ %8.2f ms  %6.1f GFLOP/s  %8.0f img/s", s.name, what, t * 1e3, flops / t / 1e9, Double(n) / t))
    }
}

for (m, nn, k) in wanted("sgemm") ? [(1024, 1024, 1024), (64, 196, 288), (64, 784, 288), (64, 1568, 288), (288, 196, 64), (288, 784, 64), (64, 288, 196)] : [] {
    let a = Tensor.normal([m, k], using: &rng), b = Tensor.normal([k, nn], using: &rng)
    var c = [Float](repeating: 0, count: m * nn)
    let t = best {
        a.scalars.withUnsafeBufferPointer { pa in b.scalars.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            BLAS.gemm(transposeA: false, transposeB: false, m: m, n: nn, k: k, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
        } } }
    }
    print(String(format: "sgemm %4d×%4d×%4d  %6.1f GFLOP/s", m, nn, k, 2.0 * Double(m * nn * k) / t / 1e9))
}

if wanted("conv2 per-example") {
    let x = Tensor.normal([n, 32, 14, 14], using: &rng)
    let dy = Tensor.normal([n, 64, 14, 14], using: &rng)
    let g = Conv2DGeometry(kernel: (3, 3), padding: (1, 1))
    let t = best { _ = Convolution.perExampleWeightGradients(dy, x, weightShape: [64, 32, 3, 3], geometry: g) }
    print(String(format: "conv2 per-example weight grads %8.2f ms  %6.1f GFLOP/s", t * 1e3, 2.0 * Double(n * 64 * 288 * 196) / t / 1e9))
}
