public import BulwarkTensor
import Foundation

/// Examples stored as NumPy arrays — inputs in one `.npy` file, integer labels in another —
/// loaded and checked against the model that will see them, before any work is done.
///
/// ```swift
/// let test = try ArrayFiles.labelled(inputs: "test_x.npy", labels: "test_y.npy",
///                                    exampleShape: [1, 28, 28], classCount: 10, limit: 500)
/// print(test.count, test.exampleShape)
/// ```
public enum ArrayFiles {
    /// The inputs in the `.npy` file at `path`, shaped N × `exampleShape`.
    ///
    /// A flat N×F array whose F is the example's size is reshaped (N×784 → N×1×28×28); an
    /// array shaped like one example becomes a batch of one.
    /// - Throws: ``DataError``: `.io` for a missing file, the NPY reader's errors for a bad
    ///   file, `.shapeMismatch` when the examples are not of `exampleShape`, `.malformed` when
    ///   an input is NaN or infinite.
    public static func inputs(path: String, exampleShape: [Int]) throws(DataError) -> Tensor {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError(.io, "input file not found: \(path)") }
        let array = try NPY.read(path: path)
        var x = try array.toTensor()
        let perExample = exampleShape.reduce(1, *)
        if x.rank == 2 && x.shape[1] == perExample { x = x.reshaped([x.shape[0]] + exampleShape) }
        if x.shape == exampleShape { x = x.reshaped([1] + exampleShape) }  // a single example
        guard Array(x.shape.dropFirst()) == exampleShape else {
            throw DataError(.shapeMismatch, "\(path): inputs have shape \(array.shape), the model expects N×\(exampleShape.map(String.init).joined(separator: "×"))")
        }
        guard x.scalars.allSatisfy(\.isFinite) else { throw DataError(.malformed, "\(path): inputs contain NaN or infinity") }
        return x
    }

    /// Checks that every input lies in `range` — the range the model was trained on and the
    /// attacks clip to (the zoo models and Fashion-MNIST: [0, 1]).
    /// - Throws: ``DataError`` (`.shapeMismatch`) naming `path` and the first value outside.
    public static func checkRange(_ inputs: Tensor, _ range: ClosedRange<Float>, path: String) throws(DataError) {
        if let outside = inputs.scalars.first(where: { !range.contains($0) }) {
            throw DataError(.shapeMismatch, "\(path): input value \(outside) outside the clip range [\(range.lowerBound), \(range.upperBound)]")
        }
    }

    /// Inputs and their integer labels from two `.npy` files, checked — the labels file exists,
    /// holds one label per input and each label is in `0..<classCount` — and cut to the first
    /// `limit` examples (all when `nil`).
    /// - Throws: ``DataError`` naming the file and what is wrong, as ``inputs(path:exampleShape:)``
    ///   does, plus `.shapeMismatch` for a count mismatch or a label outside the classes.
    public static func labelled(inputs: String, labels: String, exampleShape: [Int], classCount: Int,
                                limit: Int? = nil) throws(DataError) -> LabeledDataset {
        var x = try Self.inputs(path: inputs, exampleShape: exampleShape)
        guard FileManager.default.fileExists(atPath: labels) else { throw DataError(.io, "labels file not found: \(labels)") }
        var y = try NPY.read(path: labels).toLabels()
        guard y.count == x.shape[0] else {
            throw DataError(.shapeMismatch, "\(labels): \(y.count) labels for \(x.shape[0]) inputs in \(inputs)")
        }
        if let bad = y.first(where: { $0 < 0 || $0 >= classCount }) {
            throw DataError(.shapeMismatch, "\(labels): label \(bad) outside 0..<\(classCount)")
        }
        if let limit, limit >= 0, limit < y.count {
            x = x.rows(0..<limit)
            y = Array(y[0..<limit])
        }
        return LabeledDataset(unchecked: x, labels: y, classCount: max(1, classCount))
    }
}
