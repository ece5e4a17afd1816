import Testing
import BulwarkArchive

/// A safetensors file: the 8-byte length, `json`, then `dataBytes` zero bytes.
private func safetensors(_ json: String, dataBytes: Int) -> [UInt8] {
    let h = Array(json.utf8)
    var out: [UInt8] = []
    var n = UInt64(h.count)
    for _ in 0..<8 { out.append(UInt8(n & 0xff)); n >>= 8 }
    return out + h + [UInt8](repeating: 0, count: dataBytes)
}

private func header(_ json: String, dataBytes: Int) throws -> SafetensorsHeader {
    let f = safetensors(json, dataBytes: dataBytes)
    let n = try SafetensorsHeader.headerLength(first8: Array(f.prefix(8)), fileSize: f.count)
    return try SafetensorsHeader(header: Array(f[8..<(8 + n)]), fileSize: f.count)
}

struct SafetensorsHeaderTests {
    @Test func readsTensorsMetadataAndParameterCount() throws {
        let h = try header(#"{"__metadata__":{"format":"pt"},"b":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#, dataBytes: 32)
        #expect(h.tensors.map(\.name) == ["a", "b"])  // in data order
        #expect(h.tensors.map(\.dataOffsets) == [0..<24, 24..<32])
        #expect(h.tensors.map(\.shape) == [[2, 3], [4]])
        #expect(h.parameterCount == 10)
        #expect(h.metadata == ["format": "pt"])
        #expect(h.problems.isEmpty)
        #expect(h.dataStart == 8 + h.headerLength)
        // `null` metadata is no metadata; fields the format does not define are kept aside, not problems
        let plain = try header(#"{"__metadata__":null,"a":{"dtype":"U8","shape":[],"data_offsets":[0,1],"x":1}}"#, dataBytes: 1)
        #expect(plain.metadata == nil && plain.problems.isEmpty && plain.tensors.first?.extraFields == ["x"])
    }

    @Test(arguments: [
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[4],"data_offsets":[4,20]}}"#, 8, "overlaps the previous tensor"),
        (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, 8, "runs past the data area"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "gap before tensor 'a'"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 9, "the file holds 9 data bytes"),
        (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, 8, "needs 12 bytes but data_offsets span 8"),
        (#"{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}}"#, 8, "overflows 64 bits"),
        (#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,18446744073709551616]}}"#, 8, "not a non-negative integer below 2^63"),
        (#"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}"#, 0, "shape holds -1"),
        (#"{"a":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}"#, 1, "not a non-negative integer"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, 8, "0 ≤ begin ≤ end"),
        (#"{"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}"#, 8, "unknown dtype 'F31'"),
        (#"{"a":{"dtype":"F32","shape":[1]}}"#, 4, "lacks one of"),
        (#"{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 4, "dtype given twice"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "'a' appears twice"),
        (#"{"__metadata__":{"k":1}}"#, 0, "not a string"),
        (#"{"__metadata__":{"k":"x","k":"y"}}"#, 0, "appears twice"),
        (#"{"__metadata__":[]}"#, 0, "not an object"),
        (#"{"a":7}"#, 0, "not an object"),
    ] as [(String, Int, String)])
    func problemsAreListedNotThrown(json: String, dataBytes: Int, expected: String) throws {
        let h = try header(json, dataBytes: dataBytes)
        #expect(h.problems.contains { $0.message.contains(expected) }, "\(h.problems)")
    }

    @Test func anUnknownDtypeIsTyped() throws {
        let h = try header(#"{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}"#, dataBytes: 1)
        #expect(h.problems.map(\.kind) == [.unknownDtype(tensor: "a", dtype: "Q7")])
        #expect(h.tensors.map(\.dtype) == ["Q7"])
    }

    @Test func throwsOnlyWhenThereIsNoHeaderToRead() {
        #expect((#expect(throws: ArchiveError.self) { try SafetensorsHeader.headerLength(first8: [255, 255, 255, 255, 0, 0, 0, 0], fileSize: 100) })?.code == .limitExceeded)
        #expect((#expect(throws: ArchiveError.self) { try SafetensorsHeader.headerLength(first8: [200, 0, 0, 0, 0, 0, 0, 0], fileSize: 100) })?.message.contains("runs past") == true)
        #expect(throws: ArchiveError.self) { try SafetensorsHeader.headerLength(first8: [1, 2, 3], fileSize: 3) }
        for text in [" {}", "[1]", "{\"a\":", "{\"a\":01}", String(repeating: "[", count: 20), "{\"a\":" + String(repeating: "[", count: 9) + String(repeating: "]", count: 9) + "}"] {
            #expect(throws: ArchiveError.self, "\(text)") { try SafetensorsHeader(header: Array(text.utf8), fileSize: 8 + text.utf8.count) }
        }
    }

    @Test func everyTruncationAndByteFlipIsHandledWithoutTrapping() throws {
        let f = safetensors(#"{"__metadata__":{"k":"\u00e9"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]}}"#, dataBytes: 32)
        func read(_ bytes: [UInt8]) -> SafetensorsHeader? {
            guard let n = try? SafetensorsHeader.headerLength(first8: Array(bytes.prefix(8)), fileSize: bytes.count) else { return nil }
            return try? SafetensorsHeader(header: Array(bytes[8..<(8 + n)]), fileSize: bytes.count)
        }
        var clean = 0
        for n in 0...f.count where read(Array(f.prefix(n)))?.problems.isEmpty == true { clean += 1 }
        #expect(clean == 1)
        for i in f.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var bad = f
                bad[i] ^= mask
                _ = read(bad)
            }
        }
    }
}
