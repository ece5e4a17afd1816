import BulwarkTensor

/// Where a labelled dataset comes from: the built-in Fashion-MNIST or the user's own files.
///
/// One value describes the source (it is `Codable`, so a report or a model's metadata can
/// record it); ``load(_:)`` reads it, checks it before any work is done and returns a
/// ``LabeledDataset`` together with what loading learned (class names, CSV standardisation).
///
/// | case | inputs | labels |
/// | --- | --- | --- |
/// | ``fashionMNIST(split:directory:)`` | N×1×28×28 in [0, 1] | 0…9 |
/// | ``arrays(data:labels:)`` | `.npy` or `.npz` (rules on ``ArrayFiles``) | `.npy`, or inside the `.npz` |
/// | ``imageFolder(path:size:channels:)`` | N×C×H×W in [0, 1] (rules on ``ImageFolder``) | sorted sub-folder names |
/// | ``csv(path:labelColumn:)`` | N×F, standardised (rules on ``CSVDataset``) | the named column |
///
/// ```swift
/// let source = Dataset.csv(path: "train.csv", labelColumn: "diagnosis")
/// let train = try source.load()                     // fits the standardisation
/// let test = try Dataset.csv(path: "test.csv", labelColumn: "diagnosis")
///     .load(DatasetLoadOptions(classNames: train.classNames, standardise: .apply(train.standardisation!)))
/// ```
public enum Dataset: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Fashion-MNIST's training or test split from the IDX files in `directory`.
    case fashionMNIST(split: FashionMNIST.Split, directory: String = FashionMNIST.defaultDirectory)
    /// Inputs in a `.npy`/`.npz` file, labels in a `.npy` file or (nil) inside the `.npz`.
    case arrays(data: String, labels: String? = nil)
    /// One sub-folder of PNG/JPEG images per class, optionally resized to `size` and
    /// converted to `channels` (1 or 3).
    case imageFolder(path: String, size: ImageFolder.Size? = nil, channels: Int? = nil)
    /// A CSV table with a header row; `labelColumn` names the label column, the others are features.
    case csv(path: String, labelColumn: String)

    /// One line naming the source, e.g. `CSV table train.csv (label column 'diagnosis')`.
    public var description: String {
        switch self {
        case .fashionMNIST(let split, let directory):
            "Fashion-MNIST \(split.rawValue) split (\(directory))"
        case .arrays(let data, let labels):
            labels.map { "arrays \(data) with labels \($0)" } ?? "arrays \(data) (labels inside)"
        case .imageFolder(let path, let size, let channels):
            "image folder \(path)" + (size.map { ", resized to \($0)" } ?? "") + (channels.map { ", \($0) channel(s)" } ?? "")
        case .csv(let path, let labelColumn):
            "CSV table \(path) (label column '\(labelColumn)')"
        }
    }

    /// The file or folder the data comes from, for messages.
    public var path: String {
        switch self {
        case .fashionMNIST(_, let directory): directory
        case .arrays(let data, _): data
        case .imageFolder(let path, _, _): path
        case .csv(let path, _): path
        }
    }

    /// Reads, checks and converts the dataset.
    ///
    /// Checks, each a one-line ``DataError`` naming the file: missing files; NaN or infinite
    /// inputs (with the example index); negative labels or labels outside the classes; input
    /// and label counts that differ; no examples; examples not of `options.exampleShape`
    /// (for a table: a feature count that is not the shape's size).
    public func load(_ options: DatasetLoadOptions = DatasetLoadOptions()) throws(DataError) -> LoadedDataset {
        var classNames: [String]? = nil
        var standardisation: FeatureStandardisation? = nil
        var examples: LabeledDataset
        switch self {
        case .fashionMNIST(let split, let directory):
            examples = try FashionMNIST.load(split, directory: directory, limit: options.limit)
            classNames = FashionMNIST.classNames
        case .arrays(let data, let labels):
            examples = try ArrayFiles.load(data: data, labels: labels, exampleShape: options.exampleShape,
                                           classCount: options.classCount, limit: options.limit)
            classNames = options.classNames
        case .imageFolder(let path, let size, let channels):
            let folder = try ImageFolder.load(path: path, size: size, channels: channels, classNames: options.classNames,
                                              limits: options.imageLimits)
            examples = folder.dataset
            classNames = folder.classNames
        case .csv(let path, let labelColumn):
            let table = try CSVDataset.load(path: path, labelColumn: labelColumn, classNames: options.classNames,
                                            classCount: options.classCount, featureCount: options.exampleShape.map { $0.reduce(1, *) })
            examples = table.dataset
            classNames = table.classNames
            switch options.standardise {
            case .off:
                break
            case .fit:
                standardisation = try FeatureStandardisation.fit(examples.inputs, featureNames: table.featureNames)
            case .apply(let given):
                standardisation = given
            }
            if let standardisation {
                let scaled = try standardisation.apply(to: examples.inputs, label: path)
                examples = LabeledDataset(unchecked: scaled, labels: examples.labels, classCount: examples.classCount)
            }
        }
        if let limit = options.limit { examples = examples.prefix(limit) }
        guard examples.count > 0 else { throw DataError(.shapeMismatch, "\(path): no examples (empty dataset)") }
        if let shape = options.exampleShape, examples.exampleShape != shape {
            let have = examples.exampleShape.map(String.init).joined(separator: "×")
            let want = shape.map(String.init).joined(separator: "×")
            throw DataError(.shapeMismatch, "\(path): examples are \(have), the model expects \(want)")
        }
        if let classCount = options.classCount, examples.classCount != classCount {
            throw DataError(.shapeMismatch, "\(path): \(examples.classCount) classes, the model expects \(classCount)")
        }
        return LoadedDataset(source: self, examples: examples, classNames: classNames, standardisation: standardisation)
    }
}

