import BulwarkData
import BulwarkTensor
import Foundation
import Testing

@Test(arguments: ["images_2x3x4.idx", "images_2x3x4.idx.gz"])
func readsIDXPlainAndGzip(file: String) throws {
    let a = try IDX.read(path: fixturePath(file))
    #expect(a.shape == [2, 3, 4])
    #expect(a.storage == .uint8((0..<24).map { UInt8($0 * 10) }))
}

@Test func decodesOtherIDXTypesAndRefusesMalformed() throws {
    // 0x0D float, rank 1, two big-endian values 1.0 and -2.0
    let floats: [UInt8] = [0, 0, 0x0D, 1, 0, 0, 0, 2, 0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0]
    #expect(try IDX.decode(floats).storage == .float32([1, -2]))
    let shorts: [UInt8] = [0, 0, 0x0B, 1, 0, 0, 0, 1, 0xFF, 0xFE]
    #expect(try IDX.decode(shorts).storage == .int32([-2]))
    func code(_ b: [UInt8]) -> DataError.Code? { (#expect(throws: DataError.self) { try IDX.decode(b, label: "x.idx") })?.code }
    #expect(code([1, 0, 8, 1, 0, 0, 0, 0]) == .malformed)              // bad magic
    #expect(code([0, 0, 8, 0]) == .malformed)                          // rank 0
    #expect(code([0, 0, 0x42, 1, 0, 0, 0, 0]) == .malformed)           // unknown type
    #expect(code([0, 0, 8, 1, 0, 0, 0, 3, 1, 2]) == .malformed)        // too few bytes
    #expect(code([0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255]) == .malformed)
    let gz = try fixtureBytes("images_2x3x4.idx.gz")
    #expect(throws: DataError.self) { try IDX.decode(gz, maxBytes: 10) }
    for n in 0..<gz.count { _ = try? IDX.decode(Array(gz.prefix(n))) }
}

private let fashionPresent = FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz")

@Test(.enabled(if: fashionPresent, "needs the Debian package dataset-fashion-mnist"))
func loadsFashionMNISTTestSplit() throws {
    let test = try FashionMNIST.load(.test)
    #expect(test.inputs.shape == [10_000, 1, 28, 28])
    #expect(test.classCount == 10)
    // The Fashion-MNIST test split is balanced: 1000 images per class.
    #expect(test.classCounts == [Int](repeating: 1000, count: 10))
    #expect(test.inputs.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    #expect(test.inputs.scalars.contains(1) && test.inputs.scalars.contains(0))
    let small = try FashionMNIST.load(.train, limit: 50)
    #expect(small.count == 50 && small.inputs.shape == [50, 1, 28, 28])
}

@Test func missingFashionMNISTNamesFileAndPackage() throws {
    let error = #expect(throws: DataError.self) { try FashionMNIST.load(.train, directory: "/nonexistent/fmnist") }
    #expect(error?.code == .io)
    #expect(error?.message.contains("/nonexistent/fmnist/train-images-idx3-ubyte.gz") == true)
    #expect(error?.message.contains("dataset-fashion-mnist") == true)
}
