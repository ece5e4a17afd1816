// libFuzzer entry point for the WebAuthn CBOR reader (Sources/BulwarkAccess/WebAuthn/CBOR.swift).
// Build and run: see README.md beside this file.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCBOR(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    // Whole-item decoding, as for attestation objects and COSE keys.
    if let value = try? CBORReader.decodeWhole(bytes) {
        _ = value[intKey: 3]?.integer
        _ = value[textKey: "fmt"]
    }
    // Prefix decoding, as for the COSE key inside authenticator data: the reader must stop
    // inside the input and never move backwards.
    var reader = CBORReader(bytes, start: count / 3)
    let before = reader.offset
    if (try? reader.readItem()) != nil, reader.offset <= before || reader.offset > count {
        fatalError("reader offset \(reader.offset) outside (\(before), \(count)]")
    }
    return 0
}
