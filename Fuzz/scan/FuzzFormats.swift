import BulwarkArchive

// libFuzzer harness: the safetensors header reader, the ONNX/protobuf reader, the SavedModel
// reader, the HDF5 attribute reader, the GGUF header reader, the NPY header reader and the
// malformed-file checks built on them must never trap or hang on any input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormats(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let info = try? OnnxModelInfo(bytes: bytes) { _ = MalformedChecks.onnx(info: info) }
    _ = try? SavedModelInfo(bytes: bytes)
    if let n = try? SafetensorsHeader.headerLength(first8: Array(bytes.prefix(8)), fileSize: bytes.count) {
        _ = try? SafetensorsHeader(header: Array(bytes[8..<(8 + n)]), fileSize: bytes.count)
    }
    _ = MalformedChecks.safetensors(fileSize: bytes.count) { o, n in Array(bytes[min(o, bytes.count)..<min(bytes.count, o + n)]) }
    // HDF5, GGUF, NPY: the input is the file; when it lacks the signature, prepend one to the
    // input's own bytes so the fuzzer reaches the code behind it.
    func signed(_ magic: [UInt8]) -> [UInt8] { bytes.starts(with: magic) ? bytes : magic + bytes }
    let file = signed([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])
    _ = try? HDF5Attributes(size: file.count) { o, n in o >= 0 && n >= 0 && n <= file.count - o ? Array(file[o..<(o + n)]) : nil }
    let gguf = signed(Array("GGUF".utf8))
    let read: (Int, Int) -> [UInt8]? = { o, n in o >= 0 && n >= 0 && n <= gguf.count - o ? Array(gguf[o..<(o + n)]) : nil }
    if let info = try? GGUFInfo(size: gguf.count, read: read) {
        precondition(info.problems.count <= GGUFInfo.maxProblems && info.dataStart >= 0)
    }
    _ = MalformedChecks.gguf(size: gguf.count, read: read)
    let npy = signed([0x93] + Array("NUMPY".utf8))
    if let h = try? NPYHeader(prefix: npy) { _ = try? h.elementLayout(); precondition(h.dataOffset <= npy.count) }
    _ = MalformedChecks.npy(prefix: npy, fileSize: npy.count)
    return 0
}
