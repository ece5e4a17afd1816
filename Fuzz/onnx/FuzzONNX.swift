// libFuzzer harness over the ONNX loader: protobuf parse, graph validation (opset, operators,
// topological order, initializer sizes) and the load-time dry run; a graph that loads is then run
// forward and backward on a tiny input. Nothing here may trap, and nothing may allocate more than
// the limits allow (huge declared dims must be refused before allocation).
import Foundation
import BulwarkTensor

let fuzzLimits = ONNXLoadLimits(maxFileBytes: 1 << 20, maxTensorElements: 1 << 16, maxTotalElements: 1 << 18, maxNodes: 256)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let model = try? ONNXModel(serialized: bytes, limits: fuzzLimits) else { return 0 }
    _ = model.summary
    let perExample = model.inputShape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
    guard perExample > 0, perExample <= 4096, model.classCount > 0 else { return 0 }
    let x = Tensor(shape: [2] + model.inputShape, scalars: (0..<(2 * perExample)).map { Float($0 % 7) / 7 - 0.5 })
    let y = model.logits(x)
    _ = y.scalars.reduce(0, +)
    _ = model.lossAndInputGradient(x, labels: [0, model.classCount - 1])
    return 0
}
