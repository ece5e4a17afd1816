public import BulwarkTensor
import Foundation

/// Examples stored as NumPy arrays — inputs in a `.npy` or `.npz` file, integer labels in a
/// `.npy` file or inside the same `.npz` — loaded and checked against the model that will see
/// them, before any work is done.
///
/// - **Input dtypes**: `float32` and `float64` values are kept (float64 rounded to `Float`);
///   `uint8` values are pixel bytes and are divided by 255, so 0…255 maps onto [0, 1]; other
///   integer and bool arrays are converted as numbers.
/// - **Label dtypes**: any integer dtype (`int64`, `int32`, `uint8`, `bool`), one-dimensional.
/// - **`.npz` keys**: the inputs are the first of `x`, `X`, `inputs`, `data` present — or the
///   only array when the archive holds exactly one; the labels are the first of `y`, `Y`,
///   `labels`, `targets` present. A labels file given explicitly takes precedence.
///
/// ```swift
/// let test = try ArrayFiles.labelled(inputs: "test_x.npy", labels: "test_y.npy",
///                                    exampleShape: [1, 28, 28], classCount: 10, limit: 500)
/// let both = try ArrayFiles.load(data: "test.npz", labels: nil, exampleShape: [1, 28, 28], classCount: 10)
/// print(test.count, test.exampleShape, both.count)
/// ```
public enum ArrayFiles {
    /// The `.npz` keys tried, in order, for the inputs.
    public static let inputKeys = ["x", "X", "inputs", "data"]
    /// The `.npz` keys tried, in order, for the labels.
    public static let labelKeys = ["y", "Y", "labels", "targets"]

    /// The inputs in the `.npy` or `.npz` file at `path`, shaped N × `exampleShape`.
    ///
    /// A flat N×F array whose F is the example's size is reshaped (N×784 → N×1×28×28); an
    /// array shaped like one example becomes a batch of one.
    /// - Throws: ``DataError``: `.io` for a missing file, the NPY reader's errors for a bad
    ///   file, `.shapeMismatch` when the examples are not of `exampleShape` or there are none,
    ///   `.malformed` when an input is NaN or infinite (naming the example).
    public static func inputs(path: String, exampleShape: [Int]) throws(DataError) -> Tensor {
        try shapedInputs(read(path).inputs, path: path, exampleShape: exampleShape)
    }

    /// Checks that every input lies in `range` — the range the model was trained on and the
    /// attacks clip to (the zoo models and Fashion-MNIST: [0, 1]).
    /// - Throws: ``DataError`` (`.shapeMismatch`) naming `path` and the first value outside.
    public static func checkRange(_ inputs: Tensor, _ range: ClosedRange<Float>, path: String) throws(DataError) {
        if let outside = inputs.scalars.firstIndex(where: { !range.contains($0) }) {
            let example = inputs.rank >= 1 && inputs.count > 0 ? outside / max(1, inputs.count / max(1, inputs.shape[0])) : 0
            throw DataError(.shapeMismatch, "\(path): input value \(inputs.scalars[outside]) of example \(example) outside the clip range [\(range.lowerBound), \(range.upperBound)]")
        }
    }

    /// Inputs and their integer labels from two `.npy` files, checked — the labels file exists,
    /// holds one label per input and each label is in `0..<classCount` — and cut to the first
    /// `limit` examples (all when `nil`).
    /// - Throws: ``DataError`` naming the file and what is wrong, as ``inputs(path:exampleShape:)``
    ///   does, plus `.shapeMismatch` for a count mismatch or a label outside the classes.
    public static func labelled(inputs: String, labels: String, exampleShape: [Int], classCount: Int,
                                limit: Int? = nil) throws(DataError) -> LabeledDataset {
        try load(data: inputs, labels: labels, exampleShape: exampleShape, classCount: classCount, limit: limit)
    }

