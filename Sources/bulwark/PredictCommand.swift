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
    var arch: String?

    @Option(help: "Input batch (.npy).")
    var input: String

    @Option(help: "Where to write the logits (.npy).")
    var output: String

    func validate() throws {
        if let arch, ZooArchitecture(rawValue: arch) == nil {
            throw ValidationError("unknown architecture '\(arch)' (supported: \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard output.hasSuffix(".npy") else { throw ValidationError("--output must name a .npy file") }
    }

    func run() throws {
        try refuseOverwrite(output, inputs: [model, input], role: "--output")
        configureNumerics()
        let classifier = try loadClassifier(path: model, architecture: arch.flatMap(ZooArchitecture.init(rawValue:)))
        let x = try loadInputs(path: input, for: classifier)
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

/// Loads a classifier from a model file, recognised by content: safetensors (an 8-byte length
/// followed by a JSON header) or else ONNX.
func loadClassifier(path: String, architecture: ZooArchitecture?) throws -> any DifferentiableClassifier {
    guard FileManager.default.fileExists(atPath: path) else { throw CLIError("model file not found: \(path)") }
    if let kind = FileChecks.nonRegularKind(path) { throw CLIError("model file '\(path)' is not a regular file (\(kind))") }
    guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError("cannot read model file \(path)") }
    let head = [UInt8]((try? handle.read(upToCount: 9)) ?? Data())
    try? handle.close()
    if head.count == 9 && head[8] == UInt8(ascii: "{") || path.hasSuffix(".safetensors") {
        return try ModelFile.load(path: path, architecture: architecture).model
    }
    return try loadONNXClassifier(URL(fileURLWithPath: path))
}

/// Reads an input batch and checks its shape against the model (N×784 is reshaped to N×1×28×28).
func loadInputs(path: String, for model: any DifferentiableClassifier) throws -> Tensor {
    guard FileManager.default.fileExists(atPath: path) else { throw CLIError("input file not found: \(path)") }
    let array = try NPY.read(path: path)
    var x = try array.toTensor()
    let example = model.inputShape
    let perExample = example.reduce(1, *)
    if x.rank == 2 && x.shape[1] == perExample { x = x.reshaped([x.shape[0]] + example) }
    if x.shape == example { x = x.reshaped([1] + example) }  // a single example
    guard Array(x.shape.dropFirst()) == example else {
        throw CLIError("\(path): inputs have shape \(array.shape), the model expects N×\(example.map(String.init).joined(separator: "×"))")
    }
    guard x.scalars.allSatisfy(\.isFinite) else { throw CLIError("\(path): inputs contain NaN or infinity") }
    return x
}

/// Inputs and their integer labels for `model` from two .npy files, checked — the labels file
/// exists, holds one label per input and each label is a class of the model — and cut to the
/// first `limit` examples.
func loadLabelledExamples(data: String, labels: String, for model: any DifferentiableClassifier,
                          limit: Int?) throws -> (Tensor, [Int]) {
    var x = try loadInputs(path: data, for: model)
    guard FileManager.default.fileExists(atPath: labels) else { throw CLIError("labels file not found: \(labels)") }
    var y = try NPY.read(path: labels).toLabels()
    guard y.count == x.shape[0] else { throw CLIError("\(labels): \(y.count) labels for \(x.shape[0]) inputs in \(data)") }
    if let bad = y.first(where: { $0 < 0 || $0 >= model.classCount }) {
        throw CLIError("\(labels): label \(bad) outside 0..<\(model.classCount)")
    }
    if let limit, limit < y.count {
        x = x.rows(0..<limit)
        y = Array(y[0..<limit])
    }
    return (x, y)
}
