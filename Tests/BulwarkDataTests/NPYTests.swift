import BulwarkData
import BulwarkTensor
import Foundation
import Testing

@Test func readsFloat32WrittenByNumPy() throws {
    let a = try NPY.read(path: fixturePath("f32_2x3.npy"))
    #expect(a.dtype == .float32)
    #expect(a.shape == [2, 3])
    #expect(a.storage == .float32(fixtureValues(6).map { Float($0) }))
    let t = try a.toTensor()
    #expect(t.shape == [2, 3])
    #expect(t.scalars == fixtureValues(6).map { Float($0) })
}

@Test(arguments: ["f32_2x3.npy", "f64_3.npy", "i64_4.npy", "i32_4.npy", "u8_2x2.npy", "bool_3.npy",
                  "f32_scalar.npy", "f32_empty_0x4.npy"])
func encodingIsByteIdenticalToNumPy(file: String) throws {
    let bytes = try fixtureBytes(file)
    let array = try NPY.decode(bytes, label: file)
    #expect(NPY.encode(array) == bytes)
}

@Test func readsEveryDtypeAndByteOrder() throws {
    #expect(try NPY.read(path: fixturePath("f64_3.npy")).storage == .float64(fixtureValues(3)))
    #expect(try NPY.read(path: fixturePath("i64_4.npy")).storage == .int64([0, -1, 2, 9]))
    #expect(try NPY.read(path: fixturePath("i64_big_endian_4.npy")).storage == .int64([0, -1, 2, 9]))
    #expect(try NPY.read(path: fixturePath("i32_4.npy")).storage == .int32([0, -1, 2, 9]))
    #expect(try NPY.read(path: fixturePath("u8_2x2.npy")).storage == .uint8([0, 255, 7, 128]))
    #expect(try NPY.read(path: fixturePath("bool_3.npy")).storage == .bool([true, false, true]))
    let scalar = try NPY.read(path: fixturePath("f32_scalar.npy"))
    #expect(scalar.shape == [] && scalar.storage == .float32([2.5]))
    #expect(try NPY.read(path: fixturePath("f32_empty_0x4.npy")).shape == [0, 4])
    let little = try NPY.read(path: fixturePath("f32_2x3.npy"))
    #expect(try NPY.read(path: fixturePath("f32_big_endian_2x3.npy")) == little)
    #expect(try NPY.read(path: fixturePath("f32_2x3_v2.npy")) == little)
    #expect(try NPY.read(path: fixturePath("f32_2x3_v3.npy")) == little)
}

@Test func refusesFortranOrderAndObjectArrays() throws {
    let fortran = #expect(throws: DataError.self) { try NPY.read(path: fixturePath("fortran_2x3.npy")) }
    #expect(fortran?.code == .unsupported)
    #expect(fortran?.message.contains("Fortran") == true)
    let object = #expect(throws: DataError.self) { try NPY.read(path: fixturePath("object.npy")) }
    #expect(object?.code == .unsupported)
    #expect(object?.message.contains("pickle") == true)
    #expect(object?.message.contains("object.npy") == true)
}

@Test func refusesMalformedFiles() throws {
    let good = try fixtureBytes("f32_2x3.npy")
    func error(_ bytes: [UInt8]) -> DataError? {
        #expect(throws: DataError.self) { try NPY.decode(bytes, label: "bad.npy") }
    }
    #expect(error(Array(good.dropLast()))?.message.contains("needs 24 data bytes") == true)
    #expect(error(good + [0])?.message.contains("unexpected bytes") == true)
    #expect(error([0x92] + Array(good.dropFirst()))?.code == .malformed)
    var badVersion = good
    badVersion[6] = 9
    #expect(error(badVersion)?.code == .unsupported)
    func withHeader(_ text: String) -> [UInt8] {
        let h = Array(text.utf8)
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.count & 0xff), UInt8(h.count >> 8)] + h
    }
    #expect(error(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }"))?.code == .malformed)
    #expect(error(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"))?.code == .malformed)
    #expect(error(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}"))?.message.contains("unknown key") == true)
    #expect(error(withHeader("{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }"))?.code == .unsupported)
    #expect(error(withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"))?.code == .unsupported)
    #expect(error(withHeader("__import__('os').system('true')"))?.code == .malformed)
    #expect(error(withHeader("{'descr': '<f4', 'shape': (1,), }"))?.message.contains("misses one of") == true)
}

@Test func everyTruncationAndByteFlipIsHandledWithoutTrapping() throws {
    let good = try fixtureBytes("i64_4.npy")
    var decoded = 0
    for n in 0...good.count {
        if (try? NPY.decode(Array(good.prefix(n)))) != nil { decoded += 1 }
    }
    #expect(decoded == 1)
    for i in good.indices {
        for mask: UInt8 in [0x01, 0x80, 0xFF] {
            var bad = good
            bad[i] ^= mask
            _ = try? NPY.decode(bad)
        }
    }
}

@Test func writesAndReadsBackAtomically() throws {
    let path = temporaryPath("roundtrip.npy")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let tensor = Tensor(shape: [2, 2, 2], scalars: [1, -2, 3.5, 4, 0, -0.25, 7, 8])
    try NPY.write(NDArray(tensor), path: path)
    #expect(try NPY.read(path: path).toTensor() == tensor)
    try NPY.write(NDArray(labels: [4, 0, 9]), path: path)
    #expect(try NPY.read(path: path).toLabels() == [4, 0, 9])
    let missing = #expect(throws: DataError.self) { try NPY.write(NDArray(tensor), path: "/nonexistent-dir/x.npy") }
    #expect(missing?.code == .io)
}

@Test func conversionsCheckDtypeAndRank() throws {
    let floats = try NDArray(shape: [3], storage: .float32([1, 2, 3]))
    #expect((#expect(throws: DataError.self) { try floats.toLabels() })?.code == .unsupported)
    let matrix = try NDArray(shape: [1, 2], storage: .int64([1, 2]))
    #expect((#expect(throws: DataError.self) { try matrix.toLabels() })?.code == .shapeMismatch)
    #expect(try NDArray(shape: [2], storage: .uint8([3, 200])).toLabels() == [3, 200])
    #expect(try NDArray(shape: [2], storage: .float64([0.5, -2])).toTensor().scalars == [0.5, -2])
    #expect(throws: DataError.self) { try NDArray(shape: [2, 2], storage: .int32([1, 2, 3])) }
    #expect(throws: DataError.self) { try NDArray(shape: [-1], storage: .int32([])) }
}
