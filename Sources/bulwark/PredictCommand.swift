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
          bulwark predict --model cnn.safetensors --input x.npy --output logits.npy
        """
    )

    @Option(help: "Model file: .safetensors written by bulwark train, or an ONNX model.")
    var model: String

    @Option(help: "Architecture when the file does not record it: \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: "|")).")
    var arch: ZooArchitecture?

    @Option(help: "Input batch (.npy).")
    var input: String

    @Option(help: "Where to write the logits (.npy).")
    var output: String

    func validate() throws {
        guard output.hasSuffix(".npy") else { throw ValidationError("--output must name a .npy file") }
    }

    func run() throws {
        try refuseOverwrite(output, inputs: [model, input], role: "--output")
        configureNumerics()
        let classifier = try ModelLoader.classifier(path: model, architecture: arch)
        let x = try ArrayFiles.inputs(path: input, exampleShape: classifier.inputShape)
        var logits: [Tensor] = []
        let n = x.shape[0]
        for start in stride(from: 0, to: n, by: 256) {
            logits.append(classifier.logits(x.rows(start..<min(n, start + 256))))
        }
        let y = n == 0 ? Tensor.zeros([0, classifier.classCount]) : Tensor.concatenateRows(logits)
        try NPY.write(NDArray(y), path: output)
        Terminal.note("wrote \(output): logits \(y.shape)")
    }
}
