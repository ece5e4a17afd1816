import BulwarkTensor

/// A labelled table read from a CSV file (RFC 4180, see ``CSV``): the first record is a header
/// of column names; one named column holds the labels and every other column is a numeric
/// feature, so the inputs are N×F with F = columns − 1, in header order.
///
/// Labels: when every cell of the label column is an integer (`0`, `7`, ` 2 `), the integers
/// are the classes and the class count is the largest label + 1 (or the count given). Otherwise
/// the cells are class *names*, mapped to their index among the sorted distinct names (byte
/// order, so `"benign" → 0, "malignant" → 1`), or among `classNames` when given (as when test
/// rows must use the training table's classes).
///
/// Feature cells are parsed as decimal numbers after trimming spaces; an empty or
/// non-numeric cell, NaN or infinity is an error naming the line and column.
///
/// ```swift
/// let table = try CSVDataset.load(path: "train.csv", labelColumn: "diagnosis")
/// print(table.dataset.inputs.shape, table.classNames ?? [])   // [569, 30] ["benign", "malignant"]
/// ```
public enum CSVDataset {
    /// The largest CSV file read by default: 1 GiB.
    public static let defaultMaxBytes = 1 << 30

    /// What loading a table produced.
    public struct Table: Sendable {
        /// The examples, inputs N×F (not standardised) and labels.
        public let dataset: LabeledDataset
        /// The feature column names, in order.
        public let featureNames: [String]
        /// The class names when the labels were names; nil for integer labels.
        public let classNames: [String]?
    }

    /// Reads and checks the table at `path`.
    /// - Parameters:
    ///   - labelColumn: the header name of the label column.
    ///   - classNames: the classes string labels must come from (index = position); nil to
    ///     take the sorted distinct names of this file.
    ///   - classCount: the number of classes for integer labels; nil for largest label + 1.
    ///   - featureCount: the number of feature columns expected (the model's input size).
    ///   - maxBytes: the largest file accepted.
    /// - Throws: ``DataError``, one line naming the file and, for a bad cell, its line and column.
    public static func load(path: String, labelColumn: String, classNames: [String]? = nil, classCount: Int? = nil,
                            featureCount: Int? = nil, maxBytes: Int = defaultMaxBytes) throws(DataError) -> Table {
        let bytes = try FileIO.read(path, maxBytes: maxBytes)
        return try decode(bytes, label: path, labelColumn: labelColumn, classNames: classNames, classCount: classCount,
                          featureCount: featureCount)
    }

    /// Checks and converts the bytes of a CSV file; see ``load(path:labelColumn:classNames:classCount:featureCount:maxBytes:)``.
    /// - Parameter label: names the file in error messages.
    public static func decode(_ bytes: [UInt8], label: String, labelColumn: String, classNames: [String]? = nil,
                              classCount: Int? = nil, featureCount: Int? = nil) throws(DataError) -> Table {
        let table = try CSV.parse(bytes, label: label)
        guard let header = table.records.first else {
            throw DataError(.shapeMismatch, "\(label): empty file, expected a header row of column names")
        }
        let names = header.map { $0.trimmingSpaces }
        guard let labelIndex = names.firstIndex(of: labelColumn) else {
            let shown = names.prefix(8).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 8 ? ", …" : "")
            throw DataError(.shapeMismatch, "\(label): no column named '\(labelColumn)' in the header (columns: \(shown))")
        }
        let featureNames = names.enumerated().filter { $0.offset != labelIndex }.map(\.element)
        let f = featureNames.count
        if let featureCount, featureCount != f {
            throw DataError(.shapeMismatch, "\(label): \(f) feature columns (besides '\(labelColumn)'), the model expects \(featureCount)")
        }
        guard f >= 1 else { throw DataError(.shapeMismatch, "\(label): no feature columns besides '\(labelColumn)'") }
        let n = table.records.count - 1
        guard n >= 1 else { throw DataError(.shapeMismatch, "\(label): no data rows after the header (empty dataset)") }

        var features = [Float](repeating: 0, count: n * f)
        var labelCells: [String] = []
        labelCells.reserveCapacity(n)
        for r in 0..<n {
            let record = table.records[r + 1], line = table.lines[r + 1]
            guard record.count == names.count else {
                throw DataError(.shapeMismatch, "\(label): line \(line) has \(record.count) fields, the header has \(names.count)")
            }
            var c = 0
            for (column, cell) in record.enumerated() {
                if column == labelIndex {
                    labelCells.append(cell.trimmingSpaces)
                    continue
                }
                let text = cell.trimmingSpaces
                guard let value = Double(text) else {
                    let shown = text.isEmpty ? "an empty cell" : "'\(text.prefix(40))'"
                    throw DataError(.malformed, "\(label): line \(line), column \(column + 1) ('\(names[column])'): \(shown) is not a number")
                }
                guard value.isFinite, Float(value).isFinite else {
                    throw DataError(.malformed, "\(label): line \(line), column \(column + 1) ('\(names[column])'): \(text) (NaN or infinite) in example \(r)")
                }
                features[r * f + c] = Float(value)
                c += 1
            }
        }

        let labels: [Int], classes: Int, foundNames: [String]?
        let integers = labelCells.compactMap { Int($0) }
        if integers.count == n && classNames == nil {
            if let bad = integers.firstIndex(where: { $0 < 0 }) {
                throw DataError(.shapeMismatch, "\(label): line \(table.lines[bad + 1]): label \(integers[bad]) is negative")
            }
            let count = classCount ?? ((integers.max() ?? 0) + 1)
            if let bad = integers.firstIndex(where: { $0 >= count }) {
                throw DataError(.shapeMismatch, "\(label): line \(table.lines[bad + 1]): label \(integers[bad]) outside 0..<\(count)")
            }
            (labels, classes, foundNames) = (integers, count, nil)
        } else {
            let known = classNames ?? Array(Set(labelCells)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            var index: [String: Int] = [:]
            for (i, name) in known.enumerated() where index[name] == nil { index[name] = i }
            var mapped: [Int] = []
            mapped.reserveCapacity(n)
            for (r, cell) in labelCells.enumerated() {
                guard let k = index[cell] else {
                    let shown = cell.isEmpty ? "an empty label" : "label '\(cell.prefix(40))'"
                    throw DataError(.shapeMismatch, "\(label): line \(table.lines[r + 1]): \(shown) is not one of the \(known.count) classes")
                }
                mapped.append(k)
            }
            if let classCount, classCount != known.count {
                throw DataError(.shapeMismatch, "\(label): \(known.count) class names in '\(labelColumn)', the model expects \(classCount) classes")
            }
            (labels, classes, foundNames) = (mapped, known.count, known)
        }
        let inputs = Tensor(shape: [n, f], unsafeUninitializedCapacity: { out in
            for i in 0..<(n * f) { out[i] = features[i] }
        })
        let dataset = try LabeledDataset(inputs: inputs, labels: labels, classCount: max(1, classes))
        return Table(dataset: dataset, featureNames: featureNames, classNames: foundNames)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let utf8 = Array(self.utf8)
        var start = 0, end = utf8.count
        while start < end && (utf8[start] == 0x20 || utf8[start] == 0x09) { start += 1 }
        while end > start && (utf8[end - 1] == 0x20 || utf8[end - 1] == 0x09) { end -= 1 }
        return start == 0 && end == utf8.count ? self : String(decoding: utf8[start..<end], as: UTF8.self)
    }
}
