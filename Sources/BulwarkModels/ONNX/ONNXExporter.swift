public import Foundation
public import BulwarkTensor
import SwiftProtobuf

/// Writes models as ONNX files that onnxruntime and Bulwark's own loader run with the same outputs.
///
/// A `Sequential` model becomes a new graph (opset 17): most layers map onto one ONNX node named
/// `layer<i>`; parameters and batch-normalisation running statistics become float initializers
/// named like PyTorch's `nn.Sequential` state_dict (`0.weight`, `1.running_var`, `3.conv1.weight`,
/// `4.shortcut.1.bias`, …), so they match the model's safetensors names. `BatchNorm` becomes
/// `BatchNormalization` (inference mode, running statistics; an ``ONNXModel`` trains it with
/// batch statistics), `GlobalAvgPool` `GlobalAveragePool` (N×C×1×1, which the model's `Flatten`
/// turns into N×C), and a ``ResidualBlock`` the nodes `layer<i>.conv1`, `.bn1`, `.relu1`,
/// `.conv2`, `.bn2`, `.shortcut.0` and `.shortcut.1` (projection shortcut only), `.add` and
/// `.relu`. The polynomial activations are plain arithmetic: `Square` is `Mul(x, x)`, and
/// `Quadratic(a, b, c)` is `((x·a) + b)·x + c` as the nodes `layer<i>.ax`, `.axb`, `.axbx` and
/// `layer<i>` with the one-element initializers `<i>.quadratic`, `<i>.linear` and `<i>.constant`.
/// The batch axis is symbolic.
///
/// An ``ONNXModel`` (fine-tuned after import) is written back into its own file's message: the
/// graph, node names, opset, inputs, outputs, metadata, unknown fields and initializer names
/// stay as loaded; only the values of its parameters and running statistics change, each in
/// the encoding it had (`raw_data` or `float_data`).
///
/// ```swift
/// let resnet = try ZooArchitecture.resnet.makeModel(exampleShape: [3, 32, 32], classCount: 10)
/// try ONNXExporter.write(resnet, to: URL(fileURLWithPath: "resnet.onnx"))
/// ```
public enum ONNXExporter {
    /// The ONNX bytes of `model`. Throws `ONNXError(.unsupported)` for a layer with no ONNX mapping.
    public static func serialize(_ model: Sequential, graphName: String = "bulwark") throws(ONNXError) -> Data {
        var writer = ONNXGraphWriter()
        writer.graph.name = graphName
        var current = "input"
        for (i, layer) in model.layers.enumerated() {
            let out = i == model.layers.count - 1 ? "logits" : "l\(i)"
            current = try emit(layer, index: i, input: current, output: out, into: &writer)
        }
        if model.layers.isEmpty { writer.node("Identity", name: "identity", inputs: [current], output: "logits") }
        var graph = writer.graph
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

    /// Appends the nodes of layer `i` reading `input` and writing `output`; returns `output`.
    static func emit(_ layer: any Layer, index i: Int, input: String, output: String,
                     into w: inout ONNXGraphWriter) throws(ONNXError) -> String {
        let name = "layer\(i)"
        switch layer {
        case let d as Dense:
            return w.node("Gemm", name: name, inputs: [input, w.initializer("\(i).weight", d.weight), w.initializer("\(i).bias", d.bias)],
                          output: output, attributes: [.int("transB", 1)])
        case let c as Conv2D:
            return w.conv(name: name, input: input, output: output, prefix: "\(i)", weight: c.weight, bias: c.bias,
                          geometry: c.geometry, groups: c.groups)
        case let bn as BatchNorm:
            return w.batchNorm(name: name, input: input, output: output, prefix: "\(i)", bn)
        case let block as ResidualBlock:
            return residualBlock(block, index: i, input: input, output: output, into: &w)
        case let p as MaxPool2D:
            return w.node("MaxPool", name: name, inputs: [input], output: output, attributes: ONNXGraphWriter.window(p.geometry))
        case let p as AvgPool2D:
            return w.node("AveragePool", name: name, inputs: [input], output: output,
                          attributes: ONNXGraphWriter.window(p.geometry) + [.int("count_include_pad", p.countIncludePad ? 1 : 0)])
        case is GlobalAvgPool:
            return w.node("GlobalAveragePool", name: name, inputs: [input], output: output)
        case is Flatten:
            return w.node("Flatten", name: name, inputs: [input], output: output, attributes: [.int("axis", 1)])
        case is Dropout:
            return w.node("Identity", name: name, inputs: [input], output: output)
        case let a as Activation:
            let (op, attributes): (String, [Onnx_AttributeProto])
            switch a.kind {
            case .relu: (op, attributes) = ("Relu", [])
            case .sigmoid: (op, attributes) = ("Sigmoid", [])
            case .tanh: (op, attributes) = ("Tanh", [])
            case .softmax: (op, attributes) = ("Softmax", [.int("axis", -1)])
            case .leakyRelu(let alpha): (op, attributes) = ("LeakyRelu", [.float("alpha", alpha)])
            case .square:
                return w.node("Mul", name: name, inputs: [input, input], output: output)
            case .quadratic(let qa, let qb, let qc):
                // (a·x + b)·x + c, Horner's form as the layer computes it: Mul, Add, Mul, Add.
                let coefficient = w.initializer("\(i).quadratic", Tensor([qa]))
                let linear = w.initializer("\(i).linear", Tensor([qb]))
                let constant = w.initializer("\(i).constant", Tensor([qc]))
                let ax = w.node("Mul", name: "\(name).ax", inputs: [input, coefficient], output: "\(output).ax")
                let axb = w.node("Add", name: "\(name).axb", inputs: [ax, linear], output: "\(output).axb")
                let axbx = w.node("Mul", name: "\(name).axbx", inputs: [axb, input], output: "\(output).axbx")
                return w.node("Add", name: name, inputs: [axbx, constant], output: output)
            }
            return w.node(op, name: name, inputs: [input], output: output, attributes: attributes)
        default:
            throw ONNXError(.unsupported, "layer \(i) (\(layer.summary)) has no ONNX export")
        }
    }

    /// `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))` with node and value names
    /// `layer<i>.conv1`, `l<i>.conv1`, … and tensors named as ``ResidualBlock/parameterNames``.
    static func residualBlock(_ b: ResidualBlock, index i: Int, input: String, output: String,
                              into w: inout ONNXGraphWriter) -> String {
        let node = "layer\(i)", value = "l\(i)"
        var h = w.conv(name: "\(node).conv1", input: input, output: "\(value).conv1", prefix: "\(i).conv1",
                       weight: b.conv1, bias: nil, geometry: b.geometry1)
        h = w.batchNorm(name: "\(node).bn1", input: h, output: "\(value).bn1", prefix: "\(i).bn1", b.bn1)
        h = w.node("Relu", name: "\(node).relu1", inputs: [h], output: "\(value).relu1")
        h = w.conv(name: "\(node).conv2", input: h, output: "\(value).conv2", prefix: "\(i).conv2",
                   weight: b.conv2, bias: nil, geometry: b.geometry2)
        h = w.batchNorm(name: "\(node).bn2", input: h, output: "\(value).bn2", prefix: "\(i).bn2", b.bn2)
        var shortcut = input
        if let projection = b.projection {
            shortcut = w.conv(name: "\(node).shortcut.0", input: input, output: "\(value).shortcut.0", prefix: "\(i).shortcut.0",
                              weight: projection.kernel, bias: nil, geometry: b.shortcutGeometry)
            shortcut = w.batchNorm(name: "\(node).shortcut.1", input: shortcut, output: "\(value).shortcut.1",
                                   prefix: "\(i).shortcut.1", projection.bn)
        }
        let sum = w.node("Add", name: "\(node).add", inputs: [h, shortcut], output: "\(value).add")
        return w.node("Relu", name: "\(node).relu", inputs: [sum], output: output)
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
