public import BulwarkData
import BulwarkTensor
import Foundation

/// Labelled examples as the validation code sees them: N rows of `exampleShape` values, kept
/// exactly as stored — NaN, infinities and values outside any range included — so that a
/// profile can count corrupt records instead of refusing the file.
///
/// ``load(_:)`` reads `.npy`/`.npz` arrays itself (uint8 bytes divided by 255, as
/// ``ArrayFiles`` does, but without its finiteness check); image folders and CSV tables go
/// through ``Dataset/load(_:)`` (their decoders cannot produce NaN).
///
/// ```swift
/// let train = try ValidationExamples.load(.arrays(data: "x.npy", labels: "y.npy"))
/// print(train.count, train.exampleShape)   // 60000 [1, 28, 28]
/// ```
public struct ValidationExamples: Sendable {
    /// The values, row-major: example `i` is `values[i*exampleSize ..< (i+1)*exampleSize]`.
    public let values: [Float]
    /// The shape of one example (e.g. `[1, 28, 28]` or `[F]`).
    public let exampleShape: [Int]
    /// One label per example, each in `0..<classCount`.
    public let labels: [Int]
    /// The number of classes (the largest label + 1 unless given).
    public let classCount: Int

    /// The number of examples.
    public var count: Int { labels.count }
    /// The number of values in one example.
    public var exampleSize: Int { exampleShape.reduce(1, *) }

    /// Creates examples after checking counts and labels.
    /// - Throws: ``PoisoningError`` `.shapeMismatch` naming what disagrees.
    public init(values: [Float], exampleShape: [Int], labels: [Int], classCount: Int? = nil) throws(PoisoningError) {
        let size = exampleShape.reduce(1, *)
        guard !exampleShape.isEmpty, exampleShape.allSatisfy({ $0 > 0 }), size > 0 else {
            throw PoisoningError(.shapeMismatch, "example shape \(exampleShape) must have positive dimensions")
        }
        guard !labels.isEmpty, values.count == labels.count * size else {
            throw PoisoningError(.shapeMismatch, "\(values.count) values do not make \(labels.count) examples of shape \(exampleShape)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 }) {
            throw PoisoningError(.shapeMismatch, "label \(labels[bad]) of example \(bad) is negative")
        }
        let classes = classCount ?? ((labels.max() ?? 0) + 1)
        if let bad = labels.firstIndex(where: { $0 >= classes }) {
            throw PoisoningError(.shapeMismatch, "label \(labels[bad]) of example \(bad) is outside 0..<\(classes)")
        }
        self.values = values
        self.exampleShape = exampleShape
        self.labels = labels
        self.classCount = classes
    }

    /// The examples of a checked dataset.
    public init(_ dataset: LabeledDataset) {
        values = dataset.inputs.scalars
        exampleShape = dataset.exampleShape
        labels = dataset.labels
        classCount = dataset.classCount
    }

    /// The first `n` examples (all when `n >= count`; at least one).
    public func prefix(_ n: Int) -> ValidationExamples {
        let k = Swift.max(1, Swift.min(n, count))
        guard k < count else { return self }
        return ValidationExamples(unchecked: Array(values[0..<(k * exampleSize)]), exampleShape: exampleShape,
                                  labels: Array(labels[0..<k]), classCount: classCount)
    }

    private init(unchecked values: [Float], exampleShape: [Int], labels: [Int], classCount: Int) {
        self.values = values
        self.exampleShape = exampleShape
        self.labels = labels
        self.classCount = classCount
    }

    /// Reads `source` keeping non-finite values (arrays) or through the dataset loader (images, CSV).
    /// - Throws: ``PoisoningError``: `.io` for a missing or unreadable file, `.shapeMismatch`
    ///   for labels that do not fit the inputs; the message names the file.
    public static func load(_ source: Dataset) throws(PoisoningError) -> ValidationExamples {
        guard case .arrays(let data, let labelsPath) = source else {
            do {
                return ValidationExamples(try source.load(DatasetLoadOptions(standardise: .off)).examples)
            } catch {
                throw PoisoningError(error.code == .io ? .io : .shapeMismatch, error.message, underlying: error)
            }
        }
        do {
            var inputs: NDArray
            var inside: (key: String, array: NDArray)?
            guard FileManager.default.fileExists(atPath: data) else { throw PoisoningError(.io, "input file not found: \(data)") }
            if data.lowercased().hasSuffix(".npz") {
                let arrays = try NPZ.read(path: data)
                guard let key = ArrayFiles.inputKeys.first(where: { arrays[$0] != nil }) ?? (arrays.count == 1 ? arrays.keys.first : nil),
                      let found = arrays[key] else {
                    throw PoisoningError(.shapeMismatch, "\(data): no inputs array; expected one of \(ArrayFiles.inputKeys.joined(separator: ", "))")
                }
                inputs = found
                inside = ArrayFiles.labelKeys.lazy.compactMap { k in arrays[k].map { (key: k, array: $0) } }.first
            } else {
                inputs = try NPY.read(path: data)
            }
            let labelArray: NDArray
            let labelName: String
            if let labelsPath {
                guard FileManager.default.fileExists(atPath: labelsPath) else { throw PoisoningError(.io, "labels file not found: \(labelsPath)") }
                labelArray = try NPY.read(path: labelsPath)
                labelName = labelsPath
            } else if let inside {
                labelArray = inside.array
                labelName = "\(data): array '\(inside.key)'"
            } else {
                throw PoisoningError(.shapeMismatch, "\(data): no labels; pass a labels .npy file or store them in the .npz")
            }
            guard inputs.shape.count >= 2, inputs.shape[0] > 0 else {
                throw PoisoningError(.shapeMismatch, "\(data): inputs of shape \(inputs.shape) need a first axis of examples and at least one more")
            }
            let labels: [Int]
            do { labels = try labelArray.toLabels() } catch {
                throw PoisoningError(.shapeMismatch, "\(labelName): \(error.message)", underlying: error)
            }
            guard labels.count == inputs.shape[0] else {
                throw PoisoningError(.shapeMismatch, "\(labelName): \(labels.count) labels for \(inputs.shape[0]) inputs in \(data)")
            }
            let values: [Float]
            if case .uint8(let bytes) = inputs.storage {
                values = [Float](unsafeUninitializedCapacity: bytes.count) { out, initialized in
                    bytes.withUnsafeBufferPointer { b in
                        var k = 0
                        while k < b.count {
                            out[k] = Float(b[k]) / 255
                            k += 1
                        }
                    }
                    initialized = bytes.count
                }
            } else {
                values = try inputs.toTensor().scalars
            }
            do {
                return try ValidationExamples(values: values, exampleShape: Array(inputs.shape.dropFirst()), labels: labels)
            } catch {
                throw PoisoningError(error.code, "\(labelName): \(error.message)")
            }
        } catch let error as DataError {
            throw PoisoningError(error.code == .io ? .io : .shapeMismatch, error.message, underlying: error)
        } catch let error as PoisoningError {
            throw error
        } catch {
            throw PoisoningError(.io, "\(data): \(error)", underlying: error)
        }
    }
}
