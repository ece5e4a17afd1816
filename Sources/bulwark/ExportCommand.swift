import ArgumentParser
import Foundation
import BulwarkModels

/// `bulwark export`: a zoo model's safetensors weights as an ONNX file.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a zoo model (safetensors weights) as ONNX that onnxruntime runs with the same outputs."
    )

    @Option(help: "The safetensors weights file.")
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
        let loaded = try ModelFile.load(path: model, architecture: arch).model
        try ONNXExporter.write(loaded, to: URL(fileURLWithPath: out))
        if json {
            try printJSON(Result(out: out, opset: 17, parameters: loaded.parameterCount))
        } else {
            print("wrote \(out) (opset 17, \(loaded.parameterCount) parameters)")
        }
    }
}
