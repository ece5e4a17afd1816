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

    func run() throws {
        let m: ONNXModel
        do { m = try ONNXModel(contentsOf: URL(fileURLWithPath: model)) } catch {
            throw CLIError(error.message)
        }
        let s = m.summary
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
