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

    func run() throws {
        try refuseOverwrite(out, inputs: [model], role: "--out")
        let written = try ModelExport.write(model: model, architecture: arch, to: out)
        if json { return try printJSON(written) }
        print("wrote \(out) (opset \(written.opset), \(written.parameters) parameters)")
    }
}