extension FashionMNIST.Split: Codable {}

/// What ``Dataset/load(_:)`` checks the data against, and how it treats it.
public struct DatasetLoadOptions: Sendable {
    /// How a CSV table's features are standardised.
    public enum Standardise: Sendable, Equatable {
        /// Keep the raw feature values.
        case off
        /// Compute the statistics on this table (training data) and apply them.
        case fit
        /// Apply statistics computed earlier (evaluation and prediction data).
        case apply(FeatureStandardisation)
    }

    /// The shape one example must have (the model's input shape, e.g. `[1, 28, 28]`; for a
    /// table `[F]`); nil to accept the data's own.
    public var exampleShape: [Int]?
    /// The number of classes the labels must fit (the model's output count); nil to infer it.
    public var classCount: Int?
    /// The class names, by index, that image folders and CSV name labels must come from
    /// (those learned when loading the training data); nil to take the data's own.
    public var classNames: [String]?
    /// CSV only: how features are standardised. Default: ``Standardise/fit``.
    public var standardise: Standardise
    /// Keep only the first `limit` examples.
    public var limit: Int?
    /// Image folders only: size limits.
    public var imageLimits: ImageFolder.Limits

    /// Creates options; every check is off unless given.
    public init(exampleShape: [Int]? = nil, classCount: Int? = nil, classNames: [String]? = nil,
                standardise: Standardise = .fit, limit: Int? = nil, imageLimits: ImageFolder.Limits = ImageFolder.Limits()) {
        self.exampleShape = exampleShape
        self.classCount = classCount
        self.classNames = classNames
        self.standardise = standardise
        self.limit = limit
        self.imageLimits = imageLimits
    }
}

/// A dataset as loaded by ``Dataset/load(_:)``, with what loading learned.
public struct LoadedDataset: Sendable {
    /// Where it came from.
    public let source: Dataset
    /// The checked examples.
    public let examples: LabeledDataset
    /// The class names by label, when known (Fashion-MNIST, image folders, CSV name labels,
    /// or the names passed in the options).
    public let classNames: [String]?
    /// CSV only: the standardisation applied to the inputs (fitted or given); store it with a
    /// model trained on these examples and pass it back as ``DatasetLoadOptions/Standardise/apply(_:)``.
    public let standardisation: FeatureStandardisation?
}
