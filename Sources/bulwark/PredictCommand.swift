import ArgumentParser
import BulwarkAssessment
import BulwarkArchive
import BulwarkData
import BulwarkModels
import BulwarkTensor
import Foundation

/// `bulwark predict`: logits of a model for a batch of inputs.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Compute a model's logits (safetensors zoo model or ONNX) for a batch: .npy/.npz, an image folder or a CSV table.",
        discussion: """
        Inputs are float32, float64 or uint8 (÷255), shaped like the model's input (N×1×28×28 or \
        N×784 for mlp/cnn); image folders and CSV tables are read as by train (CSV features are \
        standardised with the statistics stored in the model). The logits (N×classes, float32) \
        are written as .npy.

        Example:
          bulwark predict --model cnn.safetensors --data x.npy --out logits.npy
        """
    )

    @Option(help: "Model file: .safetensors written by bulwark train, or an ONNX model.")
    var model: String

    @Option(help: "Architecture when the file does not record it: \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: "|")).")
    var arch: ZooArchitecture?

    @OptionGroup(title: "Inputs (labels, when present, are read and ignored)") var source: DataSourceOptions

    @Option(name: .customLong("input"), help: .hidden)
    var legacyInput: String?

    @Option(name: [.customLong("out"), .customLong("output")], help: "Where to write the logits (.npy). (--output is the older name.)")
    var out: String

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    /// What `--json` prints.
    struct Result: Codable {
        var out: String
        var examples: Int
        var classes: Int
        var predictions: [Int]
    }

    func validate() throws {
        guard out.hasSuffix(".npy") else { throw ValidationError("--out must name a .npy file") }
        if legacyInput != nil, source.isGiven { throw ValidationError("--input is the older name of --data; give one data source") }
        guard legacyInput != nil || source.isGiven else {
            throw ValidationError("give the inputs: --data X.npy|X.npz, --image-folder DIR, or --csv FILE --label-column NAME")
        }
    }

    /// The inputs for `classifier` (loaded from `--model`): arrays as given, image folders
    /// resized as asked, CSV features standardised as recorded in the model file.
    func inputs(for classifier: any DifferentiableClassifier) throws -> Tensor {
        if let path = legacyInput ?? source.data { return try ArrayFiles.inputs(path: path, exampleShape: classifier.inputShape) }
        return try source.load(for: classifier, modelPath: model, limit: nil).inputs
    }

    func run() throws {
        try refuseOverwrite(out, inputs: [model, legacyInput] + source.paths, role: "--out")
        configureNumerics()
        let classifier = try ModelLoader.classifier(path: model, architecture: arch)
        let x = try inputs(for: classifier)
        let prediction = Prediction(classifier, inputs: x)
        let (n, y) = (x.shape[0], prediction.logits)
        try NPY.write(NDArray(y), path: out)
        if json {
            try printJSON(Result(out: out, examples: n, classes: classifier.classCount, predictions: prediction.classes))
        } else {
            Terminal.note("wrote \(out): logits \(y.shape)")
        }
    }
}
