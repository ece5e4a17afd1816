import ArgumentParser
import Foundation
import BulwarkModels

/// `bulwark inspect MODEL`: what an ONNX model declares, after full validation.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Validate an ONNX model and print its inputs, outputs, opset, operators and parameter count."
    )

    @Argument(help: "The .onnx file (external data is read only from its folder).")
    var model: String

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    /// What `--json` prints: the model's declared summary and the classifier shape Bulwark uses.
    struct Result: Codable {
        var model: String
        var summary: ONNXSummary
        var inputShape: [Int]
        var classes: Int
    }

    func run() throws {
        let m = try ONNXModel(contentsOf: URL(fileURLWithPath: model))
        let s = m.summary
        if json {
            try printJSON(Result(model: model, summary: s, inputShape: m.inputShape, classes: m.classCount))
            return
        }
        func render(_ t: ONNXTensorInfo) -> String {
            let dims = zip(t.dimensions, t.dimensionNames).map { d, n in d.map(String.init) ?? (n.isEmpty ? "?" : n) }
            return "  \(t.name): \(t.elementType)[\(dims.joined(separator: ", "))]"
        }
        print("model: \(model)")
        print("producer: \(s.producer.isEmpty ? "(not stated)" : s.producer)")
        print("opset: \(s.opsetVersion)")
        print("inputs:")
        s.inputs.forEach { print(render($0)) }
        print("outputs:")
        s.outputs.forEach { print(render($0)) }
        print("operators: " + s.operatorCounts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", "))
        print("parameters: \(s.parameterCount)")
        print("classifier: input [N, \(m.inputShape.map(String.init).joined(separator: ", "))] -> [N, \(m.classCount)]")
    }
}
