// libFuzzer harness: the symbolic pickle machine must never trap on any input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let r = PickleAnalyzer.analyze(bytes)
    precondition(r.imports.count <= PickleAnalyzer.maxImports)
    return 0
}
