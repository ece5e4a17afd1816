public import BulwarkData
public import BulwarkModels
import Foundation

/// The training and test examples of a training run, with what loading learned.
public struct TrainingData: Sendable {
    /// The training split.
    public var training: LabeledDataset
    /// The test split.
    public var test: LabeledDataset
    /// CSV only: fitted on the training split, applied to both.
    public var standardisation: FeatureStandardisation?
    /// The source, for the model's provenance.
    public var description: String
    /// The class count the model gets (nil: from the labels).
    public var classCount: Int?

    /// The standardisation as the JSON text stored in the model's metadata (`bulwark.standardisation`).
    /// - Throws: ``AssessmentError`` when it cannot be encoded.
    public func standardisationJSON() throws(AssessmentError) -> String? {
        guard let standardisation else { return nil }
        do { return String(decoding: try standardisation.jsonBytes(), as: UTF8.self) } catch {
            throw AssessmentError(error.description, underlying: error)
        }
    }
}

/// Where a training run's examples come from and how they are split: Fashion-MNIST (its own
/// training and test splits) or the user's data (a separate test set, or a test fraction drawn
/// from the seed), the options of `train` and `defend train`.
///
/// ```swift
/// let plan = TrainingDataPlan(source: .csv(path: "t.csv", labelColumn: "y"), testFraction: 0.2, seed: 0)
/// let prepared = try plan.prepare(try TrainingStart("tabular"))
/// print(prepared.data.training.count, prepared.data.test.count)
/// ```
public struct TrainingDataPlan: Sendable {
    /// The user's data; nil: Fashion-MNIST.
    public var source: Dataset?
    /// Where Fashion-MNIST's IDX files are.
    public var fashionMNISTDirectory: String
    /// With arrays: a separate test set instead of ``testFraction``.
    public var testSet: Dataset?
    /// The fraction of the user's data held out as the test split, in (0, 1).
    public var testFraction: Double
    /// Seed of the test split's permutation.
    public var seed: UInt64
    /// Use only the first `limit` training examples.
    public var limit: Int?

    /// A plan; Fashion-MNIST when `source` is nil.
    public init(source: Dataset?, fashionMNISTDirectory: String = FashionMNIST.defaultDirectory, testSet: Dataset? = nil,
                testFraction: Double = 0.2, seed: UInt64 = 0, limit: Int? = nil) {
        self.source = source
        self.fashionMNISTDirectory = fashionMNISTDirectory
        self.testSet = testSet
        self.testFraction = testFraction
        self.seed = seed
        self.limit = limit
    }

    /// The training and test splits for a model taking `exampleShape` and `classCount` (nil:
    /// the data's own), named `modelName` in messages. Fashion-MNIST: its training split (first
    /// ``limit``) and its whole test split. Own data: ``testSet``, or a ``testFraction`` test split
    /// drawn from ``seed``, then the first ``limit`` of the rest; CSV features standardised with
    /// statistics of the training split when `standardise` (zoo models), raw otherwise (ONNX
    /// models see what they were built for); other inputs must lie in [0, 1].
    /// - Throws: ``AssessmentError``: the data's errors, a shape or class mismatch, a split that
    ///   leaves a side empty.
    public func load(exampleShape: [Int]?, classCount: Int?, standardise: Bool, modelName: String) throws(AssessmentError) -> TrainingData {
        do {
            return try loadUnwrapped(exampleShape: exampleShape, classCount: classCount, standardise: standardise, modelName: modelName)
        } catch let error as AssessmentError {
            throw error
        } catch {
            throw AssessmentError("\(error)", underlying: error)
        }
    }

    private func loadUnwrapped(exampleShape: [Int]?, classCount: Int?, standardise: Bool, modelName: String) throws -> TrainingData {
        guard let own = source else {
            let training = try FashionMNIST.load(.train, directory: fashionMNISTDirectory, limit: limit)
            let test = try FashionMNIST.load(.test, directory: fashionMNISTDirectory)
            if let exampleShape, exampleShape != training.exampleShape || (classCount ?? 10) != 10 {
                throw AssessmentError(.invalidConfiguration, "--model \(modelName) takes \(exampleShape.map(String.init).joined(separator: "×")) inputs and \(classCount ?? 10) classes; Fashion-MNIST has 1×28×28 and 10")
            }
            return TrainingData(training: training, test: test, standardisation: nil, description: "fashion-mnist", classCount: classCount)
        }
        let all = try own.load(DatasetLoadOptions(exampleShape: exampleShape, classCount: classCount, standardise: .off)).examples
        var (training, test) = all.split(testFraction: testFraction, seed: seed)
        if let testSet {
            training = all
            test = try testSet.load(DatasetLoadOptions(exampleShape: all.exampleShape, classCount: classCount)).examples
            if test.classCount > all.classCount, classCount == nil {
                throw AssessmentError(.invalidConfiguration, "\(testSet.path): labels up to \(test.classCount - 1), the training data has \(all.classCount) classes")
            }
            try ArrayFiles.checkRange(test.inputs, 0...1, path: testSet.path)
        }
        guard training.count > 0, test.count > 0 else {
            throw AssessmentError(.invalidConfiguration, "\(own.path): \(all.count) example(s) cannot be split by --test-fraction \(testFraction) into non-empty training and test sets")
        }
        if let limit { training = training.prefix(limit) }
        if !own.isCSV { try ArrayFiles.checkRange(all.inputs, 0...1, path: own.path) }
        var standardisation: FeatureStandardisation?
        if own.isCSV, standardise {
            let fitted = try FeatureStandardisation.fit(training.inputs)
            training = try LabeledDataset(inputs: try fitted.apply(to: training.inputs, label: own.path), labels: training.labels,
                                          classCount: training.classCount)
            test = try LabeledDataset(inputs: try fitted.apply(to: test.inputs, label: own.path), labels: test.labels, classCount: test.classCount)
            standardisation = fitted
        }
        return TrainingData(training: training, test: test, standardisation: standardisation, description: own.description,
                            classCount: classCount ?? all.classCount)
    }

    /// What a training run starts with: the start, the imported ONNX model when fine-tuning,
    /// and the data.
    public struct Prepared {
        /// What training starts from.
        public var start: TrainingStart
        /// The imported model (``TrainingStart/onnx(path:)`` only).
        public var onnx: ONNXModel?
        /// The training and test splits.
        public var data: TrainingData

        /// A start with its data (`onnx` only for an ONNX start).
        public init(start: TrainingStart, onnx: ONNXModel?, data: TrainingData) {
            self.start = start
            self.onnx = onnx
            self.data = data
        }
    }

    /// Loads the model and data: a zoo architecture sized from the data (mlp and cnn take
    /// 1×28×28), or the ONNX model with the data checked against its input shape and classes.
    /// - Throws: ``AssessmentError``: an unreadable ONNX model (naming `--model`), or ``load(exampleShape:classCount:standardise:modelName:)``'s errors.
    public func prepare(_ start: TrainingStart) throws(AssessmentError) -> Prepared {
        switch start {
        case .zoo(let arch):
            let shape = arch.isSizedFromData ? nil : ZooArchitecture.defaultExampleShape
            return Prepared(start: start, onnx: nil, data: try load(exampleShape: shape, classCount: nil, standardise: true, modelName: arch.rawValue))
        case .onnx(let path):
            let imported: ONNXModel
            do { imported = try ONNXModel(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw AssessmentError("--model \(path): \(error.message)", underlying: error)
            }
            return Prepared(start: start, onnx: imported,
                            data: try load(exampleShape: imported.inputShape, classCount: imported.classCount, standardise: false, modelName: path))
        }
    }
}
