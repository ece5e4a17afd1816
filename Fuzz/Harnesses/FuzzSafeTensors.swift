// libFuzzer harness: the safetensors reader on arbitrary bytes.
// Property: no trap; a file that reads as all-F32 re-encodes and reads back to equal tensors.
import BulwarkModels
import BulwarkTensor

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let (tensors, metadata) = try? SafeTensors.read(bytes, label: "fuzz.safetensors") else { return 0 }
    let named = tensors.map { (name: $0.key, tensor: $0.value) }
    guard let encoded = try? SafeTensors.encode(named, metadata: metadata.isEmpty ? nil : metadata),
          let (back, backMetadata) = try? SafeTensors.read(encoded) else {
        fatalError("safetensors re-encoding failed")
    }
    guard backMetadata == metadata, back.count == tensors.count,
          back.allSatisfy({ name, t in
              guard let o = tensors[name], o.shape == t.shape else { return false }
              return zip(o.scalars, t.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }
          }) else {
        fatalError("safetensors round trip changed tensors or metadata")
    }
    return 0
}
