import Testing
import BulwarkArchive

/// An .npy file of version `major`: the header dict padded to 64 bytes, then `data` zero bytes.
private func npy(_ dict: String, data: Int = 0, major: UInt8 = 1) -> [UInt8] {
    var h = Array(dict.utf8)
    let preamble = major == 1 ? 10 : 12
    h += [UInt8](repeating: 0x20, count: (64 - (preamble + h.count + 1) % 64) % 64) + [0x0a]
    let n = h.count
    let length: [UInt8] = major == 1 ? [UInt8(n & 0xff), UInt8(n >> 8)] : [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), 0]
    return [0x93] + Array("NUMPY".utf8) + [major, 0] + length + h + [UInt8](repeating: 0, count: data)
}

private func failure(_ bytes: [UInt8]) -> ArchiveError? {
    #expect(throws: ArchiveError.self) { try NPYHeader(prefix: bytes) }
}

struct NPYHeaderTests {
    @Test func readsTheFieldsOfEveryVersion() throws {
        for major: UInt8 in [1, 2, 3] {
            let bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", data: 48, major: major)
            let h = try NPYHeader(prefix: bytes)
            #expect(h.major == major && h.minor == 0)
            #expect(h.descr == .string("<f4") && h.descrText == "<f4" && !h.fortranOrder && h.shape == [3, 4])
            #expect(h.dataOffset == bytes.count - 48 && h.dataOffset % 64 == 0)
            #expect(try h.elementLayout() == NPYHeader.ElementLayout(itemSize: 4, isObject: false))
            #expect(h.dataByteCount(itemSize: 4) == .bytes(48))
        }
        // keys in any order, either quote style, a scalar shape, a Python 2 long
        let h = try NPYHeader(prefix: npy("{\"shape\": (), \"fortran_order\": True, \"descr\": \">i8\"}"))
        #expect(h.shape == [] && h.fortranOrder && h.descrText == ">i8")
        #expect(try NPYHeader(prefix: npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2L,), }")).shape == [2])
    }

    @Test func sizesStructuredObjectAndOverflowingDtypes() throws {
        let structured = try NPYHeader(prefix: npy("{'descr': [('a', '<f4'), ('b', '<i2', (3,))], 'fortran_order': False, 'shape': (2,), }"))
        #expect(try structured.elementLayout().itemSize == 10)
        #expect(structured.descrText == "[('a', '<f4'), ('b', '<i2', (3,))]")
        let object = try NPYHeader(prefix: npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"))
        #expect(try object.elementLayout() == NPYHeader.ElementLayout(itemSize: nil, isObject: true))
        #expect(object.dataByteCount(itemSize: nil) == .unknown)
        let huge = try NPYHeader(prefix: npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }"))
        #expect(huge.dataByteCount(itemSize: 8) == .overflow)
        #expect(try NPYHeader(prefix: npy("{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }")).elementLayout().itemSize == 20)
        // a descr that is no dtype parses, and fails only when sized
        let odd = try NPYHeader(prefix: npy("{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }"))
        #expect(throws: ArchiveError.self) { try odd.elementLayout() }
    }

    @Test func refusesMalformedHeadersWithTypedErrors() {
        let good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }")
        #expect(failure([0x92] + good.dropFirst())?.code == .malformed)
        var version = good
        version[6] = 9
        #expect(failure(version)?.code == .unsupported)
        #expect(failure(Array(good.prefix(9)))?.code == .truncated)
        #expect(failure(Array(good.prefix(40)))?.code == .truncated)
        #expect(failure(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}"))?.message.contains("unknown key") == true)
        #expect(failure(npy("{'descr': '<f4', 'shape': (1,), }"))?.message.contains("misses one of") == true)
        #expect(failure(npy("{'descr': '<f4', 'fortran_order': None, 'shape': (1,), }"))?.code == .malformed)
        #expect(failure(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"))?.code == .malformed)
        #expect(failure(npy("{'descr': '<f4', 'fortran_order': False, 'shape': [1], }"))?.code == .malformed)
        #expect(failure(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (36893488147419103232,), }"))?.message.contains("beyond 64 bits") == true)
        #expect(failure(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x"))?.message.contains("after the dict") == true)
        #expect(failure(npy("__import__('os').system('true')"))?.code == .malformed)
        #expect(failure(npy("{'descr': " + String(repeating: "[", count: 40) + "}"))?.message.contains("deeper") == true)
    }

    @Test func headerLengthIsBoundedByTheCaller() throws {
        let bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" + String(repeating: " ", count: 200), major: 2)
        let e = #expect(throws: ArchiveError.self) { try NPYHeader(prefix: bytes, maxHeaderBytes: 128) }
        #expect(e?.code == .limitExceeded)
        #expect(try NPYHeader(prefix: bytes).shape == [1])
    }

    @Test func everyTruncationAndByteFlipIsHandledWithoutTrapping() {
        let good = npy("{'descr': [('a', '<f4'), ('b', '|O', (2, 3))], 'fortran_order': False, 'shape': (4, 5), }", data: 8)
        var parsed = 0
        for n in 0...good.count where (try? NPYHeader(prefix: Array(good.prefix(n)))) != nil { parsed += 1 }
        #expect(parsed == 9)  // from the end of the header on: the 8 data bytes are not the header's
        for i in good.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var bad = good
                bad[i] ^= mask
                if let h = try? NPYHeader(prefix: bad) { _ = try? h.elementLayout() }
            }
        }
    }
}
