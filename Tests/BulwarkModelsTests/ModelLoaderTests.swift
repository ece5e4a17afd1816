import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkModels

/// Model files recognised by content and loaded as classifiers; bad paths are one-line errors.
@Suite struct ModelLoaderTests {
    @Test func safetensorsAndONNXAreRecognisedByContent() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = ZooArchitecture.mlp.makeModel(seed: 4)
        // Names that do not say the format: the loader looks at the bytes.
        let st = dir.appendingPathComponent("weights.bin")
        try ModelFile.save(model, architecture: .mlp, to: st.path)
        let onnx = dir.appendingPathComponent("model.bin")
        try Data(try ONNXExporter.serialize(model)).write(to: onnx)
        let x = Tensor(shape: [2, 1, 28, 28], scalars: (0..<(2 * 784)).map { Float($0 % 17) / 17 })
        let fromST = try ModelLoader.classifier(path: st.path)
        let fromONNX = try ModelLoader.classifier(path: onnx.path)
        #expect(fromST.logits(x) == model.logits(x))
        let a = fromONNX.logits(x).scalars, b = model.logits(x).scalars
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(ModelFormat.sniff(head: Array(try Data(contentsOf: st).prefix(9)), path: "x") == .safetensors)
        #expect(ModelFormat.sniff(head: Array(try Data(contentsOf: onnx).prefix(9)), path: "x") == .onnx)
    }

    @Test func missingDirectoryAndGarbageAreOneLineErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let garbage = dir.appendingPathComponent("g.onnx")
        try Data("not a model at all".utf8).write(to: garbage)
        for (path, code, text) in [(dir.appendingPathComponent("none").path, ModelError.Code.io, "not found"),
                                   (dir.path, .io, "not a regular file"), (garbage.path, .malformed, "ONNX")] {
            do throws(ModelError) {
                _ = try ModelLoader.classifier(path: path)
                Issue.record("\(path) loaded")
            } catch {
                #expect(error.code == code && error.message.contains(text) && !error.message.contains("\n"), "\(error.message)")
            }
        }
    }
}

/// A model with a NaN or infinite weight is refused at load — safetensors and ONNX alike — so
/// no command evaluates, attacks or certifies a model whose outputs mean nothing.
@Test func nonFiniteWeightsAreRefusedAtLoad() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-nonfinite-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var model = ZooArchitecture.mlp.makeModel(seed: 2)
    var w = model.layers[1].parameters[0]
    w = Tensor(shape: w.shape, scalars: [Float.nan] + w.scalars.dropFirst())
    model.layers[1].parameters[0] = w
    let st = dir.appendingPathComponent("nan.safetensors")
    try ModelFile.save(model, architecture: .mlp, to: st.path)
    do {
        _ = try ModelLoader.classifier(path: st.path)
        Issue.record("a NaN weight loaded")
    } catch {
        #expect(error.code == .malformed && error.message.contains("non-finite"), "\(error.message)")
    }
    let onnx = dir.appendingPathComponent("nan.onnx")
    try Data(try ONNXExporter.serialize(model)).write(to: onnx)
    #expect(throws: ONNXError.self) { try ONNXModel(contentsOf: onnx) }
    do {
        _ = try ModelLoader.classifier(path: onnx.path)
        Issue.record("a NaN initializer loaded")
    } catch {
        #expect(error.message.contains("non-finite"), "\(error.message)")
    }
}
