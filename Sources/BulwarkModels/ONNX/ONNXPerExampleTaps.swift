package import BulwarkTensor

/// How one node of an imported graph uses trainable parameters, in a layout whose per-example
/// gradients come from the node's data input and the error at its output (DP-SGD).
package struct ONNXParameterNode: Sendable {
    /// The layouts with a per-example gradient; parameters are indices into ``ONNXModel/parameterNames``.
    package enum Layout: Sendable, Equatable {
        /// `Gemm` (transA = 0) or `MatMul` with an N×K data input: y = α·x·W + β·c, where W is
        /// K×out, or out×K when `weightTransposed` (Gemm transB = 1); c broadcasts over the batch.
        case linear(weight: Int?, weightTransposed: Bool, alpha: Float, bias: Int?, beta: Float)
        /// `Conv` with group = 1: weight O×C×kh×kw, bias [O].
        case convolution(weight: Int?, bias: Int?)
        /// `Add` of a parameter broadcast over the batch axis to the data input's shape.
        case bias(parameter: Int)
    }

    /// Index of the node in the graph.
    let nodeIndex: Int
    /// Name of the node's data input (the value whose rows are the examples).
    let dataInput: String
    /// `'name' (OpType)`, for messages.
    package let label: String
    /// How the node uses its parameters.
    package let layout: Layout
}

/// Why an imported graph has no per-example gradient for DP-SGD: the node and the reason.
package struct ONNXPerExampleRefusal: Error, Sendable {
    /// `'name' (OpType)` of the node.
    package var node: String
    /// What prevents per-example clipping there.
    package var reason: String
    /// One line: `node 'x' (Op): reason`.
    package var message: String { "node \(node): \(reason)" }
}

/// One tapped node after a forward pass: its data input and, after the backward pass, the error
/// `∂(Σ_i ℓ_i)/∂output` that reached its output.
package final class ONNXNodeTap {
    /// The node the tap belongs to.
    package let node: ONNXParameterNode
    /// The node's data input (N × …).
    package let input: Tensor
    /// Shape of the node's output.
    package let outputShape: [Int]
    /// The Conv geometry the executor built from pads, strides, dilations and `auto_pad` (Conv only).
    package let geometry: Conv2DGeometry?
    /// The error at the output; `nil` until a backward pass reaches it (zero when none does).
    package internal(set) var outputError: Tensor?

    init(node: ONNXParameterNode, input: Tensor, outputShape: [Int], geometry: Conv2DGeometry?) {
        self.node = node
        self.input = input
        self.outputShape = outputShape
        self.geometry = geometry
    }
}

/// Collects the taps of one run of ``ONNXExecutor``.
final class ONNXTapRecorder {
    /// Graph node index → the node's layout.
    let nodes: [Int: ONNXParameterNode]
    /// A leaf that requires a gradient: every tap depends on it, so the backward pass reaches each
    /// tapped output even when parameters and inputs are constants.
    let anchor: Variable
    let batch: Int
    var taps: [ONNXNodeTap] = []

    init(nodes: [ONNXParameterNode], anchor: Variable, batch: Int) {
        self.nodes = Dictionary(uniqueKeysWithValues: nodes.map { ($0.nodeIndex, $0) })
        self.anchor = anchor
        self.batch = batch
    }

    /// Checks the run-time layout of node `index`, records its data input and returns its output
    /// wrapped in a tap (identity that stores the error flowing into it).
    func tap(_ spec: ONNXParameterNode, node: ONNXNode, output: Variable, env: [String: ONNXValue],
             executor: ONNXExecutor) throws(ONNXError) -> Variable {
        func refuse(_ why: String) -> ONNXError { ONNXError(.unsupported, "node \(spec.label): \(why)") }
        guard case .float(let x)? = env[spec.dataInput] else { throw refuse("its data input '\(spec.dataInput)' is not a float tensor") }
        guard x.shape.first == batch, output.shape.first == batch else {
            throw refuse("per-example gradients need the batch on axis 0 of the data input and output, got \(x.shape) → \(output.shape) for a batch of \(batch)")
        }
        var geometry: Conv2DGeometry?
        switch spec.layout {
        case .linear:
            guard x.shape.count == 2 else {
                throw refuse("per-example gradients need a 2-D (batch × features) data input, got \(x.shape)")
            }
        case .convolution:
            guard case .float(let w)? = env[node.inputs[1]], w.shape.count == 4 else { throw refuse("needs a 4-D weight") }
            geometry = try executor.geometry(node, input: x.shape, kernel: Array(w.shape[2...]))
        case .bias:
            guard output.shape == x.shape else {
                throw refuse("the parameter broadcasts the data input \(x.shape) to \(output.shape); per-example gradients need a bias added to each example")
            }
            let p = node.inputs.first { $0 != spec.dataInput }.flatMap { env[$0]?.shape } ?? []
            guard p.count < output.shape.count || (p.count == output.shape.count && p.first == 1) else {
                throw refuse("the parameter's shape \(p) has a batch axis; per-example gradients need a bias broadcast over the batch")
            }
        }
        let record = ONNXNodeTap(node: spec, input: x.value, outputShape: output.shape, geometry: geometry)
        taps.append(record)
        return output.tape.record(output.value, inputs: [output, anchor]) { (g: Tensor, _: [Bool]) in
            record.outputError = g
            return [g, nil]
        }
    }
}

