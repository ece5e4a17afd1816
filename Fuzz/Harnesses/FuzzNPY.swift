// libFuzzer harness: .npy and .npz readers on arbitrary bytes.
// Properties: no trap; a decoded array re-encodes to bytes that decode to the same encoding.
import BulwarkArchive
import BulwarkData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let array = try? NPY.decode(bytes, label: "fuzz.npy") {
        let encoded = NPY.encode(array)
        guard let again = try? NPY.decode(encoded), NPY.encode(again) == encoded else {
            fatalError("NPY round trip failed for shape \(array.shape) dtype \(array.dtype)")
        }
    }
    _ = try? NPZ.decode(MemorySource(bytes, name: "fuzz.npz"), maxArrayBytes: 1 << 16)
    return 0
}
