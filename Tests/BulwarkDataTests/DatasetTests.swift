import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkData

/// The one `Dataset` description: arrays in .npy/.npz (with and without labels inside), dtypes,
/// and the checks made before any work.
@Suite struct DatasetTests {
    let dir: String
    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-dataset-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { dir + "/" + name }

    @Test func npzWithAndWithoutLabelsAndEveryInputDtype() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bytes = try NDArray(shape: [2, 1, 2, 2], storage: .uint8([0, 51, 102, 255, 255, 0, 0, 0]))
        let wide = try NDArray(shape: [2, 4], storage: .float64([0.25, 0.5, 1, 0, 1, 1, 0, 0.125]))
        try NPZ.write([("x", bytes), ("y", try NDArray(shape: [2], storage: .int32([1, 0])))], path: path("both.npz"))
        try NPZ.write([("inputs", wide)], path: path("x.npz"))
        try NPY.write(try NDArray(shape: [2], storage: .uint8([2, 1])), path: path("y.npy"))
        let both = try Dataset.arrays(data: path("both.npz")).load(DatasetLoadOptions(exampleShape: [1, 2, 2], classCount: 2))
        #expect(both.examples.inputs.scalars == [0, 0.2, 0.4, 1, 1, 0, 0, 0] && both.examples.labels == [1, 0])
        let separate = try Dataset.arrays(data: path("x.npz"), labels: path("y.npy")).load(DatasetLoadOptions(exampleShape: [1, 2, 2]))
        #expect(separate.examples.inputs.shape == [2, 1, 2, 2] && separate.examples.inputs.scalars[7] == 0.125)
        #expect(separate.examples.classCount == 3)
        do {
            _ = try Dataset.arrays(data: path("x.npz")).load()
            Issue.record("npz without labels accepted")
        } catch {
            #expect(error.message.contains("x.npz: no labels; pass a labels .npy file"), "\(error.message)")
        }
    }

    @Test func digitsFromScikitLearnLoadFromAnNPZ() throws {
        let digits = try Dataset.arrays(data: fixturePath("digits.npz")).load(DatasetLoadOptions(exampleShape: [1, 8, 8], classCount: 10))
        #expect(digits.examples.count == 1797 && digits.examples.classCounts.allSatisfy { $0 >= 170 })
        #expect(digits.examples.inputs.scalars.max() == 1 && digits.examples.inputs.scalars.min() == 0)
    }

    @Test func badArraysAreOneLineErrorsNamingTheFile() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let x = try NDArray(shape: [3, 3, 32, 32], storage: .float32(Array(repeating: 0.5, count: 3 * 3 * 32 * 32)))
        var nanValues = Array(repeating: Float(0.5), count: 12)
        nanValues[9] = .infinity
        try NPY.write(x, path: path("x.npy"))
        try NPY.write(try NDArray(shape: [3, 4], storage: .float32(nanValues)), path: path("inf.npy"))
        try NPY.write(try NDArray(shape: [0, 4], storage: .float32([])), path: path("empty.npy"))
        try NPY.write(NDArray(labels: [0, 1]), path: path("two.npy"))
        try NPY.write(NDArray(labels: [0, -1, 1]), path: path("negative.npy"))
        try NPY.write(try NDArray(shape: [3], storage: .float32([0, 1, 1])), path: path("float.npy"))
        let cases: [(Dataset, DatasetLoadOptions, String)] = [
            (.arrays(data: path("x.npy"), labels: path("two.npy")), .init(), "two.npy: 2 labels for 3 inputs"),
            (.arrays(data: path("x.npy"), labels: path("negative.npy")), .init(), "negative.npy: label -1 of example 1 is negative"),
            (.arrays(data: path("x.npy"), labels: path("float.npy")), .init(), "float.npy: labels must have an integer dtype"),
            (.arrays(data: path("x.npy"), labels: path("two.npy")), .init(exampleShape: [1, 28, 28]),
             "x.npy: inputs have shape [3, 3, 32, 32], the model expects N×1×28×28"),
            (.arrays(data: path("inf.npy"), labels: path("two.npy")), .init(), "inf.npy: inputs contain NaN or infinity (example 2, value inf)"),
            (.arrays(data: path("empty.npy"), labels: path("two.npy")), .init(), "empty.npy: no examples (empty dataset)"),
            (.arrays(data: path("none.npz")), .init(), "input file not found"),
        ]
        for (dataset, options, text) in cases {
            do {
                _ = try dataset.load(options)
                Issue.record("accepted \(dataset)")
            } catch {
                #expect(error.message.contains(text) && !error.message.contains("\n"), "\(error.message)")
            }
        }
        try NPY.write(NDArray(labels: [0, 1, 5]), path: path("five.npy"))
        #expect(throws: DataError.self) { try Dataset.arrays(data: self.path("x.npy"), labels: self.path("five.npy")).load(.init(classCount: 3)) }
    }

    @Test func descriptionsAreOneLineAndCodableRoundTrips() throws {
        let all: [Dataset] = [
            .fashionMNIST(split: .test), .arrays(data: "x.npz"), .arrays(data: "x.npy", labels: "y.npy"),
            .imageFolder(path: "pets", size: ImageFolder.Size(height: 32, width: 32), channels: 3), .csv(path: "t.csv", labelColumn: "y"),
        ]
        let json = try JSONEncoder().encode(all)
        #expect(try JSONDecoder().decode([Dataset].self, from: json) == all)
        #expect(all.allSatisfy { !$0.description.contains("\n") && $0.description.contains($0.path) })
        #expect(all[3].description == "image folder pets, resized to 32x32, 3 channel(s)")
    }
}
