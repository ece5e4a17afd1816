public import Foundation
public import BulwarkTensor
import SwiftProtobuf

/// Writes models as ONNX files that onnxruntime and Bulwark's own loader run with the same outputs.
///
/// A `Sequential` model becomes a new graph (opset 17): layers map one to one onto ONNX nodes;
/// parameters become float initializers named like PyTorch's `nn.Sequential` state_dict
/// (`0.weight`, `3.bias`, …). The batch axis is symbolic.
///
/// An ``ONNXModel`` (fine-tuned after import) is written back into its own file's message: the
/// graph, node names, opset, inputs, outputs, metadata, unknown fields and initializer names
/// stay as loaded; only the values of its parameters and running statistics change, each in
/// the encoding it had (`raw_data` or `float_data`).
public enum ONNXExporter {
    /// The ONNX bytes of `model`. Throws `ONNXError(.unsupported)` for a layer with no ONNX mapping.
    public static func serialize(_ model: Sequential, graphName: String = "bulwark") throws(ONNXError) -> Data {
        var graph = Onnx_GraphProto()
        graph.name = graphName
        var current = "input"
        for (i, layer) in model.layers.enumerated() {
            let out = "l\(i)"
            var node = Onnx_NodeProto()
            node.name = "layer\(i)"
            node.input = [current]
            node.output = [out]
            func initializer(_ name: String, _ t: Tensor) {
                var p = Onnx_TensorProto()
                p.name = name
                p.dataType = 1
                p.dims = t.shape.map { Int64($0) }
                p.floatData = t.scalars
                graph.initializer.append(p)
                node.input.append(name)
            }
            func ints(_ name: String, _ v: [Int]) {
                var a = Onnx_AttributeProto()
                a.name = name; a.type = .ints; a.ints = v.map { Int64($0) }
                node.attribute.append(a)
            }
            func int(_ name: String, _ v: Int) {
                var a = Onnx_AttributeProto()
                a.name = name; a.type = .int; a.i = Int64(v)
                node.attribute.append(a)
            }
            func geometry(_ g: Conv2DGeometry) {
                ints("kernel_shape", [g.kernelHeight, g.kernelWidth])
                ints("strides", [g.strideHeight, g.strideWidth])
                ints("pads", [g.padTop, g.padLeft, g.padBottom, g.padRight])
            }
            switch layer {
            case let d as Dense:
                node.opType = "Gemm"
                int("transB", 1)
                initializer("\(i).weight", d.weight)
                initializer("\(i).bias", d.bias)
            case let c as Conv2D:
                node.opType = "Conv"
                geometry(c.geometry)
                ints("dilations", [c.geometry.dilationHeight, c.geometry.dilationWidth])
                int("group", c.groups)
                initializer("\(i).weight", c.weight)
                initializer("\(i).bias", c.bias)
            case let p as MaxPool2D:
                node.opType = "MaxPool"
                geometry(p.geometry)
            case let p as AvgPool2D:
                node.opType = "AveragePool"
                geometry(p.geometry)
                int("count_include_pad", p.countIncludePad ? 1 : 0)
            case is GlobalAvgPool:
                node.opType = "GlobalAveragePool"
            case is Flatten:
                node.opType = "Flatten"
                int("axis", 1)
            case is Dropout:
                node.opType = "Identity"
            case let a as Activation:
                switch a.kind {
                case .relu: node.opType = "Relu"
                case .sigmoid: node.opType = "Sigmoid"
                case .tanh: node.opType = "Tanh"
                case .softmax: node.opType = "Softmax"; int("axis", -1)
                case .leakyRelu(let alpha):
                    node.opType = "LeakyRelu"
                    var at = Onnx_AttributeProto()
                    at.name = "alpha"; at.type = .float; at.f = alpha
                    node.attribute.append(at)
                }
            default:
                throw ONNXError(.unsupported, "layer \(i) (\(layer.summary)) has no ONNX export")
            }
            graph.node.append(node)
            current = out
        }
        func info(_ name: String, _ dims: [Int]) -> Onnx_ValueInfoProto {
            var v = Onnx_ValueInfoProto()
            v.name = name
            var t = Onnx_TypeProto.Tensor()
            t.elemType = 1
            var batch = Onnx_TensorShapeProto.Dimension()
            batch.dimParam = "batch"
            t.shape.dim = [batch] + dims.map { d in
                var x = Onnx_TensorShapeProto.Dimension()
                x.dimValue = Int64(d)
                return x
            }
            v.type.tensorType = t
            return v
        }
        graph.input = [info("input", model.inputShape)]
        graph.node[graph.node.count - 1].output = ["logits"]
        graph.output = [info("logits", [model.classCount])]
        var m = Onnx_ModelProto()
        m.irVersion = 8
        m.producerName = "bulwark"
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = 17
        m.opsetImport = [opset]
        m.graph = graph
        do { return try m.serializedBytes() } catch {
            throw ONNXError(.malformed, "could not serialize the ONNX model: \(error)", underlying: error)
        }
    }