    /// Inputs from a `.npy` or `.npz` file and labels from a `.npy` file — or, when `labels` is
    /// nil, from the `.npz` itself (see the key rule above) — checked and cut to the first
    /// `limit` examples.
    /// - Parameters:
    ///   - exampleShape: the shape one example must have (the model's input); nil to take the
    ///     array's shape after its first axis.
    ///   - classCount: the number of classes; nil for the largest label + 1.
    /// - Throws: ``DataError`` naming the file: missing file or labels, count mismatch, negative
    ///   label or label outside the classes, NaN/∞ (with the example index), wrong example
    ///   shape, no examples.
    public static func load(data: String, labels: String?, exampleShape: [Int]?, classCount: Int?,
                            limit: Int? = nil) throws(DataError) -> LabeledDataset {
        let contents = try read(data)
        var x = try shapedInputs(contents.inputs, path: data, exampleShape: exampleShape)
        let labelArray: NDArray, labelsName: String
        if let labels {
            guard FileManager.default.fileExists(atPath: labels) else { throw DataError(.io, "labels file not found: \(labels)") }
            labelArray = try NPY.read(path: labels)
            labelsName = labels
        } else if let inside = contents.labels {
            labelArray = inside.array
            labelsName = "\(data): array '\(inside.key)'"
        } else {
            throw DataError(.shapeMismatch, "\(data): no labels; pass a labels .npy file or store them in the .npz under one of \(labelKeys.joined(separator: ", "))")
        }
        var y: [Int]
        do {
            y = try labelArray.toLabels()
        } catch {
            throw DataError(error.code, "\(labelsName): \(error.message)", underlying: error)
        }
        guard y.count == x.shape[0] else {
            throw DataError(.shapeMismatch, "\(labelsName): \(y.count) labels for \(x.shape[0]) inputs in \(data)")
        }
        if let bad = y.firstIndex(where: { $0 < 0 }) {
            throw DataError(.shapeMismatch, "\(labelsName): label \(y[bad]) of example \(bad) is negative")
        }
        let classes = classCount ?? ((y.max() ?? 0) + 1)
        if let bad = y.firstIndex(where: { $0 >= classes }) {
            throw DataError(.shapeMismatch, "\(labelsName): label \(y[bad]) outside 0..<\(classes) (example \(bad))")
        }
        if let limit, limit >= 0, limit < y.count {
            x = x.rows(0..<limit)
            y = Array(y[0..<limit])
        }
        return LabeledDataset(unchecked: x, labels: y, classCount: max(1, classes))
    }

    /// The inputs array of a `.npy` or `.npz` file and, for an `.npz`, its labels array if any.
    static func read(_ path: String) throws(DataError) -> (inputs: NDArray, labels: (key: String, array: NDArray)?) {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError(.io, "input file not found: \(path)") }
        guard path.lowercased().hasSuffix(".npz") else { return (try NPY.read(path: path), nil) }
        let arrays = try NPZ.read(path: path)
        let labels = labelKeys.lazy.compactMap { key in arrays[key].map { (key: key, array: $0) } }.first
        if let key = inputKeys.first(where: { arrays[$0] != nil }), let inputs = arrays[key] {
            return (inputs, labels)
        }
        if arrays.count == 1, let only = arrays.first {
            return (only.value, nil)
        }
        let keys = arrays.keys.sorted().prefix(8).joined(separator: ", ")
        throw DataError(.shapeMismatch, "\(path): no inputs array; expected one of \(inputKeys.joined(separator: ", ")) (archive holds: \(keys.isEmpty ? "nothing" : keys))")
    }

    /// The array as a tensor N × `exampleShape` (uint8 ÷ 255), finite, with N ≥ 1.
    static func shapedInputs(_ array: NDArray, path: String, exampleShape: [Int]?) throws(DataError) -> Tensor {
        var x: Tensor
        if case .uint8(let bytes) = array.storage {
            x = Tensor(shape: array.shape, unsafeUninitializedCapacity: { out in
                for i in 0..<bytes.count { out[i] = Float(bytes[i]) / 255 }
            })
        } else {
            do {
                x = try array.toTensor()
            } catch {
                throw DataError(error.code, "\(path): \(error.message)", underlying: error)
            }
        }
        if let exampleShape {
            let perExample = exampleShape.reduce(1, *)
            if x.rank == 2 && x.shape[1] == perExample && exampleShape.count > 1 { x = x.reshaped([x.shape[0]] + exampleShape) }
            if x.shape == exampleShape { x = x.reshaped([1] + exampleShape) }  // a single example
            guard Array(x.shape.dropFirst()) == exampleShape, x.rank >= 1 else {
                throw DataError(.shapeMismatch, "\(path): inputs have shape \(array.shape), the model expects N×\(exampleShape.map(String.init).joined(separator: "×"))")
            }
        } else {
            guard x.rank >= 2 else {
                throw DataError(.shapeMismatch, "\(path): inputs of shape \(array.shape) need a first axis of examples and at least one more")
            }
        }
        guard x.shape[0] > 0 else { throw DataError(.shapeMismatch, "\(path): no examples (empty dataset)") }
        if let bad = x.scalars.firstIndex(where: { !$0.isFinite }) {
            let per = max(1, x.count / x.shape[0])
            throw DataError(.malformed, "\(path): inputs contain NaN or infinity (example \(bad / per), value \(x.scalars[bad]))")
        }
        return x
    }
}
