import ArgumentParser
import Foundation
import BulwarkAssessment
import BulwarkModels

/// `bulwark export`: a zoo model's safetensors weights as an ONNX file.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a zoo model (safetensors weights) or a fine-tuned ONNX model as ONNX that onnxruntime runs with the same outputs."
    )

    @Option(help: "The safetensors weights file, or an ONNX model (e.g. one fine-tuned by train/defend train), rewritten as is.")
    var model: String

    @Option(help: "Architecture: \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: "|")) (default: from the file's metadata).")
    var arch: ZooArchitecture?

    @Option(help: "Where to write the .onnx file.")
    var out: String

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    /// What `--json` prints.
    struct Result: Codable {
        var out: String
        var opset: Int
        var parameters: Int
    }

    func run() throws {
        try refuseOverwrite(out, inputs: [model], role: "--out")
        let parameters: Int, opset: Int
        if ModelExamples.format(ofFile: model) == .onnx {
            let imported = try ONNXModel(contentsOf: URL(fileURLWithPath: model))
            try ONNXExporter.write(imported, to: URL(fileURLWithPath: out))
            (parameters, opset) = (imported.summary.parameterCount, imported.summary.opsetVersion)
        } else {
            let loaded = try ModelFile.load(path: model, architecture: arch).model
            try ONNXExporter.write(loaded, to: URL(fileURLWithPath: out))
            (parameters, opset) = (loaded.parameterCount, 17)
        }
        if json {
            try printJSON(Result(out: out, opset: opset, parameters: parameters))
        } else {
            print("wrote \(out) (opset \(opset), \(parameters) parameters)")
        }
    }
}