    /// Writes `model` to `url` as ONNX (atomically).
    public static func write(_ model: Sequential, to url: URL) throws(ONNXError) {
        let bytes = try serialize(model)
        do { try bytes.write(to: url, options: .atomic) } catch {
            throw ONNXError(.io, "\(url.path): cannot write the ONNX file", underlying: error)
        }
    }
}

extension ONNXExporter {
    /// The ONNX bytes of a (fine-tuned) imported model: the loaded file's message with every
    /// parameter and buffer initializer replaced by the model's current values.
    ///
    /// An initializer that was held in external data is written inline (`raw_data`); other
    /// external-data initializers are left as references, which resolve only next to the
    /// original data file.
    /// - Throws: ``ONNXError`` (`.unsupported`) for a trained initializer stored in a type other
    ///   than float32, (`.malformed`) if the bytes cannot be re-read or written.
    public static func serialize(_ model: ONNXModel) throws(ONNXError) -> Data {
        var proto: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            proto = try Onnx_ModelProto(serializedBytes: model.source, options: options)
        } catch {
            throw ONNXError(.malformed, "could not re-read the imported ONNX model: \(error)", underlying: error)
        }
        var values: [String: Tensor] = [:]
        for (name, t) in model.namedTensors { values[name] = t }
        for i in proto.graph.initializer.indices {
            let name = proto.graph.initializer[i].name
            guard let t = values[name] else { continue }
            var p = proto.graph.initializer[i]
            guard p.dataType == 1 else {
                throw ONNXError(.unsupported, "initializer '\(name)' is stored as \(ONNXLoader.typeName(Int(p.dataType))); only float32 initializers can be written back")
            }
            guard p.dims.map({ Int($0) }) == t.shape || (p.dims.isEmpty && t.count == 1) else {
                throw ONNXError(.shapeMismatch, "initializer '\(name)' has dims \(p.dims), the model holds \(t.shape)")
            }
            if p.dataLocation == .external || !p.rawData.isEmpty {
                if p.dataLocation == .external {
                    p.clearDataLocation()
                    p.externalData = []
                }
                p.rawData = littleEndianBytes(t.scalars)
            } else {
                p.floatData = t.scalars
            }
            proto.graph.initializer[i] = p
        }
        do { return try proto.serializedBytes() } catch {
            throw ONNXError(.malformed, "could not serialize the ONNX model: \(error)", underlying: error)
        }
    }

    /// Writes a (fine-tuned) imported model to `url` as ONNX (atomically), as `serialize` makes it.
    public static func write(_ model: ONNXModel, to url: URL) throws(ONNXError) {
        let bytes = try serialize(model)
        do { try bytes.write(to: url, options: .atomic) } catch {
            throw ONNXError(.io, "\(url.path): cannot write the ONNX file", underlying: error)
        }
    }

    static func littleEndianBytes(_ scalars: [Float]) -> Data {
        var out = Data(capacity: scalars.count * 4)
        for f in scalars { withUnsafeBytes(of: f.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }
}
