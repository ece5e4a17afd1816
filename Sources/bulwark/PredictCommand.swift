import ArgumentParser
import BulwarkArchive
import BulwarkData
import BulwarkModels
import BulwarkTensor
import Foundation

/// `bulwark predict`: logits of a model for a batch of inputs.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Compute a model's logits (safetensors zoo model or ONNX) for a batch stored as .npy.",
        discussion: """
        Inputs are float32 or float64, shaped N×1×28×28 or N×784 for the zoo models. \
        The logits (N×classes, float32) are written as .npy.

        Example:
          bulwark predict --model cnn.safetensors --data x.npy --out logits.npy
        """
    )

    @Option(help: "Model file: .safetensors written by bulwark train, or an ONNX model.")
    var model: String

    @Option(help: "Architecture when the file does not record it: \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: "|")).")
    var arch: ZooArchitecture?

    @Option(name: [.customLong("data"), .customLong("input")], help: "Input batch (.npy). (--input is the older name.)")
    var data: String

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
    }

    func run() throws {
        try refuseOverwrite(out, inputs: [model, data], role: "--out")
        configureNumerics()
        let classifier = try ModelLoader.classifier(path: model, architecture: arch)
        let x = try ArrayFiles.inputs(path: data, exampleShape: classifier.inputShape)
        var logits: [Tensor] = []
        let n = x.shape[0]
        for start in stride(from: 0, to: n, by: 256) {
            logits.append(classifier.logits(x.rows(start..<min(n, start + 256))))
        }
        let y = n == 0 ? Tensor.zeros([0, classifier.classCount]) : Tensor.concatenateRows(logits)
        try NPY.write(NDArray(y), path: out)
        if json {
            let k = classifier.classCount
            let predictions = (0..<n).map { i in (0..<k).max { y.scalars[i * k + $0] < y.scalars[i * k + $1] } ?? 0 }
            try printJSON(Result(out: out, examples: n, classes: k, predictions: predictions))
        } else {
            Terminal.note("wrote \(out): logits \(y.shape)")
        }
    }
}
