// libFuzzer harness: the IDX reader (plain and gzip) on arbitrary bytes.
import BulwarkData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let array = try? IDX.decode(bytes, label: "fuzz.idx", maxBytes: 1 << 22) {
        guard array.count == array.shape.reduce(1, *) else { fatalError("IDX count/shape mismatch") }
    }
    return 0
}
