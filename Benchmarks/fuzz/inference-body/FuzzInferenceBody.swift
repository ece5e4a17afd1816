// libFuzzer entry point for the gateway's Open Inference Protocol body reader
// (Sources/BulwarkServing/Inference/InferenceJSONReader.swift and InferenceProtocol.swift).
// Build and run: ./run.sh (see README.md beside this file).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInferenceBody(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    // Small limits, so the fuzzer reaches every limit's refusal too.
    let limits = InferenceRequestLimits(maxElements: 4096, maxInputs: 4, maxDepth: 8, maxStringBytes: 256)
    guard let request = try? InferenceRequest(json: bytes, limits: limits) else { return 0 }
    // What the reader accepted must be self-consistent: shapes match the data, limits hold.
    guard !request.inputs.isEmpty, request.inputs.count <= limits.maxInputs else {
        fatalError("accepted \(request.inputs.count) inputs with a limit of \(limits.maxInputs)")
    }
    var total = 0
    for input in request.inputs {
        let product = input.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        guard input.shape.allSatisfy({ $0 >= 0 }), product == input.data.count else {
            fatalError("accepted shape \(input.shape) with \(input.data.count) values")
        }
        total += input.data.count
    }
    guard total <= limits.maxElements else { fatalError("accepted \(total) elements with a limit of \(limits.maxElements)") }
    // Answer it as the gateway would: the response writer must take whatever the reader accepted.
    let outputs = request.inputs.map { InferenceOutput(name: $0.name, shape: $0.shape, datatype: .fp32, data: $0.data) }
    let response = InferenceResponse(modelName: "fuzz", modelVersion: "1", id: request.id, parameters: [], outputs: outputs)
    let json = response.json()
    guard json.first == UInt8(ascii: "{"), json.last == UInt8(ascii: "}") else { fatalError("response is not a JSON object") }
    return 0
}
