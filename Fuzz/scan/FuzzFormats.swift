// libFuzzer harness: the safetensors header reader and the ONNX/protobuf reader must never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormats(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? OnnxModelInfo(bytes: bytes)
    if let n = try? SafetensorsHeader.headerLength(first8: Array(bytes.prefix(8)), fileSize: bytes.count) {
        _ = try? SafetensorsHeader(header: Array(bytes[8..<(8 + n)]), fileSize: bytes.count)
    }
    return 0
}
