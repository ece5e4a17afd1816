// libFuzzer harness: the whole analysis path of `bulwark scan` — format sniffing, containers
// (compressed streams, zips, tars, nesting), legacy torch checkpoints, TorchScript and Keras
// checks, the policy — must never trap or hang on any input.
import BulwarkArchive

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScanner(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var scanner = ArtifactScanner()
    scanner.maxDecompressedBytes = 32 << 20
    scanner.maxPickleBytes = 32 << 20
    for input in [bytes, LegacyTorchCheckpoint.prefix + [0x2e] + bytes] {
        if let a = try? scanner.analyze(MemorySource(input, name: "fuzz"), directory: ".", depth: 0) {
            _ = ArtifactScanner.result(path: "fuzz", analysis: a)
        }
    }
    return 0
}
