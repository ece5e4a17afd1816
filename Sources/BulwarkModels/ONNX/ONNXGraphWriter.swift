import BulwarkTensor

/// Builds the graph of an exported ``Sequential``: nodes in execution order and float
/// initializers, each added once under its PyTorch `state_dict` name.
struct ONNXGraphWriter {
    var graph = Onnx_GraphProto()

    /// Adds a float32 initializer holding `tensor` and returns its name.
    mutating func initializer(_ name: String, _ tensor: Tensor) -> String {
        var p = Onnx_TensorProto()
        p.name = name
        p.dataType = 1
        p.dims = tensor.shape.map { Int64($0) }
        p.floatData = tensor.scalars
        graph.initializer.append(p)
        return name
    }

    /// Appends a node `name` computing `opType` of `inputs` into `output`, and returns `output`.
    @discardableResult
    mutating func node(_ opType: String, name: String, inputs: [String], output: String,
                       attributes: [Onnx_AttributeProto] = []) -> String {
        var n = Onnx_NodeProto()
        n.opType = opType
        n.name = name
        n.input = inputs
        n.output = [output]
        n.attribute = attributes
        graph.node.append(n)
        return output
    }

    /// A `Conv` node without bias when `bias` is nil; `prefix` names the weight (`3.conv1` → `3.conv1.weight`).
    mutating func conv(name: String, input: String, output: String, prefix: String, weight: Tensor, bias: Tensor?,
                       geometry g: Conv2DGeometry, groups: Int = 1) -> String {
        var inputs = [input, initializer("\(prefix).weight", weight)]
        if let bias { inputs.append(initializer("\(prefix).bias", bias)) }
        return node("Conv", name: name, inputs: inputs, output: output,
                    attributes: Self.window(g) + [.ints("dilations", [g.dilationHeight, g.dilationWidth]), .int("group", groups)])
    }

    /// An inference-mode `BatchNormalization` node for `bn`, its tensors named `prefix.weight`,
    /// `prefix.bias`, `prefix.running_mean` and `prefix.running_var`. ONNX's `momentum` is the
    /// weight of the old running value, PyTorch's and Bulwark's that of the batch: 1 − momentum.
    mutating func batchNorm(name: String, input: String, output: String, prefix: String, _ bn: BatchNorm) -> String {
        let inputs = [input, initializer("\(prefix).weight", bn.scale), initializer("\(prefix).bias", bn.offset),
                      initializer("\(prefix).running_mean", bn.runningMean),
                      initializer("\(prefix).running_var", bn.runningVariance)]
        return node("BatchNormalization", name: name, inputs: inputs, output: output,
                    attributes: [.float("epsilon", bn.epsilon), .float("momentum", 1 - bn.momentum)])
    }

    /// The `kernel_shape`, `strides` and `pads` attributes of a convolution or pooling window.
    static func window(_ g: Conv2DGeometry) -> [Onnx_AttributeProto] {
        [.ints("kernel_shape", [g.kernelHeight, g.kernelWidth]), .ints("strides", [g.strideHeight, g.strideWidth]),
         .ints("pads", [g.padTop, g.padLeft, g.padBottom, g.padRight])]
    }
}

extension Onnx_AttributeProto {
    static func int(_ name: String, _ v: Int) -> Self {
        var a = Self()
        a.name = name; a.type = .int; a.i = Int64(v)
        return a
    }

    static func ints(_ name: String, _ v: [Int]) -> Self {
        var a = Self()
        a.name = name; a.type = .ints; a.ints = v.map { Int64($0) }
        return a
    }

    static func float(_ name: String, _ v: Float) -> Self {
        var a = Self()
        a.name = name; a.type = .float; a.f = v
        return a
    }
}
