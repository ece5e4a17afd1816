// libFuzzer harness: the safetensors header reader, the ONNX/protobuf reader, the SavedModel
// reader and the HDF5 attribute reader must never trap or hang on any input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormats(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? OnnxModelInfo(bytes: bytes)
    _ = try? SavedModelInfo(bytes: bytes)
    if let n = try? SafetensorsHeader.headerLength(first8: Array(bytes.prefix(8)), fileSize: bytes.count) {
        _ = try? SafetensorsHeader(header: Array(bytes[8..<(8 + n)]), fileSize: bytes.count)
    }
    // HDF5: the input is the file; when it lacks the signature, prepend a superblock-v0 prefix of
    // the input's own bytes so the fuzzer reaches the object-header and attribute code.
    let file = bytes.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) ? bytes : [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] + bytes
    _ = try? HDF5Attributes(size: file.count) { o, n in o >= 0 && n >= 0 && n <= file.count - o ? Array(file[o..<(o + n)]) : nil }
    return 0
}