extension ONNXModel {
    /// The nodes that consume trainable parameters, each with a layout that has per-example
    /// gradients — or the first node that has none.
    ///
    /// Refused: `BatchNormalization` anywhere (batch statistics mix examples), a parameter used by
    /// more than one node (weight sharing), and a parameter in any other operator or layout
    /// (`Gemm` with transA = 1, `MatMul` with the parameter as first operand, `Conv` with
    /// group > 1, `Add` of two parameters, a bias with a batch axis). Every parameter is covered
    /// by exactly one returned node. Data-input ranks are checked when the graph runs
    /// (``tappedForward(_:anchor:nodes:)``).
    package func perExampleParameterNodes() throws(ONNXPerExampleRefusal) -> [ONNXParameterNode] {
        let index = Dictionary(uniqueKeysWithValues: parameterNames.enumerated().map { ($1, $0) })
        var users: [String: String] = [:]
        var result: [ONNXParameterNode] = []
        for (i, node) in graph.nodes.enumerated() {
            let label = "'\(node.label)' (\(node.opType))"
            func refuse(_ reason: String) -> ONNXPerExampleRefusal { ONNXPerExampleRefusal(node: label, reason: reason) }
            if node.opType == "BatchNormalization" {
                // Opacus refuses batch normalisation for the same reason.
                throw refuse("batch normalisation uses batch statistics, which mix examples, so per-example clipping does not bound DP-SGD's sensitivity; export the model without BatchNormalization (or fold it into the convolution)")
            }
            let slots = node.inputs.indices.filter { index[node.inputs[$0]] != nil }
            if slots.isEmpty { continue }
            for s in slots {
                let name = node.inputs[s]
                if let other = users[name] {
                    throw refuse("parameter '\(name)' is also used by node \(other); DP-SGD here needs each parameter used by one node (no weight sharing)")
                }
                users[name] = label
            }
            let param: (Int) -> Int? = { $0 < node.inputs.count ? index[node.inputs[$0]] : nil }
            let layout: ONNXParameterNode.Layout
            do throws(ONNXError) {
                switch node.opType {
                case "Gemm":
                    guard param(0) == nil else { throw ONNXError(.unsupported, "parameter '\(node.inputs[0])' is operand A; per-example gradients need the data as A") }
                    guard try node.int("transA", default: 0) == 0 else { throw ONNXError(.unsupported, "transA = 1 is not supported (the data rows must be the examples)") }
                    if param(2) != nil, let c = initializerShape(node.inputs[2]), c.count > 2 || (c.count == 2 && c[0] != 1) {
                        throw ONNXError(.unsupported, "bias C of shape \(c) is not broadcast over the batch (expected [out] or [1, out])")
                    }
                    layout = .linear(weight: param(1), weightTransposed: try node.int("transB", default: 0) != 0,
                                     alpha: try node.float("alpha", default: 1), bias: param(2), beta: try node.float("beta", default: 1))
                case "MatMul":
                    guard param(0) == nil else { throw ONNXError(.unsupported, "parameter '\(node.inputs[0])' is the first operand; per-example gradients need data × parameter") }
                    guard let w = initializerShape(node.inputs[1]), w.count == 2 else {
                        throw ONNXError(.unsupported, "per-example gradients need a 2-D parameter as second operand")
                    }
                    layout = .linear(weight: param(1), weightTransposed: false, alpha: 1, bias: nil, beta: 1)
                case "Conv":
                    guard param(0) == nil else { throw ONNXError(.unsupported, "parameter '\(node.inputs[0])' is the convolution's input") }
                    let groups = try node.int("group", default: 1)
                    guard groups == 1 else { throw ONNXError(.unsupported, "group = \(groups); per-example gradients cover group = 1 only") }
                    layout = .convolution(weight: param(1), bias: param(2))
                case "Add":
                    guard slots.count == 1, let p = param(slots[0]), node.inputs.count == 2 else {
                        throw ONNXError(.unsupported, "adds two parameters; per-example gradients need data + parameter")
                    }
                    layout = .bias(parameter: p)
                default:
                    throw ONNXError(.unsupported, "uses parameter '\(node.inputs[slots[0]])'; per-example gradients cover Gemm, MatMul, Conv and Add")
                }
            } catch {
                throw refuse(error.message)
            }
            let data = node.inputs.indices.first { !slots.contains($0) && !node.inputs[$0].isEmpty } ?? 0
            result.append(ONNXParameterNode(nodeIndex: i, dataInput: node.inputs[data], label: label, layout: layout))
        }
        return result
    }

    func initializerShape(_ name: String) -> [Int]? { graph.initializers[name]?.shape }

    /// One training-mode forward pass of `input` with the parameters as constants, tapping the
    /// output of every node in `nodes` (from ``perExampleParameterNodes()``): each tap records the
    /// node's data input, and a backward pass from a loss through `anchor` (a variable that
    /// requires a gradient) fills in ``ONNXNodeTap/outputError``. Returns the logits and the taps
    /// in graph order.
    ///
    /// - Throws: `ONNXError` when the graph fails on this batch or a tapped node's run-time
    ///   layout has no per-example gradient (a data input that is not batch × features for
    ///   `Gemm`/`MatMul`, a batch not on axis 0, a bias that broadcasts the data).
    package func tappedForward(_ input: Variable, anchor: Variable, nodes: [ONNXParameterNode]) throws(ONNXError)
        -> (logits: Variable, taps: [ONNXNodeTap]) {
        let recorder = ONNXTapRecorder(nodes: nodes, anchor: anchor, batch: input.shape.first ?? 0)
        let out = try ONNXExecutor(graph: graph, plan: plan).run(input, parameters: [:], training: true, taps: recorder).output
        guard out.shape == [input.shape.first ?? 0, classCount] else {
            throw ONNXError(.shapeMismatch, "the graph answered \(out.shape) for a batch of \(input.shape.first ?? 0)")
        }
        return (out, recorder.taps)
    }
}
