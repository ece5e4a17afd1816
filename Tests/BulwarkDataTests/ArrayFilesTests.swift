import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkData

/// Inputs and labels from .npy files, checked against the model's example shape and classes.
@Suite struct ArrayFilesTests {
    let dir: URL
    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-arrayfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func write(_ tensor: Tensor, _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try NPY.write(NDArray(tensor), path: path)
        return path
    }

    func writeLabels(_ labels: [Int], _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try NPY.write(NDArray(labels: labels), path: path)
        return path
    }

    @Test func flatRowsAreReshapedAndASingleExampleBecomesABatch() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let flat = try write(Tensor(shape: [3, 8], scalars: (0..<24).map { Float($0) / 24 }), "flat.npy")
        let x = try ArrayFiles.inputs(path: flat, exampleShape: [2, 2, 2])
        #expect(x.shape == [3, 2, 2, 2])
        let one = try write(Tensor(shape: [2, 2, 2], scalars: Array(repeating: 0.5, count: 8)), "one.npy")
        #expect(try ArrayFiles.inputs(path: one, exampleShape: [2, 2, 2]).shape == [1, 2, 2, 2])
    }

    @Test func labelledExamplesAreCheckedAndCut() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = try write(Tensor(shape: [4, 3], scalars: Array(repeating: 0.1, count: 12)), "x.npy")
        let y = try writeLabels([0, 1, 2, 1], "y.npy")
        let all = try ArrayFiles.labelled(inputs: x, labels: y, exampleShape: [3], classCount: 3)
        #expect(all.count == 4 && all.labels == [0, 1, 2, 1] && all.classCount == 3)
        let cut = try ArrayFiles.labelled(inputs: x, labels: y, exampleShape: [3], classCount: 3, limit: 2)
        #expect(cut.count == 2 && cut.inputs.shape == [2, 3])
    }

    @Test func everyBadCaseIsOneLineNamingTheFile() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = try write(Tensor(shape: [4, 3], scalars: Array(repeating: 0.1, count: 12)), "x.npy")
        let nan = try write(Tensor(shape: [2, 3], scalars: [0, .nan, 0, 0, 0, 0]), "nan.npy")
        let y = try writeLabels([0, 1, 2, 1], "y.npy")
        let short = try writeLabels([0, 1], "short.npy")
        let outside = try writeLabels([0, 1, 7, 1], "outside.npy")
        let cases: [(() throws(DataError) -> Void, DataError.Code, String)] = [
            ({ () throws(DataError) in _ = try ArrayFiles.inputs(path: self.dir.appendingPathComponent("none.npy").path, exampleShape: [3]) }, .io, "input file not found"),
            ({ () throws(DataError) in _ = try ArrayFiles.inputs(path: x, exampleShape: [4]) }, .shapeMismatch, "the model expects N×4"),
            ({ () throws(DataError) in _ = try ArrayFiles.inputs(path: nan, exampleShape: [3]) }, .malformed, "NaN or infinity"),
            ({ () throws(DataError) in _ = try ArrayFiles.labelled(inputs: x, labels: self.dir.appendingPathComponent("none.npy").path, exampleShape: [3], classCount: 3) }, .io, "labels file not found"),
            ({ () throws(DataError) in _ = try ArrayFiles.labelled(inputs: x, labels: short, exampleShape: [3], classCount: 3) }, .shapeMismatch, "2 labels for 4 inputs"),
            ({ () throws(DataError) in _ = try ArrayFiles.labelled(inputs: x, labels: outside, exampleShape: [3], classCount: 3) }, .shapeMismatch, "label 7 outside 0..<3"),
        ]
        for (run, code, text) in cases {
            do throws(DataError) {
                try run()
                Issue.record("expected an error containing '\(text)'")
            } catch {
                #expect(error.code == code && error.message.contains(text) && !error.message.contains("\n"), "\(error.message)")
            }
        }
        _ = y
    }
}
